package provision

import (
	"context"
	"log/slog"
	"time"

	"github.com/ramsync/ramsync/pkg/ramcred"
	"github.com/ramsync/ramsync/pkg/scim"
)

// Directory is what provisioning needs of RAM's SCIM service.
// *scim.Client implements it.
type Directory interface {
	List(ctx context.Context) ([]scim.User, error)
	FindByExternalID(ctx context.Context, externalID string) (scim.User, bool, error)
	FindByUserName(ctx context.Context, userName string) (scim.User, bool, error)
	Get(ctx context.Context, id string) (scim.User, error)
	Create(ctx context.Context, u scim.User) (scim.User, error)
	Replace(ctx context.Context, u scim.User) (scim.User, error)
	Delete(ctx context.Context, id string) error
}

// Revoker is what offboarding needs of the RAM OpenAPI. *ramcred.Client
// implements it.
type Revoker interface {
	// Blockers reads what the user has that blocks its deletion.
	Blockers(ctx context.Context, userName string) (ramcred.Blockers, error)
	// Revoke clears all of it, AccessKeys first, and returns the steps
	// taken (also when it fails part way).
	Revoke(ctx context.Context, userName string) ([]ramcred.Step, error)
	// Suspend sets the user's Active AccessKeys Inactive, then its login
	// profile, then writes the marker with time at (rule 5b). userID is
	// the user's id (SCIM id = RAM UserId), "" if unknown.
	Suspend(ctx context.Context, userName, userID string, at time.Time) (ramcred.Marker, []ramcred.Step, error)
	// Resume sets the marker's keys and the login profile Active again
	// and clears the marker (rule 5c); userID as for Suspend.
	Resume(ctx context.Context, userName, userID string, m ramcred.Marker) ([]ramcred.Step, error)
	// User reads the user's RAM record (its Comments carry the marker).
	User(ctx context.Context, userName string) (ramcred.UserInfo, error)
	// Markers lists every suspension marker, by lower-cased RAM user name.
	Markers(ctx context.Context) (map[string]ramcred.Marker, error)
}

// Engine applies ramsync's rules to a directory. The zero value is not
// usable: set Dir and Mapping at least. An Engine is a value; copy it to
// change a setting for one run.
type Engine struct {
	Dir Directory
	// Revoker clears or detects a leaver's delete blockers. Nil means no
	// RAM OpenAPI: deletes go straight to SCIM, and a refusal is reported
	// as blocked without the list.
	Revoker Revoker
	Mapping *Mapping
	Rules   Rules
	// Cleanup revokes a leaver's credentials and memberships before the
	// delete (OFFBOARD_CLEANUP); without it they are only detected and
	// the user is reported blocked.
	Cleanup bool
	// DryRun decides and reports but writes nothing.
	DryRun bool
	// Approve is an operator's approval of held removals for one run
	// ({"approve": "<hash>"}, rule 6); empty normally.
	Approve string
	// Concurrency is the number of writes in flight during Apply (0 = 4).
	Concurrency int
	// Margin is how close to the context's deadline Apply stops starting
	// operations (0 = 5 s).
	Margin time.Duration
	// Log receives one line per operation. Nil discards.
	Log *slog.Logger
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

func (e *Engine) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// Result is what happened to one employee: a webhook answer's per-event
// result, an offboarding result and a report entry all carry it.
type Result struct {
	Action     Action `json:"action"`
	ExternalID string `json:"externalId"`
	UserName   string `json:"userName,omitempty"`
	ID         string `json:"id,omitempty"`
	// Reason explains every action but the plain writes and unchanged.
	Reason string `json:"reason,omitempty"`
	// Blockers lists what still blocks the delete (blocked).
	Blockers []string `json:"blockers,omitempty"`
	// Steps are what the RAM OpenAPI did: the suspension, resume or
	// cleanup.
	Steps []ramcred.Step `json:"steps,omitempty"`
	// Warnings are adjustments the mapping made.
	Warnings []string `json:"warnings,omitempty"`
}
