// Package provision is what ramsync decides and does: it maps HR records
// to RAM users, plans the difference between the roster and RAM, applies
// the plan under the rules that protect the customer, offboards leavers,
// and writes the run report.
//
// The rules (SPEC §3) are applied in one place, [Compute], a pure
// function of the wanted users and the actual ones, which the reconciler
// uses for a whole roster and the webhook ([Engine.ApplyEmployee]) for one
// employee looked up live:
//
//   - only users with an externalId are changed or deleted, unless
//     ADOPT_EXISTING links an unowned user with the employee's userName;
//   - PROTECTED_USERS are never created, changed or deleted;
//   - a userName held by someone else is a conflict, never overwritten;
//   - a rename keeps the RAM id, and a PUT always carries userName,
//     displayName and externalId;
//   - users created or changed after the roster's as-of time are not
//     deleted;
//   - the deletion brakes hold every delete when too many are planned;
//   - duplicated or unusable records are rejected, and their users kept.
//
// [Engine.Apply] carries the plan out with bounded concurrency, each
// write on its own, deletes first, nothing in a dry run, nothing new near
// the deadline. [Engine.Offboard] is the one way a user is deleted: found
// by externalId, its credentials revoked (AccessKeys first) or its delete
// blockers reported, then the SCIM DELETE. [Report] records a run.
//
// The package declares what it needs of SCIM ([Directory]) and of the RAM
// OpenAPI ([Revoker]); *scim.Client and *ramcred.Client provide them.
package provision
