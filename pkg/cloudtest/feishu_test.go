package cloudtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	larkcontact "github.com/larksuite/oapi-sdk-go/v3/service/contact/v3"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

type feishuAnswer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a feishuAnswer) code() int {
	n, _ := a.body["code"].(float64)
	return int(n)
}

func (a feishuAnswer) data() map[string]any {
	d, _ := a.body["data"].(map[string]any)
	return d
}

func feishuDo(t *testing.T, f *cloudtest.Feishu, method, path, token string, body any) feishuAnswer {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, f.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	a := feishuAnswer{status: res.StatusCode, header: res.Header}
	if err := json.NewDecoder(res.Body).Decode(&a.body); err != nil {
		t.Fatalf("%s %s: body not JSON: %v", method, path, err)
	}
	return a
}

func feishuToken(t *testing.T, f *cloudtest.Feishu) (string, int) {
	t.Helper()
	o := f.Options()
	a := feishuDo(t, f, http.MethodPost, "/open-apis/auth/v3/tenant_access_token/internal", "", map[string]string{"app_id": o.AppID, "app_secret": o.AppSecret})
	tok, _ := a.body["tenant_access_token"].(string)
	exp, _ := a.body["expire"].(float64)
	if a.status != 200 || a.code() != 0 || tok == "" {
		t.Fatalf("token: %d %v", a.status, a.body)
	}
	return tok, int(exp)
}

// TestFeishuThroughSDK: the official SDK's token manager and listing
// iterators read the double's whole directory.
func TestFeishuThroughSDK(t *testing.T) {
	// The SDK caches tenant tokens process-wide by app id; a fresh id per
	// run keeps a token of an earlier double (go test -count=N) out.
	appID := fmt.Sprintf("cli_sdk_%d", time.Now().UnixNano())
	f := cloudtest.NewFeishu(cloudtest.FeishuOptions{AppID: appID, AppSecret: "s-sdk", TLS: true})
	defer f.Close()
	f.SeedDirectory(130, 7)
	c := lark.NewClient(appID, "s-sdk", lark.WithOpenBaseUrl(f.URL), lark.WithHttpClient(f.Client()), lark.WithLogLevel(larkcore.LogLevelError))
	ctx := context.Background()

	it, err := c.Contact.Department.ChildrenByIterator(ctx, larkcontact.NewChildrenDepartmentReqBuilder().
		DepartmentId("0").DepartmentIdType("open_department_id").FetchChild(true).PageSize(3).Build())
	if err != nil {
		t.Fatal(err)
	}
	depts := []string{"0"}
	for {
		ok, d, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		depts = append(depts, *d.OpenDepartmentId)
	}
	if len(depts) != 8 {
		t.Fatalf("SDK walked %v, want 0 and 7 departments", depts)
	}
	got := map[string]bool{}
	for _, d := range depts {
		it, err := c.Contact.User.FindByDepartmentByIterator(ctx, larkcontact.NewFindByDepartmentUserReqBuilder().
			DepartmentId(d).DepartmentIdType("open_department_id").UserIdType("user_id").PageSize(7).Build())
		if err != nil {
			t.Fatal(err)
		}
		for {
			ok, u, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got[*u.UserId] = true
		}
	}
	var want []string
	for _, u := range f.Users() {
		want = append(want, u.UserID)
	}
	if len(got) != len(want) {
		t.Fatalf("SDK listed %d distinct users, want %d", len(got), len(want))
	}
	if n := f.Counters()[cloudtest.FeishuAPIToken]; n != 1 {
		t.Errorf("SDK made %d token requests, want 1", n)
	}
}

func TestFeishuTokens(t *testing.T) {
	clock := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	f := cloudtest.NewFeishu(cloudtest.FeishuOptions{Now: func() time.Time { return clock }})
	defer f.Close()
	f.SeedDirectory(3, 1)
	list := "/open-apis/contact/v3/users/find_by_department?department_id=0"

	if a := feishuDo(t, f, http.MethodPost, "/open-apis/auth/v3/tenant_access_token/internal", "", map[string]string{"app_id": "cli_test", "app_secret": "guess"}); a.code() != 10014 || a.status != 400 {
		t.Fatalf("wrong secret: %d %v", a.status, a.body)
	}
	t1, exp := feishuToken(t, f)
	if exp != 7200 {
		t.Fatalf("expire %d, want 7200", exp)
	}
	clock = clock.Add(90 * time.Minute) // 30 minutes left: same token
	if t2, exp := feishuToken(t, f); t2 != t1 || exp != 1800 {
		t.Fatalf("with 30 minutes left got %q (%d s), want the same token with 1800 s", t2, exp)
	}
	clock = clock.Add(time.Second) // under 30 minutes: a new one, the old still valid
	t3, _ := feishuToken(t, f)
	if t3 == t1 {
		t.Fatal("no new token with under 30 minutes left")
	}
	for _, tok := range []string{t1, t3} {
		if a := feishuDo(t, f, http.MethodGet, list, tok, nil); a.code() != 0 {
			t.Fatalf("token refused: %v", a.body)
		}
	}
	clock = clock.Add(30 * time.Minute) // t1 expired
	if a := feishuDo(t, f, http.MethodGet, list, t1, nil); a.code() != 99991663 {
		t.Fatalf("expired token: %v", a.body)
	}
	if a := feishuDo(t, f, http.MethodGet, list, "", nil); a.code() != 99991661 {
		t.Fatalf("no token: %v", a.body)
	}
	f.ExpireTokens()
	if a := feishuDo(t, f, http.MethodGet, list, t3, nil); a.code() != 99991663 {
		t.Fatalf("revoked token: %v", a.body)
	}
}

