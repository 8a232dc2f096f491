package provision_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
	"github.com/ramsync/ramsync/pkg/secrets"
	"github.com/ramsync/ramsync/pkg/stacktest"
)

// TestReconcileHRISExports reconciles each HR system's export, as the
// vendor serves it (over HTTPS with Basic auth, SuccessFactors in several
// __next pages), to exactly the right RAM users with the real SCIM and RAM
// clients (issue 13): actives created or kept, terminated ones deleted, an
// unowned admin untouched. A failing __next page aborts with zero writes.
func TestReconcileHRISExports(t *testing.T) {
	var workers []cloudtest.Worker
	for i := range 30 {
		workers = append(workers, cloudtest.Worker{ID: fmt.Sprintf("W%03d", i), FirstName: "First", LastName: fmt.Sprintf("Last%d", i),
			Email: fmt.Sprintf("First.Last%d@acme.example", i), Terminated: i%5 == 0, Department: "R&D"})
	}
	h := cloudtest.NewHRIS(cloudtest.HRISOptions{Username: "isu", Password: "pw", PageSize: 7, Workers: workers})
	defer h.Close()
	cred := secrets.NewValue("Basic " + base64.StdEncoding.EncodeToString([]byte("isu:pw")))

	for _, tt := range []struct {
		format, url, mapping string
	}{
		{hr.FormatWorkday, h.WorkdayURL, `{"status": "{{ if .Termination_Date }}terminated{{ else }}active{{ end }}"}`},
		{hr.FormatBambooHR, h.BambooHRURL, ""},
		{hr.FormatSuccessFactors, h.SuccessFactorsURL, ""},
	} {
		t.Run(tt.format, func(t *testing.T) {
			srv := cloudtest.NewServer(cloudtest.Options{})
			defer srv.Close()
			s, err := stacktest.New(srv)
			if err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-48 * time.Hour)
			srv.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin", Created: old, LastModified: old})
			// A leaver who already has a user, and an active one renamed in HR.
			srv.SeedUser(cloudtest.User{ExternalID: "W005", UserName: "first.last5", DisplayName: "First Last5", Created: old, LastModified: old})
			srv.SeedUser(cloudtest.User{ExternalID: "W001", UserName: "old.name", DisplayName: "Old", Created: old, LastModified: old})
			m, err := provision.ParseMapping(tt.mapping, 0)
			if err != nil {
				t.Fatal(err)
			}
			e := s.Engine
			e.Mapping = m
			e.Rules.MaxDeletes, e.Rules.MaxDeletePercent = 100, 100
			loader := &hr.Loader{HTTPClient: h.Client(), Format: tt.format, StandardFieldsOnly: m.StandardFieldsOnly(),
				Credentials: func(context.Context) (secrets.Value, error) { return cred, nil }}
			rep, err := e.Reconcile(context.Background(), "run", func(ctx context.Context) (*hr.Roster, error) { return loader.Load(ctx, tt.url) })
			if err != nil {
				t.Fatalf("reconcile: %v (%s)", err, rep.Aborted)
			}
			if rep.Roster.Format != tt.format || rep.Counts.Rejected != 0 {
				t.Fatalf("roster %+v counts %+v rejections %+v", rep.Roster, rep.Counts, rep.Rejections)
			}
			var got, want []string
			for _, u := range srv.Users() {
				got = append(got, u.ExternalID+"="+u.UserName)
			}
			want = append(want, "=admin")
			for i, w := range workers {
				if !w.Terminated {
					want = append(want, fmt.Sprintf("%s=first.last%d", w.ID, i))
				}
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("RAM users:\n got %v\nwant %v", got, want)
			}
		})
	}

	t.Run("a failing __next page aborts with zero writes", func(t *testing.T) {
		srv := cloudtest.NewServer(cloudtest.Options{})
		defer srv.Close()
		s, err := stacktest.New(srv)
		if err != nil {
			t.Fatal(err)
		}
		h.FailPage(3)
		defer h.FailPage(0)
		loader := &hr.Loader{HTTPClient: h.Client(), Credentials: func(context.Context) (secrets.Value, error) { return cred, nil }}
		rep, err := s.Engine.Reconcile(context.Background(), "run", func(ctx context.Context) (*hr.Roster, error) {
			return loader.Load(ctx, h.SuccessFactorsURL)
		})
		if err == nil || rep.Aborted == "" || srv.Counters().SCIMWrites() != 0 {
			t.Fatalf("err %v aborted %q writes %d", err, rep.Aborted, srv.Counters().SCIMWrites())
		}
	})
}
