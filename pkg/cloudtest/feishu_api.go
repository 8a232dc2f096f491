package cloudtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// larkAnswer is one answer of the double: HTTP status, body code and msg,
// data, and headers.
type larkAnswer struct {
	status int
	code   int
	msg    string
	data   any
	extra  map[string]any // top-level members besides code/msg/data (the token endpoint)
	header map[string]string
}

func larkErr(status, code int, msg string) larkAnswer {
	return larkAnswer{status: status, code: code, msg: msg}
}

func (f *Feishu) serve(w http.ResponseWriter, r *http.Request) {
	api := ""
	switch {
	case r.URL.Path == "/open-apis/auth/v3/tenant_access_token/internal":
		api = FeishuAPIToken
	case strings.HasPrefix(r.URL.Path, "/open-apis/contact/v3/departments/") && strings.HasSuffix(r.URL.Path, "/children"):
		api = FeishuAPIChildren
	case r.URL.Path == "/open-apis/contact/v3/users/find_by_department":
		api = FeishuAPIFindByDepartment
	default:
		f.counters.add("feishu.other")
		f.write(w, "feishu.other", larkErr(http.StatusNotFound, 404, "404 page not found"))
		return
	}
	f.counters.add(api)
	f.mu.Lock()
	f.calls[api]++
	call := f.calls[api]
	f.mu.Unlock()

	a := f.answer(api, call, r)
	f.write(w, api, a)
}

// answer runs the API: rate limit, method, authentication, then the call
// itself with its faults.
func (f *Feishu) answer(api string, call int, r *http.Request) larkAnswer {
	if b := f.limits[api]; b != nil {
		if ok, wait := b.take(); !ok {
			return larkAnswer{status: http.StatusTooManyRequests, code: FeishuCodeRateLimited, msg: "request trigger frequency limit",
				header: map[string]string{"x-ogw-ratelimit-limit": strconv.Itoa(f.opts.RPS), "x-ogw-ratelimit-reset": strconv.Itoa(int(math.Ceil(wait.Seconds())))}}
		}
	}
	want := http.MethodGet
	if api == FeishuAPIToken {
		want = http.MethodPost
	}
	if r.Method != want {
		return larkErr(http.StatusMethodNotAllowed, 405, "method not allowed")
	}
	if api == FeishuAPIToken {
		if a, ok := f.fault(api, call, false); ok {
			return a
		}
		return f.token(r)
	}
	if a, ok := f.bearer(r); !ok {
		return a
	}
	var a larkAnswer
	var last bool
	if api == FeishuAPIChildren {
		a, last = f.children(r)
	} else {
		a, last = f.findByDepartment(r)
	}
	if a.status == http.StatusOK && a.code == 0 {
		if fa, ok := f.fault(api, call, last); ok {
			return fa
		}
	}
	return a
}

// fault returns the answer of the first fault matching this call.
func (f *Feishu) fault(api string, call int, last bool) (larkAnswer, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ft := range f.faults {
		if ft.API != api || (ft.Call > 0 && ft.Call != call) || (ft.LastPage && !last) || (ft.Times > 0 && ft.fired >= ft.Times) {
			continue
		}
		ft.fired++
		st, code, msg := ft.Status, ft.Code, ft.Msg
		if st == 0 {
			st = http.StatusInternalServerError
		}
		if code == 0 && st == http.StatusTooManyRequests {
			code = FeishuCodeRateLimited
		}
		if code == 0 && st != http.StatusOK {
			code = 1
		}
		if msg == "" {
			msg = "internal error"
			if code == FeishuCodeRateLimited {
				msg = "request trigger frequency limit"
			}
		}
		a := larkErr(st, code, msg)
		if st == http.StatusTooManyRequests {
			reset := ft.Reset
			if reset == 0 {
				reset = 1
			}
			a.header = map[string]string{"x-ogw-ratelimit-limit": strconv.Itoa(f.opts.RPS), "x-ogw-ratelimit-reset": strconv.Itoa(reset)}
		}
		return a, true
	}
	return larkAnswer{}, false
}

// token is POST /open-apis/auth/v3/tenant_access_token/internal [TAT].
func (f *Feishu) token(r *http.Request) larkAnswer {
	var in struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err := json.Unmarshal(body, &in); err != nil {
		return larkErr(http.StatusBadRequest, 10003, "invalid param: body is not JSON")
	}
	if in.AppID != f.opts.AppID || in.AppSecret != f.opts.AppSecret {
		return larkErr(http.StatusBadRequest, 10014, "app secret invalid")
	}
	now := f.opts.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	exp, ok := f.tokens[f.cur]
	if !ok || exp.Sub(now) < 30*time.Minute {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		f.seq++
		f.cur = fmt.Sprintf("t-%d-%s", f.seq, hex.EncodeToString(b))
		exp = now.Add(f.opts.TokenLifetime)
		f.tokens[f.cur] = exp
	}
	return larkAnswer{status: http.StatusOK, msg: "ok", extra: map[string]any{
		"tenant_access_token": f.cur, "expire": int(exp.Sub(now).Seconds()),
	}}
}

