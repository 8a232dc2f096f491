package hr

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The vendors' exports as they document them (testdata/), parsed by auto
// detection and by the named format alike.
func TestParseHRISFiles(t *testing.T) {
	tests := []struct {
		file, format string
		ids          []string
		problems     []string
		check        func(t *testing.T, r *Roster)
	}{
		{
			file: "workday_raas.json", format: FormatWorkday,
			// No status field in Workday: active unless a status template says otherwise.
			ids: []string{"21001/active", "21002/active", "21003/active"},
			problems: []string{
				"record 4: Employee_ID: required",
				`record 5 (id "21001"): Employee_ID: duplicate id, first in record 1`,
				`record 6 (id "21005"): Full_Name: must be a string, not an array`,
			},
			check: func(t *testing.T, r *Roster) {
				e := r.Employees[0]
				if e.Email != "Logan.McNeil@workday.net" || e.DisplayName != "Logan McNeil" {
					t.Errorf("first employee %+v", e)
				}
				if phones, ok := e.Fields["Phone_group"].([]any); !ok || len(phones) != 2 || phones[1].(map[string]any)["Phone_Type"] != "Mobile" {
					t.Errorf("Phone_group = %#v", e.Fields["Phone_group"])
				}
				if r.Employees[1].Fields["Termination_Date"] != "2026-11-15" {
					t.Errorf("Termination_Date = %#v", r.Employees[1].Fields["Termination_Date"])
				}
				if e := r.Employees[2]; e.Email != "" || e.DisplayName != "Teresa Serrano" {
					t.Errorf("worker without Email: %+v", e)
				}
			},
		},
		{
			file: "bamboohr_report.json", format: FormatBambooHR,
			ids: []string{"40/active", "41/terminated", "42/active", "43/active"},
			problems: []string{
				`record 5 (id "44"): status: must be a string, not a number`,
				"record 6: must be an object, not a string",
			},
			check: func(t *testing.T, r *Roster) {
				e := r.Employees[0]
				if e.Email != "cabbott@efficientoffice.com" || e.DisplayName != "Charlotte Abbott" || e.Fields["4001"] != "CC-100" {
					t.Errorf("first employee %+v", e)
				}
				if v, ok := r.Employees[1].Fields["4001"]; !ok || v != nil {
					t.Errorf("a null field must stay a nil value in Fields, got %#v (present %v)", v, ok)
				}
				if r.Employees[2].Email != "" {
					t.Errorf("null workEmail read as %q", r.Employees[2].Email)
				}
				if r.Employees[3].Fields["id"] != json.Number("43") {
					t.Errorf("a numeric id keeps its JSON type in Fields: %#v", r.Employees[3].Fields["id"])
				}
			},
		},
		{
			file: "successfactors_user.json", format: FormatSuccessFactors,
			ids: []string{"cgrant/active", "aaustin/active", "dmorgan/terminated", "ekim/terminated", "nostatus/active"},
			problems: []string{
				"record 6 on page 1: userId: must be a string or a number, not a boolean",
			},
			check: func(t *testing.T, r *Roster) {
				if e := r.Employees[0]; e.Email != "Carla.Grant@bestrun.com" || e.DisplayName != "Carla Grant" {
					t.Errorf("first employee %+v", e)
				}
				if e := r.Employees[1]; e.DisplayName != "Alex" {
					t.Errorf("null lastName: displayName %q, want Alex", e.DisplayName)
				}
				meta, ok := r.Employees[0].Fields["__metadata"].(map[string]any)
				if !ok || meta["type"] != "SFOData.User" {
					t.Errorf("__metadata = %#v", r.Employees[0].Fields["__metadata"])
				}
			},
		},
	}
	for _, tt := range tests {
		for _, format := range []string{"", FormatAuto, tt.format} {
			t.Run(tt.file+"/"+format, func(t *testing.T) {
				r, err := Parse(readTestdata(t, tt.file), format)
				if err != nil {
					t.Fatal(err)
				}
				if r.Format != tt.format {
					t.Errorf("Format = %q, want %q", r.Format, tt.format)
				}
				if got := ids(r); !reflect.DeepEqual(got, tt.ids) {
					t.Errorf("employees %q, want %q", got, tt.ids)
				}
				if got := problems(r); !reflect.DeepEqual(got, tt.problems) {
					t.Errorf("problems:\n got %q\nwant %q", got, tt.problems)
				}
				tt.check(t, r)
			})
		}
	}
}

