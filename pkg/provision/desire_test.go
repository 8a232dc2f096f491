package provision

import (
	"testing"

	"github.com/ramsync/ramsync/pkg/hr"
)

// TestDesireBySourceAndStatus: a roster is mapped with its format's
// default mapping (MAPPING overriding), the status may come from a
// template, and frozen employees are kept apart from leavers.
func TestDesireBySourceAndStatus(t *testing.T) {
	m, err := ParseMapping(`{"status": "{{ if .Termination_Date }}terminated{{ else }}active{{ end }}"}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	wd := func(id, email, name, term string) hr.Employee {
		f := map[string]any{"Employee_ID": id, "Email": email, "Full_Name": name, "Termination_Date": nil}
		if term != "" {
			f["Termination_Date"] = term
		}
		return hr.Employee{ID: id, Email: email, DisplayName: name, Status: hr.StatusActive, Fields: f}
	}
	r := &hr.Roster{Format: "workday", Employees: []hr.Employee{
		wd("21001", "Li.Wei@corp.example", "Li Wei", ""),
		wd("21002", "zhang.san@corp.example", "Zhang San", "2026-11-01"),
	}}
	w := Desire(r, m)
	if len(w.Desired) != 1 || w.Desired[0].ExternalID != "21001" || w.Desired[0].UserName != "li.wei" || w.Leavers != 1 || len(w.Rejected) != 0 {
		t.Fatalf("workday: %+v", w)
	}

	bad, _ := ParseMapping(`{"status": "{{ .Worker_Status }}"}`, 0)
	r.Employees[0].Fields["Worker_Status"] = "on leave"
	if w := Desire(r, bad); len(w.Rejected) != 2 || w.Rejected[0].Reason == "" {
		t.Fatalf("a status template giving neither active nor terminated: %+v", w)
	}

	native, _ := ParseMapping("", 0)
	fr := &hr.Roster{Employees: []hr.Employee{
		{ID: "E1", Email: "a@example.com", DisplayName: "A", Status: hr.StatusSuspended},
		{ID: "E2", Email: "b@example.com", DisplayName: "B", Status: hr.StatusActive},
	}}
	if w := Desire(fr, native); len(w.Frozen) != 1 || w.Frozen[0].ExternalID != "E1" || len(w.Desired) != 1 || w.Leavers != 0 {
		t.Fatalf("frozen: %+v", w)
	}
}
