// Package hr is ramsync's view of the HR system: the employee record, the
// signed webhook the HR system calls, and the roster the nightly reconciler
// reads.
//
// # Employees
//
// An [Employee] is one HR record. Its ID is the identity key (it becomes the
// SCIM externalId of the RAM user and never changes); Email, DisplayName and
// Status are the fields ramsync itself understands; Fields holds every field
// of the record as given, for the mapping templates.
//
// # Webhook
//
// The HR system POSTs one event or a batch of up to [MaxBatch] events and signs
// the raw body with HMAC-SHA256 (RFC 2104) in the [SignatureHeader] header:
//
//	X-Ramsync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">
//
// A handler checks the signature over the raw bytes with [VerifySignature]
// before anything is parsed, then decodes the body with [DecodeWebhook]. The
// errors say what to answer:
//
//   - [ErrMissingSignature], [ErrMalformedSignature], [ErrStaleSignature],
//     [ErrSignatureMismatch]: 401, never retried with the same request.
//   - [ErrBodyTooLarge]: 413.
//   - [*DecodeError]: 400, the whole request is refused.
//   - [*EventError]: for a single event, 400 ([KindMalformed]) or 422
//     ([KindInvalidEmployee]); in a batch it is carried by its
//     [EventResult] and the other events still apply.
//
// The messages of these errors name the field (a JSON path such as
// events[3].employee.id) and are meant to be shown to the HR system. None of
// them ever contains a signing key or an expected MAC.
//
// # Roster
//
// A [Loader] reads the full list of employees from an https:// URL (with
// optional Bearer or Basic credentials, sent only to the URL's own origin)
// or a file:// URL: ramsync's JSON (an array or {"asOf", "employees"}), CSV
// with a header row, a Workday RaaS report, a BambooHR custom report or a
// SuccessFactors OData v2 export (every __next page), told apart by [Parse]
// unless [Loader.Format] names one. The Feishu and DingTalk directories are
// read by pkg/feishu and pkg/dingtalk into the same [Roster]. Records
// that cannot be read are reported in [Roster.Problems] and the others are
// kept; a roster that cannot be read at all, or that has no usable employee,
// is an error, so that the reconciler never takes "nobody" for an answer.
// [Roster.AsOf] is the time the roster describes (SPEC §3 rule 5a): users
// created or changed after it are never deleted on its word.
package hr
