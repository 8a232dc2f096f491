package hr

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// ids lists the employee ids of a roster, with their status.
func ids(r *Roster) []string {
	var out []string
	for _, e := range r.Employees {
		out = append(out, e.ID+"/"+string(e.Status))
	}
	return out
}

func problems(r *Roster) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Error())
	}
	return out
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseJSONRosterFile(t *testing.T) {
	r, err := Parse(readTestdata(t, "roster.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != "json" || !r.AsOf.IsZero() || r.AsOfSource != "" {
		t.Errorf("Format %q, AsOf %v (%q); want json, zero, \"\"", r.Format, r.AsOf, r.AsOfSource)
	}
	if got, want := ids(r), []string{"E1001/active", "1003/active", "E0999/terminated"}; !reflect.DeepEqual(got, want) {
		t.Errorf("employees %q, want %q", got, want)
	}
	// A problem keeps the record's fields, for a MAPPING externalId
	// template to find the user the record holds.
	wantProblems := []RecordError{
		{Record: 4, ID: "E1004", Field: "status", Reason: `unknown status "on leave" (want active or terminated)`,
			Fields: map[string]any{"id": "E1004", "email": "sun.li@example.com", "displayName": "Sun Li", "status": "on leave"}},
		{Record: 5, Field: "id", Reason: "required",
			Fields: map[string]any{"email": "no.id@example.com", "displayName": "No Id"}},
	}
	if !reflect.DeepEqual(r.Problems, wantProblems) {
		t.Errorf("problems %+v, want %+v", r.Problems, wantProblems)
	}
	if got := r.Problems[0].Error(); got != `record 4 (id "E1004"): status: unknown status "on leave" (want active or terminated)` {
		t.Errorf("Error() = %q", got)
	}
	f := r.Employees[1].Fields
	if f["id"] != json.Number("1003") || f["costCenter"] != json.Number("4711") || f["department"] != "Ops" {
		t.Errorf("Fields = %#v", f)
	}
}

func TestParseWrappedRosterFile(t *testing.T) {
	r, err := Parse(readTestdata(t, "roster_wrapped.json"), "json")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	if !r.AsOf.Equal(want) || r.AsOfSource != AsOfField {
		t.Errorf("AsOf %v (%q), want %v (asOf field)", r.AsOf, r.AsOfSource, want)
	}
	if got := ids(r); !reflect.DeepEqual(got, []string{"E1001/active", "E1002/active"}) || len(r.Problems) != 0 {
		t.Errorf("employees %q, problems %q", got, problems(r))
	}
	if tags, ok := r.Employees[1].Fields["tags"].([]any); !ok || len(tags) != 2 {
		t.Errorf("tags = %#v", r.Employees[1].Fields["tags"])
	}
}

func TestParseCSVRosterFile(t *testing.T) {
	r, err := Parse(readTestdata(t, "roster.csv"), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != "csv" {
		t.Errorf("Format %q, want csv", r.Format)
	}
	if got, want := ids(r), []string{"E1001/active", "E1002/active", "E 1003/terminated"}; !reflect.DeepEqual(got, want) {
		t.Errorf("employees %q, want %q", got, want)
	}
	wantProblems := []string{
		`line 6 (id "E1004"): status: unknown status "retired" (want active or terminated)`,
		`line 7 (id "E1005"): has 2 fields, the header has 5`,
		`line 8: id: required`,
		`line 9 (id "E1001"): id: duplicate id, first on line 2`,
	}
	if got := problems(r); !reflect.DeepEqual(got, wantProblems) {
		t.Errorf("problems:\n got %q\nwant %q", got, wantProblems)
	}
	e := r.Employees[1]
	if e.DisplayName != "Zhang, Min" || e.Email != "zhang.min@example.com" {
		t.Errorf("quoted fields: %+v", e)
	}
	wantFields := map[string]any{"id": "E1002", "Email": "zhang.min@example.com", "email": "zhang.min@example.com",
		"displayName": "Zhang, Min", "status": "", "department": `Finance "APAC"`}
	if !reflect.DeepEqual(e.Fields, wantFields) {
		t.Errorf("Fields:\n got %#v\nwant %#v", e.Fields, wantFields)
	}
	if got := r.Employees[2].DisplayName; got != "Wang\nFang" {
		t.Errorf("multi-line field = %q", got)
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		ids      []string
		problems []string
		err      string // "" for success
		empty    bool   // the error is ErrEmptyRoster
	}{
		{name: "array", data: `[{"id":"E1"},{"id":2}]`, ids: []string{"E1/active", "2/active"}},
		{name: "BOM", data: "\xef\xbb\xbf" + `[{"id":"E1"}]`, ids: []string{"E1/active"}},
		{name: "wrapper without asOf", data: `{"employees":[{"id":"E1"}]}`, ids: []string{"E1/active"}},
		{name: "wrapper with null asOf", data: `{"asOf":null,"employees":[{"id":"E1"}]}`, ids: []string{"E1/active"}},
		{name: "record problems", data: `[{"id":"E1"},{"id":"E2","email":7},"E3",{"id":"E4","status":"gone"},{"id":"E5","id":"E6"},{"id":"E1","email":"x"}]`,
			ids: []string{"E1/active"},
			problems: []string{
				`record 2 (id "E2"): email: must be a string, not a number`,
				`record 3: must be an object, not a string`,
				`record 4 (id "E4"): status: unknown status "gone" (want active or terminated)`,
				`record 5 (id "E5"): id: duplicate key`,
				`record 6 (id "E1"): id: duplicate id, first in record 1`,
			}},
		{name: "empty array", data: `[]`, err: "no employee records", empty: true},
		{name: "empty wrapper", data: `{"asOf":"2026-11-27T00:00:00Z","employees":[]}`, err: "no employee records", empty: true},
		{name: "empty document", data: " \n", err: "empty roster: no data", empty: true},
		{name: "all problems", data: `[{"id":""},{"status":"x"}]`, err: `all 2 records have problems, the first: record 1: id: required`, empty: true},
		{name: "not JSON", data: `[{"id":"E1"},]`, err: "not valid JSON"},
		{name: "trailing data", data: `[{"id":"E1"}] []`, err: "unexpected data after the top-level value"},
		{name: "invalid UTF-8", data: "[{\"id\":\"E\xff\"}]", err: "invalid UTF-8 at byte 9"},
		{name: "top-level string", data: `"E1"`, err: "must be an array of employees or an object with employees, not a string"},
		{name: "wrapper without employees", data: `{"asOf":"2026-11-27T00:00:00Z"}`, err: "employees: required"},
		{name: "employees not array", data: `{"employees":{"id":"E1"}}`, err: "employees: must be an array, not an object"},
		{name: "bad asOf", data: `{"asOf":"yesterday","employees":[{"id":"E1"}]}`, err: `asOf: must be an RFC 3339 time, not "yesterday"`},
		{name: "asOf number", data: `{"asOf":1795770000,"employees":[{"id":"E1"}]}`, err: "asOf: must be an RFC 3339 time string, not a number"},
		{name: "duplicate asOf", data: `{"asOf":"2026-11-27T00:00:00Z","asOf":"2026-11-28T00:00:00Z","employees":[{"id":"E1"}]}`, err: "asOf: duplicate key"},
		{name: "duplicate employees", data: `{"employees":[{"id":"E1"}],"employees":[]}`, err: "employees: duplicate key"},
		{name: "too deep", data: `[{"id":"E1","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]`, err: "nested deeper than 64 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.data), "json")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "hr: roster: ") {
					t.Fatalf("Parse = %v, want an error saying %q", err, tt.err)
				}
				if errors.Is(err, ErrEmptyRoster) != tt.empty {
					t.Errorf("errors.Is(%v, ErrEmptyRoster) = %v, want %v", err, !tt.empty, tt.empty)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(r); !reflect.DeepEqual(got, tt.ids) {
				t.Errorf("employees %q, want %q", got, tt.ids)
			}
			if got := problems(r); !reflect.DeepEqual(got, tt.problems) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.problems)
			}
		})
	}
}

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		ids      []string
		problems []string
		err      string
		empty    bool
	}{
		{name: "LF", data: "id,email\nE1,a@example.com\nE2,b@example.com\n", ids: []string{"E1/active", "E2/active"}},
		{name: "no final newline", data: "id\nE1", ids: []string{"E1/active"}},
		{name: "blank lines skipped", data: "id\n\nE1\n\n", ids: []string{"E1/active"}},
		{name: "case-insensitive header", data: "ID,EMAIL,DisplayName,Status\nE1,a@example.com,A,Terminated\n", ids: []string{"E1/terminated"}},
		{name: "header trimmed", data: " id , status \nE1,terminated\n", ids: []string{"E1/terminated"}},
		{name: "exact name wins", data: "ID,id\nX1,E1\n", ids: []string{"E1/active"}},
		{name: "id trimmed", data: "id\n  E1  \n", ids: []string{"E1/active"}},
		{name: "unnamed column ignored", data: "id,email,\nE1,a@example.com,\n", ids: []string{"E1/active"}},
		{name: "row problems", data: "id,status\nE1,active\nE2\nE3,active,extra\n,active\nE4,on leave\nE5,\"active\"\n",
			ids: []string{"E1/active", "E5/active"},
			problems: []string{
				`line 3 (id "E2"): has 1 fields, the header has 2`,
				`line 4 (id "E3"): has 3 fields, the header has 2`,
				`line 5: id: required`,
				`line 6 (id "E4"): status: unknown status "on leave" (want active or terminated)`,
			}},
		{name: "problem names the header spelling", data: "Id,Status\nE1,x\nE2,active\n", ids: []string{"E2/active"},
			problems: []string{`line 2 (id "E1"): Status: unknown status "x" (want active or terminated)`}},
		{name: "quoted newline counts lines", data: "id,displayName\nE1,\"A\nB\"\nE2,x,y\n", ids: []string{"E1/active"},
			problems: []string{`line 4 (id "E2"): has 3 fields, the header has 2`}},
		{name: "control character in id", data: "id\nE1\x07\nE2\n", ids: []string{"E2/active"},
			problems: []string{`line 2 (id "E1\a"): id: contains the control character U+0007`}},
		{name: "no id column", data: "email,name\na@example.com,A\n", err: "line 1: no id column"},
		{name: "ambiguous column", data: "id,Email,EMAIL\nE1,a,b\n", err: `line 1: columns "Email" and "EMAIL" both read as email`},
		{name: "duplicate column", data: "id,dept,dept\nE1,a,b\n", err: `line 1: column "dept" appears twice (columns 2 and 3)`},
		{name: "bare quote", data: "id,displayName\nE1,Li \"Wei\"\n", err: "line 2: unreadable CSV: bare \" in non-quoted-field"},
		{name: "unterminated quote", data: "id,displayName\nE1,\"Li Wei\n", err: "unreadable CSV"},
		{name: "invalid UTF-8", data: "id,displayName\nE1,ok\nE2,Li\xe9\n", err: "line 3: invalid UTF-8"},
		{name: "UTF-16", data: "\xff\xfei\x00d\x00", err: "UTF-16"},
		{name: "header only", data: "id,email\r\n", err: "no employee records", empty: true},
		{name: "nothing", data: "", err: "empty roster: no data", empty: true},
		{name: "BOM only", data: "\xef\xbb\xbf", err: "empty roster: no data", empty: true},
		{name: "blank", data: " \r\n\t\n", err: "empty roster: no data", empty: true},
		{name: "blank lines only", data: "\n\n\n", err: "empty roster: no data", empty: true},
		{name: "all problems", data: "id\n\"\"\n \n", err: "all 2 records have problems", empty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.data), "csv")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse = %v, want an error saying %q", err, tt.err)
				}
				if errors.Is(err, ErrEmptyRoster) != tt.empty {
					t.Errorf("errors.Is(%v, ErrEmptyRoster) = %v, want %v", err, !tt.empty, tt.empty)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(r); !reflect.DeepEqual(got, tt.ids) {
				t.Errorf("employees %q, want %q", got, tt.ids)
			}
			if got := problems(r); !reflect.DeepEqual(got, tt.problems) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.problems)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		data, format, want, err string
	}{
		{`[{"id":"E1"}]`, "", "json", ""},
		{` {"employees":[{"id":"E1"}]}`, "", "json", ""},
		{"\xef\xbb\xbf\r\n[{\"id\":\"E1\"}]", "", "json", ""},
		{"id\nE1\n", "", "csv", ""},
		{"\xef\xbb\xbfid\nE1\n", "", "csv", ""},
		{`[{"id":"E1"}]`, "JSON", "json", ""},
		{"id\nE1\n", "json", "", "not valid JSON"},
		{"id\nE1\n", "xml", "", `unknown format "xml"`},
	}
	for _, tt := range tests {
		r, err := Parse([]byte(tt.data), tt.format)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Parse(%q, %q) = %v, want an error saying %q", tt.data, tt.format, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("Parse(%q, %q): %v", tt.data, tt.format, err)
		case tt.err == "" && r.Format != tt.want:
			t.Errorf("Parse(%q, %q).Format = %q, want %q", tt.data, tt.format, r.Format, tt.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{"": StatusActive, "active": StatusActive, " Active\t": StatusActive, "ACTIVE": StatusActive, "terminated": StatusTerminated, "Terminated ": StatusTerminated} {
		if got, err := ParseStatus(in); got != want || err != nil {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"inactive", "on leave", "terminated!", "1", "activ"} {
		got, err := ParseStatus(in)
		if err == nil || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseStatus(%q) = %q, %v; want an error naming the value", in, got, err)
		}
	}
	_, err := ParseStatus(strings.Repeat("x", 1000))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("a long status makes an error of %d bytes", len(err.Error()))
	}
}

func TestLoaderStandardFieldsOnly(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct{ name, body string }{
		{"r.json", `[{"id":"E1","email":"a@x","department":"R&D"},{"id":"E2","status":"retired","department":"Ops"}]`},
		{"r.csv", "id,email,department,status\nE1,a@x,R&D,\nE2,,Ops,retired\n"},
	} {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, only := range []bool{false, true} {
			r, err := (&Loader{StandardFieldsOnly: only}).Load(context.Background(), "file://"+path)
			if err != nil {
				t.Fatal(err)
			}
			e := r.Employees[0]
			if e.ID != "E1" || e.Email != "a@x" || (e.Fields == nil) != only || (!only && e.Fields["department"] != "R&D") {
				t.Errorf("%s, standard fields only %v: %+v", f.name, only, e)
			}
			// A problem record keeps its fields the same way.
			if len(r.Problems) != 1 {
				t.Fatalf("%s: problems %v, want E2's", f.name, r.Problems)
			}
			if p := r.Problems[0]; p.ID != "E2" || (p.Fields == nil) != only || (!only && p.Fields["department"] != "Ops") {
				t.Errorf("%s, standard fields only %v: problem %+v", f.name, only, p)
			}
		}
	}
}
