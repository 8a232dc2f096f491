package stacktest

import (
	"fmt"
	"strings"
)

// ChaosStats are what a [Chaos] schedule injected and what the double
// saw, counted from the double's own counters (statuses as answered) and
// from the schedule.
type ChaosStats struct {
	SCIMRequests int64 // every SCIM request received, retries included
	SCIMWrites   int64 // create, replace and delete requests
	Answered503  int64 // 5xx before processing (Error5xx)
	Answered500  int64 // 5xx after processing (ErrorAfter)
	Answered429  int64 // throttled, bursts and hold-off together
	Bursts       int64 // 429 bursts
	HeldOff      int64 // of which with Retry-After: 90
	Dropped      int64 // connections closed without an answer, before or after processing
	Spikes       int64 // requests delayed by a latency spike
	Answered401  int64 // SCIM requests with an expired token
	Expiries     int64 // ExpireTokens events
	Rotations    int64 // RotateSecret events
	TokenReqs    int64 // token requests
	Token503     int64 // token requests answered 503
	InvalidClnt  int64 // token requests refused with invalid_client (a stale secret)
	KMSReads     int64 // GetSecretValue requests
	KMS503       int64 // of which answered 503
	Repeats      int64 // creates of an externalId that existed already
	Forbidden    int64 // writes to users that must never be written
}

// Stats returns the figures so far, or as they were at Stop.
func (c *Chaos) Stats() ChaosStats {
	c.mu.Lock()
	if c.stopped != nil {
		s := *c.stopped
		c.mu.Unlock()
		return s
	}
	c.mu.Unlock()
	now := c.srv.Counters()
	d := func(key string) int64 { return now[key] - c.base[key] }
	status := func(prefix, suffix string) int64 {
		var n int64
		for k := range now {
			if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, "."+suffix) {
				n += d(k)
			}
		}
		return n
	}
	return ChaosStats{
		SCIMRequests: now.SCIM() - c.base.SCIM(),
		SCIMWrites:   now.SCIMWrites() - c.base.SCIMWrites(),
		Answered503:  status("scim.", "503"),
		Answered500:  status("scim.", "500"),
		Answered429:  status("scim.", "429"),
		Bursts:       c.bursts.Load(),
		HeldOff:      c.held.Load(),
		Dropped:      status("scim.", "dropped"),
		Spikes:       c.spikes.Load(),
		Answered401:  status("scim.", "401"),
		Expiries:     c.expiries.Load(),
		Rotations:    c.rotations.Load(),
		TokenReqs:    d("oauth.token"),
		Token503:     d("oauth.token.503"),
		InvalidClnt:  d("oauth.token.401"),
		KMSReads:     d("kms.GetSecretValue"),
		KMS503:       d("kms.GetSecretValue.503"),
		Repeats:      c.repeats.Load(),
		Forbidden:    c.forbiddenWrites.Load(),
	}
}

// Faults is the number of SCIM answers that were faults the client had to
// get past: 5xx, 429, dropped and 401.
func (s ChaosStats) Faults() int64 {
	return s.Answered503 + s.Answered500 + s.Answered429 + s.Dropped + s.Answered401
}

// String gives the figures as "key=value" pairs, the form
// scripts/reliability.sh reads.
func (s ChaosStats) String() string {
	kv := []struct {
		k string
		v int64
	}{
		{"scim_requests", s.SCIMRequests}, {"scim_writes", s.SCIMWrites},
		{"f_503_before", s.Answered503}, {"f_500_after", s.Answered500}, {"f_429", s.Answered429}, {"f_429_bursts", s.Bursts},
		{"f_429_holdoff", s.HeldOff}, {"f_dropped", s.Dropped}, {"f_spike_200ms", s.Spikes},
		{"f_401_expired", s.Answered401}, {"token_expiries", s.Expiries}, {"secret_rotations", s.Rotations},
		{"token_requests", s.TokenReqs}, {"token_503", s.Token503}, {"invalid_client", s.InvalidClnt},
		{"kms_reads", s.KMSReads}, {"kms_503", s.KMS503},
		{"repeat_creates", s.Repeats}, {"forbidden_writes", s.Forbidden},
	}
	parts := make([]string, len(kv))
	for i, p := range kv {
		parts[i] = fmt.Sprintf("%s=%d", p.k, p.v)
	}
	return strings.Join(parts, " ")
}

// Missing names the faults of the schedule that never happened (or were
// never seen): a run that lacks one proves less than the suite claims.
func (s ChaosStats) Missing() []string {
	var out []string
	for _, f := range []struct {
		what string
		n    int64
	}{
		{"a 503 before processing", s.Answered503}, {"a 500 after processing", s.Answered500},
		{"a 429", s.Answered429}, {"a dropped connection", s.Dropped}, {"a latency spike", s.Spikes},
		{"a 401 after a token expiry", s.Answered401}, {"a 503 from the token endpoint", s.Token503},
		{"an invalid_client after the secret rotation", s.InvalidClnt}, {"a 503 from KMS", s.KMS503},
	} {
		if f.n == 0 {
			out = append(out, f.what)
		}
	}
	if s.Expiries == 0 || s.Rotations != 1 || s.Bursts != 2 {
		out = append(out, fmt.Sprintf("the events (%d token expiries, %d rotations, %d 429 bursts happened; want 1 or 2, 1, 2)", s.Expiries, s.Rotations, s.Bursts))
	}
	return out
}
