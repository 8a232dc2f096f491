package cloudtest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

// A SCIM client gets a token from the OAuth endpoint and creates a user.
func Example() {
	srv := cloudtest.NewServer(cloudtest.Options{})
	defer srv.Close()

	o := srv.Options()
	cfg := clientcredentials.Config{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		TokenURL:     srv.TokenURL,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	hc := cfg.Client(ctx)

	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
		"userName":"alice","displayName":"Alice","externalId":"emp-1"}`
	resp, err := hc.Post(srv.SCIMURL+"/Users", "application/scim+json", bytes.NewBufferString(body))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(srv.Users()), srv.Users()[0].UserName)

	// The user still has an AccessKey: SCIM refuses to delete it.
	srv.SetRAM("alice", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{}}})
	req, _ := http.NewRequest(http.MethodDelete, srv.SCIMURL+"/Users/"+srv.Users()[0].ID, nil)
	resp, err = hc.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, srv.Counters()["oauth.token"], srv.Counters().SCIMWrites())
	// Output:
	// 201 1 alice
	// 409 1 2
}
