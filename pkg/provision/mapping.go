package provision

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/ramsync/ramsync/pkg/hr"
)

// The SCIM attributes a mapping produces.
const (
	AttrExternalID  = "externalId"
	AttrUserName    = "userName"
	AttrDisplayName = "displayName"
)

// DefaultTemplates is the built-in mapping (SPEC §2): the employee id is the
// externalId, the lower-cased local part of the work email is the userName,
// the HR display name is the displayName.
var DefaultTemplates = map[string]string{
	AttrExternalID:  `{{ .id }}`,
	AttrUserName:    `{{ .email | localpart | lower }}`,
	AttrDisplayName: `{{ .displayName }}`,
}

// DefaultDisplayNameMax is the displayName cut (RAM's stricter documented
// limit; the other says 128).
const DefaultDisplayNameMax = 24

// MaxUserNameLength is RAM's limit on user names.
const MaxUserNameLength = 64

var userNameRE = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// Mapping turns an HR employee into the SCIM user it should have: a small
// text/template per attribute over the record's fields. Build one with
// [NewMapping]. It is safe for concurrent use.
type Mapping struct {
	templates      map[string]*template.Template
	displayNameMax int
	// native holds Go functions for the attributes whose template is the
	// default one: the same result without a template execution and its
	// allocations (a reconcile maps every employee, every night).
	native map[string]func(hr.Employee) string
}

// nativeDefaults compute DefaultTemplates without text/template.
var nativeDefaults = map[string]func(hr.Employee) string{
	AttrExternalID:  func(e hr.Employee) string { return e.ID },
	AttrUserName:    func(e hr.Employee) string { l, _, _ := strings.Cut(e.Email, "@"); return strings.ToLower(l) },
	AttrDisplayName: func(e hr.Employee) string { return e.DisplayName },
}

// templateFuncs are available in mapping templates besides text/template's
// builtins (printf, index, and, or, …).
var templateFuncs = template.FuncMap{
	"lower":     strings.ToLower,
	"upper":     strings.ToUpper,
	"trim":      strings.TrimSpace,
	"localpart": func(s string) string { l, _, _ := strings.Cut(s, "@"); return l },
	"domain":    func(s string) string { _, d, _ := strings.Cut(s, "@"); return d },
	"replace":   func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
	"default": func(def, v any) any {
		if v == nil || fmt.Sprint(v) == "" {
			return def
		}
		return v
	},
	"str": func(v any) string { return fmt.Sprint(v) },
}

// NewMapping parses templates (attribute → template; attributes left out
// take the default) with the displayName cut displayNameMax (0 means
// [DefaultDisplayNameMax]).
func NewMapping(templates map[string]string, displayNameMax int) (*Mapping, error) {
	if displayNameMax <= 0 {
		displayNameMax = DefaultDisplayNameMax
	}
	m := &Mapping{templates: map[string]*template.Template{}, displayNameMax: displayNameMax, native: map[string]func(hr.Employee) string{}}
	for attr := range templates {
		if _, ok := DefaultTemplates[attr]; !ok {
			return nil, fmt.Errorf("mapping: unknown attribute %q (RAM users have externalId, userName and displayName)", attr)
		}
	}
	for attr, def := range DefaultTemplates {
		src := def
		if t, ok := templates[attr]; ok {
			src = t
		}
		if src == def {
			m.native[attr] = nativeDefaults[attr]
		}
		t, err := template.New(attr).Funcs(templateFuncs).Option("missingkey=error").Parse(src)
		if err != nil {
			return nil, fmt.Errorf("mapping: %s: %v", attr, err)
		}
		m.templates[attr] = t
	}
	return m, nil
}

// ParseMapping reads the MAPPING variable: a JSON object of attribute →
// template. Empty means the default mapping.
func ParseMapping(spec string, displayNameMax int) (*Mapping, error) {
	templates := map[string]string{}
	if strings.TrimSpace(spec) != "" {
		dec := json.NewDecoder(strings.NewReader(spec))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&templates); err != nil {
			return nil, fmt.Errorf("mapping: not a JSON object of attribute to template: %v", err)
		}
	}
	return NewMapping(templates, displayNameMax)
}

// StandardFieldsOnly reports whether the mapping reads only an employee's
// id, email, displayName and status (the built-in mapping does), so a
// roster loader need not keep the other fields.
func (m *Mapping) StandardFieldsOnly() bool { return len(m.native) == len(DefaultTemplates) }