// samples has one document of every shape auto must tell apart.
var samples = []struct {
	name, format, data string
}{
	{"json array", FormatJSON, `[{"id":"E1","email":"a@x"}]`},
	{"json wrapper", FormatJSON, `{"asOf":"2026-11-27T00:00:00Z","employees":[{"id":"E1"}]}`},
	{"json wrapper, employees first", FormatJSON, `{"employees":[{"id":"E1","fields":[1]}],"asOf":null}`},
	{"json wrapper, employees only", FormatJSON, `{"employees":[{"id":"E1","d":{"results":[]}}]}`},
	{"csv", FormatCSV, "id,email\nE1,a@x\n"},
	{"csv with BOM", FormatCSV, "\xef\xbb\xbfid,Report_Entry\nE1,x\n"},
	{"workday", FormatWorkday, `{"Report_Entry":[{"Employee_ID":"21001","Email":"a@x"}]}`},
	{"workday, other keys first", FormatWorkday, ` {"Report_Title":"x","employees":[],"Report_Entry":[{"Employee_ID":"21001"}]}`},
	{"bamboohr", FormatBambooHR, `{"title":"t","fields":[{"id":"workEmail"}],"employees":[{"id":"40","status":"Active"}]}`},
	{"bamboohr, employees first", FormatBambooHR, `{"employees":[{"id":"40","asOf":"x"}],"fields":[]}`},
	{"successfactors", FormatSuccessFactors, `{"d":{"results":[{"userId":"cgrant","status":"t"}]}}`},
	{"successfactors, __count first", FormatSuccessFactors, `{"d":{"__count":"1","results":[{"userId":"cgrant"}]}}`},
}

// auto never confuses one format for another: each sample is detected as
// its own format, parses as it, and every other named format refuses it.
func TestDetectNeverConfuses(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			if got := detect([]byte(s.data)); got != s.format {
				t.Errorf("detect = %q, want %q", got, s.format)
			}
			r, err := Parse([]byte(s.data), "")
			if err != nil || r.Format != s.format {
				t.Fatalf("Parse(auto) = %v, %v; want format %s", r, err, s.format)
			}
			for _, f := range Formats[1:] {
				_, err := Parse([]byte(s.data), f)
				switch {
				case f == s.format && err != nil:
					t.Errorf("Parse(%s): %v", f, err)
				case f != s.format && err == nil:
					t.Errorf("Parse(%s) accepted a %s sample", f, s.format)
				case f != s.format && !strings.Contains(err.Error(), "ROSTER_FORMAT is "+f+", but the data looks like"):
					t.Errorf("Parse(%s) = %v, want it to say what the data looks like", f, err)
				}
			}
		})
	}
}

