package cloudtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// The Feishu open platform APIs the double serves, as keys of
// Feishu.Counters and FeishuFault.API.
const (
	FeishuAPIToken            = "auth.tenant_access_token"         // POST /open-apis/auth/v3/tenant_access_token/internal
	FeishuAPIChildren         = "contact.departments.children"     // GET /open-apis/contact/v3/departments/:id/children
	FeishuAPIFindByDepartment = "contact.users.find_by_department" // GET /open-apis/contact/v3/users/find_by_department
)

// FeishuCodeRateLimited is the code of a rate-limited answer [RATE].
const FeishuCodeRateLimited = 99991400

// FeishuOptions configure a Feishu double. The zero value is a usable
// plain-HTTP platform for app "cli_test" with secret "app-secret".
type FeishuOptions struct {
	// AppID and AppSecret are the self-built app's credentials the token
	// endpoint accepts. Defaults "cli_test" and "app-secret".
	AppID     string
	AppSecret string
	// TenantKey is header.tenant_key in pushes. Default "tenant-test".
	TenantKey string
	// TokenLifetime is the life of a tenant_access_token. Default 2h, as
	// documented [TAT].
	TokenLifetime time.Duration
	// RPS is the per-API rate limit (a token bucket of RPS per second,
	// burst RPS, on wall-clock time). Default 50, the contact APIs' tier
	// [RATE]; negative turns the limit off.
	RPS int
	// TLS serves HTTPS with httptest's certificate (Client trusts it).
	TLS bool
	// Now is the platform's clock for token expiry. Default time.Now.
	Now func() time.Time
}

// FeishuDepartment is one department of the directory.
type FeishuDepartment struct {
	// OpenDepartmentID is its id ("od-…"); ParentID its parent's
	// open_department_id, "0" for a top-level department.
	OpenDepartmentID string
	DepartmentID     string // the tenant's own id; default = OpenDepartmentID
	ParentID         string
	Name             string
}

// FeishuUserStatus is a user's status object [U-CREATED].
type FeishuUserStatus struct {
	IsFrozen, IsResigned, IsActivated, IsExited, IsUnjoin bool
}

// FeishuUser is one user of the directory, rendered as the contact v3
// user object in listings and events. Empty strings are left out of the
// object; a nil Status is left out of events and listed as
// {"is_activated": true}.
type FeishuUser struct {
	UserID, OpenID, UnionID string
	Name, EnName            string
	Email, EnterpriseEmail  string
	EmployeeNo, JobTitle    string
	// DepartmentIDs are the open_department_ids the user sits in directly;
	// "0" is the root. A user without departments is in no listing.
	DepartmentIDs []string
	Status        *FeishuUserStatus
	// Extra members are added to the object as they are (overriding).
	Extra map[string]any
}

// Object renders the user as Feishu's user object.
func (u FeishuUser) Object() map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{
		"user_id": u.UserID, "open_id": u.OpenID, "union_id": u.UnionID,
		"name": u.Name, "en_name": u.EnName, "email": u.Email,
		"enterprise_email": u.EnterpriseEmail, "employee_no": u.EmployeeNo,
		"job_title": u.JobTitle,
	} {
		if v != "" {
			m[k] = v
		}
	}
	if len(u.DepartmentIDs) > 0 {
		m["department_ids"] = append([]string(nil), u.DepartmentIDs...)
	}
	if u.Status != nil {
		m["status"] = map[string]any{
			"is_frozen": u.Status.IsFrozen, "is_resigned": u.Status.IsResigned,
			"is_activated": u.Status.IsActivated, "is_exited": u.Status.IsExited,
			"is_unjoin": u.Status.IsUnjoin,
		}
	}
	for k, v := range u.Extra {
		m[k] = v
	}
	return m
}

// FeishuFault makes the double fail matching calls of one API.
type FeishuFault struct {
	// API is one of the FeishuAPI* keys.
	API string
	// Call, when > 0, matches only the API's Call-th request since the
	// double started (1-based, counting every request that arrives).
	Call int
	// LastPage matches only a listing request whose answer would be the
	// last page (has_more false).
	LastPage bool
	// Status is the HTTP status (default 500, or 429 with
	// FeishuCodeRateLimited); Code and Msg the body's code and msg
	// (default: Code 99991400 with 429, else 1 "internal error"). A Status
	// of 200 with a non-zero Code is an API error answered with 200.
	Status int
	Code   int
	Msg    string
	// Reset is the x-ogw-ratelimit-reset header in seconds (sent with 429
	// only; default 1).
	Reset int
	// Times is how many times the fault fires; 0 fires on every match.
	Times int
}

