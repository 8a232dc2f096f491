package cloudtest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Service names one of the emulated services, in fault settings, counters
// and the Intercept hook.
type Service string

// The emulated services.
const (
	OAuth Service = "oauth" // the token endpoint
	SCIM  Service = "scim"  // /Users and discovery
	KMS   Service = "kms"   // GetSecretValue
	RAM   Service = "ram"   // the RAM OpenAPI
)

// FaultKind is one kind of injected failure.
type FaultKind int

// The fault kinds. "Before" faults answer without touching the state;
// "After" faults apply the request first, so the client cannot know the
// outcome.
const (
	// Error5xx answers 503 before processing (KMS: ServiceUnavailableTemporary,
	// RAM: ServiceUnavailable, OAuth: temporarily_unavailable).
	Error5xx FaultKind = iota + 1
	// ErrorAfter processes the request, then answers 500 instead of its result.
	ErrorAfter
	// Throttle answers 429 with Retry-After before processing (KMS:
	// Rejected.Throttling, RAM: Throttling.User).
	Throttle
	// DropBefore closes the connection without an answer before processing.
	DropBefore
	// DropAfter processes the request, then closes the connection without
	// an answer.
	DropAfter

	// faultError answers a given status and service error code (FailNextError).
	faultError FaultKind = -1
)

func (k FaultKind) String() string {
	switch k {
	case Error5xx:
		return "Error5xx"
	case ErrorAfter:
		return "ErrorAfter"
	case Throttle:
		return "Throttle"
	case DropBefore:
		return "DropBefore"
	case DropAfter:
		return "DropAfter"
	case faultError:
		return "Error"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Faults is the random fault profile of one service. Each request draws
// once: with probability DropBeforeRate it is dropped, else with
// ErrorRate answered 5xx, and so on down the list, the rates adding up (so
// their sum should not exceed 1). The zero Faults injects nothing.
type Faults struct {
	ErrorRate      float64 // answered 5xx before processing
	ErrorAfterRate float64 // processed, then answered 500
	ThrottleRate   float64 // answered 429 with Retry-After
	// RetryAfter is the Retry-After of throttled answers, in whole seconds
	// (rounded up, at least 1; the default).
	RetryAfter     time.Duration
	DropBeforeRate float64 // connection closed before processing
	DropAfterRate  float64 // processed, then connection closed

	// Latency is added to every request; with probability SpikeRate a
	// request waits Spike more.
	Latency   time.Duration
	SpikeRate float64
	Spike     time.Duration

	// Seed seeds the random draws, so that a run is repeatable for one
	// order of requests.
	Seed int64
}

// fault is what happens to one request.
type fault struct {
	kind       FaultKind // 0: none
	status     int       // faultError only
	code       string    // faultError only
	latency    time.Duration
	retryAfter time.Duration
}

// faultSet holds the fault profile and the FailNext queue of each service.
type faultSet struct {
	mu  sync.Mutex
	svc map[Service]*serviceFaults
}

type serviceFaults struct {
	cfg   Faults
	rng   *rand.Rand
	queue []fault
}

func newFaultSet() *faultSet { return &faultSet{svc: map[Service]*serviceFaults{}} }

// get returns the entry of svc, making it. Callers hold f.mu.
func (f *faultSet) get(svc Service) *serviceFaults {
	sf := f.svc[svc]
	if sf == nil {
		sf = &serviceFaults{rng: rand.New(rand.NewPCG(0, 0))}
		f.svc[svc] = sf
	}
	return sf
}

// decide picks the fault of the next request of svc: the head of the
// FailNext queue if any, else a random draw from the profile.
func (f *faultSet) decide(svc Service) fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	sf := f.svc[svc]
	if sf == nil {
		return fault{retryAfter: time.Second}
	}
	c := sf.cfg
	var d fault
	if len(sf.queue) > 0 {
		d = sf.queue[0]
		sf.queue = sf.queue[1:]
	} else if c.DropBeforeRate+c.ErrorRate+c.ThrottleRate+c.ErrorAfterRate+c.DropAfterRate > 0 {
		u := sf.rng.Float64()
		for _, o := range []struct {
			rate float64
			kind FaultKind
		}{
			{c.DropBeforeRate, DropBefore}, {c.ErrorRate, Error5xx}, {c.ThrottleRate, Throttle},
			{c.ErrorAfterRate, ErrorAfter}, {c.DropAfterRate, DropAfter},
		} {
			if u < o.rate {
				d.kind = o.kind
				break
			}
			u -= o.rate
		}
	}
	d.latency = c.Latency
	if c.SpikeRate > 0 && sf.rng.Float64() < c.SpikeRate {
		d.latency += c.Spike
	}
	d.retryAfter = max(c.RetryAfter, time.Second)
	return d
}

// SetFaults replaces the random fault profile of svc, restarting its random
// sequence from f.Seed. Requests already queued by FailNext keep priority.
func (s *Server) SetFaults(svc Service, f Faults) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	sf := s.faults.get(svc)
	sf.cfg = f
	sf.rng = rand.New(rand.NewPCG(uint64(f.Seed), uint64(f.Seed)>>32^0x9e3779b97f4a7c15))
}

// FailNext makes the next n requests of svc fail with kind, ahead of the
// random profile. Calls queue up in order.
func (s *Server) FailNext(svc Service, n int, kind FaultKind) {
	s.enqueue(svc, n, fault{kind: kind})
}

// FailNextError makes the next n requests of svc answer status with the
// service's own error shape and code: the scimType for SCIM, the "error"
// for OAuth, the Code for KMS and RAM (e.g. 403 "Forbidden.NoPermission").
func (s *Server) FailNextError(svc Service, n int, status int, code string) {
	s.enqueue(svc, n, fault{kind: faultError, status: status, code: code})
}

func (s *Server) enqueue(svc Service, n int, d fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	sf := s.faults.get(svc)
	for range n {
		sf.queue = append(sf.queue, d)
	}
}