// bearer checks the Authorization header.
func (f *Feishu) bearer(r *http.Request) (larkAnswer, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return larkErr(http.StatusBadRequest, 99991661, "Missing access token for authorization"), false
	}
	f.mu.Lock()
	exp, known := f.tokens[tok]
	f.mu.Unlock()
	if !known || !f.opts.Now().Before(exp) {
		return larkErr(http.StatusBadRequest, 99991663, "Invalid access token for authorization"), false
	}
	return larkAnswer{}, true
}

// paging reads page_size (1–50, default 10) and page_token.
func larkPaging(q map[string][]string) (size, offset int, a larkAnswer, ok bool) {
	size = 10
	if v := larkFirst(q, "page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return 0, 0, larkErr(http.StatusBadRequest, 40011, "page_size must be 1 to 50"), false
		}
		size = n
	}
	if v := larkFirst(q, "page_token"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(raw), "offset:") || n < 0 {
			return 0, 0, larkErr(http.StatusBadRequest, 40012, "page_token is invalid"), false
		}
		offset = n
	}
	return size, offset, larkAnswer{}, true
}

func larkFirst(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// page cuts items to one page and builds the data object.
func larkPage[T any](items []T, size, offset int) (map[string]any, bool) {
	if items == nil {
		items = []T{}
	}
	if offset > len(items) {
		offset = len(items)
	}
	end := min(len(items), offset+size)
	data := map[string]any{"has_more": end < len(items), "items": items[offset:end]}
	if end < len(items) {
		data["page_token"] = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))
	}
	return data, end >= len(items)
}

// resolve maps a department id of either type to its open_department_id.
func (f *Feishu) resolve(id string) (string, bool) {
	if id == "0" {
		return "0", true
	}
	if _, ok := f.depts[id]; ok {
		return id, true
	}
	for _, k := range f.order {
		if f.depts[k].DepartmentID == id {
			return k, true
		}
	}
	return "", false
}

// children is GET /open-apis/contact/v3/departments/:id/children
// [DEPT-CHILDREN].
func (f *Feishu) children(r *http.Request) (larkAnswer, bool) {
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/open-apis/contact/v3/departments/"), "/children")
	q := r.URL.Query()
	size, offset, a, ok := larkPaging(q)
	if !ok {
		return a, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	root, ok := f.resolve(id)
	if !ok {
		return larkErr(http.StatusBadRequest, 40004, "no dept authority error"), false
	}
	var items []map[string]any
	for _, d := range f.descendants(root, larkFirst(q, "fetch_child") == "true") {
		dp := f.depts[d]
		items = append(items, map[string]any{
			"name": dp.Name, "open_department_id": dp.OpenDepartmentID, "department_id": dp.DepartmentID,
			"parent_department_id": dp.ParentID, "status": map[string]any{"is_deleted": false},
		})
	}
	data, last := larkPage(items, size, offset)
	return larkAnswer{status: http.StatusOK, msg: "success", data: data}, last
}

// findByDepartment is GET /open-apis/contact/v3/users/find_by_department
// [FIND-BY-DEPT]: the department's direct members.
func (f *Feishu) findByDepartment(r *http.Request) (larkAnswer, bool) {
	q := r.URL.Query()
	size, offset, a, ok := larkPaging(q)
	if !ok {
		return a, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.resolve(larkFirst(q, "department_id"))
	if !ok {
		return larkErr(http.StatusBadRequest, 40004, "no dept authority error"), false
	}
	var items []map[string]any
	for _, k := range f.members()[d] {
		u := *f.users[k]
		if u.Status == nil {
			u.Status = &FeishuUserStatus{IsActivated: true}
		}
		items = append(items, u.Object())
	}
	data, last := larkPage(items, size, offset)
	return larkAnswer{status: http.StatusOK, msg: "success", data: data}, last
}

// descendants lists the departments under root breadth first (all levels
// with fetchChild, else the direct children). f.mu is held.
func (f *Feishu) descendants(root string, fetchChild bool) []string {
	kids := map[string][]string{}
	for _, k := range f.order {
		p := f.depts[k].ParentID
		kids[p] = append(kids[p], k)
	}
	var out []string
	queue := []string{root}
	seen := map[string]bool{root: true}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		for _, c := range kids[d] {
			if seen[c] {
				continue
			}
			seen[c] = true
			out = append(out, c)
			if fetchChild {
				queue = append(queue, c)
			}
		}
	}
	return out
}

// members maps each department to its direct members' keys, in the order
// added. f.mu is held.
func (f *Feishu) members() map[string][]string {
	if f.memberIdx != nil {
		return f.memberIdx
	}
	m := map[string][]string{}
	for _, k := range f.uorder {
		for _, d := range f.users[k].DepartmentIDs {
			m[d] = append(m[d], k)
		}
	}
	f.memberIdx = m
	return m
}

func (f *Feishu) write(w http.ResponseWriter, api string, a larkAnswer) {
	body := map[string]any{"code": a.code, "msg": a.msg}
	if a.data != nil {
		body["data"] = a.data
	}
	for k, v := range a.extra {
		body[k] = v
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(body)
	f.counters.add(api + "." + strconv.Itoa(a.status))
	if a.code != 0 {
		f.counters.add(api + ".code." + strconv.Itoa(a.code))
	}
}
