package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
)

// Explanation is the answer to {"explain": "<employee id>"} (SPEC §4.4):
// what the nightly run would do for one employee, and why. Nothing is
// written to make it.
type Explanation struct {
	Explain string `json:"explain"`
	// Roster describes the roster read.
	Roster provision.RosterInfo `json:"roster"`
	// Records are the roster's records of this employee (none: not in
	// the roster, so an owned user is a leaver), and Problems those that
	// could not be read.
	Records  []ExplainRecord `json:"records"`
	Problems []string        `json:"problems,omitempty"`
	// Mapped are the attributes the mapping made of the record, each with
	// its template; absent when there is no usable record.
	Mapped map[string]MappedValue `json:"mapped,omitempty"`
	// ByExternalID and ByUserName are the RAM users found, with any
	// suspension marker (read with LEAVER_GRACE > 0).
	ByExternalID *ExplainUser `json:"byExternalId"`
	ByUserName   *ExplainUser `json:"byUserName"`
	// Decision is the rulebook's, for this employee, against the whole
	// roster and every RAM user, as the nightly run makes it.
	Decision ExplainDecision `json:"decision"`
}

// ExplainRecord is one roster record.
type ExplainRecord struct {
	Record string         `json:"record"`
	ID     string         `json:"id"`
	Status string         `json:"status"`
	Fields map[string]any `json:"fields"`
}

// MappedValue is an attribute's value and the template that made it.
type MappedValue struct {
	Value    string `json:"value"`
	Template string `json:"template,omitempty"`
	// From is "MAPPING", or "default for <source>" (the built-in template),
	// or "the record's status" for a status without a template.
	From string `json:"from"`
}

// ExplainUser is a RAM user as explain shows it.
type ExplainUser struct {
	ID           string    `json:"id"`
	UserName     string    `json:"userName"`
	DisplayName  string    `json:"displayName"`
	ExternalID   string    `json:"externalId,omitempty"`
	Owned        bool      `json:"owned"`
	Protected    bool      `json:"protected,omitempty"`
	Created      time.Time `json:"created,omitzero"`
	LastModified time.Time `json:"lastModified,omitzero"`
	// Marker is the ramsync suspension marker on the user, if any.
	Marker string `json:"marker,omitempty"`
}