func TestFeishuPaging(t *testing.T) {
	f := cloudtest.NewFeishu(cloudtest.FeishuOptions{})
	defer f.Close()
	f.SeedDirectory(0, 9) // od-1…od-4 under 0, od-5…od-8 under od-1, od-9 under od-2
	for i := range 23 {
		f.AddUser(cloudtest.FeishuUser{UserID: "u" + string(rune('a'+i)), DepartmentIDs: []string{"od-3"}})
	}
	tok, _ := feishuToken(t, f)

	a := feishuDo(t, f, http.MethodGet, "/open-apis/contact/v3/departments/0/children", tok, nil)
	if items := a.data()["items"].([]any); len(items) != 4 {
		t.Fatalf("children without fetch_child: %d, want the 4 direct ones", len(items))
	}
	a = feishuDo(t, f, http.MethodGet, "/open-apis/contact/v3/departments/0/children?fetch_child=true&page_size=50", tok, nil)
	if items := a.data()["items"].([]any); len(items) != 9 || a.data()["has_more"] != false || a.data()["page_token"] != nil {
		t.Fatalf("children with fetch_child: %v", a.data())
	}
	a = feishuDo(t, f, http.MethodGet, "/open-apis/contact/v3/departments/od-1/children?fetch_child=true", tok, nil)
	if items := a.data()["items"].([]any); len(items) != 4 {
		t.Fatalf("od-1's subtree: %v", a.data())
	}

	// find_by_department: default 10 a page, page tokens until has_more is false.
	var ids []string
	path := "/open-apis/contact/v3/users/find_by_department?department_id=od-3"
	pages := 0
	for q := ""; ; {
		a := feishuDo(t, f, http.MethodGet, path+q, tok, nil)
		pages++
		for _, it := range a.data()["items"].([]any) {
			ids = append(ids, it.(map[string]any)["user_id"].(string))
		}
		if a.data()["has_more"] != true {
			if _, ok := a.data()["page_token"]; ok {
				t.Fatal("page_token on the last page")
			}
			break
		}
		q = "&page_token=" + a.data()["page_token"].(string)
	}
	sort.Strings(ids)
	if pages != 3 || len(ids) != 23 || ids[0] != "ua" {
		t.Fatalf("%d pages, ids %v", pages, ids)
	}
	if a := feishuDo(t, f, http.MethodGet, path+"&page_size=51", tok, nil); a.code() != 40011 {
		t.Fatalf("page_size 51: %v", a.body)
	}
	if a := feishuDo(t, f, http.MethodGet, path+"&page_token=bogus", tok, nil); a.code() != 40012 {
		t.Fatalf("bad page_token: %v", a.body)
	}
	if a := feishuDo(t, f, http.MethodGet, "/open-apis/contact/v3/users/find_by_department?department_id=od-404", tok, nil); a.code() != 40004 {
		t.Fatalf("unknown department: %v", a.body)
	}
	if a := feishuDo(t, f, http.MethodGet, "/open-apis/contact/v3/users/find_by_department?department_id=od-9", tok, nil); a.code() != 0 || a.data()["items"] == nil {
		t.Fatalf("empty department: %v", a.body)
	}
}