// DisplayNameMax is the displayName cut in characters.
func (m *Mapping) DisplayNameMax() int { return m.displayNameMax }

// Desired is the SCIM user an employee should have.
type Desired struct {
	ExternalID  string
	UserName    string
	DisplayName string
	// Warnings are adjustments made on the way, e.g. a displayName cut.
	Warnings []string
}

// MappingError is why an employee cannot become a valid RAM user.
type MappingError struct {
	ExternalID string
	Attr       string
	Reason     string
}

func (e *MappingError) Error() string {
	return fmt.Sprintf("employee %s: %s: %s", quoteID(e.ExternalID), e.Attr, e.Reason)
}

// Map applies the mapping to e.
func (m *Mapping) Map(e hr.Employee) (Desired, error) {
	var data map[string]any // built only when a template needs it
	var d Desired
	var err error
	render := func(attr string) string {
		if err != nil {
			return ""
		}
		if f := m.native[attr]; f != nil {
			return strings.TrimSpace(f(e))
		}
		if data == nil {
			data = make(map[string]any, len(e.Fields)+4)
			for k, v := range e.Fields {
				data[k] = v
			}
			// The standard fields are always the parsed ones.
			data["id"], data["email"], data["displayName"], data["status"] = e.ID, e.Email, e.DisplayName, string(e.Status)
		}
		var buf bytes.Buffer
		if xerr := m.templates[attr].Execute(&buf, data); xerr != nil {
			err = &MappingError{ExternalID: e.ID, Attr: attr, Reason: "template failed: " + templateReason(xerr)}
			return ""
		}
		return strings.TrimSpace(buf.String())
	}
	d.ExternalID = render(AttrExternalID)
	d.UserName = strings.ToLower(render(AttrUserName))
	d.DisplayName = render(AttrDisplayName)
	if err != nil {
		return Desired{}, err
	}
	if d.ExternalID == "" {
		return Desired{}, &MappingError{ExternalID: e.ID, Attr: AttrExternalID, Reason: "is empty"}
	}
	if err := checkUserName(d.UserName); err != "" {
		return Desired{}, &MappingError{ExternalID: d.ExternalID, Attr: AttrUserName, Reason: err}
	}
	d.DisplayName, d.Warnings = m.cleanDisplayName(d.DisplayName, d.UserName)
	return d, nil
}

func checkUserName(u string) string {
	switch {
	case u == "":
		return "is empty (no email to derive it from?)"
	case utf8.RuneCountInString(u) > MaxUserNameLength:
		return fmt.Sprintf("%q is %d characters; RAM allows at most %d", short(u), utf8.RuneCountInString(u), MaxUserNameLength)
	case !userNameRE.MatchString(u):
		return fmt.Sprintf("%q has characters RAM does not allow (only a-z, 0-9, '.', '_', '-')", short(u))
	}
	return ""
}

// cleanDisplayName removes control characters, falls back to the userName
// when empty, and cuts to the limit: never a reason to reject a joiner.
func (m *Mapping) cleanDisplayName(s, userName string) (string, []string) {
	var warnings []string
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Join(strings.FieldsFunc(s, unicode.IsControl), " ")
		warnings = append(warnings, "displayName had control characters; removed")
	}
	s = strings.ToValidUTF8(s, "")
	if s == "" {
		return userName, append(warnings, "displayName is empty; using the userName")
	}
	if n := utf8.RuneCountInString(s); n > m.displayNameMax {
		cut := strings.TrimSpace(string([]rune(s)[:m.displayNameMax]))
		warnings = append(warnings, fmt.Sprintf("displayName %q is %d characters; cut to %d: %q", short(s), n, m.displayNameMax, cut))
		s = cut
	}
	return s, warnings
}

// short cuts s to 64 characters for a message: a hostile record's value
// must not fill a log line or a response.
func short(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:63]) + "…"
	}
	return s
}

func templateReason(err error) string {
	msg := err.Error()
	// "template: userName:1:3: executing \"userName\" at <.email>: map has no entry for key \"email\""
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "executing") {
		if j := strings.Index(msg, " at <"); j >= 0 {
			return msg[j+1:]
		}
	}
	return msg
}

func quoteID(id string) string {
	if id == "" {
		return "(no id)"
	}
	return fmt.Sprintf("%q", id)
}
