package cloudtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"
)

// DingTalk is a test double of DingTalk's open platform (oapi.dingtalk.com)
// as ramsync uses it, shaped like httptest.Server: NewDingTalk starts it on
// a loopback port, URL is its endpoint, Close stops it. It serves
//
//   - GET /gettoken?appkey&appsecret: the access token (expires_in 7200 by
//     default). A token is re-issued unchanged, its life extended, while it
//     is valid, as DingTalk does [DOC obtain-orgapp-token];
//   - POST /topapi/v2/user/get {"userid"}: one user, errcode 60121 when
//     there is none;
//   - POST /topapi/v2/department/listsubid {"dept_id"}: the direct
//     sub-department ids, errcode 60003 for an unknown department;
//   - POST /topapi/v2/user/list {"dept_id", "cursor", "size" ≤ 100}: one
//     department's own users, sorted by userid, cursor = offset.
//
// Each API (named by its path without the leading slash: "gettoken",
// "topapi/v2/user/get", …) takes at most DingTalkOptions.RateLimit requests
// a second (a token bucket, burst = rate) and answers errcode 90018 above
// that, as a standard org does [DOC how-to-process-api-throttling…]. The
// topapi calls need a valid access_token: 40014 for an unknown or revoked
// one, 42001 for an expired one.
//
// Tests seed users and departments (SeedOrg, AddUser, AddDepartment), count
// requests (Calls, Throttled), inject faults (Fail) and make tokens invalid
// (ExpireTokens, RevokeTokens). As DingTalk's event sender, SealPush and
// NewPushRequest encrypt and sign a push exactly as DingTalk does, and
// CheckReply checks an answer as DingTalk does. Its crypto is written
// apart from pkg/dingtalk's, so that one checks the other.
//
// Inferred, not documented: errcode 40089 for a wrong appkey/appsecret,
// 60003 for an unknown department, 40035 for a bad parameter (size > 100,
// a missing field), their errmsg texts.
//
// Not emulated: the api.dingtalk.com v1.0 APIs, other topapi APIs,
// user/list's order_field and contain_access_limit, field permissions
// (every field is returned), the per-IP ban, the global 90002 limit, the
// monthly quotas, DingTalk's retries of a failed push, the failed-push
// list, Stream mode.
//
// All methods are safe for concurrent use.
type DingTalk struct {
	// URL is the endpoint, "http://127.0.0.1:PORT" (https with
	// DingTalkOptions.TLS), to give a client as its Endpoint.
	URL string

	opts DingTalkOptions
	srv  *httptest.Server

	mu        sync.Mutex
	users     map[string]*DingTalkUser
	depts     map[int64]*dtDept
	tokens    map[string]*dtToken
	current   string // the token gettoken hands out while it is valid
	calls     map[string]int
	throttled map[string]int
	faults    map[string]map[int]DingTalkFault
	buckets   map[string]*dtBucket
	members   map[int64][]*DingTalkUser // by department, sorted; nil when stale
}

// DingTalkOptions configures a DingTalk double; zero fields take the
// defaults shown.
type DingTalkOptions struct {
	AppKey    string // "dingramsynctest00001"
	AppSecret string // "ramsync-test-app-secret"
	// Token and AESKey are the HTTP push settings: the signing token and
	// the 43-character EncodingAESKey.
	Token  string // "ramsynctoken"
	AESKey string // "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	// CorpID goes into the pushes' CorpId.
	CorpID string // "ding0123456789abcdef0123456789abcdef"
	// TokenTTL is the access token's life; 0 means 7200 s.
	TokenTTL time.Duration
	// RateLimit is requests a second per API; 0 means 20, negative no limit.
	RateLimit float64
	// TLS serves HTTPS with httptest's certificate (use Client).
	TLS bool
}

func (o DingTalkOptions) withDefaults() DingTalkOptions {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.AppKey, "dingramsynctest00001")
	def(&o.AppSecret, "ramsync-test-app-secret")
	def(&o.Token, "ramsynctoken")
	def(&o.AESKey, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	def(&o.CorpID, "ding0123456789abcdef0123456789abcdef")
	if o.TokenTTL <= 0 {
		o.TokenTTL = 7200 * time.Second
	}
	if o.RateLimit == 0 {
		o.RateLimit = 20
	}
	return o
}