// Feishu is a running Feishu/Lark open platform double, shaped like
// httptest.Server: NewFeishu starts it on a loopback port, URL is its base
// (the Endpoint of ramsync's client), Close stops it. It serves the
// internal-app tenant_access_token endpoint, the department children
// walk and find_by_department, each with a per-API rate limit, request
// counters and fault injection, over a directory tests seed.
//
// It follows shared/hr-sources/feishu.md: tokens last TokenLifetime; a
// token request with at least 30 minutes left returns the same token,
// with less a new one, the old one staying valid until it expires [TAT].
// page_size defaults to 10 and must be 1–50; page_token is returned only
// with has_more [FIND-BY-DEPT, DEPT-CHILDREN]. Rate-limited requests get
// 429, code 99991400 and x-ogw-ratelimit-limit / x-ogw-ratelimit-reset
// headers [RATE].
//
// Inference, not documentation: errors are answered with HTTP 400 (token
// errors 99991661/99991663; app credentials 10014; paging 40011/40012;
// unknown department 40004) and the body {"code", "msg"}; the children
// walk with fetch_child lists descendants breadth first; resigned users
// stay listed in their departments while they have any.
//
// Not emulated: user_id_type/department_id_type other than user_id and
// open_department_id (department_id is accepted as an alias), the QPM
// limits, the monthly quota, scopes and data ranges.
//
// All methods are safe for concurrent use.
type Feishu struct {
	// URL is the base URL, "http://127.0.0.1:PORT" (no trailing slash).
	URL string

	srv  *httptest.Server
	opts FeishuOptions

	counters *counterSet
	limits   map[string]*tokenBucket

	mu     sync.Mutex
	depts  map[string]*FeishuDepartment // by open_department_id
	order  []string                     // open_department_ids in insertion order
	users  map[string]*FeishuUser       // by user_id (open_id when no user_id)
	uorder []string
	// memberIdx maps departments to their direct members' keys; nil
	// when a user changed since it was built.
	memberIdx map[string][]string
	calls     map[string]int // per API, every request
	faults    []*feishuFault
	tokens    map[string]time.Time // token → expiry
	cur       string               // the newest token
	seq       int
}

type feishuFault struct {
	FeishuFault
	fired int
}

