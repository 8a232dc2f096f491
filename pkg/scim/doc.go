// Package scim is a client for the SCIM 2.0 API that Alibaba Cloud RAM
// offers for user provisioning (https://scim.aliyun.com).
//
// RAM's SCIM service is a small subset of RFC 7643/7644
// (https://www.rfc-editor.org/rfc/rfc7643, https://www.rfc-editor.org/rfc/rfc7644),
// documented at https://help.aliyun.com/document_detail/162674.html:
//
//   - Users only, with four attributes: id, externalId, userName, displayName.
//     No groups, no active flag, no documented PATCH.
//   - Filters: only eq on id, userName and externalId, joined by and.
//   - Paging is undocumented; the documented list shows itemsPerPage 30.
//   - No documented error format, status codes or rate limits.
//
// The [Client] covers exactly that: create, get, find by filter, list all
// (following startIndex/count/totalResults over every page, whatever page
// size the server picks), replace (PUT) and delete. Around each call it adds
// what a provisioning tool needs from an API like this:
//
//   - typed errors ([*Error], matched with errors.Is against [ErrNotFound],
//     [ErrConflict], [ErrUnauthorized], [ErrThrottled], [ErrInvalid],
//     [ErrServer], [ErrNetwork]), readable with or without an error body;
//   - retries with exponential backoff and full jitter on 429, 5xx and
//     network errors, honouring Retry-After, bounded in attempts and by the
//     context deadline;
//   - a create whose outcome is unknown (the connection dropped, or a 5xx
//     after the request was sent) is not sent again until a lookup by
//     externalId shows the user is absent, so a retry never makes a duplicate;
//   - a 401 drops the bearer token ([TokenSource.Invalidate]) and retries once;
//   - a client-side rate limit ([WithRateLimit]);
//   - counters of every HTTP request by operation and outcome ([Client.Counts]).
//
// The bearer token comes from a [TokenSource]; package auth provides one for
// Alibaba's OAuth client-credentials flow.
package scim
