package main

import (
	"strings"
	"testing"
)

func TestParseOverrides(t *testing.T) {
	tests := []struct {
		event string
		want  string // fmt of the overrides, or "!" + error text
	}{
		{``, "dry=<nil> max=<nil> pct=<nil>"},
		{`{"triggerTime":"2026-11-27T18:00:00Z","triggerName":"nightly","payload":""}`, "dry=<nil> max=<nil> pct=<nil>"},
		{`{"triggerTime":"2026-11-27T18:00:00Z","triggerName":"nightly","payload":"{}"}`, "dry=<nil> max=<nil> pct=<nil>"},
		{`{"triggerTime":"2026-11-27T18:00:00Z","triggerName":"nightly","payload":"{\"dryRun\":true,\"maxDeletes\":3,\"maxDeletePercent\":1.5}"}`, "dry=true max=3 pct=1.5"},
		{`{"dryRun": false}`, "dry=false max=<nil> pct=<nil>"},
		{`{"payload":"{\"dry_run\":true}"}`, `!unknown field "dry_run"`},
		{`{"payload":"{\"maxDeletes\":-1}"}`, "!maxDeletes must not be negative"},
		{`{"payload":"{\"maxDeletePercent\":101}"}`, "!maxDeletePercent must be between 0 and 100"},
		{`{"payload":3}`, "!payload: must be a string"},
		// A timer trigger without a payload, or with a label for one.
		{`{"triggerTime":"2026-11-27T18:00:00Z","triggerName":"nightly"}`, "dry=<nil> max=<nil> pct=<nil>"},
		{`{"triggerTime":"2022-07-29T10:02:58Z","triggerName":"TestTimer","payload":"TestPayload"}`, "dry=<nil> max=<nil> pct=<nil>"},
		{`{"payload":"{dryRun: true}"}`, "!payload: want"},
		// Not a label: settings in the wrong shape are refused, not ignored.
		{`{"triggerName":"t","payload":"dryRun: true"}`, "!is neither a JSON object of settings nor a plain label"},
		{`{"triggerName":"t","payload":"[{\"dryRun\":true}]"}`, "!is neither a JSON object"},
		{`{"triggerName":"t","payload":"\"{\\\"dryRun\\\":true}\""}`, "!is neither a JSON object"},
		{`{"triggerName":"t","payload":"maxdeletes 5"}`, "!is neither a JSON object"},
		{`{"triggerName":"t","payload":"` + strings.Repeat("x", 81) + `"}`, "!is neither a JSON object"},
		{`{"triggerName":"夜间同步","payload":"夜间同步"}`, "dry=<nil> max=<nil> pct=<nil>"},
		// Settings beside a timer's fields, or beside a payload, are refused.
		{`{"triggerName":"x","dryRun":true}`, `!unknown field "triggerName"`},
		{`{"triggerTime":"2026-11-27T18:00:00Z","maxDeletes":0}`, `!unknown field "triggerTime"`},
		{`{"payload":"","dryRun":true}`, "!not both"},
		{`{"approve": ""}`, "!approve must be a report's approval hash, not empty"},
		{`[1]`, "!not a JSON object"},
		{`{"preflight": true}`, "dry=<nil> max=<nil> pct=<nil>"},
		{`{"explain": "E1001"}`, "dry=<nil> max=<nil> pct=<nil>"},
		{`{"payload":"{\"explain\":\"E1001\"}"}`, "dry=<nil> max=<nil> pct=<nil>"},
		{`{"preflight": false}`, "!preflight must be true"},
		{`{"explain": " "}`, "!explain must be an employee id"},
		{`{"explain": "E1", "dryRun": true}`, "!explain and preflight each come alone"},
		{`{"explain": "E1", "preflight": true}`, "!explain and preflight each come alone"},
		{`{"preflight": true, "approve": "0123456789abcdef0123456789abcdef"}`, "!explain and preflight each come alone"},
	}
	for _, tt := range tests {
		ov, err := parseOverrides([]byte(tt.event))
		if strings.HasPrefix(tt.want, "!") {
			if err == nil || !strings.Contains(err.Error(), tt.want[1:]) {
				t.Errorf("%s: err = %v, want %q", tt.event, err, tt.want[1:])
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.event, err)
			continue
		}
		if got := ov.String(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.event, got, tt.want)
		}
	}

	// A label payload is kept for the log; approvals are read without
	// case or surrounding space, and any value is one (rule 6: one that
	// is not the plan's hash applies nothing).
	if ov, err := parseOverrides([]byte(`{"triggerName":"t","payload":"TestPayload"}`)); err != nil || ov.label != "TestPayload" {
		t.Errorf("label payload: %+v, %v", ov, err)
	}
	for in, want := range map[string]string{
		`{"approve": " 0123456789ABCDEF0123456789abcdef "}`: "0123456789abcdef0123456789abcdef",
		`{"approve": "not-a-hash"}`:                         "not-a-hash",
	} {
		if ov, err := parseOverrides([]byte(in)); err != nil || ov.Approve == nil || *ov.Approve != want {
			t.Errorf("%s: %v, %v; want approve %q", in, ov.Approve, err, want)
		}
	}
}
