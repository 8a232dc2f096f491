package cloudtest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// serve answers one request: count it, apply a fault, the rate limit and
// the token check, then the API itself.
func (d *DingTalk) serve(w http.ResponseWriter, r *http.Request) {
	api := strings.TrimPrefix(r.URL.Path, "/")
	d.mu.Lock()
	d.calls[api]++
	n := d.calls[api]
	f, faulty := d.faults[api][n]
	throttled := !faulty && !d.allow(api)
	if throttled {
		d.throttled[api]++
	}
	d.mu.Unlock()

	switch {
	case faulty && f.Status != 0 && f.Status != http.StatusOK:
		http.Error(w, http.StatusText(f.Status), f.Status)
		return
	case faulty:
		dtAnswer(w, f.ErrCode, f.ErrMsg, nil)
		return
	case throttled:
		dtAnswer(w, 90018, "当前企业所有应用调用该接口次数超过限制", nil) // [DOC]: per app per API
		return
	}

	if api == "gettoken" {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		d.getToken(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if code, msg := d.checkToken(r.URL.Query().Get("access_token")); code != 0 {
		dtAnswer(w, code, msg, nil)
		return
	}
	var in struct {
		UserID *string `json:"userid"`
		DeptID *int64  `json:"dept_id"`
		Cursor *int64  `json:"cursor"`
		Size   *int64  `json:"size"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &in); err != nil {
		dtAnswer(w, 40035, "不合法的参数: "+err.Error(), nil)
		return
	}
	switch api {
	case "topapi/v2/user/get":
		d.userGet(w, in.UserID)
	case "topapi/v2/department/listsubid":
		d.listSubID(w, in.DeptID)
	case "topapi/v2/user/list":
		d.userList(w, in.DeptID, in.Cursor, in.Size)
	default:
		http.NotFound(w, r)
	}
}

// dtAnswer writes DingTalk's envelope: errcode, errmsg, request_id and,
// on success, result (for gettoken the fields sit at the top level).
func dtAnswer(w http.ResponseWriter, code int, msg string, result any) {
	if msg == "" && code == 0 {
		msg = "ok"
	}
	m := map[string]any{"errcode": code, "errmsg": msg, "request_id": newDTToken()[:12]}
	if top, ok := result.(map[string]any); ok && top["access_token"] != nil {
		for k, v := range top {
			m[k] = v
		}
	} else if result != nil {
		m["result"] = result
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_ = json.NewEncoder(w).Encode(m)
}

func (d *DingTalk) getToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("appkey") != d.opts.AppKey || q.Get("appsecret") != d.opts.AppSecret {
		dtAnswer(w, 40089, "不合法的appKey或appSecret", nil)
		return
	}
	d.mu.Lock()
	now := time.Now()
	t, ok := d.tokens[d.current]
	if !ok || t.revoked || !now.Before(t.expires) {
		d.current = newDTToken()
		t = &dtToken{}
		d.tokens[d.current] = t
	}
	t.expires = now.Add(d.opts.TokenTTL) // re-fetching extends it [DOC]
	tok := d.current
	d.mu.Unlock()
	dtAnswer(w, 0, "ok", map[string]any{"access_token": tok, "expires_in": int64(d.opts.TokenTTL / time.Second)})
}

// checkToken returns the errcode for an access token, 0 when it is good.
func (d *DingTalk) checkToken(tok string) (int, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tokens[tok]
	switch {
	case !ok || t.revoked:
		return 40014, "不合法的access_token"
	case !time.Now().Before(t.expires):
		return 42001, "access_token超时"
	}
	return 0, ""
}

func (d *DingTalk) userGet(w http.ResponseWriter, id *string) {
	if id == nil || *id == "" {
		dtAnswer(w, 40035, "缺少参数 userid", nil)
		return
	}
	d.mu.Lock()
	u, ok := d.users[*id]
	var m map[string]any
	if ok {
		m = u.json()
	}
	d.mu.Unlock()
	if !ok {
		dtAnswer(w, 60121, "找不到该用户", nil)
		return
	}
	dtAnswer(w, 0, "ok", m)
}

func (d *DingTalk) listSubID(w http.ResponseWriter, dept *int64) {
	if dept == nil {
		dtAnswer(w, 40035, "缺少参数 dept_id", nil)
		return
	}
	d.mu.Lock()
	dd, ok := d.depts[*dept]
	var ids []int64
	if ok {
		ids = slices.Clone(dd.children)
	}
	d.mu.Unlock()
	if !ok {
		dtAnswer(w, 60003, "部门不存在", nil)
		return
	}
	if ids == nil {
		ids = []int64{}
	}
	dtAnswer(w, 0, "ok", map[string]any{"dept_id_list": ids})
}

func (d *DingTalk) userList(w http.ResponseWriter, dept, cursor, size *int64) {
	switch {
	case dept == nil || cursor == nil || size == nil:
		dtAnswer(w, 40035, "缺少参数 dept_id, cursor 或 size", nil)
		return
	case *size < 1 || *size > 100 || *cursor < 0:
		dtAnswer(w, 40035, "不合法的参数 size 或 cursor", nil)
		return
	}
	d.mu.Lock()
	if _, ok := d.depts[*dept]; !ok {
		d.mu.Unlock()
		dtAnswer(w, 60003, "部门不存在", nil)
		return
	}
	if d.members == nil {
		d.members = map[int64][]*DingTalkUser{}
		for _, u := range d.users {
			for _, id := range u.DeptIDs {
				d.members[id] = append(d.members[id], u)
			}
		}
		for _, m := range d.members {
			slices.SortFunc(m, func(a, b *DingTalkUser) int { return strings.Compare(a.UserID, b.UserID) })
		}
	}
	members := d.members[*dept]
	start := min(*cursor, int64(len(members)))
	end := min(start+*size, int64(len(members)))
	list := make([]map[string]any, 0, end-start)
	for _, u := range members[start:end] {
		list = append(list, u.json())
	}
	d.mu.Unlock()
	res := map[string]any{"has_more": end < int64(len(members)), "list": list}
	if end < int64(len(members)) {
		res["next_cursor"] = end
	}
	dtAnswer(w, 0, "ok", res)
}
