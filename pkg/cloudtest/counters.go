package cloudtest

import (
	"strings"
	"sync"
	"sync/atomic"
)

// Counters is a snapshot of the request counters. Keys are
// "<service>.<operation>", counted when a request arrives whatever then
// happens to it:
//
//	oauth.token
//	scim.create scim.get scim.find scim.list scim.replace scim.patch
//	scim.delete scim.discovery scim.other
//	kms.GetSecretValue kms.unknown
//	ram.<Action> ram.unknown
//
// plus one outcome key per request, "<service>.<operation>.<status>" (e.g.
// "scim.create.201", "kms.GetSecretValue.404") or
// "<service>.<operation>.dropped" when no answer was sent (a drop fault, or
// a client that hung up during injected latency). Missing keys are zero.
type Counters map[string]int64

// SCIMWrites returns the number of SCIM write requests received: create,
// replace, delete and patch.
func (c Counters) SCIMWrites() int64 {
	return c["scim.create"] + c["scim.replace"] + c["scim.delete"] + c["scim.patch"]
}

// SCIM returns the number of SCIM requests received, of every kind.
func (c Counters) SCIM() int64 { return c.Service(SCIM) }

// Service returns the number of requests svc received.
func (c Counters) Service(svc Service) int64 {
	var n int64
	prefix := string(svc) + "."
	for k, v := range c {
		if rest, ok := strings.CutPrefix(k, prefix); ok && !strings.Contains(rest, ".") {
			n += v
		}
	}
	return n
}

// counterSet is the live, lock-free-on-the-hot-path set of counters.
type counterSet struct {
	m sync.Map // string → *atomic.Int64
}

func newCounterSet() *counterSet { return &counterSet{} }

func (c *counterSet) add(key string) {
	v, ok := c.m.Load(key)
	if !ok {
		v, _ = c.m.LoadOrStore(key, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

func (c *counterSet) snapshot() Counters {
	out := Counters{}
	c.m.Range(func(k, v any) bool {
		if n := v.(*atomic.Int64).Load(); n != 0 {
			out[k.(string)] = n
		}
		return true
	})
	return out
}

// Counters returns a snapshot of the request counters.
func (s *Server) Counters() Counters { return s.counters.snapshot() }

// ResetCounters sets every counter to zero.
func (s *Server) ResetCounters() {
	s.counters.m.Range(func(_, v any) bool {
		v.(*atomic.Int64).Store(0)
		return true
	})
}