// ExplainDecision is what the rulebook decides and the rule behind it.
type ExplainDecision struct {
	Action   provision.Action `json:"action"`
	UserName string           `json:"userName,omitempty"`
	ID       string           `json:"id,omitempty"`
	// Reason is the rulebook's own reason, when it gives one.
	Reason string `json:"reason,omitempty"`
	// Rule names the SPEC rule that decides it.
	Rule     string   `json:"rule"`
	Diff     string   `json:"diff,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Brakes says whether the run's deletion brakes would hold this
	// removal, and the approval that would let it through.
	Brakes   string `json:"brakes,omitempty"`
	Approval string `json:"approval,omitempty"`
}

// rules name the rule behind each action (SPEC §2, §3).
var rules = map[provision.Action]string{
	provision.Create:           "§2: an active employee without a RAM user (none carries the externalId, the userName is free): the user is created",
	provision.Update:           "rule 4: the user found by externalId differs from the mapped attributes: it is replaced (PUT), keeping its RAM id",
	provision.Unchanged:        "the user found by externalId has the mapped userName and displayName: nothing to do",
	provision.Adopt:            "rule 1 (ADOPT_EXISTING=true): an unowned user has the employee's userName: it is linked (externalId set)",
	provision.Suspend:          "rule 5b (LEAVER_GRACE > 0): a leaver's AccessKeys and console login are turned off and the marker set; deleted when the grace is over",
	provision.AlreadySuspended: "rule 5b: the user carries the suspension marker and its grace is not over: nothing to do",
	provision.Resume:           "rule 5c: an active employee whose user carries a suspension marker older than the roster: the marked keys and the login are turned on again",
	provision.Delete:           "rule 5: an owned user no active roster record claims is a leaver: its delete blockers are cleared (OFFBOARD_CLEANUP) and it is deleted",
	provision.AlreadyAbsent:    "rule 5: a leaver without a RAM user: nothing to do",
	provision.Blocked:          "rule 5: RAM refuses the delete while AccessKeys, policies, MFA or groups remain",
	provision.Skipped:          "left alone on purpose (rule 5a fresh joiner, rule 5d stale, a frozen employee without grace): see the reason",
	provision.Conflict:         "rule 3: the userName is held by another user (another externalId, or unowned): nothing is overwritten",
	provision.Rejected:         "rule 7a: the HR record cannot become a valid RAM user: it is reported, and its user (if any) is left as it is",
	provision.Protected:        "rule 2: PROTECTED_USERS are never created, changed or deleted",
	provision.NotOwned:         "rule 1: the user has no externalId of ramsync's: never changed or deleted",
}

// Explain answers {"explain": id}: it reads the roster and every RAM user
// (and, with LEAVER_GRACE > 0, the suspension markers) and runs the
// rulebook as the nightly run does, then shows this employee's part. The
// whole roster and directory are needed: a duplicate id, two employees
// wanting one userName, a leaver freeing a name, and the brakes all depend
// on the others.
func (h *Handler) Explain(ctx context.Context, id string) (*Explanation, error) {
	out := &Explanation{Explain: id, Records: []ExplainRecord{}}
	roster, err := h.Roster.Load(ctx, h.RosterURL)
	if err != nil {
		return nil, fmt.Errorf("explain: the roster could not be read: %w", err)
	}
	if roster == nil || len(roster.Employees) == 0 {
		return nil, fmt.Errorf("explain: the roster has no employees (a run would abort)")
	}
	out.Roster = provision.RosterInfo{Source: roster.Source, Format: roster.Format, AsOf: roster.AsOf, AsOfSource: roster.AsOfSource,
		Records: len(roster.Employees) + len(roster.Problems)}
	m := h.Engine.Mapping.For(roster.Format)

	ids := map[string]bool{id: true} // the employee id and its mapped externalIds
	var usable *hr.Employee
	for i, e := range roster.Employees {
		ext, _ := m.ExternalID(e)
		if e.ID != id && ext != id {
			continue
		}
		ids[e.ID] = true
		if ext != "" {
			ids[ext] = true
		}
		out.Records = append(out.Records, ExplainRecord{Record: fmt.Sprintf("record %d", i+1), ID: e.ID, Status: string(e.Status), Fields: fieldsOf(e)})
		if usable == nil {
			usable = &roster.Employees[i]
		}
	}
	for _, p := range roster.Problems {
		if p.ID == id {
			out.Problems = append(out.Problems, p.Error())
		}
	}
	if usable != nil {
		out.Mapped = mapped(m, *usable)
	}

	w := provision.Desire(roster, h.Engine.Mapping)
	actual, err := h.Engine.Dir.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("explain: listing RAM users failed: %w", err)
	}
	var markers map[string]ramcred.Marker
	if h.Engine.Rules.Grace > 0 && h.Engine.Revoker != nil {
		if markers, err = h.Engine.Revoker.Markers(ctx); err != nil {
			return nil, fmt.Errorf("explain: reading the suspension markers (RAM ListUsers) failed: %w", err)
		}
	}
	now := time.Now()
	if h.Engine.Now != nil {
		now = h.Engine.Now()
	}
	plan := provision.Compute(provision.Input{Desired: w.Desired, Frozen: w.Frozen, Rejected: w.Rejected, Actual: actual,
		Markers: markers, AsOf: roster.AsOf, Now: now, Rules: h.Engine.Rules})

	var it *provision.Item
	for i := range plan.Items {
		if ids[plan.Items[i].ExternalID] {
			it = &plan.Items[i]
			break
		}
	}
	wantName := ""
	if v, ok := out.Mapped[provision.AttrUserName]; ok {
		wantName = v.Value
	}
	for i := range actual {
		u := &actual[i]
		if u.ExternalID != "" && ids[u.ExternalID] && out.ByExternalID == nil {
			out.ByExternalID = h.explainUser(u, markers)
		}
		if wantName != "" && strings.EqualFold(u.UserName, wantName) {
			out.ByUserName = h.explainUser(u, markers)
		}
	}
	if out.ByUserName == nil && it != nil && it.Holder != nil {
		out.ByUserName = h.explainUser(it.Holder, markers)
	}
	out.Decision = decision(it, usable != nil, plan)
	return out, nil
}

func (h *Handler) explainUser(u *scim.User, markers map[string]ramcred.Marker) *ExplainUser {
	eu := &ExplainUser{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, ExternalID: u.ExternalID, Owned: u.Owned(),
		Protected: h.Engine.Rules.IsProtected(u.UserName), Created: u.Meta.Created, LastModified: u.Meta.LastModified}
	if mk, ok := markers[provision.RAMName(u.UserName)]; ok {
		eu.Marker = mk.String()
	}
	return eu
}

func decision(it *provision.Item, inRoster bool, plan provision.Plan) ExplainDecision {
	if it == nil {
		if inRoster {
			return ExplainDecision{Action: provision.AlreadyAbsent, Rule: rules[provision.AlreadyAbsent],
				Reason: "terminated in the roster, and no RAM user carries this employee id"}
		}
		return ExplainDecision{Action: provision.AlreadyAbsent, Rule: rules[provision.AlreadyAbsent],
			Reason: "not in the roster, and no RAM user carries this employee id"}
	}
	d := ExplainDecision{Action: it.Action, UserName: it.UserName, ID: it.ID(), Reason: it.Reason, Rule: rules[it.Action],
		Diff: it.Diff, Warnings: it.Warnings}
	if it.Action.Removal() && d.Reason == "" {
		d.Reason = "no active record of this employee in the roster: a leaver"
	}
	if it.Action.Removal() && plan.Brakes.Fired {
		d.Brakes = "held: " + plan.Brakes.Reason
		d.Approval = plan.Approval
	}
	return d
}

// mapped shows each attribute's value and the template that made it.
func mapped(m *provision.Mapping, e hr.Employee) map[string]MappedValue {
	out := map[string]MappedValue{}
	source := m.Source()
	if source == "" {
		source = "ramsync's own format"
	}
	from := func(attr string) (string, string) {
		t, custom := m.Template(attr)
		if custom {
			return t, "MAPPING"
		}
		if t == "" {
			return "", "the record's status"
		}
		return t, "default for " + source
	}
	d, err := m.Map(e)
	vals := map[string]string{provision.AttrExternalID: d.ExternalID, provision.AttrUserName: d.UserName, provision.AttrDisplayName: d.DisplayName}
	for attr, v := range vals {
		t, f := from(attr)
		mv := MappedValue{Value: v, Template: t, From: f}
		if err != nil {
			mv.Value = ""
		}
		out[attr] = mv
	}
	if err != nil {
		out["error"] = MappedValue{Value: err.Error(), From: "the mapping"}
	}
	st, serr := m.Status(e)
	t, f := from(provision.AttrStatus)
	out[provision.AttrStatus] = MappedValue{Value: string(st), Template: t, From: f}
	if serr != nil {
		out[provision.AttrStatus] = MappedValue{Value: serr.Error(), Template: t, From: f}
	}
	return out
}

// fieldsOf is the record's fields, or its standard ones when the loader
// kept no others.
func fieldsOf(e hr.Employee) map[string]any {
	if len(e.Fields) > 0 {
		return e.Fields
	}
	return map[string]any{"id": e.ID, "email": e.Email, "displayName": e.DisplayName, "status": string(e.Status)}
}
