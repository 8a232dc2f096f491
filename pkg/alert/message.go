package alert

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is what an alert is about. A run or invocation posts at most one
// message per Kind ([Notifier.SendAll]).
type Kind string

// The kinds of alert SPEC §4.8 lists.
const (
	// KindBrakes: the deletion brakes held removals (rule 6).
	KindBrakes Kind = "brakes fired"
	// KindBlocked: a leaver could not be deleted (rule 5).
	KindBlocked Kind = "leaver blocked"
	// KindFailed: an event or a run failed after retries.
	KindFailed Kind = "failed"
	// KindRejected: a run rejected roster records.
	KindRejected Kind = "rejected records"
	// KindPreflight: a preflight check failed.
	KindPreflight Kind = "preflight failed"
	// KindTokenRefused: the token endpoint answered invalid_client.
	KindTokenRefused Kind = "token refused"
)

// titles are the first line of each kind's message.
var titles = map[Kind]string{
	KindBrakes:       "deletion brakes fired",
	KindBlocked:      "leaver blocked",
	KindFailed:       "failed after retries",
	KindRejected:     "records rejected",
	KindPreflight:    "preflight failed",
	KindTokenRefused: "token endpoint refused the app secret",
}

// MaxNames is how many names a message shows; the rest are counted.
const MaxNames = 10

// Message is one alert. Text renders it; no field may hold a secret.
type Message struct {
	Kind Kind
	// Function is the function that raised it ("reconciler", "webhook",
	// "offboarding"); RunID the run id or the invocation's request id.
	// Either may be empty.
	Function string
	RunID    string
	// Summary says what happened, in plain words.
	Summary string
	// Names are whom it is about (userNames, employee ids, check names):
	// only the first MaxNames are shown, then "and N more".
	Names []string
	// Total is how many it is about when Names lists only the first few
	// (a run's rejections); 0 means len(Names).
	Total int
	// Next is the exact next step, e.g. for the brakes:
	// s reconciler invoke -e '{"approve":"<hash>"}'.
	Next string
}

// Text is the message as the chat shows it:
//
//	ramsync reconciler: deletion brakes fired (run 1-6745a1b2-…)
//	<Summary>
//	Who: a, b, … and 5 more
//	Next: <Next>
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString("ramsync")
	if m.Function != "" {
		b.WriteString(" " + m.Function)
	}
	title := titles[m.Kind]
	if title == "" {
		title = string(m.Kind)
	}
	b.WriteString(": " + title)
	if m.RunID != "" {
		b.WriteString(" (run " + m.RunID + ")")
	}
	if m.Summary != "" {
		b.WriteString("\n" + m.Summary)
	}
	if len(m.Names) > 0 {
		b.WriteString("\nWho: " + Names(m.Names, m.Total))
	}
	if m.Next != "" {
		b.WriteString("\nNext: " + m.Next)
	}
	return b.String()
}

// Names shows the first MaxNames names, comma-separated, then
// "and N more": N counts the names not shown, up to total when total is
// more than len(names).
func Names(names []string, total int) string {
	total = max(total, len(names))
	shown := names[:min(len(names), MaxNames)]
	if total == len(shown) {
		return strings.Join(shown, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(shown, ", "), total-len(shown))
}

// plural is n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ApprovePayload is the reconciler payload that approves held removals.
func ApprovePayload(approval string) string {
	return `{"approve":"` + approval + `"}`
}

// BrakesMessage: the deletion brakes held the removals of held (userNames)
// for reason; approval is the report's approval hash.
func BrakesMessage(reason, approval string, held []string) Message {
	s := fmt.Sprintf("The deletion brakes held %s: %s. No removal was applied; creates, updates and resumes went ahead.",
		plural(len(held), "removal"), reason)
	next := "check the roster first (a partial export is the usual cause)."
	if approval != "" {
		next += " If these removals are right, approve exactly them: s reconciler invoke -e '" + ApprovePayload(approval) + "'"
	}
	return Message{Kind: KindBrakes, Summary: s, Names: held, Next: next}
}

// BlockedMessage: leavers (userNames) whose deletion RAM refused because
// of credentials or memberships ramsync could not clear.
func BlockedMessage(names []string) Message {
	return Message{Kind: KindBlocked,
		Summary: fmt.Sprintf("%s could not be removed: RAM still holds AccessKeys, policies, MFA or group memberships ramsync could not clear. Their access is not cut yet.",
			plural(len(names), "leaver")),
		Names: names,
		Next:  "read each one's blockers in the report (or the function's log); grant the missing RAM action to the function's role, or set OFFBOARD_CLEANUP=true, or clear them in the RAM console. The next run tries again.",
	}
}

// FailedMessage: what (an event, a run) failed after retries, for names.
func FailedMessage(what string, names []string) Message {
	return Message{Kind: KindFailed,
		Summary: what + " failed after retries.",
		Names:   names,
		Next:    "read the error in the function's log; if SCIM or the RAM OpenAPI was down, the next run (or FC's retry) repairs it; otherwise fix the cause it names.",
	}
}

// RejectedMessage: a run rejected count records; first are the first few
// (employee ids or record numbers).
func RejectedMessage(count int, first []string) Message {
	verb := "were"
	if count == 1 {
		verb = "was"
	}
	return Message{Kind: KindRejected,
		Summary: fmt.Sprintf("%s could not be mapped to a RAM user and %s skipped; the other records went ahead.",
			plural(count, "roster record"), verb),
		Names: first,
		Total: count,
		Next:  "read each rejection's reason in the report and fix the record in the HR system (or the MAPPING).",
	}
}

// PreflightMessage: the preflight checks that failed, each a line such as
// "secret ramsync/scim-app-secret: not readable (kms:GetSecretValue)".
func PreflightMessage(failed []string) Message {
	return Message{Kind: KindPreflight,
		Summary: plural(len(failed), "preflight check") + " failed.",
		Names:   failed,
		Next:    "fix what each check names, then run it again: s reconciler invoke -e '{\"preflight\":true}'",
	}
}

// TokenRefusedMessage: the token endpoint answered invalid_client for
// clientID even after the secret was read again.
func TokenRefusedMessage(clientID string) Message {
	return Message{Kind: KindTokenRefused,
		Summary: "The OAuth token endpoint refused the app secret (invalid_client) for application " + clientID +
			", also after reading the secret again. Nothing can be written to RAM until this is fixed.",
		Next: "put the application's current secret in the secret named by SCIM_SECRET_NAME (RAM console: the OAuth application's secrets), or check SCIM_CLIENT_ID.",
	}
}

// merge folds messages of one kind into one: the first non-empty
// Function and RunID, distinct summaries and next steps in order, the
// names without repeats, and the count of those not named.
func merge(ms []Message) Message {
	out := Message{Kind: ms[0].Kind}
	var sums, nexts []string
	seen := map[string]bool{}
	unlisted := 0 // counted in a Total but not named
	for _, m := range ms {
		unlisted += max(0, m.Total-len(m.Names))
		if out.Function == "" {
			out.Function = m.Function
		}
		if out.RunID == "" {
			out.RunID = m.RunID
		}
		if m.Summary != "" && !slices.Contains(sums, m.Summary) {
			sums = append(sums, m.Summary)
		}
		if m.Next != "" && !slices.Contains(nexts, m.Next) {
			nexts = append(nexts, m.Next)
		}
		for _, n := range m.Names {
			if !seen[n] {
				seen[n] = true
				out.Names = append(out.Names, n)
			}
		}
	}
	if unlisted > 0 {
		out.Total = len(out.Names) + unlisted
	}
	out.Summary = joinCapped(sums)
	out.Next = joinCapped(nexts)
	return out
}

// joinCapped joins up to five lines, then counts the rest.
func joinCapped(lines []string) string {
	const maxLines = 5
	if len(lines) <= maxLines {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:maxLines], "\n") + fmt.Sprintf("\n(and %d more)", len(lines)-maxLines)
}
