package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/cloudtest/fcruntime"
	"github.com/ramsync/ramsync/pkg/localrun"
	"github.com/ramsync/ramsync/pkg/provision"
)

func emp(id, email, name string) map[string]any {
	return map[string]any{"id": id, "email": email, "displayName": name, "status": "active"}
}

func TestReconcilerDryRunThenRealRun(t *testing.T) {
	l := start(t, localrun.Options{FuncEnv: map[string]map[string]string{"reconciler": {
		"PROTECTED_USERS": "root.ops", "MAX_DELETE_PERCENT": "50", "DRY_RUN": "true"}}})
	old := time.Now().Add(-72 * time.Hour)
	seed := func(ext, name, display string, created time.Time) {
		l.Cloud.SeedUser(cloudtest.User{ExternalID: ext, UserName: name, DisplayName: display, Created: created, LastModified: created})
	}
	seed("E1", "li.wei", "Li Wei", old)        // unchanged
	seed("E2", "zhang.san", "Zhang San", old)  // drifted display name
	seed("E3", "stray", "Stray", old)          // owned, gone from HR
	seed("", "breakglass", "Break Glass", old) // unowned admin
	seed("E9", "root.ops", "Root", old)        // protected
	if err := l.WriteRoster(time.Now().Add(-time.Hour), []map[string]any{
		emp("E1", "li.wei@example.com", "Li Wei"), emp("E2", "zhang.san@example.com", "Zhang San (Ops)"),
		emp("E4", "wang.wu@example.com", "Wang Wu"),
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	raw, _, err := l.Reconcile(ctx, `{}`) // DRY_RUN=true in the environment
	if err != nil {
		t.Fatal(err)
	}
	var rep provision.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	c := rep.Counts
	if !rep.DryRun || c.Create != 1 || c.Update != 1 || c.Delete != 1 || c.Unchanged != 1 || c.Protected != 1 {
		t.Fatalf("dry run report: %+v", rep)
	}
	if n := l.Cloud.Counters().SCIMWrites(); n != 0 {
		t.Fatalf("the dry run made %d writes", n)
	}

	raw, _, err = l.Reconcile(ctx, `{"dryRun": false}`) // the timer payload overrides it
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.DryRun || rep.Counts.Create != 1 || rep.Counts.Update != 1 || rep.Counts.Delete != 1 || rep.SCIMCalls.ByOp["list"] != 1 {
		t.Fatalf("real run report: %+v", rep)
	}
	u := users(l.Cloud)
	for _, name := range []string{"li.wei", "zhang.san", "wang.wu", "breakglass", "root.ops"} {
		if _, ok := u[name]; !ok {
			t.Errorf("%s missing after the run", name)
		}
	}
	if _, ok := u["stray"]; ok || u["zhang.san"].DisplayName != "Zhang San (Ops)" {
		t.Errorf("users after the run: %+v", u)
	}
	// The report is also the function's log line.
	found := false
	for _, line := range l.Lines("reconciler", "stdout") {
		found = found || strings.Contains(line, `"msg":"reconcile report"`) && strings.Contains(line, `"runId":"1-`)
	}
	if !found {
		t.Error("no reconcile report in the logs")
	}
}

func TestReconcilerAbortsOnAnEmptyRosterThroughTheTimer(t *testing.T) {
	l := start(t, localrun.Options{})
	l.Cloud.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "li.wei", DisplayName: "Li Wei"})
	if err := l.WriteRoster(time.Now(), []map[string]any{}); err != nil {
		t.Fatal(err)
	}
	h := l.Runtime.FireTimer("reconciler", "nightly", "{}", fcruntime.AsyncOptions{MaxRetries: fcruntime.NoRetries})
	out, err := h.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if out.Destination != fcruntime.OnFailure || len(out.Attempts) != 1 {
		t.Fatalf("outcome %+v: an empty roster must fail the invocation (and alert through the failure destination)", out)
	}
	if msg := out.Attempts[0].Result.Err.Message; !strings.Contains(msg, "roster") {
		t.Errorf("error %q does not say why", msg)
	}
	if len(l.Cloud.Users()) != 1 || l.Cloud.Counters().SCIMWrites() != 0 {
		t.Error("an aborted run touched RAM")
	}
}