// DingTalkUser is a user as topapi/v2/user/get returns it. Empty strings
// are left out of the answer, as DingTalk leaves out fields it has no value
// or no permission for.
type DingTalkUser struct {
	UserID    string
	UnionID   string
	Name      string
	Email     string
	OrgEmail  string
	JobNumber string
	Mobile    string
	Title     string
	Active    bool
	// DeptIDs are the departments the user is in, the first the main one.
	DeptIDs []int64
	// Extra fields are merged into the answer (they win over the above).
	Extra map[string]any
}

// json renders the user as the API does.
func (u *DingTalkUser) json() map[string]any {
	m := map[string]any{"userid": u.UserID, "active": u.Active, "dept_id_list": slices.Clone(u.DeptIDs)}
	for k, v := range map[string]string{"unionid": u.UnionID, "name": u.Name, "email": u.Email,
		"org_email": u.OrgEmail, "job_number": u.JobNumber, "mobile": u.Mobile, "title": u.Title} {
		if v != "" {
			m[k] = v
		}
	}
	maps.Copy(m, u.Extra)
	return m
}

// DingTalkFault is an injected failure: Status other than 0 and 200
// answers that HTTP status with a plain-text body; else the answer is 200
// with ErrCode and ErrMsg.
type DingTalkFault struct {
	Status  int
	ErrCode int
	ErrMsg  string
}

type dtDept struct {
	parent   int64
	children []int64
}

type dtToken struct {
	expires time.Time
	revoked bool
}

// NewDingTalk starts a DingTalk double with an org holding only the root
// department 1. Like httptest.NewServer it panics if it cannot listen.
func NewDingTalk(opts DingTalkOptions) *DingTalk {
	d := &DingTalk{
		opts:      opts.withDefaults(),
		users:     map[string]*DingTalkUser{},
		depts:     map[int64]*dtDept{1: {}},
		tokens:    map[string]*dtToken{},
		calls:     map[string]int{},
		throttled: map[string]int{},
		faults:    map[string]map[int]DingTalkFault{},
		buckets:   map[string]*dtBucket{},
	}
	if len(d.opts.AESKey) != 43 {
		panic(fmt.Sprintf("cloudtest: DingTalkOptions.AESKey is %d characters, want 43", len(d.opts.AESKey)))
	}
	h := http.HandlerFunc(d.serve)
	if d.opts.TLS {
		d.srv = httptest.NewTLSServer(h)
	} else {
		d.srv = httptest.NewServer(h)
	}
	d.URL = d.srv.URL
	return d
}

// Close stops the server.
func (d *DingTalk) Close() { d.srv.Close() }

// Client returns an *http.Client for the server (trusting its certificate
// with TLS).
func (d *DingTalk) Client() *http.Client { return d.srv.Client() }

// Options returns the effective options, defaults filled in.
func (d *DingTalk) Options() DingTalkOptions { return d.opts }

// AddDepartment adds department id under parent (which must exist).
func (d *DingTalk) AddDepartment(id, parent int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.depts[parent]
	if !ok {
		panic(fmt.Sprintf("cloudtest: AddDepartment(%d, %d): no department %d", id, parent, parent))
	}
	if _, dup := d.depts[id]; dup {
		panic(fmt.Sprintf("cloudtest: AddDepartment(%d, %d): department %d exists", id, parent, id))
	}
	d.depts[id] = &dtDept{parent: parent}
	p.children = append(p.children, id)
}

// AddUser adds or replaces a user. Its departments must exist; with none
// it goes into the root department.
func (d *DingTalk) AddUser(u DingTalkUser) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(u.DeptIDs) == 0 {
		u.DeptIDs = []int64{1}
	}
	for _, id := range u.DeptIDs {
		if _, ok := d.depts[id]; !ok {
			panic(fmt.Sprintf("cloudtest: AddUser(%q): no department %d", u.UserID, id))
		}
	}
	u.DeptIDs = slices.Clone(u.DeptIDs)
	u.Extra = maps.Clone(u.Extra)
	d.users[u.UserID] = &u
	d.members = nil
}

// RemoveUser removes a user, as a leaver leaves the address book.
func (d *DingTalk) RemoveUser(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.users, id)
	d.members = nil
}

// User returns a user and whether there is one.
func (d *DingTalk) User(id string) (DingTalkUser, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.users[id]
	if !ok {
		return DingTalkUser{}, false
	}
	return *u, true
}

// UserIDs returns every user id, sorted.
func (d *DingTalk) UserIDs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Sorted(maps.Keys(d.users))
}

