package feishu_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// Open a push as the webhook does, then pull the directory as the
// reconciler does, both against the cloudtest double.
func Example() {
	srv := cloudtest.NewFeishu(cloudtest.FeishuOptions{AppID: "cli_demo", AppSecret: "app-secret"})
	defer srv.Close()
	srv.AddDepartment(cloudtest.FeishuDepartment{OpenDepartmentID: "od-rd", ParentID: "0", Name: "R&D"})
	srv.AddUser(cloudtest.FeishuUser{UserID: "E1001", Name: "Li Wei", EnterpriseEmail: "li.wei@example.com", DepartmentIDs: []string{"od-rd"}})
	srv.AddUser(cloudtest.FeishuUser{UserID: "E1002", Name: "Wang Fang", EnterpriseEmail: "wang.fang@example.com", DepartmentIDs: []string{"0", "od-rd"},
		Status: &cloudtest.FeishuUserStatus{IsFrozen: true}})

	secret, err := feishu.ParseSecret(secrets.NewValue(`{"appSecret":"app-secret","encryptKey":"ek","verificationToken":"vt"}`))
	if err != nil {
		panic(err)
	}

	// A push: Feishu tells that E1001 resigned.
	now := time.Now()
	app := srv.App("ek", "vt")
	push := app.EncryptPush(app.Event(cloudtest.FeishuEvent{Type: feishu.EventUserUpdated, CreateTime: now,
		User: cloudtest.FeishuUser{UserID: "E1001", Status: &cloudtest.FeishuUserStatus{IsResigned: true}}}), now)
	p, err := feishu.Open(push.Header(), push.Body, secret, "cli_demo", now, 5*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Events[0].Type, p.Events[0].Employee.ID)

	// The directory.
	c, err := feishu.NewClient(feishu.Config{
		AppID: "cli_demo", Endpoint: srv.URL, HTTPClient: srv.Client(),
		Secret: func(context.Context) (feishu.Secret, error) { return secret, nil },
	})
	if err != nil {
		panic(err)
	}
	roster, err := c.Roster(context.Background(), "")
	if err != nil {
		panic(err)
	}
	for _, e := range roster.Employees {
		fmt.Println(e.ID, e.Email, e.Status)
	}
	// Output:
	// employee.terminated E1001
	// E1002 wang.fang@example.com suspended
	// E1001 li.wei@example.com active
}