// NewFeishu starts a Feishu double on loopback.
func NewFeishu(opts FeishuOptions) *Feishu {
	if opts.AppID == "" {
		opts.AppID = "cli_test"
	}
	if opts.AppSecret == "" {
		opts.AppSecret = "app-secret"
	}
	if opts.TenantKey == "" {
		opts.TenantKey = "tenant-test"
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = 2 * time.Hour
	}
	if opts.RPS == 0 {
		opts.RPS = 50
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &Feishu{
		opts:     opts,
		counters: newCounterSet(),
		limits:   map[string]*tokenBucket{},
		depts:    map[string]*FeishuDepartment{},
		users:    map[string]*FeishuUser{},
		calls:    map[string]int{},
		tokens:   map[string]time.Time{},
	}
	if opts.RPS > 0 {
		for _, api := range []string{FeishuAPIToken, FeishuAPIChildren, FeishuAPIFindByDepartment} {
			f.limits[api] = newTokenBucket(float64(opts.RPS), opts.RPS)
		}
	}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	if opts.TLS {
		f.srv.StartTLS()
	} else {
		f.srv.Start()
	}
	f.URL = f.srv.URL
	return f
}

// Close stops the double.
func (f *Feishu) Close() { f.srv.Close() }

// Client returns an *http.Client for the double (trusting it with TLS).
func (f *Feishu) Client() *http.Client { return f.srv.Client() }

// Options returns the options with defaults filled in.
func (f *Feishu) Options() FeishuOptions { return f.opts }

// App returns the app as an event sender, with the given push secrets.
func (f *Feishu) App(encryptKey, verificationToken string) FeishuApp {
	return FeishuApp{AppID: f.opts.AppID, TenantKey: f.opts.TenantKey, EncryptKey: encryptKey, VerificationToken: verificationToken}
}

// AddDepartment adds or replaces a department. Its parent need not exist
// yet.
func (f *Feishu) AddDepartment(d FeishuDepartment) {
	if d.DepartmentID == "" {
		d.DepartmentID = d.OpenDepartmentID
	}
	if d.ParentID == "" {
		d.ParentID = "0"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.depts[d.OpenDepartmentID]; !ok {
		f.order = append(f.order, d.OpenDepartmentID)
	}
	f.depts[d.OpenDepartmentID] = &d
}

// AddUser adds or replaces a user (keyed by UserID, else OpenID).
func (f *Feishu) AddUser(u FeishuUser) {
	k := u.UserID
	if k == "" {
		k = "open:" + u.OpenID
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[k]; !ok {
		f.uorder = append(f.uorder, k)
	}
	u.DepartmentIDs = append([]string(nil), u.DepartmentIDs...)
	f.users[k] = &u
	f.memberIdx = nil
}

// Users returns a copy of every user, in the order added.
func (f *Feishu) Users() []FeishuUser {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FeishuUser, 0, len(f.uorder))
	for _, k := range f.uorder {
		out = append(out, *f.users[k])
	}
	return out
}

// FeishuSeed says what SeedDirectory made.
type FeishuSeed struct {
	Users, Departments int
	// MultiDepartment users sit in two departments.
	MultiDepartment int
	// Resigned, Exited and Frozen count users by status (resigned wins
	// over frozen when both would apply).
	Resigned, Exited, Frozen int
}

// SeedDirectory adds departments od-1…od-M (a tree four wide: od-i's
// parent is od-((i-1)/4), top level under "0") and users u00000… spread
// over the root and the departments round robin; every seventh user also
// sits in a second department, every 97th is resigned, every 89th exited
// and every 101st frozen. The result is the same for the same n and m.
func (f *Feishu) SeedDirectory(n, m int) FeishuSeed {
	s := FeishuSeed{Users: n, Departments: m}
	for i := 1; i <= m; i++ {
		parent := "0"
		if p := (i - 1) / 4; p > 0 {
			parent = fmt.Sprintf("od-%d", p)
		}
		f.AddDepartment(FeishuDepartment{OpenDepartmentID: fmt.Sprintf("od-%d", i), DepartmentID: fmt.Sprintf("D%d", i), ParentID: parent, Name: fmt.Sprintf("Department %d", i)})
	}
	for j := range n {
		dept := func(k int) string {
			if k == 0 {
				return "0"
			}
			return fmt.Sprintf("od-%d", k)
		}
		depts := []string{dept(j % (m + 1))}
		if j%7 == 3 && m > 1 {
			if second := dept((j*31)%m + 1); second != depts[0] {
				depts = append(depts, second)
				s.MultiDepartment++
			}
		}
		st := &FeishuUserStatus{IsActivated: j%13 != 0}
		switch {
		case j%97 == 5:
			st.IsResigned = true
			s.Resigned++
		case j%89 == 7:
			st.IsExited = true
			s.Exited++
		case j%101 == 9:
			st.IsFrozen = true
			s.Frozen++
		}
		f.AddUser(FeishuUser{
			UserID: fmt.Sprintf("u%05d", j), OpenID: fmt.Sprintf("ou_%032x", j), UnionID: fmt.Sprintf("on_%032x", j),
			Name: fmt.Sprintf("User %d", j), EnterpriseEmail: fmt.Sprintf("user%05d@corp.example.com", j),
			EmployeeNo: fmt.Sprintf("E%05d", j), DepartmentIDs: depts, Status: st,
		})
	}
	return s
}

// LowerBound returns the fewest calls a full pull from department needs
// with 50 a page: the pages of the children walk and the pages of
// find_by_department over department and its descendants (one at least
// each, an empty department included).
func (f *Feishu) LowerBound(department string) (childrenPages, userPages int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	desc := f.descendants(department, true)
	childrenPages = max(1, (len(desc)+49)/50)
	members := f.members()
	for _, d := range append([]string{department}, desc...) {
		userPages += max(1, (len(members[d])+49)/50)
	}
	return childrenPages, userPages
}

// Inject adds a fault.
func (f *Feishu) Inject(ft FeishuFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &feishuFault{FeishuFault: ft})
}

// ClearFaults removes every fault.
func (f *Feishu) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// Counters returns a snapshot of the request counters: one key per API
// (the FeishuAPI* keys) counted on arrival, and one per outcome,
// "<api>.<status>" (e.g. "contact.users.find_by_department.429"), plus
// "<api>.code.<code>" for answers with a non-zero code.
func (f *Feishu) Counters() Counters { return f.counters.snapshot() }

// ExpireTokens makes every token issued so far invalid.
func (f *Feishu) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]time.Time{}
	f.cur = ""
}
