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

// Outcome is the result of one operation on one employee, as the webhook
// and the offboarding function report it.
type Outcome string

// The outcomes.
const (
	OutcomeCreated       Outcome = "created"
	OutcomeUpdated       Outcome = "updated"
	OutcomeAdopted       Outcome = "adopted"
	OutcomeUnchanged     Outcome = "unchanged"
	OutcomeDeleted       Outcome = "deleted"
	OutcomeAlreadyAbsent Outcome = "already absent"
	OutcomeSkipped       Outcome = "skipped"
	OutcomeBlocked       Outcome = "blocked"
	OutcomeProtected     Outcome = "protected"
	OutcomeNotOwned      Outcome = "not owned"
	OutcomeDryRun        Outcome = "dry run"
	OutcomeConflict      Outcome = "conflict"
	OutcomeRejected      Outcome = "rejected"
)

// Result is what happened to one employee.
type Result struct {
	Outcome    Outcome `json:"action"`
	ExternalID string  `json:"externalId"`
	UserName   string  `json:"userName,omitempty"`
	ID         string  `json:"id,omitempty"`
	// Reason explains conflict, rejected, protected, not owned, skipped
	// and blocked.
	Reason string `json:"reason,omitempty"`
	// Blockers lists what still blocks the delete (blocked).
	Blockers []string `json:"blockers,omitempty"`
	// Steps are what offboarding revoked.
	Steps []ramcred.Step `json:"steps,omitempty"`
	// Warnings are adjustments the mapping made.
	Warnings []string `json:"warnings,omitempty"`
}
