package provision

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/hr"
)

func emp(id, email, name string, extra ...string) hr.Employee {
	e := hr.Employee{ID: id, Email: email, DisplayName: name, Status: hr.StatusActive,
		Fields: map[string]any{"id": id, "email": email, "displayName": name}}
	for i := 0; i+1 < len(extra); i += 2 {
		e.Fields[extra[i]] = extra[i+1]
	}
	return e
}

func TestDefaultMapping(t *testing.T) {
	m, err := ParseMapping("", 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      hr.Employee
		want    Desired
		wantErr string
	}{
		{"plain", emp("E1", "Li.Wei@Example.com", "Li Wei"), Desired{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"}, ""},
		{"unicode display name", emp("E2", "wang@example.com", "王小明"), Desired{ExternalID: "E2", UserName: "wang", DisplayName: "王小明"}, ""},
		{"display name cut to 24 runes", emp("E3", "a@x", "Maximilian Alexander Featherstonehaugh"),
			Desired{ExternalID: "E3", UserName: "a", DisplayName: "Maximilian Alexander Fea",
				Warnings: []string{`displayName "Maximilian Alexander Featherstonehaugh" is 38 characters; cut to 24: "Maximilian Alexander Fea"`}}, ""},
		{"empty display name falls back", emp("E4", "b@x", ""), Desired{ExternalID: "E4", UserName: "b", DisplayName: "b",
			Warnings: []string{"displayName is empty; using the userName"}}, ""},
		{"control characters removed", emp("E5", "c@x", "C\x00D"), Desired{ExternalID: "E5", UserName: "c", DisplayName: "C D",
			Warnings: []string{"displayName had control characters; removed"}}, ""},
		{"no email", emp("E6", "", "No Mail"), Desired{}, `employee "E6": userName: is empty`},
		{"plus sign", emp("E7", "li+wei@x", "L"), Desired{}, `employee "E7": userName: "li+wei" has characters RAM does not allow`},
		{"too long", emp("E8", strings.Repeat("a", 65)+"@x", "L"), Desired{}, `is 65 characters; RAM allows at most 64`},
		{"64 is fine", emp("E9", strings.Repeat("a", 64)+"@x", "L"), Desired{ExternalID: "E9", UserName: strings.Repeat("a", 64), DisplayName: "L"}, ""},
		{"unicode user name", emp("E10", "李伟@x", "L"), Desired{}, `has characters RAM does not allow`},
		{"id with quotes kept", emp(`E"11\`, "q@x", "Q"), Desired{ExternalID: `E"11\`, UserName: "q", DisplayName: "Q"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Map(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Map() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Map() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCustomMapping(t *testing.T) {
	spec, _ := json.Marshal(map[string]string{
		"userName":    `{{ .login | default (.email | localpart) | lower }}`,
		"displayName": `{{ .displayName }} ({{ .department }})`,
	})
	m, err := ParseMapping(string(spec), 40)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Map(emp("E1", "li.wei@x", "Li Wei", "department", "R&D", "login", "LWEI"))
	if err != nil {
		t.Fatal(err)
	}
	want := Desired{ExternalID: "E1", UserName: "lwei", DisplayName: "Li Wei (R&D)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got, err = m.Map(emp("E2", "Zhang.San@x", "Zhang San", "department", "Ops", "login", ""))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserName != "zhang.san" {
		t.Errorf("default fallback: userName = %q", got.UserName)
	}
	// A field the record lacks is a rejection naming it.
	_, err = m.Map(emp("E3", "a@x", "A", "login", "a"))
	if err == nil || !strings.Contains(err.Error(), "department") {
		t.Errorf("missing field: err = %v, want it to name department", err)
	}
}

func TestParseMappingErrors(t *testing.T) {
	for _, tt := range []struct{ spec, want string }{
		{`{"emails": "{{ .email }}"}`, `unknown attribute "emails"`},
		{`{"userName": "{{ .email "}`, `mapping: userName:`},
		{`["x"]`, `not a JSON object`},
		{`{"userName": 3}`, `not a JSON object`},
	} {
		_, err := ParseMapping(tt.spec, 0)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseMapping(%s) error = %v, want %q", tt.spec, err, tt.want)
		}
	}
}

// The built-in mapping runs as Go code; it must give exactly what its
// templates give.
func TestNativeDefaultsMatchTheTemplates(t *testing.T) {
	fast, _ := NewMapping(nil, 0)
	// The same templates, spelled differently, so they run as templates.
	slow, err := NewMapping(map[string]string{
		AttrExternalID:  `{{.id}}`,
		AttrUserName:    `{{.email|localpart|lower}}`,
		AttrDisplayName: `{{.displayName}}`,
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(fast.native) != 3 || len(slow.native) != 0 {
		t.Fatalf("native: fast %d, slow %d", len(fast.native), len(slow.native))
	}
	for _, email := range []string{"Li.Wei@Example.com", "a@b@c", "noat", "", " x@y ", "ÄBC@x", "İstanbul@x", "UPPER.CASE@X", "@x", "a.b-c_d@x"} {
		for _, name := range []string{"", "Li Wei", "  padded  ", strings.Repeat("名", 30), "a\tb"} {
			e := emp(" E1 ", email, name)
			d1, err1 := fast.Map(e)
			d2, err2 := slow.Map(e)
			if fmt.Sprint(err1) != fmt.Sprint(err2) || !cmp.Equal(d1, d2) {
				t.Errorf("email %q name %q: native %+v %v, template %+v %v", email, name, d1, err1, d2, err2)
			}
		}
	}
}

func TestStandardFieldsOnly(t *testing.T) {
	def, _ := ParseMapping("", 0)
	custom, _ := ParseMapping(`{"displayName": "{{ .displayName }} ({{ .department }})"}`, 0)
	if !def.StandardFieldsOnly() || custom.StandardFieldsOnly() {
		t.Errorf("default %v, custom %v", def.StandardFieldsOnly(), custom.StandardFieldsOnly())
	}
}

func TestStatusTemplate(t *testing.T) {
	m, err := ParseMapping(`{"status": "{{ if .Termination_Date }}terminated{{ else }}active{{ end }}"}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	wd := m.For(hr.FormatWorkday)
	tests := []struct {
		name    string
		m       *Mapping
		e       hr.Employee
		want    hr.Status
		wantErr string
	}{
		{"Termination_Date set", wd, hr.Employee{ID: "21002", Status: hr.StatusActive, Fields: map[string]any{"Employee_ID": "21002", "Termination_Date": "2026-11-15"}}, hr.StatusTerminated, ""},
		{"Termination_Date left out", wd, hr.Employee{ID: "21001", Status: hr.StatusActive, Fields: map[string]any{"Employee_ID": "21001"}}, hr.StatusActive, ""},
		{"Termination_Date null", wd, hr.Employee{ID: "21003", Status: hr.StatusActive, Fields: map[string]any{"Termination_Date": nil}}, hr.StatusActive, ""},
		{"the template wins over the record's status", m, hr.Employee{ID: "E1", Status: hr.StatusTerminated, Fields: map[string]any{}}, hr.StatusActive, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.Status(tt.e)
			if err != nil || got != tt.want {
				t.Errorf("Status = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	for _, tt := range []struct{ tmpl, want string }{
		{` Active `, ""},
		{"TERMINATED\n", ""},
		{`retired`, `employee "E1": status: the template gave "retired"; want active or terminated`},
		{`{{ .missing }}`, `the template gave "<no value>"`},
		{`{{ .a.b }}`, `employee "E1": status: template failed:`},
		{`suspended`, `the template gave "suspended"`},
	} {
		spec, _ := json.Marshal(map[string]string{"status": tt.tmpl})
		m, err := ParseMapping(string(spec), 0)
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.For(hr.FormatBambooHR).Status(hr.Employee{ID: "E1", Fields: map[string]any{}})
		var me *MappingError
		switch {
		case tt.want == "" && (err != nil || st == ""):
			t.Errorf("status template %q: %q, %v", tt.tmpl, st, err)
		case tt.want != "" && (!errors.As(err, &me) || me.Attr != AttrStatus || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("status template %q: %q, %v; want a *MappingError saying %q", tt.tmpl, st, err, tt.want)
		}
	}
	// Without a status template, the employee's own status.
	def, _ := ParseMapping("", 0)
	for _, s := range []hr.Status{hr.StatusActive, hr.StatusTerminated, hr.StatusSuspended} {
		if got, err := def.For(hr.FormatBambooHR).Status(hr.Employee{ID: "1", Status: s}); got != s || err != nil {
			t.Errorf("no template: Status = %q, %v; want %q", got, err, s)
		}
	}
	if _, err := ParseMapping(`{"status": "{{ if }}"}`, 0); err == nil || !strings.Contains(err.Error(), "mapping: status:") {
		t.Errorf("a broken status template: %v", err)
	}
}

// Each source's defaults, and MAPPING overriding some attributes for every
// source while the others keep the source's default.
func TestSourceDefaults(t *testing.T) {
	records := map[string]hr.Employee{
		SourceNative: {ID: "E1", Email: "Li.Wei@x.com", DisplayName: "Li Wei", Fields: map[string]any{"id": "E1", "email": "Li.Wei@x.com", "displayName": "Li Wei", "team": "Ops"}},
		SourceWorkday: {ID: "21001", Email: "Logan.McNeil@workday.net", DisplayName: "Logan McNeil",
			Fields: map[string]any{"Employee_ID": "21001", "Email": "Logan.McNeil@workday.net", "Full_Name": "Logan McNeil", "team": "Ops"}},
		SourceBambooHR: {ID: "40", Email: "CAbbott@efficientoffice.com", DisplayName: "Charlotte Abbott",
			Fields: map[string]any{"id": "40", "workEmail": "CAbbott@efficientoffice.com", "displayName": "Charlotte Abbott", "team": "Ops"}},
		SourceSuccessFactors: {ID: "cgrant", Email: "Carla.Grant@bestrun.com", DisplayName: "Carla Grant",
			Fields: map[string]any{"userId": "cgrant", "email": "Carla.Grant@bestrun.com", "firstName": "Carla", "lastName": "Grant", "team": "Ops"}},
		SourceFeishu: {ID: "ou_7d8a", Email: "", DisplayName: "",
			Fields: map[string]any{"user_id": "ou_7d8a", "email": "zhang.san@gmail.com", "enterprise_email": "San.Zhang@corp.cn", "name": "张三", "team": "Ops"}},
		SourceDingTalk: {ID: "manager4220", Email: "",
			Fields: map[string]any{"userid": "manager4220", "email": "li.si@163.com", "name": "李四", "team": "Ops"}},
	}
	want := map[string]Desired{
		SourceNative:         {ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"},
		SourceWorkday:        {ExternalID: "21001", UserName: "logan.mcneil", DisplayName: "Logan McNeil"},
		SourceBambooHR:       {ExternalID: "40", UserName: "cabbott", DisplayName: "Charlotte Abbott"},
		SourceSuccessFactors: {ExternalID: "cgrant", UserName: "carla.grant", DisplayName: "Carla Grant"},
		SourceFeishu:         {ExternalID: "ou_7d8a", UserName: "san.zhang", DisplayName: "张三"},
		SourceDingTalk:       {ExternalID: "manager4220", UserName: "li.si", DisplayName: "李四"},
	}
	def, _ := ParseMapping("", 0)
	custom, err := ParseMapping(`{"displayName": "{{ .team }}: {{ .id }}"}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	for source, e := range records {
		t.Run(source, func(t *testing.T) {
			got, err := def.For(source).Map(e)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want[source], got); diff != "" {
				t.Errorf("default (-want +got):\n%s", diff)
			}
			got, err = custom.For(source).Map(e)
			if err != nil {
				t.Fatal(err)
			}
			w := want[source]
			w.DisplayName = "Ops: " + fmt.Sprint(e.Fields["id"])
			if e.Fields["id"] == nil {
				w.DisplayName = "Ops: " + e.ID // id is added where the record has none
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("MAPPING displayName (-want +got):\n%s", diff)
			}
			if def.For(source).Source() != source {
				t.Errorf("For(%q).Source() = %q", source, def.For(source).Source())
			}
		})
	}
	for _, s := range []string{hr.FormatJSON, hr.FormatCSV, hr.FormatAuto, "unknown"} {
		if def.For(s) != def {
			t.Errorf("For(%q) is not ramsync's own mapping", s)
		}
	}
	if def.For(SourceWorkday).For(SourceNative) != def {
		t.Error("For on a source's mapping does not reach the others")
	}
	// Feishu: no enterprise mail falls back to the email field, then to
	// Employee.Email; DingTalk's org_email comes first.
	for _, tt := range []struct {
		source string
		e      hr.Employee
		want   string
	}{
		{SourceFeishu, hr.Employee{ID: "u1", Fields: map[string]any{"email": "A.B@x", "enterprise_email": ""}}, "a.b"},
		{SourceFeishu, hr.Employee{ID: "u1", Email: "C@x", Fields: map[string]any{}}, "c"},
		{SourceDingTalk, hr.Employee{ID: "u1", Fields: map[string]any{"email": "p@x", "org_email": "Org@x"}}, "org"},
	} {
		d, err := def.For(tt.source).Map(tt.e)
		if err != nil || d.UserName != tt.want {
			t.Errorf("%s %v: userName %q, %v; want %q", tt.source, tt.e.Fields, d.UserName, err, tt.want)
		}
	}
}

// The sources' defaults run as Go code; on records with every field their
// templates name, the result is the templates'.
func TestSourceNativeMatchesTemplates(t *testing.T) {
	def, _ := ParseMapping("", 0)
	records := map[string]func(email, name string) hr.Employee{
		SourceWorkday: func(email, name string) hr.Employee {
			return hr.Employee{ID: "W1", Email: email, DisplayName: name, Fields: map[string]any{"Employee_ID": "W1", "Email": email, "Full_Name": name}}
		},
		SourceBambooHR: func(email, name string) hr.Employee {
			return hr.Employee{ID: "40", Email: email, DisplayName: name, Fields: map[string]any{"id": "40", "workEmail": email, "displayName": name}}
		},
		SourceSuccessFactors: func(email, name string) hr.Employee {
			first, last, _ := strings.Cut(name, " ")
			dn := strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
			return hr.Employee{ID: "u1", Email: email, DisplayName: dn, Fields: map[string]any{"userId": "u1", "email": email, "firstName": first, "lastName": last}}
		},
		SourceFeishu: func(email, name string) hr.Employee {
			return hr.Employee{ID: "ou1", Fields: map[string]any{"user_id": "ou1", "email": "other@x", "enterprise_email": email, "name": name}}
		},
		SourceDingTalk: func(email, name string) hr.Employee {
			return hr.Employee{ID: "d1", Fields: map[string]any{"userid": "d1", "email": "other@x", "org_email": email, "name": name}}
		},
	}
	for source, rec := range records {
		// The same templates, spelled differently, so they run as templates.
		spelled := map[string]string{}
		for attr, src := range SourceTemplates[source] {
			spelled[attr] = strings.ReplaceAll(src, "{{ ", "{{")
		}
		slow, err := NewMapping(spelled, 0)
		if err != nil {
			t.Fatal(err)
		}
		fast := def.For(source)
		if len(fast.native) != 3 || len(slow.For(source).native) != 0 {
			t.Fatalf("%s: native %d and %d", source, len(fast.native), len(slow.For(source).native))
		}
		for _, email := range []string{"Li.Wei@Example.com", "a@b@c", "noat", " x@y ", "ÄBC@x", "UPPER.CASE@X", "a.b-c_d@x"} {
			for _, name := range []string{"Li Wei", "  padded  x", strings.Repeat("名", 30) + " x", "a\tb c"} {
				e := rec(email, name)
				d1, err1 := fast.Map(e)
				d2, err2 := slow.For(source).Map(e)
				if fmt.Sprint(err1) != fmt.Sprint(err2) || !cmp.Equal(d1, d2) {
					t.Errorf("%s email %q name %q: native %+v %v, template %+v %v", source, email, name, d1, err1, d2, err2)
				}
			}
		}
	}
}

// A leaver known by its id alone maps to its externalId; a template that
// needs more fails naming the field, never falling back to the raw id.
func TestExternalIDAlone(t *testing.T) {
	prefixed, err := ParseMapping(`{"externalId": "hr-{{ .id }}"}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	byNumber, _ := ParseMapping(`{"externalId": "{{ .employee_no }}"}`, 0)
	blank, _ := ParseMapping(`{"externalId": "{{ .id | replace .id \"\" }}"}`, 0)
	def, _ := ParseMapping("", 0)
	leaver := hr.Employee{ID: "E1", Status: hr.StatusTerminated}
	tests := []struct {
		name, source string
		m            *Mapping
		e            hr.Employee
		want         string
		wantErr      string
	}{
		{"template over the id alone", SourceNative, prefixed, leaver, "hr-E1", ""},
		{"template for Workday", SourceWorkday, prefixed, leaver, "hr-E1", ""},
		{"template for Feishu", SourceFeishu, prefixed, leaver, "hr-E1", ""},
		{"default", SourceNative, def, leaver, "E1", ""},
		{"Feishu default", SourceFeishu, def, leaver, "E1", ""},
		{"a field the event lacks", SourceNative, byNumber, leaver, "", `employee "E1": externalId: template failed: at <.employee_no>: map has no entry for key "employee_no"`},
		{"a field the record has", SourceDingTalk, byNumber, hr.Employee{ID: "d1", Fields: map[string]any{"employee_no": "N-7"}}, "N-7", ""},
		{"an empty result", SourceNative, blank, leaver, "", `employee "E1": externalId: is empty`},
		{"no id at all", SourceNative, def, hr.Employee{}, "", `employee (no id): externalId: is empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.For(tt.source).ExternalID(tt.e)
			if tt.wantErr != "" {
				var me *MappingError
				if !errors.As(err, &me) || me.Attr != AttrExternalID || err.Error() != tt.wantErr {
					t.Fatalf("ExternalID = %q, %v; want a *MappingError %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ExternalID = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	// Map needs a userName too, which the id alone does not give.
	if _, err := prefixed.Map(leaver); err == nil || !strings.Contains(err.Error(), "userName: is empty") {
		t.Errorf("Map of a leaver without email: %v", err)
	}
}

func TestStandardFieldsOnlyPerSource(t *testing.T) {
	def, _ := ParseMapping("", 0)
	custom, _ := ParseMapping(`{"userName": "{{ .login }}"}`, 0)
	status, _ := ParseMapping(`{"status": "active"}`, 0)
	sameAsDefault, _ := ParseMapping(`{"userName": "{{ .email | localpart | lower }}"}`, 0)
	for source := range SourceTemplates {
		chat := source == SourceFeishu || source == SourceDingTalk
		if got := def.For(source).StandardFieldsOnly(); got == chat {
			t.Errorf("%q default: StandardFieldsOnly %v", source, got)
		}
		if custom.For(source).StandardFieldsOnly() || status.For(source).StandardFieldsOnly() {
			t.Errorf("%q: a MAPPING template must make StandardFieldsOnly false", source)
		}
		// The native default's text given in MAPPING is a template for
		// the sources whose default differs (SuccessFactors' is the same).
		if got, want := sameAsDefault.For(source).StandardFieldsOnly(), source == SourceNative || source == SourceSuccessFactors; got != want {
			t.Errorf("%q with the native userName text: StandardFieldsOnly %v, want %v", source, got, want)
		}
	}
}

func TestMappingConcurrentFor(t *testing.T) {
	m, _ := ParseMapping(`{"status": "{{ if .gone }}terminated{{ else }}active{{ end }}"}`, 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				source := []string{SourceNative, SourceWorkday, SourceBambooHR, SourceSuccessFactors, SourceFeishu, SourceDingTalk}[(i+j)%6]
				e := hr.Employee{ID: fmt.Sprint("E", j), Email: "a@x", Fields: map[string]any{"gone": j%2 == 0, "email": "a@x", "name": "A"}}
				if _, err := m.For(source).Map(e); err != nil {
					t.Error(err)
				}
				if st, err := m.For(source).Status(e); err != nil || (st == hr.StatusTerminated) != (j%2 == 0) {
					t.Errorf("status %q, %v", st, err)
				}
			}
		}()
	}
	wg.Wait()
}

// The reconciler's Loader drops Fields when the mapping it was built from
// says StandardFieldsOnly; whatever source the roster turns out to be,
// that source's mapping must then give the same result without them.
func TestStandardFieldsOnlyHoldsForEverySource(t *testing.T) {
	records := map[string]hr.Employee{
		SourceNative:         {ID: "E1", Email: "a.b@x", DisplayName: "A B", Status: hr.StatusActive, Fields: map[string]any{"id": "E1", "email": "a.b@x", "displayName": "A B", "team": "Ops"}},
		SourceWorkday:        {ID: "21001", Email: "a.b@x", DisplayName: "A B", Status: hr.StatusActive, Fields: map[string]any{"Employee_ID": "21001", "Email": "a.b@x", "Full_Name": "A B", "team": "Ops"}},
		SourceBambooHR:       {ID: "40", Email: "a.b@x", DisplayName: "A B", Status: hr.StatusTerminated, Fields: map[string]any{"id": "40", "workEmail": "a.b@x", "displayName": "A B", "status": "Inactive", "team": "Ops"}},
		SourceSuccessFactors: {ID: "u1", Email: "a.b@x", DisplayName: "A B", Status: hr.StatusActive, Fields: map[string]any{"userId": "u1", "email": "a.b@x", "firstName": "A", "lastName": "B", "status": "t", "team": "Ops"}},
	}
	for _, spec := range []string{
		``,
		`{"userName": "{{ .email | localpart | lower }}"}`,
		`{"externalId": "{{ .id }}", "displayName": "{{ .displayName }}"}`,
		`{"userName": "{{ .Email | localpart | lower }}"}`,
		`{"displayName": "{{ .team }}"}`,
		`{"status": "active"}`,
	} {
		m, err := ParseMapping(spec, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !m.StandardFieldsOnly() {
			continue
		}
		for source, e := range records {
			slim := e
			slim.Fields = nil
			d1, err1 := m.For(source).Map(e)
			d2, err2 := m.For(source).Map(slim)
			if err1 != nil || fmt.Sprint(err1) != fmt.Sprint(err2) || !cmp.Equal(d1, d2) {
				t.Errorf("MAPPING %s, %s: with Fields %+v %v, without %+v %v", spec, source, d1, err1, d2, err2)
			}
		}
	}
}
