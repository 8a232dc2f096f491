package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ramsync/ramsync/pkg/alert"
	"github.com/ramsync/ramsync/pkg/fcrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

func TestInvocationAlerts(t *testing.T) {
	hire := fcrun.HTTPEvent{Body: `{"id":"e1","type":"employee.hired","employee":{"id":"E1","email":"a@b.c"}}`}
	batch := fcrun.HTTPEvent{Body: base64.StdEncoding.EncodeToString([]byte(`{"events":[{"employee":{"id":"E1"}},{"employee":{"id":1002}}]}`)), IsBase64Encoded: true}
	res := func(action provision.Action, ext, name string) result {
		return result{Result: provision.Result{Action: action, ExternalID: ext, UserName: name}}
	}
	failed := func(ext, code string) result {
		return result{Result: provision.Result{ExternalID: ext}, Status: http.StatusServiceUnavailable, Error: &apiError{Code: code, Message: "x"}}
	}
	misconfigured := fcrun.HTTPResponse{StatusCode: 503, Body: `{"error":{"code":"misconfigured","message":"x"}}`}
	tests := []struct {
		name    string
		req     fcrun.HTTPEvent
		results []result
		resp    fcrun.HTTPResponse
		want    string // kinds and names
	}{
		{"created", hire, []result{res(provision.Create, "E1", "a")}, fcrun.HTTPResponse{StatusCode: 200}, "[]"},
		{"blocked", hire, []result{res(provision.Blocked, "E1", "a"), res(provision.Blocked, "E2", "")}, fcrun.HTTPResponse{StatusCode: 200}, "[leaver blocked a,E2]"},
		{"failed", hire, []result{failed("E1", "unavailable")}, fcrun.HTTPResponse{StatusCode: 503, Body: `{"error":{"code":"unavailable","message":"x"}}`}, "[failed E1]"},
		{"mixed", batch, []result{failed("E1", "internal"), res(provision.Blocked, "1002", "b"), res(provision.Update, "E3", "c")}, fcrun.HTTPResponse{StatusCode: 200}, "[leaver blocked b failed E1]"},
		{"refusals are not alerts", hire, []result{{Result: provision.Result{ExternalID: "E1"}, Status: 409, Error: &apiError{Code: "conflict"}}}, fcrun.HTTPResponse{StatusCode: 409}, "[]"},
		{"key unreadable, single", hire, nil, misconfigured, "[failed E1]"},
		{"key unreadable, batch", batch, nil, fcrun.HTTPResponse{StatusCode: 503, IsBase64Encoded: true,
			Body: base64.StdEncoding.EncodeToString([]byte(`{"error":{"code":"misconfigured","message":"x"}}`))}, "[failed E1,1002]"},
		{"key unreadable, vendor push", fcrun.HTTPEvent{Body: `{"encrypt":"…"}`}, nil, misconfigured, "[failed (an event)]"},
		{"bad signature is not an alert", hire, nil, fcrun.HTTPResponse{StatusCode: 401, Body: `{"error":{"code":"unauthorized","message":"x"}}`}, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, s := withSeen(context.Background())
			(&Handler{}).observe(ctx, tt.results)
			var got []string
			msgs := invocationAlerts(s, tt.req, tt.resp)
			for _, m := range msgs {
				got = append(got, string(m.Kind)+" "+strings.Join(m.Names, ","))
			}
			if g := fmt.Sprint(got); g != tt.want {
				t.Errorf("%s, want %s", g, tt.want)
			}
			if strings.HasPrefix(tt.name, "key unreadable") && (len(msgs) != 1 || msgs[0].Kind != alert.KindFailed || !strings.Contains(msgs[0].Text(), "WEBHOOK_SECRET_NAME")) {
				t.Errorf("misconfigured: %+v", msgs)
			}
		})
	}
	// Without a collector (the handler's own tests), observe does nothing.
	(&Handler{}).observe(context.Background(), []result{res(provision.Blocked, "E1", "a")})
}
