package provision

import (
	"encoding/json"
	"fmt"
	"strings"
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