func TestFeishuRateLimit(t *testing.T) {
	f := cloudtest.NewFeishu(cloudtest.FeishuOptions{RPS: 3})
	defer f.Close()
	tok, _ := feishuToken(t, f)
	const n = 30
	limited := 0
	start := time.Now()
	for range n {
		a := feishuDo(t, f, http.MethodGet, "/open-apis/contact/v3/departments/0/children", tok, nil)
		if a.status == http.StatusTooManyRequests {
			limited++
			if a.code() != cloudtest.FeishuCodeRateLimited || a.header.Get("x-ogw-ratelimit-reset") == "" || a.header.Get("x-ogw-ratelimit-limit") != "3" {
				t.Fatalf("429 answer: %v %v", a.header, a.body)
			}
		}
	}
	// A burst of 3, then 3 a second: no more can have passed, however
	// slow the machine (the bound grows with the time the loop took).
	maxOK := 3 + int(time.Since(start).Seconds()*3) + 1
	if ok := n - limited; ok > maxOK || (maxOK < n && limited == 0) {
		t.Fatalf("%d of %d requests passed at 3/s, at most %d may", ok, n, maxOK)
	}
	if c := f.Counters(); c[cloudtest.FeishuAPIChildren+".429"] != int64(limited) || c[cloudtest.FeishuAPIChildren] != n {
		t.Fatalf("counters %v", c)
	}
}

func TestFeishuFaults(t *testing.T) {
	f := cloudtest.NewFeishu(cloudtest.FeishuOptions{})
	defer f.Close()
	f.SeedDirectory(30, 2)
	tok, _ := feishuToken(t, f)
	f.Inject(cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, Call: 2, Status: 503})
	f.Inject(cloudtest.FeishuFault{API: cloudtest.FeishuAPIFindByDepartment, LastPage: true, Status: 200, Code: 41050, Times: 1})
	path := "/open-apis/contact/v3/users/find_by_department?department_id=0&page_size=5"
	if a := feishuDo(t, f, http.MethodGet, path, tok, nil); a.code() != 0 { // call 1: a middle page
		t.Fatalf("call 1: %v", a.body)
	}
	if a := feishuDo(t, f, http.MethodGet, path, tok, nil); a.status != 503 { // call 2
		t.Fatalf("call 2: %d %v", a.status, a.body)
	}
	last := path[:strings.Index(path, "&")] + "&page_size=50"
	if a := feishuDo(t, f, http.MethodGet, last, tok, nil); a.status != 200 || a.code() != 41050 { // the last page, once
		t.Fatalf("last page: %d %v", a.status, a.body)
	}
	if a := feishuDo(t, f, http.MethodGet, last, tok, nil); a.code() != 0 {
		t.Fatalf("after the fault: %v", a.body)
	}
	f.Inject(cloudtest.FeishuFault{API: cloudtest.FeishuAPIToken, Status: 429, Reset: 7})
	a := feishuDo(t, f, http.MethodPost, "/open-apis/auth/v3/tenant_access_token/internal", "", map[string]string{"app_id": "cli_test", "app_secret": "app-secret"})
	if a.status != 429 || a.code() != cloudtest.FeishuCodeRateLimited || a.header.Get("x-ogw-ratelimit-reset") != "7" {
		t.Fatalf("token fault: %d %v %v", a.status, a.header, a.body)
	}
	f.ClearFaults()
	feishuToken(t, f)
}

// TestFeishuPushOpensWithSDK: the sender's pushes decrypt and verify with
// the official SDK's functions.
func TestFeishuPushOpensWithSDK(t *testing.T) {
	f := cloudtest.NewFeishu(cloudtest.FeishuOptions{})
	defer f.Close()
	app := f.App("ek-1", "vt-1")
	at := time.Unix(1764493200, 0)
	plain := app.Event(cloudtest.FeishuEvent{Type: "contact.user.deleted_v3", CreateTime: at, User: cloudtest.FeishuUser{UserID: "u1"}})
	p := app.EncryptPush(plain, at)
	if p.Timestamp != "1764493200" || p.Signature != larkevent.Signature(p.Timestamp, p.Nonce, "ek-1", string(p.Body)) {
		t.Fatalf("push %+v does not carry the SDK's signature", p)
	}
	var env struct{ Encrypt string }
	_ = json.Unmarshal(p.Body, &env)
	got, err := larkevent.EventDecrypt(env.Encrypt, "ek-1")
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("SDK decrypt = %q, %v", got, err)
	}
	var doc struct {
		Schema string
		Header map[string]string
		Event  struct{ Object map[string]any }
	}
	if err := json.Unmarshal(plain, &doc); err != nil || doc.Schema != "2.0" || doc.Header["app_id"] != "cli_test" ||
		doc.Header["token"] != "vt-1" || doc.Header["create_time"] != "1764493200000" || doc.Event.Object["user_id"] != "u1" || doc.Header["event_id"] == "" {
		t.Fatalf("envelope %s", plain)
	}
	req, err := p.SignedRequest(context.Background(), "http://127.0.0.1/feishu")
	if err != nil || req.Header.Get("X-Lark-Signature") != p.Signature || req.Method != http.MethodPost {
		t.Fatalf("SignedRequest = %v, %v", req, err)
	}
}
