package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/provision"
)

func TestReportAlerts(t *testing.T) {
	held := func(n int) []provision.Entry {
		var out []provision.Entry
		for i := range n {
			out = append(out, provision.Entry{Action: provision.Delete, UserName: fmt.Sprintf("u%02d", i), Status: provision.StatusHeld})
		}
		return out
	}
	var rejections []provision.Entry
	for i := range 12 {
		rejections = append(rejections, provision.Entry{Action: provision.Rejected, ExternalID: fmt.Sprintf("R%02d", i)})
	}
	rejections = append(rejections[:11], provision.Entry{Action: provision.Rejected, Record: "line 9"})
	tests := []struct {
		name string
		rep  *provision.Report
		want []alert.Kind
		has  []string // in the texts
	}{
		{"no report", nil, nil, nil},
		{"steady", &provision.Report{}, nil, nil},
		{"aborted", &provision.Report{Aborted: "the roster could not be read: roster: 404"}, []alert.Kind{alert.KindFailed},
			[]string{"aborted before planning; nothing was written: the roster could not be read: roster: 404", `{"preflight":true}`}},
		{"brakes", &provision.Report{Brakes: provision.Brakes{Fired: true, Reason: "12 planned removals > MAX_DELETES 10"}, Approval: "0123456789abcdef0123456789abcdef",
			LeftForNextRun: append(held(12), provision.Entry{Action: provision.Update, UserName: "late", Status: provision.StatusDeferred})},
			[]alert.Kind{alert.KindBrakes}, []string{"u00, u01", "and 2 more", `s reconciler invoke -e '{"approve":"0123456789abcdef0123456789abcdef"}'`, "12 planned removals"}},
		{"dry run", &provision.Report{DryRun: true, Rejections: rejections[:1]}, []alert.Kind{alert.KindRejected},
			[]string{"Dry run (DRY_RUN, or the payload's dryRun): nothing was written. 1 roster record could not be mapped"}},
		{"blocked, failed, rejected", &provision.Report{
			Changes:    []provision.Entry{{Action: provision.Blocked, UserName: "b.one"}, {Action: provision.Delete, UserName: "fine"}},
			Errors:     []provision.Entry{{Action: provision.Create, ExternalID: "E9", Status: provision.StatusFailed}},
			Rejections: rejections,
		}, []alert.Kind{alert.KindBlocked, alert.KindFailed, alert.KindRejected},
			[]string{"Who: b.one", "Who: E9", "12 roster records", "R00", "and 2 more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := reportAlerts(tt.rep)
			var kinds []alert.Kind
			var texts []string
			for _, m := range msgs {
				kinds = append(kinds, m.Kind)
				texts = append(texts, m.Text())
			}
			if fmt.Sprint(kinds) != fmt.Sprint(tt.want) {
				t.Errorf("kinds %v, want %v", kinds, tt.want)
			}
			all := strings.Join(texts, "\n")
			for _, h := range tt.has {
				if !strings.Contains(all, h) {
					t.Errorf("the alerts lack %q:\n%s", h, all)
				}
			}
			if strings.Contains(all, "late") || strings.Contains(all, "fine") {
				t.Errorf("an entry that is not held, blocked or failed is named:\n%s", all)
			}
		})
	}
}
