package provision

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/ramsync/ramsync/pkg/hr"
)

// Rejection is an HR record that cannot be acted on, with the reason. Its
// employee's user, if any, is left as it is.
type Rejection struct {
	ExternalID string // the employee id the record gives, if readable
	Record     string // "record 3", "line 7"; empty when not from a roster
	Reason     string
	// Holds are the externalIds of the record's user when MAPPING makes
	// externalIds from other fields than the employee id (empty
	// otherwise): those users are left alone too.
	Holds []string
	// Unidentified is set when MAPPING makes externalIds from other fields
	// and the record does not give one: its user cannot be told apart from
	// a leaver's, so the run removes no user (see Compute).
	Unidentified bool
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
	m = m.For(r.Format) // the source's default mapping under MAPPING
	_, customID := m.Template(AttrExternalID)
	// reject records a rejection for the records es (as much of each as
	// could be read; nil if nothing): under a MAPPING externalId template
	// the users it holds are the ones with the records' mapped externalIds.
	reject := func(rj Rejection, es ...*hr.Employee) {
		for _, e := range es {
			if !customID {
				break
			}
			id, err := "", error(nil)
			if e != nil {
				id, err = m.ExternalID(*e)
			}
			switch {
			case e == nil || err != nil:
				rj.Unidentified = true
			case !slices.Contains(rj.Holds, id):
				rj.Holds = append(rj.Holds, id)
			}
		}
		w.Rejected = append(w.Rejected, rj)
	}
	troubled := map[string]string{} // ids with an unusable record: every record of theirs is rejected
	for _, p := range r.Problems {
		var read *hr.Employee // as much of the record as could be read
		if p.Fields != nil {
			read = &hr.Employee{ID: p.ID, Fields: p.Fields}
			read.Email, _ = p.Fields["email"].(string)
			read.DisplayName, _ = p.Fields["displayName"].(string)
		}
		reject(Rejection{ExternalID: p.ID, Record: recordOf(p), Reason: problemReason(p)}, read)
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
	mappedTo := map[string][]int{} // under a MAPPING externalId template: record indexes by mapped externalId
	for i, e := range r.Employees {
		if where, ok := troubled[e.ID]; ok {
			reject(Rejection{ExternalID: e.ID, Record: fmt.Sprintf("record %d", i+1),
				Reason: fmt.Sprintf("another record of this employee id (%s) could not be used, so which one is right is unknown; all are rejected", where)}, &e)
			continue
		}
		if n := seen[e.ID]; n > 1 {
			if at := dups[e.ID]; at[0] == i {
				recs := make([]*hr.Employee, len(at))
				for j, k := range at {
					recs[j] = &r.Employees[k]
				}
				reject(Rejection{ExternalID: e.ID,
					Reason: fmt.Sprintf("employee id appears %d times in the roster (records %s); all are rejected", n, joinInts(at))}, recs...)
			}
			continue
		}
		st, err := m.Status(e)
		if err != nil {
			reject(Rejection{ExternalID: e.ID, Record: fmt.Sprintf("record %d", i+1), Reason: mappingReason(err)}, &e)
			continue
		}
		e.Status = st
		if e.Status == hr.StatusTerminated {
			w.Leavers++
			continue
		}
		d, err := m.Map(e)
		if err != nil {
			reject(Rejection{ExternalID: e.ID, Record: fmt.Sprintf("record %d", i+1), Reason: mappingReason(err)}, &e)
			continue
		}
		if customID {
			mappedTo[d.ExternalID] = append(mappedTo[d.ExternalID], i)
		}
		if e.Status == hr.StatusSuspended {
			w.Frozen = append(w.Frozen, d)
			continue
		}
		w.Desired = append(w.Desired, d)
	}
	// Under a MAPPING externalId template one externalId may come from
	// several records: two usable ones (one user wanted twice), or a usable
	// one and a rejected one. Which is right cannot be known: every such
	// record is rejected, and the user is left alone.
	rejectedHolds := map[string]bool{}
	for _, rj := range w.Rejected {
		for _, id := range rj.Holds {
			rejectedHolds[id] = true
		}
	}
	clash := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(mappedTo)) {
		at := mappedTo[id]
		if len(at) < 2 && !rejectedHolds[id] {
			continue
		}
		clash[id] = true
		reason := fmt.Sprintf("externalId %s (under MAPPING) is also that of a record that could not be used, so which is right is unknown; both are rejected", quoteID(id))
		if len(at) > 1 {
			ids := make([]string, len(at))
			for j, k := range at {
				ids[j] = quoteID(r.Employees[k].ID)
			}
			reason = fmt.Sprintf("employee ids %s (records %s) all map to externalId %s under MAPPING; all are rejected", strings.Join(ids, ", "), joinInts(at), quoteID(id))
		}
		for _, k := range at {
			w.Rejected = append(w.Rejected, Rejection{ExternalID: r.Employees[k].ID, Record: fmt.Sprintf("record %d", k+1), Holds: []string{id}, Reason: reason})
		}
	}
	if len(clash) > 0 {
		clashes := func(d Desired) bool { return clash[d.ExternalID] }
		w.Desired = slices.DeleteFunc(w.Desired, clashes)
		w.Frozen = slices.DeleteFunc(w.Frozen, clashes)
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
