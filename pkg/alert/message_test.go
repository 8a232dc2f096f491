package alert_test

import (
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/alert"
)

func TestNames(t *testing.T) {
	cases := []struct {
		names []string
		total int
		want  string
	}{
		{nil, 0, ""},
		{[]string{"a"}, 0, "a"},
		{names("u", 10), 0, "u01, u02, u03, u04, u05, u06, u07, u08, u09, u10"},
		{names("u", 11), 0, "u01, u02, u03, u04, u05, u06, u07, u08, u09, u10 and 1 more"},
		{names("u", 250), 0, "u01, u02, u03, u04, u05, u06, u07, u08, u09, u10 and 240 more"},
		{[]string{"a", "b"}, 7, "a, b and 5 more"},
		{names("u", 12), 20, "u01, u02, u03, u04, u05, u06, u07, u08, u09, u10 and 10 more"},
		{[]string{"a", "b"}, 1, "a, b"}, // a total below the names is ignored
	}
	for _, c := range cases {
		if got := alert.Names(c.names, c.total); got != c.want {
			t.Errorf("Names(%d names, %d) = %q, want %q", len(c.names), c.total, got, c.want)
		}
	}
}

// Each builder says what happened, for whom and what to do next, in a
// message of its own kind.
func TestBuilders(t *testing.T) {
	cases := []struct {
		m    alert.Message
		kind alert.Kind
		want []string
	}{
		{alert.BrakesMessage("deletion threshold exceeded: 30 planned removals > MAX_DELETES 25", "ab12cd", []string{"x", "y"}),
			alert.KindBrakes, []string{"deletion brakes fired", "held 2 removals", "MAX_DELETES 25", "No removal was applied",
				"Who: x, y", `Next: check the roster`, `s reconciler invoke -e '{"approve":"ab12cd"}'`}},
		{alert.BlockedMessage([]string{"chen.liu"}), alert.KindBlocked,
			[]string{"leaver blocked", "1 leaver could not be removed", "Who: chen.liu", "OFFBOARD_CLEANUP"}},
		{alert.FailedMessage("Event evt-8c1f", []string{"E1001"}), alert.KindFailed,
			[]string{"failed after retries", "Event evt-8c1f failed after retries.", "Who: E1001", "Next: read the error"}},
		{alert.RejectedMessage(1, []string{"E1009"}), alert.KindRejected,
			[]string{"records rejected", "1 roster record could not be mapped to a RAM user and was skipped", "Who: E1009", "MAPPING"}},
		{alert.PreflightMessage([]string{"secret ramsync/scim-app-secret: kms:GetSecretValue denied"}), alert.KindPreflight,
			[]string{"preflight failed", "1 preflight check failed.", "kms:GetSecretValue denied", `{"preflight":true}`}},
		{alert.TokenRefusedMessage("app-123"), alert.KindTokenRefused,
			[]string{"token endpoint refused the app secret", "invalid_client", "app-123", "SCIM_SECRET_NAME"}},
	}
	for _, c := range cases {
		if c.m.Kind != c.kind {
			t.Errorf("kind %q, want %q", c.m.Kind, c.kind)
		}
		text := c.m.Text()
		if !strings.HasPrefix(text, "ramsync: ") {
			t.Errorf("%s: the text does not start with \"ramsync: \":\n%s", c.kind, text)
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the text lacks %q:\n%s", c.kind, w, text)
			}
		}
	}
	// Without an approval hash, the brakes message asks for no approval.
	if text := alert.BrakesMessage("x", "", nil).Text(); strings.Contains(text, "approve") {
		t.Errorf("a brakes message without a hash offers an approval:\n%s", text)
	}
}

func TestText(t *testing.T) {
	m := alert.Message{Kind: alert.KindFailed, Function: "offboarding", RunID: "req-1", Summary: "S.", Names: []string{"a"}, Next: "N."}
	want := "ramsync offboarding: failed after retries (run req-1)\nS.\nWho: a\nNext: N."
	if got := m.Text(); got != want {
		t.Errorf("Text() =\n%s\nwant\n%s", got, want)
	}
	if got := (alert.Message{Kind: "custom"}).Text(); got != "ramsync: custom" {
		t.Errorf("a kind without a title: %q", got)
	}
}
