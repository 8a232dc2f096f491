package provision

import (
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/scim"
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

// TestCustomExternalIDHoldsRejectedUsers: under a MAPPING externalId
// template (here the HR field employee_no), a rejected record holds the
// user with its mapped externalId, not one named by its raw employee id;
// records of two employee ids mapped to one externalId, or a usable record
// mapped to a rejected one's, are all rejected and that user is left
// alone (not renamed to the usable record); and a rejected record that gives no
// externalId at all holds every removal of the run, since any leaver
// could be its user.
func TestCustomExternalIDHoldsRejectedUsers(t *testing.T) {
	m, err := ParseMapping(`{"externalId": "{{ .employee_no }}"}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	const records = `
  {"id": "E1", "employee_no": "N1", "email": "bad name@corp.example", "displayName": "A"},
  {"id": "E2", "employee_no": "N2", "email": "b@corp.example", "status": "on leave"},
  {"id": "E3", "employee_no": "N9", "email": "c@corp.example"},
  {"id": "E4", "employee_no": "N9", "email": "d@corp.example"},
  {"id": "E5", "employee_no": "N5", "email": "e@corp.example"},
  {"id": "E6", "employee_no": "N1", "email": "f@corp.example"}`
	actual := []scim.User{user("1", "N1", "a", "A"), user("2", "N2", "b", "B"), user("9", "N9", "c", "C"),
		user("7", "N7", "gone", "Gone"), user("8", "", "breakglass", "Admin")}

	plan := func(t *testing.T, roster string) (map[string]Item, int) {
		t.Helper()
		r, err := hr.Parse([]byte(roster), "")
		if err != nil {
			t.Fatal(err)
		}
		w := Desire(r, m)
		p := Compute(Input{Desired: w.Desired, Frozen: w.Frozen, Rejected: w.Rejected, Actual: actual, AsOf: asOf, Now: asOf,
			Rules: Rules{MaxDeletes: 100, MaxDeletePercent: 100}})
		byUser, rejected := map[string]Item{}, 0
		for _, it := range p.Items {
			switch {
			case it.Action == Rejected:
				rejected++
			case it.Current != nil:
				byUser[it.Current.ExternalID] = it
			default:
				byUser[it.ExternalID] = it
			}
		}
		return byUser, rejected
	}

	items, rejected := plan(t, "["+records+"]")
	if rejected != 5 {
		t.Errorf("%d rejections, want 5 (E1's userName, E2's status, E3 and E4 mapped to one externalId, E6 mapped to rejected E1's)", rejected)
	}
	for _, ext := range []string{"N1", "N2", "N9"} {
		if it, ok := items[ext]; ok {
			t.Errorf("user %s of a rejected record: %s %q, want it left alone", ext, it.Action, it.Reason)
		}
	}
	if it := items["N7"]; it.Action != Delete {
		t.Errorf("the leaver N7: %s %q, want delete", it.Action, it.Reason)
	}
	if it := items["N5"]; it.Action != Create {
		t.Errorf("the joiner N5: %s %q, want create", it.Action, it.Reason)
	}

	// A record that is not an object gives no employee_no: no removal.
	items, _ = plan(t, "["+records+`, "not a record"]`)
	if it := items["N7"]; it.Action != Skipped || !strings.HasPrefix(it.Reason, "held: 1 rejected record(s)") {
		t.Errorf("the leaver N7 with an unidentified rejected record: %s %q, want skipped, held", it.Action, it.Reason)
	}
	if it := items["N5"]; it.Action != Create {
		t.Errorf("the joiner N5 with an unidentified rejected record: %s %q, want create", it.Action, it.Reason)
	}

	// The default mapping's externalId is the employee id: nothing changes.
	native, _ := ParseMapping("", 0)
	r, _ := hr.Parse([]byte(`[{"id": "E1", "email": "a@corp.example"}, "not a record"]`), "")
	if w := Desire(r, native); len(w.Rejected) != 1 || w.Rejected[0].Unidentified || len(w.Rejected[0].Holds) != 0 {
		t.Errorf("default mapping: rejections %+v, want one, holding nothing more", w.Rejected)
	}
}
