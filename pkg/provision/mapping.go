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

// The SCIM attributes a mapping produces, and the employee's status.
const (
	AttrExternalID  = "externalId"
	AttrUserName    = "userName"
	AttrDisplayName = "displayName"
	// AttrStatus is not a SCIM attribute: a template for it decides the
	// employee's status (see Mapping.Status). It has no default.
	AttrStatus = "status"
)

// DefaultTemplates is the built-in mapping of ramsync's own JSON and CSV
// rosters and webhook (SPEC §2): the employee id is the externalId, the
// lower-cased local part of the work email is the userName, the HR display
// name is the displayName.
var DefaultTemplates = map[string]string{
	AttrExternalID:  `{{ .id }}`,
	AttrUserName:    `{{ .email | localpart | lower }}`,
	AttrDisplayName: `{{ .displayName }}`,
}

// The sources a mapping has defaults for (Mapping.For): ramsync's own
// formats and webhook, the HR systems' roster exports (hr.Format…) and the
// two chat suites' directories and events (SPEC §4.6).
const (
	SourceNative         = ""
	SourceWorkday        = hr.FormatWorkday
	SourceBambooHR       = hr.FormatBambooHR
	SourceSuccessFactors = hr.FormatSuccessFactors
	SourceFeishu         = "feishu"
	SourceDingTalk       = "dingtalk"
)

// SourceTemplates are the default templates of each source (SPEC §4.6,
// §4.7); MAPPING overrides them attribute by attribute. They run as Go code
// (see Mapping.For), with the same result for a record that has every field
// they name.
var SourceTemplates = map[string]map[string]string{
	SourceNative: DefaultTemplates,
	SourceWorkday: {
		AttrExternalID:  `{{ .Employee_ID }}`,
		AttrUserName:    `{{ .Email | localpart | lower }}`,
		AttrDisplayName: `{{ .Full_Name }}`,
	},
	SourceBambooHR: {
		AttrExternalID:  `{{ .id }}`,
		AttrUserName:    `{{ .workEmail | localpart | lower }}`,
		AttrDisplayName: `{{ .displayName }}`,
	},
	SourceSuccessFactors: {
		AttrExternalID:  `{{ .userId }}`,
		AttrUserName:    `{{ .email | localpart | lower }}`,
		AttrDisplayName: `{{ .firstName }} {{ .lastName }}`,
	},
	SourceFeishu: {
		AttrExternalID:  `{{ .user_id }}`,
		AttrUserName:    `{{ .enterprise_email | default .email | localpart | lower }}`,
		AttrDisplayName: `{{ .name }}`,
	},
	SourceDingTalk: {
		AttrExternalID:  `{{ .userid }}`,
		AttrUserName:    `{{ .org_email | default .email | localpart | lower }}`,
		AttrDisplayName: `{{ .name }}`,
	},
}

// DefaultDisplayNameMax is the displayName cut (RAM's stricter documented
// limit; the other says 128).
const DefaultDisplayNameMax = 24

// MaxUserNameLength is RAM's limit on user names.
const MaxUserNameLength = 64

var userNameRE = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// Mapping turns an HR employee into the SCIM user it should have: a small
// text/template per attribute over the record's fields, and optionally a
// template for the status. Build one with [NewMapping]; For gives the
// mapping of each source. It is safe for concurrent use.
type Mapping struct {
	source         string
	templates      map[string]*template.Template // the three SCIM attributes
	status         *template.Template            // nil: the employee's own status
	displayNameMax int
	// native holds Go functions for the attributes whose template is the
	// source's default one: the same result without a template execution
	// and its allocations (a reconcile maps every employee, every night).
	native map[string]func(hr.Employee) string
	// standard: the mapping reads only id, email, displayName and status.
	standard bool
	// sources are the mappings of every source, built with this one and
	// shared by all of them.
	sources map[string]*Mapping
}

// nativeDefaults compute DefaultTemplates without text/template. The
// roster formats' readers put their id, email and name fields in the
// Employee (hr.Format…), so the same functions compute the Workday,
// BambooHR and SuccessFactors defaults.
var nativeDefaults = map[string]func(hr.Employee) string{
	AttrExternalID:  func(e hr.Employee) string { return e.ID },
	AttrUserName:    func(e hr.Employee) string { return userNameOf(e.Email) },
	AttrDisplayName: func(e hr.Employee) string { return e.DisplayName },
}

