package provision_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s\nrun go test ./pkg/provision -update if the change is intended", name, diff)
	}
}

func TestReportGolden(t *testing.T) {
	s := newStack(t, cloudtest.Options{})
	asOf := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	old := asOf.Add(-30 * 24 * time.Hour)
	seed := func(ext, name, display string, created time.Time) {
		s.Server.SeedUser(cloudtest.User{ExternalID: ext, UserName: name, DisplayName: display, Created: created, LastModified: created})
	}
	seed("E1001", "li.wei", "Li Wei", old)             // unchanged
	seed("E1002", "zhang.san", "Zhang San", old)       // renamed
	seed("E1003", "wang.wu", "Wang Wu", old)           // leaver with credentials: revoked, deleted
	seed("E1004", "chen.liu", "Chen Liu", old)         // leaver, blocked below
	seed("E1005", "fresh.joiner", "Fresh", time.Now()) // created after asOf: kept
	seed("E1006", "root.ops", "Root Ops", old)         // protected leaver
	seed("", "breakglass", "Break Glass", old)         // unowned: never touched
	seed("", "sun.qi", "Sun Qi (console)", old)        // unowned, name wanted: adopted
	seed("", "zhao.ba", "Zhao Ba (console)", old)      // unowned, adoption refused below
	s.Server.SetRAM("wang.wu", cloudtest.Blockers{AccessKeys: []cloudtest.AccessKey{{ID: "LTAI5tWANGWU01", Status: "Active"}}, Groups: []string{"devs"}})
	s.Server.SetRAM("chen.liu", cloudtest.Blockers{MFASerial: "acs:ram::1:mfa/chen.liu"})
	s.Server.Intercept = func(svc cloudtest.Service, kind string, w http.ResponseWriter, r *http.Request) bool {
		// RAM refuses to unbind chen.liu's MFA, and to link zhao.ba.
		switch {
		case svc == cloudtest.RAM && kind == "UnbindMFADevice":
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"RequestId":"R-1","HostId":"ram","Code":"NoPermission","Message":"denied","Recommend":""}`))
			return true
		case svc == cloudtest.SCIM && kind == "replace" && strings.Contains(r.URL.Path, zhaoID(s.Server)):
			w.WriteHeader(http.StatusBadRequest)
			return true
		}
		return false
	}

	roster := []hr.Employee{
		{ID: "E1001", Email: "Li.Wei@example.com", DisplayName: "Li Wei", Status: hr.StatusActive},
		{ID: "E1002", Email: "zhang.san2@example.com", DisplayName: "Zhang San", Status: hr.StatusActive},
		{ID: "E1007", Email: "Maximilian.Featherstonehaugh@example.com", DisplayName: "Maximilian Alexander Featherstonehaugh", Status: hr.StatusActive},
		{ID: "E1008", Email: "breakglass@example.com", DisplayName: "Not Allowed", Status: hr.StatusActive},
		{ID: "E1009", Email: "bad+name@example.com", DisplayName: "Bad Name", Status: hr.StatusActive},
		{ID: "E1010", Email: "sun.qi@example.com", DisplayName: "Sun Qi", Status: hr.StatusActive},
		{ID: "E1011", Email: "zhao.ba@example.com", DisplayName: "Zhao Ba", Status: hr.StatusActive},
		{ID: "E1004", Email: "chen.liu@example.com", DisplayName: "Chen Liu", Status: hr.StatusTerminated},
	}
	clock := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	e := s.Engine
	e.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	e.Rules.AdoptExisting = true
	e.Rules.Protected = provision.ParseProtected("root.ops, breakglass")
	e.Rules.MaxDeletePercent = 100
	e.Concurrency = 1
	rep, err := e.Reconcile(context.Background(), "1-6745a1b2-0123456789abcdef01234567", func(context.Context) (*hr.Roster, error) {
		return &hr.Roster{Source: "https://hr.example.com/roster.json", Format: "json", AsOf: asOf, AsOfSource: hr.AsOfField,
			Employees: roster, Problems: []hr.RecordError{{Record: 9, ID: "E1012", Field: "status", Reason: `unknown status "retired" (want active or terminated)`}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.golden.json", normalize(t, s.Server, rep))
}

func zhaoID(srv *cloudtest.Server) string {
	u, _ := srv.UserByName("zhao.ba")
	return u.ID
}

// normalize replaces the double's random RAM ids with stable names.
func normalize(t *testing.T, srv *cloudtest.Server, rep *provision.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, u := range srv.Users() {
		out = strings.ReplaceAll(out, u.ID, "<id of "+u.UserName+">")
	}
	for _, c := range rep.Changes {
		if c.ID != "" && strings.Contains(out, c.ID) {
			out = strings.ReplaceAll(out, c.ID, "<id of deleted "+c.UserName+">")
		}
	}
	return []byte(out)
}
