package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/scim"
)

// users is a directory that only lists: explain writes nothing.
type users []scim.User

func (u users) List(context.Context) ([]scim.User, error) { return u, nil }
func (users) FindByExternalID(context.Context, string) (scim.User, bool, error) {
	return scim.User{}, false, errors.New("explain must not look up")
}
func (users) FindByUserName(context.Context, string) (scim.User, bool, error) {
	return scim.User{}, false, errors.New("explain must not look up")
}
func (users) Get(context.Context, string) (scim.User, error) { return scim.User{}, errors.New("no") }
func (users) Create(context.Context, scim.User) (scim.User, error) {
	return scim.User{}, errors.New("explain must not write")
}
func (users) Replace(context.Context, scim.User) (scim.User, error) {
	return scim.User{}, errors.New("explain must not write")
}
func (users) Delete(context.Context, string) error { return errors.New("explain must not write") }

type roster struct{ r *hr.Roster }

func (r roster) Load(context.Context, string) (*hr.Roster, error) { return r.r, nil }

func TestExplainDecisions(t *testing.T) {
	asOf := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	old := scim.Meta{Created: asOf.Add(-48 * time.Hour), LastModified: asOf.Add(-48 * time.Hour)}
	emp := func(id, email string) hr.Employee {
		return hr.Employee{ID: id, Email: email, DisplayName: id, Status: hr.StatusActive,
			Fields: map[string]any{"id": id, "email": email, "displayName": id, "title": "Engineer " + id}}
	}
	r := &hr.Roster{Format: hr.FormatJSON, AsOf: asOf, AsOfSource: hr.AsOfField, Employees: []hr.Employee{
		emp("E1", "li.wei@example.com"), emp("E2", "li.wei@example.com"), emp("E3", "zhang.san@example.com"),
	}, Problems: []hr.RecordError{{Record: 4, ID: "E4", Field: "email", Reason: "not a string"}}}
	var dir users
	for i := range 4 { // L0..L3 are leavers: 4 removals of 5 managed users fire the brakes
		dir = append(dir, scim.User{ID: fmt.Sprint(100 + i), ExternalID: fmt.Sprintf("L%d", i), UserName: fmt.Sprintf("l%d", i), DisplayName: "l", Meta: old})
	}
	dir = append(dir, scim.User{ID: "200", ExternalID: "E3", UserName: "zhang.san", DisplayName: "Old Name", Meta: old})
	m, err := provision.ParseMapping(`{"displayName": "{{ .title }}"}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Engine: provision.Engine{Dir: dir, Mapping: m, Rules: provision.Rules{MaxDeletes: 25, MaxDeletePercent: 10}, Now: func() time.Time { return asOf }},
		Roster: roster{r}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	tests := []struct {
		id, action, rule, reason string
		check                    func(t *testing.T, e *Explanation)
	}{
		{"E1", "conflict", "rule 3", `userName "li.wei" is wanted by 2 employees (E1, E2)`, func(t *testing.T, e *Explanation) {
			if dn := e.Mapped["displayName"]; dn.Value != "Engineer E1" || dn.From != "MAPPING" || dn.Template != "{{.title}}" {
				t.Errorf("displayName %+v", dn)
			}
			if un := e.Mapped["userName"]; un.From != "default for ramsync's own format" {
				t.Errorf("userName %+v", un)
			}
			if st := e.Mapped["status"]; st.Value != "active" || st.From != "the record's status" {
				t.Errorf("status %+v", st)
			}
		}},
		{"E3", "updated", "rule 4", "", func(t *testing.T, e *Explanation) {
			if e.ByExternalID == nil || e.ByExternalID.ID != "200" || e.ByUserName == nil || e.ByUserName.ID != "200" {
				t.Errorf("users %+v %+v", e.ByExternalID, e.ByUserName)
			}
		}},
		{"E4", "rejected", "rule 7a", "email: not a string", func(t *testing.T, e *Explanation) {
			if len(e.Problems) != 1 || len(e.Records) != 0 || e.Mapped != nil {
				t.Errorf("problems %q records %+v mapped %+v", e.Problems, e.Records, e.Mapped)
			}
		}},
		{"L2", "deleted", "rule 5", "no active record of this employee in the roster: a leaver", func(t *testing.T, e *Explanation) {
			if !strings.HasPrefix(e.Decision.Brakes, "held: deletion threshold exceeded") || len(e.Decision.Approval) != 32 {
				t.Errorf("brakes %q approval %q", e.Decision.Brakes, e.Decision.Approval)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			e, err := h.Explain(context.Background(), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			d := e.Decision
			if string(d.Action) != tt.action || !strings.HasPrefix(d.Rule, tt.rule) || (tt.reason != "" && !strings.Contains(d.Reason, tt.reason)) {
				t.Fatalf("decision %+v, want %s by %s (%s)", d, tt.action, tt.rule, tt.reason)
			}
			tt.check(t, e)
		})
	}

	// An unreadable roster is an error naming it; nothing is guessed.
	h.Roster = roster{&hr.Roster{}}
	if _, err := h.Explain(context.Background(), "E1"); err == nil || !strings.Contains(err.Error(), "no employees") {
		t.Errorf("empty roster: %v", err)
	}
}