// SeedOrg adds departments 2…depts (the root, 1, exists already: depts in
// all) as a tree of fan-out 8, and users u00000…u<users-1> spread over
// them; every 7th user is in a second department too, and every 50th in a
// third. It returns how many (user, department) memberships there are.
func (d *DingTalk) SeedOrg(users, depts int) int {
	for id := int64(2); id <= int64(depts); id++ {
		d.AddDepartment(id, 1+(id-2)/8)
	}
	n := int64(max(depts, 1))
	members := 0
	for i := range users {
		main := 1 + int64(i)%n
		ids := []int64{main}
		if i%7 == 0 {
			if o := 1 + (int64(i)*3+1)%n; o != main {
				ids = append(ids, o)
			}
		}
		if i%50 == 0 {
			if o := 1 + (int64(i)*5+2)%n; !slices.Contains(ids, o) {
				ids = append(ids, o)
			}
		}
		members += len(ids)
		id := fmt.Sprintf("u%05d", i)
		d.AddUser(DingTalkUser{
			UserID:    id,
			UnionID:   "union-" + id,
			Name:      fmt.Sprintf("User %d", i),
			OrgEmail:  id + "@corp.example.com",
			JobNumber: fmt.Sprintf("J%05d", i),
			Title:     "Engineer",
			Active:    i%10 != 0, // some have not activated the app
			DeptIDs:   ids,
		})
	}
	return members
}

// Calls returns how many requests an API received ("gettoken",
// "topapi/v2/user/list", …), throttled and failed ones included.
func (d *DingTalk) Calls(api string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[api]
}

// AllCalls returns the request count of every API.
func (d *DingTalk) AllCalls() map[string]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.calls)
}

// Throttled returns how many requests of an API were answered 90018.
func (d *DingTalk) Throttled(api string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.throttled[api]
}

// Fail makes calls n, n+1, … n+count-1 of an API (counted from 1 since the
// server started, as Calls counts) fail with f.
func (d *DingTalk) Fail(api string, n, count int, f DingTalkFault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.faults[api] == nil {
		d.faults[api] = map[int]DingTalkFault{}
	}
	for i := range count {
		d.faults[api][n+i] = f
	}
}

// ClearFaults removes every fault not yet triggered.
func (d *DingTalk) ClearFaults() {
	d.mu.Lock()
	defer d.mu.Unlock()
	clear(d.faults)
}

// ExpireTokens makes every access token issued so far expired (42001).
func (d *DingTalk) ExpireTokens() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.tokens {
		t.expires = time.Time{}
	}
	d.current = ""
}

// RevokeTokens makes every access token issued so far invalid (40014).
func (d *DingTalk) RevokeTokens() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.tokens {
		t.revoked = true
	}
	d.current = ""
}

// TokensIssued returns how many distinct access tokens were handed out.
func (d *DingTalk) TokensIssued() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.tokens)
}

// dtBucket is a token bucket per API.
type dtBucket struct {
	tokens float64
	last   time.Time
}

// allow takes a token from api's bucket; d.mu is held.
func (d *DingTalk) allow(api string) bool {
	if d.opts.RateLimit < 0 {
		return true
	}
	now := time.Now()
	b, ok := d.buckets[api]
	if !ok {
		b = &dtBucket{tokens: d.opts.RateLimit, last: now}
		d.buckets[api] = b
	}
	b.tokens = min(d.opts.RateLimit, b.tokens+now.Sub(b.last).Seconds()*d.opts.RateLimit)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// newDTToken returns a fresh access token.
func newDTToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// AccessTokens returns every access token handed out, for tests that
// check a client never logs or reports one.
func (d *DingTalk) AccessTokens() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Sorted(maps.Keys(d.tokens))
}

// DepartmentSizes returns each department's number of direct members
// (users listed by user/list for it), the root and empty ones included.
func (d *DingTalk) DepartmentSizes() map[int64]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := make(map[int64]int, len(d.depts))
	for id := range d.depts {
		m[id] = 0
	}
	for _, u := range d.users {
		for _, id := range u.DeptIDs {
			m[id]++
		}
	}
	return m
}

// MinPullCalls returns the fewest calls a full directory pull from the
// root can make: one gettoken, one listsubid per department, and per
// department one user/list page per 100 members (at least one).
func (d *DingTalk) MinPullCalls() int {
	n := 1
	for _, m := range d.DepartmentSizes() {
		n += 1 + max(1, (m+99)/100)
	}
	return n
}
