package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/provision"
)

func TestResultAlerts(t *testing.T) {
	blocked := Answer{Result: provision.Result{Action: provision.Blocked, ExternalID: "E1", UserName: "one"}}
	failed := Answer{Result: provision.Result{ExternalID: "E2"}, Error: "auth: 401 invalid_client"}
	tests := []struct {
		name string
		res  any
		err  error
		want string
	}{
		{"deleted", Answer{Result: provision.Result{Action: provision.Delete, ExternalID: "E1"}}, nil, "[]"},
		{"blocked", blocked, nil, "[leaver blocked one]"},
		{"batch", Response{Results: []Answer{blocked, failed}}, nil, "[leaver blocked one failed E2]"},
		{"transient", nil, errors.New(`offboarding failed for a reason worth retrying: employee "E3": scim: 503`), "[failed ]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range resultAlerts(tt.res, tt.err) {
				got = append(got, string(m.Kind)+" "+strings.Join(m.Names, ","))
				if tt.err != nil && !strings.Contains(m.Text(), `employee "E3"`) {
					t.Errorf("the alert does not say what failed: %s", m.Text())
				}
			}
			if s := fmt.Sprint(got); s != tt.want {
				t.Errorf("%s, want %s", s, tt.want)
			}
		})
	}
}
