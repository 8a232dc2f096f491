package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/dingtalk"
	"github.com/ramsync/ramsync/pkg/feishu"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/secrets"
)

// recording is a Directory or RosterLoader that records what it was asked.
type recording struct{ got []string }

func (r *recording) Roster(_ context.Context, department string) (*hr.Roster, error) {
	r.got = append(r.got, "dept="+department)
	return &hr.Roster{}, nil
}

func (r *recording) Load(_ context.Context, rawURL string) (*hr.Roster, error) {
	r.got = append(r.got, "url="+rawURL)
	return &hr.Roster{}, nil
}

func TestRostersDispatch(t *testing.T) {
	tests := []struct {
		url      string
		noVendor bool
		want     string // "files:…", "feishu:…", "dingtalk:…" or "!" + error text
	}{
		{"https://hr.example.com/roster.json", false, "files:url=https://hr.example.com/roster.json"},
		{"file:///tmp/roster.csv", false, "files:url=file:///tmp/roster.csv"},
		{"feishu://", false, "feishu:dept="},
		{"feishu:///", false, "feishu:dept="},
		{"feishu://?department=od-42", false, "feishu:dept=od-42"},
		{"dingtalk://", false, "dingtalk:dept="},
		{"dingtalk://?department=17", false, "dingtalk:dept=17"},
		{"feishu://", true, "!FEISHU_APP_ID is not set"},
		{"dingtalk://?department=3", true, "!DINGTALK_APP_KEY is not set"},
		{"feishu://tenant", false, "!nothing between // and ?"},
		{"dingtalk://?dept=3", false, `!the parameter "dept"`},
		{"feishu://?department=", false, "!given once, not empty"},
		{"feishu://?department=a&department=b", false, "!given once"},
	}
	for _, tt := range tests {
		files, fs, dt := &recording{}, &recording{}, &recording{}
		r := &Rosters{Files: files, Feishu: fs, DingTalk: dt}
		if tt.noVendor {
			r.Feishu, r.DingTalk = nil, nil
		}
		_, err := r.Load(context.Background(), tt.url)
		if strings.HasPrefix(tt.want, "!") {
			if err == nil || !strings.Contains(err.Error(), tt.want[1:]) {
				t.Errorf("%s: err %v, want %q", tt.url, err, tt.want[1:])
			}
			if len(files.got)+len(fs.got)+len(dt.got) != 0 {
				t.Errorf("%s: a roster was read", tt.url)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		got := fmt.Sprint("files:", strings.Join(files.got, ","), "feishu:", strings.Join(fs.got, ","), "dingtalk:", strings.Join(dt.got, ","))
		which, arg, _ := strings.Cut(tt.want, ":")
		if !strings.Contains(got, which+":"+arg) || strings.Count(got, "=") != 1 {
			t.Errorf("%s: calls %s, want %s", tt.url, got, tt.want)
		}
	}
}

// TestRostersVendors pulls both doubles through the real clients: one
// record per user however many departments hold them, and a pull failing
// on its last page is an error, never a partial roster.
func TestRostersVendors(t *testing.T) {
	fsrv := cloudtest.NewFeishu(cloudtest.FeishuOptions{RPS: -1})
	defer fsrv.Close()
	seed := fsrv.SeedDirectory(300, 20)
	fsec := feishu.Secret{AppSecret: secrets.NewValue("app-secret"), EncryptKey: secrets.NewValue("k"), VerificationToken: secrets.NewValue("v")}
	fc, err := feishu.NewClient(feishu.Config{AppID: "cli_test", Endpoint: fsrv.URL, HTTPClient: fsrv.Client(),
		Secret: func(context.Context) (feishu.Secret, error) { return fsec, nil }})
	if err != nil {
		t.Fatal(err)
	}
	dsrv := cloudtest.NewDingTalk(cloudtest.DingTalkOptions{RateLimit: -1})
	defer dsrv.Close()
	dsrv.SeedOrg(250, 30)
	o := dsrv.Options()
	dc, err := dingtalk.NewClient(dingtalk.Config{AppKey: o.AppKey, Endpoint: dsrv.URL, HTTPClient: dsrv.Client(), Retries: -1,
		Secret: func(context.Context) (dingtalk.Secret, error) {
			return dingtalk.Secret{AppSecret: secrets.NewValue(o.AppSecret)}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	r := &Rosters{Feishu: fc, DingTalk: dc}
	ctx := context.Background()
	fr, err := r.Load(ctx, "feishu://")
	if err != nil || len(fr.Employees) != seed.Users || fr.Format != "feishu" {
		t.Fatalf("feishu://: %v, %d employees (want %d)", err, len(fr.Employees), seed.Users)
	}
	dr, err := r.Load(ctx, "dingtalk://")
	if err != nil || len(dr.Employees) != 250 || dr.Format != dingtalk.Format {
		t.Fatalf("dingtalk://: %v", err)
	}

	fsrv.Inject(cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, LastPage: true, Status: 400, Code: 40004, Msg: "no dept authority"})
	if ro, err := r.Load(ctx, "feishu://"); err == nil || ro != nil {
		t.Errorf("feishu:// failing on its last page: roster %v, err %v; want no roster and an error", ro != nil, err)
	}
	dsrv.Fail(dingtalk.APIUserList, dsrv.Calls(dingtalk.APIUserList)+20, 1, cloudtest.DingTalkFault{ErrCode: 60011, ErrMsg: "no permission"})
	var apiErr *dingtalk.APIError
	if ro, err := r.Load(ctx, "dingtalk://"); !errors.As(err, &apiErr) || ro != nil {
		t.Errorf("dingtalk:// failing part-way: roster %v, err %v; want no roster and the API error", ro != nil, err)
	}
}
