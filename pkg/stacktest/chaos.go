package stacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
)

// ChaosConfig sizes a [Chaos] schedule.
type ChaosConfig struct {
	// Writes is how many SCIM writes (create, replace, delete requests)
	// the run is expected to make; the events fire at fractions of it.
	Writes int
	// Seed seeds the double's random faults and the latency spikes.
	Seed int64
	// HoldOff, when positive, refuses that many requests at 30% with 429
	// and a Retry-After of 90 s, longer than any invocation has left: the
	// operations they hit give up at once (the webhook answers 503).
	HoldOff int
	// ExpireOnList expires the tokens at the second list request too (a
	// reconcile's listing, before any write).
	ExpireOnList bool
}

// The fault profile (issue 6): 10% 5xx, half before and half after
// processing; 1% dropped connections, half before and half after; 200 ms
// latency spikes on 2% of requests. A 429 burst answers every SCIM
// request for BurstWindow.
const (
	SpikeRate   = 0.02
	Spike       = 200 * time.Millisecond
	BurstWindow = 200 * time.Millisecond
)

// Chaos is the fault schedule of the reliability suites, installed on a
// cloudtest.Server through its Intercept hook, with watches that tell
// whether the code under test broke a rule. While it runs, SCIM requests
// meet the double's own random faults (the profile above), latency spikes
// (injected and counted here), one queued fault of each kind at the first
// write (so every kind shows up however small the run), and events at
// fractions of the expected writes:
//
//	10%, 90%  a burst: every request answered 429 with Retry-After: 1
//	          for BurstWindow
//	30%       the HoldOff throttle, if any
//	50%       RotateSecret(new, false) and ExpireTokens: each client gets
//	          a 401, then invalid_client for its cached secret, and must
//	          read the secret again; the next token request and the next
//	          KMS read are answered 503
//
// With ExpireOnList the tokens also expire at the second list request.
// The two token events are apart so that no operation sees both: the
// client re-authenticates once per operation (SPEC §3 rule 9), and two
// expiries a few milliseconds apart are not what an hour-long token does.
//
// The watches count PUTs and DELETEs of users that must never be written
// (Forbid) and POSTs of an externalId that already exists: a blind repeat
// of a create whose outcome was unknown (SPEC §3 rule 8), which only a
// lookup first avoids. They run until the server closes.
type Chaos struct {
	srv     *cloudtest.Server
	cfg     ChaosConfig
	base    cloudtest.Counters
	running atomic.Bool

	writes, lists, spikes, held, holdLeft atomic.Int64
	repeats, forbiddenWrites              atomic.Int64
	expiries, rotations, bursts           atomic.Int64

	mu        sync.Mutex
	rng       *rand.Rand
	events    []event
	forbidden map[string]bool
	stopped   *ChaosStats
}

type event struct {
	at int64
	do func()
}

// Profile is the double's random fault profile that Chaos sets on SCIM.
func Profile(seed int64) cloudtest.Faults {
	return cloudtest.Faults{ErrorRate: 0.05, ErrorAfterRate: 0.05, DropBeforeRate: 0.005, DropAfterRate: 0.005,
		RetryAfter: time.Second, Seed: seed}
}

// NewChaos starts the schedule on srv, replacing srv.Intercept; requests
// counted before it are not in its figures.
func NewChaos(srv *cloudtest.Server, cfg ChaosConfig) *Chaos {
	c := &Chaos{srv: srv, cfg: cfg, base: srv.Counters(), forbidden: map[string]bool{},
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 42))}
	at := func(f float64) int64 { return max(1, int64(f*float64(cfg.Writes))) }
	rotated := fmt.Sprintf("rotated-%016x", c.rng.Uint64())
	c.events = []event{
		{1, func() {
			for _, k := range []cloudtest.FaultKind{cloudtest.Error5xx, cloudtest.ErrorAfter, cloudtest.DropBefore, cloudtest.DropAfter} {
				srv.FailNext(cloudtest.SCIM, 1, k)
			}
		}},
		{at(0.1), c.burst},
		{at(0.3), func() { c.holdLeft.Store(int64(cfg.HoldOff)) }},
		{at(0.5), func() {
			srv.FailNext(cloudtest.KMS, 1, cloudtest.Error5xx)
			srv.RotateSecret(rotated, false)
			c.rotations.Add(1)
			c.expire()
		}},
		{at(0.9), c.burst},
	}
	srv.SetFaults(cloudtest.SCIM, Profile(cfg.Seed))
	c.running.Store(true)
	srv.Intercept = c.intercept
	return c
}

