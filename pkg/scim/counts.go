package scim

import (
	"sort"
	"strings"
	"sync"
)

// Counts is the number of HTTP requests made, keyed "op.outcome", for
// example "list.ok", "create.conflict", "replace.server_error". Operations
// are create, get, find, list, replace and delete; outcomes are ok,
// not_found, conflict, invalid, unauthorized, throttled, server_error,
// network_error and canceled.
type Counts map[string]int64

// Total is the number of requests made.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Op is the number of requests made for one operation, whatever the outcome.
func (c Counts) Op(op string) int64 {
	var n int64
	for k, v := range c {
		if strings.HasPrefix(k, op+".") {
			n += v
		}
	}
	return n
}

// Writes is the number of create, replace and delete requests.
func (c Counts) Writes() int64 { return c.Op("create") + c.Op("replace") + c.Op("delete") }

// ByOp sums the counts per operation.
func (c Counts) ByOp() map[string]int64 {
	m := map[string]int64{}
	for k, v := range c {
		op, _, _ := strings.Cut(k, ".")
		m[op] += v
	}
	return m
}

// Sub returns c minus an earlier snapshot: what happened in between.
func (c Counts) Sub(earlier Counts) Counts {
	d := Counts{}
	for k, v := range c {
		if n := v - earlier[k]; n != 0 {
			d[k] = n
		}
	}
	return d
}

// Keys returns the keys in order.
func (c Counts) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type counters struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counters) add(op, outcome string) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[op+"."+outcome]++
	c.mu.Unlock()
}

func (c *counters) snapshot() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := make(Counts, len(c.m))
	for k, v := range c.m {
		s[k] = v
	}
	return s
}
