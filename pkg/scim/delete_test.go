package scim_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/scim"
)

// A DELETE that RAM applied but whose answer was lost is retried; the
// retry's 404 is that very delete, not "already gone" (found by the fault
// suite: terminations answered "already absent" on their first delivery).
func TestDeleteWhoseAnswerWasLostIsADelete(t *testing.T) {
	tests := []struct {
		name   string
		faults []cloudtest.FaultKind
	}{
		{"500 after processing", []cloudtest.FaultKind{cloudtest.ErrorAfter}},
		{"dropped after processing", []cloudtest.FaultKind{cloudtest.DropAfter}},
		{"lost, then throttled", []cloudtest.FaultKind{cloudtest.ErrorAfter, cloudtest.Throttle}},
		{"refused before processing", []cloudtest.FaultKind{cloudtest.Error5xx}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, cloudtest.Options{})
			warm(t, s)
			u := s.Server.SeedUser(cloudtest.User{ExternalID: "E1", UserName: "a", DisplayName: "A"})
			for _, k := range tt.faults {
				s.Server.FailNext(cloudtest.SCIM, 1, k)
			}
			if err := s.SCIM.Delete(context.Background(), u.ID); err != nil {
				t.Fatalf("err = %v, want success: this call deleted the user", err)
			}
			if _, ok := s.Server.User(u.ID); ok {
				t.Error("the user is still there")
			}
			if n := s.Server.Counters()["scim.delete"]; n != int64(len(tt.faults))+1 {
				t.Errorf("%d DELETE requests, want %d", n, len(tt.faults)+1)
			}
		})
	}
}

// Only an attempt that may have been applied turns a 404 into success: a
// user that was never there, or gone before the call, is still not found.
func TestDeleteOfAnAbsentUserIsNotFound(t *testing.T) {
	for _, faults := range [][]cloudtest.FaultKind{nil, {cloudtest.Throttle}} {
		t.Run(fmt.Sprint(faults), func(t *testing.T) {
			s := newStack(t, cloudtest.Options{})
			warm(t, s)
			for _, k := range faults {
				s.Server.FailNext(cloudtest.SCIM, 1, k)
			}
			if err := s.SCIM.Delete(context.Background(), "1234567890123456"); !errors.Is(err, scim.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
}
