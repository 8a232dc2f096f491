package provision

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ramsync/ramsync/pkg/hr"
)

// Rejection is an HR record that cannot be acted on, with the reason. Its
// employee's user, if any, is left as it is.
type Rejection struct {
	ExternalID string
	Record     string // "record 3", "line 7"; empty when not from a roster
	Reason     string
}

// Wanted is the mapped roster: who should have which user.
type Wanted struct {
	Desired []Desired
	// Frozen are employees whose user must be suspended, not removed
	// (a Feishu user frozen).
	Frozen   []Desired
	Rejected []Rejection
	// Leavers is the number of records with status terminated.
	Leavers int
}

// Desire maps a roster with the mapping for its format ([Mapping.For]):
// active employees become Desired users, frozen ones Frozen, terminated
// ones (by the record's status, or the mapping's status template) are
// left out (so their users are suspended or deleted), and records that cannot
// be used are rejected with the reason: unreadable records, mapping
// failures, and every record of an employee id that appears more than once
// (which of them is right cannot be known).
func Desire(r *hr.Roster, m *Mapping) Wanted {
	var w Wanted
	m = m.For(r.Format)             // the source's default mapping under MAPPING
	troubled := map[string]string{} // ids with an unusable record: every record of theirs is rejected
	for _, p := range r.Problems {
		w.Rejected = append(w.Rejected, Rejection{ExternalID: p.ID, Record: recordOf(p), Reason: problemReason(p)})
		if p.ID != "" {
			troubled[p.ID] = recordOf(p)
		}
	}

	seen := make(map[string]int, len(r.Employees))
	for _, e := range r.Employees {
		seen[e.ID]++
	}
	dups := map[string][]int{} // record indexes, for ids seen more than once
	for i, e := range r.Employees {
		if seen[e.ID] > 1 {
			dups[e.ID] = append(dups[e.ID], i)
		}
	}
	w.Desired = make([]Desired, 0, len(r.Employees))
	for i, e := range r.Employees {
		if where, ok := troubled[e.ID]; ok {
			w.Rejected = append(w.Rejected, Rejection{ExternalID: e.ID, Record: fmt.Sprintf("record %d", i+1),
				Reason: fmt.Sprintf("another record of this employee id (%s) could not be used, so which one is right is unknown; all are rejected", where)})
			continue
		}
		if n := seen[e.ID]; n > 1 {
			if at := dups[e.ID]; at[0] == i {
				w.Rejected = append(w.Rejected, Rejection{ExternalID: e.ID,
					Reason: fmt.Sprintf("employee id appears %d times in the roster (records %s); all are rejected", n, joinInts(at))})
			}
			continue
		}
		st, err := m.Status(e)
		if err != nil {
			w.Rejected = append(w.Rejected, Rejection{ExternalID: e.ID, Record: fmt.Sprintf("record %d", i+1), Reason: mappingReason(err)})
			continue
		}
		e.Status = st
		if e.Status == hr.StatusTerminated {
			w.Leavers++
			continue
		}
		d, err := m.Map(e)
		if err != nil {
			w.Rejected = append(w.Rejected, Rejection{ExternalID: e.ID, Record: fmt.Sprintf("record %d", i+1), Reason: mappingReason(err)})
			continue
		}
		if e.Status == hr.StatusSuspended {
			w.Frozen = append(w.Frozen, d)
			continue
		}
		w.Desired = append(w.Desired, d)
	}
	sort.Slice(w.Desired, func(i, j int) bool { return w.Desired[i].ExternalID < w.Desired[j].ExternalID })
	sort.Slice(w.Frozen, func(i, j int) bool { return w.Frozen[i].ExternalID < w.Frozen[j].ExternalID })
	return w
}

func recordOf(p hr.RecordError) string {
	switch {
	case p.Line > 0:
		return fmt.Sprintf("line %d", p.Line)
	case p.Record > 0:
		return fmt.Sprintf("record %d", p.Record)
	}
	return ""
}

func problemReason(p hr.RecordError) string {
	if p.Field != "" {
		return p.Field + ": " + p.Reason
	}
	return p.Reason
}

func joinInts(idx []int) string {
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = fmt.Sprint(v + 1)
	}
	return strings.Join(s, ", ")
}
