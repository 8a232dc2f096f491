package cloudtest

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Blockers is the RAM state of a user that a SCIM DELETE refuses to
// destroy [ALIYUN.md §1.2, §6]: AccessKeys, attached policies, an MFA device
// and group memberships. LoginProfile (console password) is also RAM state
// the offboarding removes, but it does not block the DELETE.
type Blockers struct {
	AccessKeys   []AccessKey
	LoginProfile bool // the user has a console login profile
	// LoginStatus is the login profile's Status, "Active" (the default when
	// LoginProfile is set) or "Inactive" (console logon disabled, IMS
	// UpdateLoginProfile [ALIYUN.md §6.1]). It is "" without a profile.
	LoginStatus string
	MFASerial   string // "" = no MFA device bound
	Groups      []string
	Policies    []Policy
}

// AccessKey is one AccessKey of a RAM user.
type AccessKey struct {
	ID      string    // default: a random "LTAI5t…" id
	Status  string    // "Active" (default) or "Inactive"
	Created time.Time // default: now
}

// Policy is a policy attached to a RAM user.
type Policy struct {
	Name string
	Type string // "System" (default) or "Custom"
}

// blocking lists what makes a DELETE fail, for the error detail.
func (b Blockers) blocking() []string {
	var out []string
	if n := len(b.AccessKeys); n > 0 {
		out = append(out, fmt.Sprintf("%d AccessKey(s)", n))
	}
	if n := len(b.Policies); n > 0 {
		out = append(out, fmt.Sprintf("%d attached policy(ies)", n))
	}
	if b.MFASerial != "" {
		out = append(out, "an MFA device")
	}
	if n := len(b.Groups); n > 0 {
		out = append(out, fmt.Sprintf("%d group membership(s)", n))
	}
	return out
}

func (b Blockers) clone() Blockers {
	b.AccessKeys = slices.Clone(b.AccessKeys)
	b.Groups = slices.Clone(b.Groups)
	b.Policies = slices.Clone(b.Policies)
	return b
}

// SetRAM replaces the RAM state of the user whose userName names the same
// RAM user as userName (case-insensitive, "@domain" ignored). Missing
// AccessKey ids, statuses and times and policy types take their defaults;
// group join dates, policy attach dates and the login profile date are now.
// LoginStatus defaults to "Active" when LoginProfile is set. The user's
// Comments (SetComments) are not RAM state in this sense and stay as they
// are.
//
// SetRAM panics if there is no such user: RAM state cannot exist without
// its user, so it is a mistake in the test.
func (s *Server) SetRAM(userName string, b Blockers) {
	now := s.now()
	b = b.clone()
	for i := range b.AccessKeys {
		k := &b.AccessKeys[i]
		if k.ID == "" {
			k.ID = newAccessKeyID()
		}
		if k.Status == "" {
			k.Status = "Active"
		}
		if k.Created.IsZero() {
			k.Created = now
		}
		k.Created = k.Created.UTC().Truncate(time.Second)
	}
	for i := range b.Policies {
		if b.Policies[i].Type == "" {
			b.Policies[i].Type = "System"
		}
	}
	switch {
	case !b.LoginProfile:
		b.LoginStatus = ""
	case b.LoginStatus == "":
		b.LoginStatus = "Active"
	}
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	r := s.users.byName[nameKey(userName)]
	if r == nil {
		panic(fmt.Sprintf("cloudtest: SetRAM: no user named %q", userName))
	}
	r.ram, r.ramSince = b, now
}

// RAM returns the RAM state of the user named userName (the zero Blockers
// if there is no such user).
func (s *Server) RAM(userName string) Blockers {
	s.users.mu.RLock()
	defer s.users.mu.RUnlock()
	if r := s.users.byName[nameKey(userName)]; r != nil {
		return r.ram.clone()
	}
	return Blockers{}
}

// RAMCall is one request the RAM OpenAPI received, on either API served at
// RAMEndpoint: RAM (2015-05-01) or IMS (2019-08-15).
type RAMCall struct {
	Time     time.Time         // when it arrived, by Options.Now
	API      string            // "ims" for Version 2019-08-15, else "ram"
	Action   string            // the Action parameter as sent
	UserName string            // the UserName parameter ("" if absent)
	Params   map[string]string // the action's own parameters (no credentials, signature or common ones)
	Status   int               // HTTP status answered; 0 if the connection was dropped
	Code     string            // error code, "" on success
}

// callLog is the ordered RAM call log.
type callLog struct {
	mu    sync.Mutex
	calls []RAMCall
}

// RAMLog returns every RAM call so far, in the order they completed.
func (s *Server) RAMLog() []RAMCall {
	s.ramLog.mu.Lock()
	defer s.ramLog.mu.Unlock()
	return slices.Clone(s.ramLog.calls)
}

// logRAMCall appends the call r to the RAM log.
func (s *Server) logRAMCall(received time.Time, r *http.Request, sw *statusWriter) {
	r.ParseForm() // already done unless Intercept answered first
	c := RAMCall{
		Time:     received,
		API:      "ram",
		Action:   r.Form.Get("Action"),
		UserName: r.Form.Get("UserName"),
		Params:   map[string]string{},
	}
	if r.Form.Get("Version") == imsService.version {
		c.API = "ims"
	}
	for k, vs := range r.Form {
		if !commonRPCParams[k] && len(vs) > 0 {
			c.Params[k] = vs[0]
		}
	}
	if !sw.dropped {
		c.Status, c.Code = sw.statusCode(), sw.code
	}
	s.ramLog.mu.Lock()
	defer s.ramLog.mu.Unlock()
	s.ramLog.calls = append(s.ramLog.calls, c)
}