// expire makes every token issued so far invalid; the first time, the
// next token request is answered 503.
func (c *Chaos) expire() {
	if c.expiries.Add(1) == 1 {
		c.srv.FailNext(cloudtest.OAuth, 1, cloudtest.Error5xx)
	}
	c.srv.ExpireTokens()
}

// Forbid names users (by RAM id) that must never be replaced or deleted.
func (c *Chaos) Forbid(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.forbidden[id] = true
	}
}

func (c *Chaos) intercept(svc cloudtest.Service, op string, w http.ResponseWriter, r *http.Request) bool {
	if svc != cloudtest.SCIM {
		return false
	}
	c.watch(op, r)
	if !c.running.Load() {
		return false
	}
	switch op {
	case "create", "replace", "delete":
		c.fire(c.writes.Add(1))
	case "list":
		if c.lists.Add(1) == 2 && c.cfg.ExpireOnList {
			c.expire()
		}
	}
	if n := c.holdLeft.Add(-1); n >= 0 {
		c.held.Add(1)
		w.Header().Set("Retry-After", "90")
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"429","detail":"throttled: retry in 90 s"}`)
		return true
	}
	c.mu.Lock()
	spike := c.rng.Float64() < SpikeRate
	c.mu.Unlock()
	if spike {
		c.spikes.Add(1)
		t := time.NewTimer(Spike)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
	}
	return false
}

// burst makes the double answer every SCIM request 429 for BurstWindow:
// a throttle window hits each operation in flight once, whatever the
// concurrency.
func (c *Chaos) burst() {
	c.bursts.Add(1)
	c.srv.SetFaults(cloudtest.SCIM, cloudtest.Faults{ThrottleRate: 1, RetryAfter: time.Second})
	time.AfterFunc(BurstWindow, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.running.Load() {
			c.srv.SetFaults(cloudtest.SCIM, Profile(c.cfg.Seed+c.bursts.Load()))
		}
	})
}

// fire runs the events due at the n-th write.
func (c *Chaos) fire(n int64) {
	c.mu.Lock()
	var due []event
	for len(c.events) > 0 && c.events[0].at <= n {
		due, c.events = append(due, c.events[0]), c.events[1:]
	}
	c.mu.Unlock()
	for _, e := range due {
		e.do()
	}
}

func (c *Chaos) watch(op string, r *http.Request) {
	switch op {
	case "replace", "delete":
		c.mu.Lock()
		bad := c.forbidden[strings.TrimPrefix(r.URL.Path, "/Users/")]
		c.mu.Unlock()
		if bad {
			c.forbiddenWrites.Add(1)
		}
	case "create":
		b, err := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		var u struct{ ExternalID, UserName string }
		if err != nil || json.Unmarshal(b, &u) != nil || u.ExternalID == "" {
			return
		}
		if cur, ok := c.srv.UserByName(u.UserName); ok && cur.ExternalID == u.ExternalID {
			c.repeats.Add(1)
		}
	}
}

// Stop ends the faults and events (the watches go on) and freezes the
// figures. Faults already queued may still hit the next few requests.
func (c *Chaos) Stop() ChaosStats {
	c.mu.Lock()
	c.running.Store(false)
	c.holdLeft.Store(0)
	c.srv.SetFaults(cloudtest.SCIM, cloudtest.Faults{})
	c.mu.Unlock()
	s := c.Stats()
	c.mu.Lock()
	c.stopped = &s
	c.mu.Unlock()
	return s
}

// RepeatCreates is the number of creates of an externalId that already
// existed; ForbiddenWrites the number of writes to forbidden users.
func (c *Chaos) RepeatCreates() int64   { return c.repeats.Load() }
func (c *Chaos) ForbiddenWrites() int64 { return c.forbiddenWrites.Load() }
