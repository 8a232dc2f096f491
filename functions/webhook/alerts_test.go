package main

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/fcrun"
)

func TestAnswerAlerts(t *testing.T) {
	hire := fcrun.HTTPEvent{Body: `{"id":"e1","type":"employee.hired","employee":{"id":"E1","email":"a@b.c"}}`}
	batch := fcrun.HTTPEvent{Body: base64.StdEncoding.EncodeToString([]byte(`{"events":[{"employee":{"id":"E1"}},{"employee":{"id":1002}}]}`)), IsBase64Encoded: true}
	tests := []struct {
		name string
		req  fcrun.HTTPEvent
		resp fcrun.HTTPResponse
		want string // kinds and names
	}{
		{"created", hire, fcrun.HTTPResponse{StatusCode: 200, Body: `{"results":[{"action":"created","externalId":"E1","userName":"a"}]}`}, "[]"},
		{"blocked", hire, fcrun.HTTPResponse{StatusCode: 200, Body: `{"results":[{"action":"blocked","externalId":"E1","userName":"a"},{"action":"blocked","externalId":"E2"}]}`},
			"[leaver blocked a,E2]"},
		{"single failed", hire, fcrun.HTTPResponse{StatusCode: 503, Body: `{"error":{"code":"unavailable","message":"x"}}`}, "[failed E1]"},
		{"batch failed", batch, fcrun.HTTPResponse{StatusCode: 503, Body: `{"error":{"code":"misconfigured","message":"x"}}`}, "[failed E1,1002]"},
		{"batch mixed", batch, fcrun.HTTPResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString(
			[]byte(`{"results":[{"externalId":"E1","status":503,"error":{"code":"unavailable","message":"x"}},{"action":"blocked","externalId":"1002","userName":"b"}]}`)), IsBase64Encoded: true},
			"[leaver blocked b failed E1]"},
		{"refused requests are not alerts", hire, fcrun.HTTPResponse{StatusCode: 401, Body: `{"error":{"code":"unauthorized","message":"x"}}`}, "[]"},
		{"conflict is not an alert", hire, fcrun.HTTPResponse{StatusCode: 409, Body: `{"error":{"code":"conflict","message":"x"}}`}, "[]"},
		{"not JSON", hire, fcrun.HTTPResponse{StatusCode: 200, Body: `<html>`}, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range answerAlerts(tt.req, tt.resp) {
				got = append(got, string(m.Kind)+" "+strings.Join(m.Names, ","))
			}
			if s := fmt.Sprint(got); s != tt.want {
				t.Errorf("%s, want %s", s, tt.want)
			}
		})
	}
	m := answerAlerts(hire, fcrun.HTTPResponse{Body: `{"error":{"code":"misconfigured","message":"x"}}`})
	if len(m) != 1 || m[0].Kind != alert.KindFailed || !strings.Contains(m[0].Text(), "WEBHOOK_SECRET_NAME") {
		t.Errorf("misconfigured: %+v", m)
	}
}
