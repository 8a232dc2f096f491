package cloudtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dtCall makes one request to the double and decodes the answer.
func dtCall(t *testing.T, d *DingTalk, method, path string, q url.Values, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, d.URL+path+"?"+q.Encode(), rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := d.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

func dtGetToken(t *testing.T, d *DingTalk) string {
	t.Helper()
	o := d.Options()
	_, m := dtCall(t, d, http.MethodGet, "/gettoken", url.Values{"appkey": {o.AppKey}, "appsecret": {o.AppSecret}}, "")
	tok, _ := m["access_token"].(string)
	if tok == "" || m["errcode"] != float64(0) || m["expires_in"] != float64(7200) {
		t.Fatalf("gettoken: %v", m)
	}
	return tok
}

func TestDingTalkAPIs(t *testing.T) {
	d := NewDingTalk(DingTalkOptions{RateLimit: -1})
	defer d.Close()
	if n := d.SeedOrg(400, 3); n <= 400 {
		t.Fatalf("%d memberships: nobody in two departments", n)
	}
	o := d.Options()

	_, m := dtCall(t, d, http.MethodGet, "/gettoken", url.Values{"appkey": {o.AppKey}, "appsecret": {"wrong"}}, "")
	if m["errcode"] != float64(40089) {
		t.Errorf("wrong secret: %v", m)
	}
	tok := dtGetToken(t, d)
	if again := dtGetToken(t, d); again != tok {
		t.Error("a valid token was not re-issued")
	}
	q := url.Values{"access_token": {tok}}

	_, m = dtCall(t, d, http.MethodPost, "/topapi/v2/department/listsubid", q, `{"dept_id":1}`)
	if ids, _ := m["result"].(map[string]any)["dept_id_list"].([]any); len(ids) != 2 {
		t.Errorf("listsubid 1: %v", m)
	}
	_, m = dtCall(t, d, http.MethodPost, "/topapi/v2/department/listsubid", q, `{"dept_id":77}`)
	if m["errcode"] != float64(60003) {
		t.Errorf("unknown department: %v", m)
	}

	// Paging department 1: its members, 100 a page, each once.
	seen := map[string]bool{}
	cursor := 0.0
	for pages := 1; ; pages++ {
		_, m = dtCall(t, d, http.MethodPost, "/topapi/v2/user/list", q, `{"dept_id":1,"cursor":`+jsonNum(cursor)+`,"size":100}`)
		res, _ := m["result"].(map[string]any)
		list, _ := res["list"].([]any)
		for _, u := range list {
			id := u.(map[string]any)["userid"].(string)
			if seen[id] {
				t.Fatalf("user %s listed twice", id)
			}
			seen[id] = true
		}
		if res["has_more"] != true {
			break
		}
		cursor = res["next_cursor"].(float64)
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if want := d.DepartmentSizes()[1]; len(seen) != want || want <= 100 {
		t.Errorf("department 1: %d users listed, %d members", len(seen), want)
	}
	_, m = dtCall(t, d, http.MethodPost, "/topapi/v2/user/list", q, `{"dept_id":1,"cursor":0,"size":101}`)
	if m["errcode"] != float64(40035) {
		t.Errorf("size 101: %v", m)
	}

	_, m = dtCall(t, d, http.MethodPost, "/topapi/v2/user/get", q, `{"userid":"u00014"}`)
	res, _ := m["result"].(map[string]any)
	if res["userid"] != "u00014" || res["org_email"] != "u00014@corp.example.com" || len(res["dept_id_list"].([]any)) != 2 {
		t.Errorf("user/get: %v", m)
	}
	_, m = dtCall(t, d, http.MethodPost, "/topapi/v2/user/get", q, `{"userid":"nobody"}`)
	if m["errcode"] != float64(60121) {
		t.Errorf("unknown user: %v", m)
	}

	// Tokens: revoked 40014, expired 42001, then a new one.
	d.RevokeTokens()
	_, m = dtCall(t, d, http.MethodPost, "/topapi/v2/user/get", q, `{"userid":"u00007"}`)
	if m["errcode"] != float64(40014) {
		t.Errorf("revoked token: %v", m)
	}
	tok2 := dtGetToken(t, d)
	d.ExpireTokens()
	_, m = dtCall(t, d, http.MethodPost, "/topapi/v2/user/get", url.Values{"access_token": {tok2}}, `{"userid":"u00007"}`)
	if m["errcode"] != float64(42001) || tok2 == tok {
		t.Errorf("expired token: %v", m)
	}

	// Faults: the 2nd and 3rd calls from now.
	n := d.Calls("topapi/v2/user/get")
	d.Fail("topapi/v2/user/get", n+2, 2, DingTalkFault{Status: 500})
	tok3 := dtGetToken(t, d)
	q3 := url.Values{"access_token": {tok3}}
	for i, want := range []int{200, 500, 500, 200} {
		if st, _ := dtCall(t, d, http.MethodPost, "/topapi/v2/user/get", q3, `{"userid":"u00001"}`); st != want {
			t.Errorf("call %d: status %d, want %d", i+1, st, want)
		}
	}
	if got := d.Calls("topapi/v2/user/get"); got != n+4 {
		t.Errorf("counted %d calls, want %d", got, n+4)
	}
}

func TestDingTalkRateLimit(t *testing.T) {
	d := NewDingTalk(DingTalkOptions{RateLimit: 1})
	defer d.Close()
	tok := dtGetToken(t, d)
	for range 10 {
		dtCall(t, d, http.MethodPost, "/topapi/v2/department/listsubid", url.Values{"access_token": {tok}}, `{"dept_id":1}`)
	}
	// 10 calls at 1 a second (burst 1): unless they took 4 s, at least 5
	// were refused.
	if n := d.Throttled("topapi/v2/department/listsubid"); n < 5 {
		t.Errorf("%d throttled, want ≥ 5", n)
	}
	if d.Throttled("gettoken") != 0 {
		t.Error("the limit is not per API")
	}
}

func TestDingTalkPushAndReply(t *testing.T) {
	d := NewDingTalk(DingTalkOptions{})
	defer d.Close()
	o := d.Options()
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	msg := d.EventMessage("user_leave_org", at, "u1")
	var m map[string]any
	if err := json.Unmarshal(msg, &m); err != nil || m["TimeStamp"] != ms || m["EventType"] != "user_leave_org" {
		t.Fatalf("message %s", msg)
	}
	q, body := d.SealPush(msg, at)
	if q.Get("signature") != q.Get("msg_signature") || len(q.Get("nonce")) != 8 || q.Get("timestamp") != ms {
		t.Errorf("query %v", q)
	}
	var b struct{ Encrypt string }
	_ = json.Unmarshal(body, &b)
	if dtSign(o.Token, q.Get("timestamp"), q.Get("nonce"), b.Encrypt) != q.Get("signature") {
		t.Error("signature")
	}
	got, owner, err := dtOpen(o.AESKey, b.Encrypt)
	if err != nil || !bytes.Equal(got, msg) || owner != o.AppKey {
		t.Errorf("dtOpen = %s, %s, %v", got, owner, err)
	}

	// A reply built the way DingTalk's Java sample does is accepted;
	// anything else is not.
	reply := func(token, owner, text string) []byte {
		enc := dtSeal(o.AESKey, owner, []byte(text))
		r, _ := json.Marshal(map[string]string{"msg_signature": dtSign(token, ms, "abcdefgh", enc), "timeStamp": ms, "nonce": "abcdefgh", "encrypt": enc})
		return r
	}
	if err := d.CheckReply(reply(o.Token, o.AppKey, "success")); err != nil {
		t.Errorf("good reply: %v", err)
	}
	for name, r := range map[string][]byte{
		"other token": reply("x", o.AppKey, "success"),
		"other owner": reply(o.Token, o.CorpID, "success"),
		"not success": reply(o.Token, o.AppKey, "ok"),
		"plain text":  []byte("success"),
		"extra field": []byte(`{"msg_signature":"a","timeStamp":"1","nonce":"n","encrypt":"e","x":"y"}`),
	} {
		if d.CheckReply(r) == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	req, err := d.NewPushRequest(t.Context(), "http://127.0.0.1:1/dingtalk", msg, at)
	if err != nil || req.Method != http.MethodPost || req.URL.Query().Get("timestamp") != ms || req.URL.Path != "/dingtalk" {
		t.Errorf("NewPushRequest = %v, %v", req, err)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }
