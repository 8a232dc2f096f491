package main

import (
	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/provision"
)

// The alerts of one offboarding invocation (SPEC §4.8), read from its
// result: a leaver blocked, a leaver that failed after retries.

// resultAlerts are the alerts Handle's result and error call for.
func resultAlerts(res any, err error) []alert.Message {
	var answers []Answer
	switch r := res.(type) {
	case Answer:
		answers = []Answer{r}
	case Response:
		answers = r.Results
	}
	var blocked, failed []string
	for _, a := range answers {
		name := a.UserName
		if name == "" {
			name = a.ExternalID
		}
		switch {
		case a.Action == provision.Blocked:
			blocked = append(blocked, name)
		case a.Error != "":
			failed = append(failed, name)
		}
	}
	var msgs []alert.Message
	if len(blocked) > 0 {
		msgs = append(msgs, alert.BlockedMessage(blocked))
	}
	if err != nil {
		m := alert.FailedMessage("Offboarding", nil)
		m.Summary = "Offboarding failed after retries; Function Compute retries the event, then sends it to the failure destination: " + err.Error()
		msgs = append(msgs, m)
	}
	if len(failed) > 0 {
		msgs = append(msgs, alert.FailedMessage("Offboarding", failed))
	}
	return msgs
}
