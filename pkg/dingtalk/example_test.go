package dingtalk_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// A push from DingTalk: authenticate and decrypt it, turn it into hr
// events (fetching the joiner), and answer "success".
func Example() {
	platform := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer platform.Close()
	platform.AddUser(cloudtest.DingTalkUser{UserID: "0155", Name: "Li Wei", OrgEmail: "li.wei@corp.example.com"})
	o := platform.Options()

	// The app's secret, as stored in Secrets Manager.
	secret, err := dingtalk.ParseSecret(secrets.NewValue(fmt.Sprintf(
		`{"appSecret": %q, "aesKey": %q, "token": %q}`, o.AppSecret, o.AESKey, o.Token)))
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := dingtalk.NewClient(dingtalk.Config{
		AppKey:     o.AppKey,
		Endpoint:   platform.URL,
		Secret:     func(context.Context) (dingtalk.Secret, error) { return secret, nil },
		HTTPClient: platform.Client(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// DingTalk sends a joiner and a leaver.
	sent := time.Now()
	for _, msg := range [][]byte{
		platform.EventMessage(dingtalk.TypeUserAdd, sent, "0155"),
		platform.EventMessage(dingtalk.TypeUserLeave, sent, "0099"),
	} {
		query, body := platform.SealPush(msg, sent)

		push, err := dingtalk.Open(query, body, secret, o.AppKey, time.Now(), 5*time.Minute)
		var authErr *dingtalk.AuthError
		if errors.As(err, &authErr) {
			fmt.Println("401:", err)
			return
		}
		events, err := client.Events(context.Background(), push)
		if dingtalk.IsTransient(err) {
			fmt.Println("503:", err)
			return
		}
		for _, ev := range events {
			fmt.Println(ev.Type, ev.Employee.ID, ev.Employee.Email, ev.Employee.Status)
		}
		reply, err := dingtalk.Reply(secret, o.AppKey, time.Now())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("DingTalk accepts the reply:", platform.CheckReply(reply) == nil)
	}
	// Output:
	// employee.hired 0155 li.wei@corp.example.com active
	// DingTalk accepts the reply: true
	// employee.terminated 0099  terminated
	// DingTalk accepts the reply: true
}

// The reconciler's roster: the whole directory, one record per user.
func ExampleClient_Roster() {
	platform := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{})
	defer platform.Close()
	platform.SeedOrg(250, 12)
	o := platform.Options()
	client, _ := dingtalk.NewClient(dingtalk.Config{
		AppKey:   o.AppKey,
		Endpoint: platform.URL,
		Secret: func(context.Context) (dingtalk.Secret, error) {
			return dingtalk.Secret{AppSecret: secrets.NewValue(o.AppSecret)}, nil
		},
		HTTPClient: platform.Client(),
	})
	r, err := client.Roster(context.Background(), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(r.Employees), "employees from", r.Source, "as of", r.AsOfSource)
	fmt.Println("token requests:", platform.Calls(dingtalk.APIToken))
	// Output:
	// 250 employees from dingtalk:// as of directory pull started
	// token requests: 1
}
