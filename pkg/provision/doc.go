// Package provision is what ramsync decides and does: it maps HR records
// to RAM users, decides what each employee's user needs under the rules
// that protect the customer, carries the decisions out, and writes the
// run report.
//
// # One rulebook
//
// Every decision, on every path, is made by [Compute], a pure function of
// its [Input]: the reconciler gives it the whole roster and every RAM user;
// the webhook and the offboarding function give it one employee's event
// and the users looked up live for it ([Engine.ApplyEvent] builds that
// one-employee input). Where each rule lives (SPEC §3):
//
//   - ownership, exact: only users whose externalId is exactly the mapped
//     one are changed (newIndex; decideLive drops a lookup answered with
//     another externalId, rule 5e); unowned users only through
//     ADOPT_EXISTING (decide);
//   - PROTECTED_USERS, without case or @domain, on the mapped and the
//     current userName (Rules.IsProtected, decide, decideLeaver,
//     decideEventLeaver);
//   - conflicts and renames (decide; a PUT always carries userName,
//     displayName and externalId: replace);
//   - leavers: delete at once (LEAVER_GRACE 0) or suspend, then delete
//     after the grace, the reconciler only (decideLeaver); frozen
//     employees are suspended, never deleted (decideFrozen); resume of an
//     active record newer than the marker (decideSuspended);
//   - stale events and EVENT_MAX_AGE (tooOld, decideSuspended,
//     staleRemoval), fresh joiners against the roster's as-of time
//     (staleRemoval);
//   - the deletion brakes over suspensions and deletes, and the approval
//     hash of the removals they hold (brakes, approval);
//   - duplicated or unusable records rejected, their users kept (Desire).
//
// Results use one vocabulary, [Action], everywhere: a plan item's Action
// is what its write will produce, a [Result]'s what happened; webhook
// answers, offboarding results and report entries all carry it. [Status]
// only says how far a reconciler write got (done, failed, held, deferred,
// dry run).
//
// # Carrying decisions out
//
// [Engine.Apply] runs a plan's writes with bounded concurrency, each on its
// own, removals first, none held by the brakes, nothing in a dry run,
// nothing new near the deadline. A suspension and a resume go through the
// RAM OpenAPI ([Revoker]: AccessKeys first, then the login profile, then
// the marker in the user's Comments); a delete clears or detects the
// user's delete blockers (AccessKeys first), then SCIM DELETE. [Report]
// records a run.
//
// The package declares what it needs of SCIM ([Directory]) and of the RAM
// OpenAPI ([Revoker]); *scim.Client and *ramcred.Client provide them.
package provision