func TestDetectHostile(t *testing.T) {
	deep := `{"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `,"d":{"results":[]}}`
	for name, data := range map[string]string{
		"deep nesting before the key": deep,
		"unknown object":              `{"rows":[{"id":"E1"}]}`,
		"a key that is not a string":  `{1:2}`,
	} {
		if got := detect([]byte(data)); got != FormatJSON {
			t.Errorf("%s: detect = %q, want json (whose parser says what is wrong)", name, got)
		}
		if _, err := Parse([]byte(data), ""); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
	// A decisive key comes before the syntax error: that format's parser
	// reports it.
	if _, err := Parse([]byte(`{"Report_Entry" [}`), ""); err == nil || !strings.Contains(err.Error(), "workday: not valid JSON") {
		t.Errorf("broken Workday export: %v", err)
	}
}

// Hostile and broken exports: a clear error for the document, or a
// RecordError naming the record and field while the rest go on.
func TestParseHRISHostile(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	tests := []struct {
		name, format, data string
		err                string   // the whole roster refused
		ids                []string // else these employees
		problems           []string // and these problems
	}{
		{name: "workday wrapper not an array", format: FormatWorkday, data: `{"Report_Entry":"all"}`, err: "workday: Report_Entry: must be an array of records, not a string"},
		{name: "workday wrapper missing", format: FormatWorkday, data: `{"Report_Data":[{"Employee_ID":"1"}]}`, err: `workday: Report_Entry: required (the export is {"Report_Entry": […]})`},
		{name: "workday wrapper twice", format: FormatWorkday, data: `{"Report_Entry":[{"Employee_ID":"1"}],"Report_Entry":[]}`, err: "workday: Report_Entry: duplicate key"},
		{name: "workday array", format: FormatWorkday, data: `[{"Employee_ID":"1"}]`, err: "workday: must be an object"},
		{name: "bamboohr fields not an array", format: FormatBambooHR, data: `{"fields":"all","employees":[{"id":"1"}]}`, err: "bamboohr: fields: must be an array, not a string"},
		{name: "bamboohr employees null", format: FormatBambooHR, data: `{"fields":[],"employees":null}`, err: "bamboohr: employees: must be an array of records, not null"},
		{name: "successfactors d not an object", format: FormatSuccessFactors, data: `{"d":[{"userId":"a"}]}`, err: "successfactors: d: must be an object"},
		{name: "successfactors __next a number", format: FormatSuccessFactors, data: `{"d":{"results":[{"userId":"a"}],"__next":7}}`, err: "successfactors: d.__next: must be a URL string, not a number"},
		{name: "successfactors __next", format: FormatSuccessFactors, data: `{"d":{"results":[{"userId":"a"}],"__next":"https://x/odata/v2/User?$skiptoken=1"}}`, err: "every page is read"},
		{name: "successfactors invalid UTF-8", format: FormatSuccessFactors, data: "{\"d\":{\"results\":[{\"userId\":\"a\xff\"}]}}", err: "successfactors: invalid UTF-8 at byte 29"},
		{name: "truncated", format: FormatWorkday, data: `{"Report_Entry":[{"Employee_ID":"1"}`, err: "workday: not valid JSON: unexpected end of input"},
		{name: "trailing data", format: FormatWorkday, data: `{"Report_Entry":[{"Employee_ID":"1"}]} []`, err: "unexpected data after the top-level value"},
		{name: "every record bad", format: FormatWorkday, data: `{"Report_Entry":[{"Email":"a@x"},{"Employee_ID":false}]}`, err: "empty roster: all 2 records have problems, the first: record 1: Employee_ID: required"},
		{name: "no records", format: FormatBambooHR, data: `{"fields":[],"employees":[]}`, err: "empty roster: no employee records"},
		{
			name: "wrong types per record", format: FormatWorkday,
			data: `{"Report_Entry":[{"Employee_ID":"1"},{"Employee_ID":{"id":"2"}},{"Employee_ID":"3","Email":7},{"Employee_ID":" 4 ","Email":null},5,null]}`,
			ids:  []string{"1/active", "4/active"},
			problems: []string{
				"record 2: Employee_ID: must be a string or a number, not an object",
				`record 3 (id "3"): Email: must be a string, not a number`,
				"record 5: must be an object, not a number",
				"record 6: must be an object, not null",
			},
		},
		{
			name: "huge strings", format: FormatBambooHR,
			data: `{"fields":[],"employees":[{"id":"` + huge + `"},{"id":"2","displayName":"` + huge + `","workEmail":"` + huge + `@x"},{"id":"3","` + huge + `":"v"}]}`,
			ids:  []string{"2/active", "3/active"},
			problems: []string{
				`record 1 (id "` + strings.Repeat("x", 64) + `"…): id: is 1048576 characters long, at most 128 allowed`,
			},
		},
		{
			name: "duplicate ids and keys", format: FormatSuccessFactors,
			data: `{"d":{"results":[{"userId":"a"},{"userId":"b"},{"userId":"a","status":"t"},{"userId":"c","email":"x","email":"y"}]}}`,
			ids:  []string{"a/active", "b/active"},
			problems: []string{
				`record 3 on page 1 (id "a"): userId: duplicate id, first in record 1 on page 1`,
				`record 4 on page 1 (id "c"): email: duplicate key`,
			},
		},
		{
			name: "control characters in an id", format: FormatWorkday,
			data: `{"Report_Entry":[{"Employee_ID":"E\u202e1"},{"Employee_ID":"E2"}]}`,
			ids:  []string{"E2/active"},
			problems: []string{
				`record 1 (id "E\u202e1"): Employee_ID: contains the control character U+202E`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.data), tt.format)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse = %v, want an error saying %q", err, tt.err)
				}
				if len(err.Error()) > 600 {
					t.Errorf("error of %d bytes: a hostile value must not blow it up", len(err.Error()))
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

// Status per SPEC §4.7, for each format's status values.
func TestHRISStatus(t *testing.T) {
	tests := []struct {
		format, value string
		want          Status
	}{
		{FormatBambooHR, `"Active"`, StatusActive},
		{FormatBambooHR, `" active "`, StatusActive},
		{FormatBambooHR, `"Inactive"`, StatusTerminated},
		{FormatBambooHR, `"Terminated"`, StatusTerminated},
		{FormatBambooHR, `""`, StatusActive},
		{FormatBambooHR, `null`, StatusActive},
		{FormatSuccessFactors, `"active"`, StatusActive},
		{FormatSuccessFactors, `"t"`, StatusActive},
		{FormatSuccessFactors, `"T"`, StatusActive},
		{FormatSuccessFactors, `"f"`, StatusTerminated},
		{FormatSuccessFactors, `"inactive"`, StatusTerminated},
		{FormatSuccessFactors, `"e"`, StatusTerminated},
		{FormatSuccessFactors, `null`, StatusActive},
		{FormatWorkday, `"Terminated"`, StatusActive}, // Workday has no status field: a template decides
	}
	wrap := map[string]string{
		FormatBambooHR:       `{"fields":[],"employees":[{"id":"1","status":%s}]}`,
		FormatSuccessFactors: `{"d":{"results":[{"userId":"1","status":%s}]}}`,
		FormatWorkday:        `{"Report_Entry":[{"Employee_ID":"1","status":%s}]}`,
	}
	for _, tt := range tests {
		r, err := Parse([]byte(fmt.Sprintf(wrap[tt.format], tt.value)), tt.format)
		if err != nil {
			t.Errorf("%s status %s: %v", tt.format, tt.value, err)
			continue
		}
		if got := r.Employees[0].Status; got != tt.want {
			t.Errorf("%s status %s = %s, want %s", tt.format, tt.value, got, tt.want)
		}
	}
}

func FuzzParseHRIS(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s.data), uint8(0))
	}
	for _, name := range []string{"workday_raas.json", "bamboohr_report.json", "successfactors_user.json"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, fm uint8) {
		format := Formats[int(fm)%len(Formats)]
		r, err := Parse(data, format)
		if err != nil {
			if r != nil || !strings.HasPrefix(err.Error(), "hr: roster: ") || len(err.Error()) > 1000 {
				t.Fatalf("Parse = %v, %v", r, err)
			}
			return
		}
		if r.Format != detect(data) || format != FormatAuto && r.Format != format {
			t.Fatalf("format %q read as %q, detected %q", format, r.Format, detect(data))
		}
		seen := map[string]bool{}
		for _, e := range r.Employees {
			if checkID(e.ID) != "" || seen[e.ID] || e.Status != StatusActive && e.Status != StatusTerminated {
				t.Fatalf("bad employee %#v", e)
			}
			seen[e.ID] = true
		}
		for _, p := range r.Problems {
			if p.Reason == "" || (p.Page > 0) != (r.Format == FormatSuccessFactors) {
				t.Fatalf("bad problem %#v", p)
			}
		}
	})
}