func userNameOf(email string) string {
	l, _, _ := strings.Cut(email, "@")
	return strings.ToLower(l)
}

// chatNative computes the Feishu and DingTalk defaults: the id is the
// Employee's (the sources put user_id / userid there, so that a leaver
// known by id alone maps), the userName comes from the company mailbox
// field, else the email field, else Employee.Email; the displayName from
// name, else Employee.DisplayName. An absent field is an empty one.
func chatNative(companyMail string) map[string]func(hr.Employee) string {
	field := func(e hr.Employee, k string) string { s, _ := e.Fields[k].(string); return strings.TrimSpace(s) }
	return map[string]func(hr.Employee) string{
		AttrExternalID: func(e hr.Employee) string { return e.ID },
		AttrUserName: func(e hr.Employee) string {
			for _, v := range []string{field(e, companyMail), field(e, "email"), e.Email} {
				if v != "" {
					return userNameOf(v)
				}
			}
			return ""
		},
		AttrDisplayName: func(e hr.Employee) string {
			if n := field(e, "name"); n != "" {
				return n
			}
			return e.DisplayName
		},
	}
}

// sourceNative are the native defaults of each source, and whether they
// read the standard fields only.
var sourceNative = map[string]struct {
	f        map[string]func(hr.Employee) string
	standard bool
}{
	SourceNative:         {nativeDefaults, true},
	SourceWorkday:        {nativeDefaults, true},
	SourceBambooHR:       {nativeDefaults, true},
	SourceSuccessFactors: {nativeDefaults, true},
	SourceFeishu:         {chatNative("enterprise_email"), false},
	SourceDingTalk:       {chatNative("org_email"), false},
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

// NewMapping parses templates (attribute → template: externalId, userName,
// displayName, status; attributes left out take each source's default, and
// status the employee's own) with the displayName cut displayNameMax (0
// means [DefaultDisplayNameMax]). The templates apply to every source; the
// mapping of each is built here, once.
//
// The SCIM attributes' templates fail on a field the record lacks
// (missingkey=error), so that a mapping never guesses. The status template
// reads an absent field as empty, so that
// {{ if .Termination_Date }}terminated{{ else }}active{{ end }} works on
// a Workday report that leaves the column out for those still employed.
func NewMapping(templates map[string]string, displayNameMax int) (*Mapping, error) {
	if displayNameMax <= 0 {
		displayNameMax = DefaultDisplayNameMax
	}
	for attr := range templates {
		if _, ok := DefaultTemplates[attr]; !ok && attr != AttrStatus {
			return nil, fmt.Errorf("mapping: unknown attribute %q (RAM users have externalId, userName and displayName; status may be given too)", attr)
		}
	}
	var status *template.Template
	if src, ok := templates[AttrStatus]; ok {
		t, err := template.New(AttrStatus).Funcs(templateFuncs).Option("missingkey=zero").Parse(src)
		if err != nil {
			return nil, fmt.Errorf("mapping: %s: %v", AttrStatus, err)
		}
		status = t
	}
	sources := map[string]*Mapping{}
	for source, defaults := range SourceTemplates {
		m := &Mapping{source: source, templates: map[string]*template.Template{}, status: status,
			displayNameMax: displayNameMax, native: map[string]func(hr.Employee) string{}, sources: sources}
		for attr, def := range defaults {
			src := def
			if t, ok := templates[attr]; ok {
				src = t
			}
			if src == def {
				m.native[attr] = sourceNative[source].f[attr]
			}
			t, err := template.New(attr).Funcs(templateFuncs).Option("missingkey=error").Parse(src)
			if err != nil {
				return nil, fmt.Errorf("mapping: %s: %v", attr, err)
			}
			m.templates[attr] = t
		}
		m.standard = len(m.native) == len(defaults) && sourceNative[source].standard && status == nil
		sources[source] = m
	}
	return sources[SourceNative], nil
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

// For returns the mapping for employees from source: SourceNative (""),
// hr.FormatJSON or hr.FormatCSV for ramsync's own rosters and webhook,
// hr.FormatWorkday, hr.FormatBambooHR, hr.FormatSuccessFactors (a
// Roster.Format), SourceFeishu or SourceDingTalk. Attributes MAPPING gives
// are the same for every source; the others are the source's defaults
// (SourceTemplates). An unknown source gets ramsync's own defaults.
//
// The defaults run as Go code: over Employee.ID, Email and DisplayName,
// which every reader fills from its format's id, email and name fields
// (Employee_ID/Email/Full_Name, id/workEmail/displayName,
// userId/email/firstName+lastName); for Feishu and DingTalk the userName and
// displayName read the record's fields as their templates do, while the
// externalId is Employee.ID, which those sources must set from user_id /
// userid. Where a field is null or absent the Go code reads it as empty
// (a null lastName gives "Carla", not a failure).
func (m *Mapping) For(source string) *Mapping {
	switch source {
	case hr.FormatJSON, hr.FormatCSV, hr.FormatAuto:
		source = SourceNative
	}
	if s, ok := m.sources[source]; ok {
		return s
	}
	return m.sources[SourceNative]
}

// Source is the source this mapping is for (see For).
func (m *Mapping) Source() string { return m.source }

// StandardFieldsOnly reports whether the mapping reads only an employee's
// id, email, displayName and status (the built-in mappings of ramsync's own
// formats and of the HR systems' exports do; any MAPPING template, a status
// template included, reads more), so a roster loader need not keep the
// other fields.
func (m *Mapping) StandardFieldsOnly() bool { return m.standard }

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
	x := m.executor(e)
	var d Desired
	var err error
	render := func(attr string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = x.render(attr)
		return v
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

// ExternalID evaluates the externalId template alone: a leaver may be
// known by its id only (SPEC §4.6), and needs no userName. A template that
// needs a field the record lacks fails with a *MappingError naming it, and
// so does an empty result; the raw id is never a fallback.
func (m *Mapping) ExternalID(e hr.Employee) (string, error) {
	id, err := m.executor(e).render(AttrExternalID)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", &MappingError{ExternalID: e.ID, Attr: AttrExternalID, Reason: "is empty"}
	}
	return id, nil
}

// Status is the employee's status: the status template's result when
// MAPPING gives one ("active" or "terminated", without case or surrounding
// space; anything else is a *MappingError naming the value), else e.Status.
func (m *Mapping) Status(e hr.Employee) (hr.Status, error) {
	if m.status == nil {
		return e.Status, nil
	}
	x := m.executor(e)
	var buf bytes.Buffer
	if err := m.status.Execute(&buf, x.fields()); err != nil {
		return "", &MappingError{ExternalID: e.ID, Attr: AttrStatus, Reason: "template failed: " + templateReason(err)}
	}
	switch v := strings.ToLower(strings.TrimSpace(buf.String())); v {
	case string(hr.StatusActive):
		return hr.StatusActive, nil
	case string(hr.StatusTerminated):
		return hr.StatusTerminated, nil
	default:
		return "", &MappingError{ExternalID: e.ID, Attr: AttrStatus, Reason: fmt.Sprintf("the template gave %q; want active or terminated", short(v))}
	}
}

// executor evaluates one employee's attributes, building the template data
// only when a template needs it.
type executor struct {
	m    *Mapping
	e    hr.Employee
	data map[string]any
}

func (m *Mapping) executor(e hr.Employee) *executor { return &executor{m: m, e: e} }

// fields is the template data: the record's fields plus id, email,
// displayName and status. For ramsync's own formats those four are always
// the parsed values; for the other sources they are added only where the
// record has no field of that name (a SuccessFactors status stays "t").
func (x *executor) fields() map[string]any {
	if x.data != nil {
		return x.data
	}
	e := x.e
	x.data = make(map[string]any, len(e.Fields)+4)
	for k, v := range e.Fields {
		x.data[k] = v
	}
	for k, v := range map[string]string{"id": e.ID, "email": e.Email, "displayName": e.DisplayName, "status": string(e.Status)} {
		if _, ok := x.data[k]; !ok || x.m.source == SourceNative {
			x.data[k] = v
		}
	}
	return x.data
}

func (x *executor) render(attr string) (string, error) {
	if f := x.m.native[attr]; f != nil {
		return strings.TrimSpace(f(x.e)), nil
	}
	var buf bytes.Buffer
	if err := x.m.templates[attr].Execute(&buf, x.fields()); err != nil {
		return "", &MappingError{ExternalID: x.e.ID, Attr: attr, Reason: "template failed: " + templateReason(err)}
	}
	return strings.TrimSpace(buf.String()), nil
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
