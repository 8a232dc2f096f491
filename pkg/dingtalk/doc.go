// Package dingtalk makes DingTalk (钉钉) an HR source for ramsync: the HTTP
// push of an internal app's address-book events, and a pull of its whole
// directory for the reconciler (SPEC §4.6). It uses the standard library
// and golang.org/x/time/rate only: DingTalk publishes no importable Go
// crypto package and its OpenAPI SDK lacks the topapi calls
// (shared/hr-sources/dingtalk.md §5).
//
// # Push (the webhook's /dingtalk route)
//
//  1. ParseSecret reads the app's secret, {"appSecret", "aesKey", "token"}.
//  2. Open checks the query's signature (msg_signature, else signature):
//     hex SHA-1 of token, timestamp, nonce and the body's encrypt, sorted
//     and joined, compared in constant time; the timestamp (milliseconds)
//     within the tolerance; then decrypts: key = base64(aesKey + "="),
//     IV = its first 16 bytes, AES-256-CBC, PKCS#7 padding to 32 bytes,
//     plaintext = 16 random bytes, 4-byte big-endian length, message, app
//     key, which must be DINGTALK_APP_KEY. An *AuthError answers 401, a
//     *FormatError 400, a body over 1 MiB (hr.ErrBodyTooLarge) 413, and
//     none of them ever the "success" reply.
//  3. The Push lists one Ref per user id: user_add_org and
//     user_active_org hire, user_modify_org updates, user_leave_org
//     terminates; check_url sets CheckURL; other types carry nothing.
//  4. Client.Events fetches each hired or updated user
//     (topapi/v2/user/get) and returns hr events (Source "dingtalk"); a
//     leaver is its id alone, since DingTalk no longer knows it. A
//     transient failure (IsTransient) means answer 503 so that DingTalk
//     redelivers (after 10 s, then 30 s); a user gone for good is an
//     *EventsError beside the other events.
//  5. Reply is the answer, {"msg_signature", "timeStamp", "nonce",
//     "encrypt"} with "success" sealed for the app key, within DingTalk's
//     1.5 s.
//
// # Directory (the reconciler's dingtalk:// roster)
//
// Client.Roster walks the department tree from 1 (or a given department)
// with topapi/v2/department/listsubid and lists each department's own users
// with topapi/v2/user/list (cursor paged, 100 a page), keeping one record
// per userid. The access token (gettoken, 7200 s) is cached per Client,
// renewed ten minutes before it expires and once on errcode 40001, 40014 or
// 42001; it travels in the query string and never appears in an error or a
// log. Each API gets at most Config.RPS requests a second (20, a standard
// org's limit); 90018, 90002, 88, 15, -1, 5xx and network errors are
// retried a bounded number of times with backoff; any call that still
// fails aborts the pull, never returning a partial roster.
//
// # DingTalk's documentation
//
//   - Push crypto: https://open.dingtalk.com/document/development/callback-event-message-body-encryption-and-decryption
//   - HTTP push, reply and egress IPs: https://open.dingtalk.com/document/development/http-callback-overview
//   - Console settings (the app key suffix): https://open.dingtalk.com/document/development/configure-stream-push
//   - check_url: https://open.dingtalk.com/document/development/test-callback-url-events
//   - Retries of a failed push: https://open.dingtalk.com/document/development/obtain-the-event-list-of-failed-push-messages
//   - Events: https://open.dingtalk.com/document/development/enterprise-increases-employee-events,
//     https://open.dingtalk.com/document/development/address-book-user-change,
//     https://open.dingtalk.com/document/development/address-book-user-resignation,
//     https://open.dingtalk.com/document/development/user-activation-after-joining-the-enterprise
//   - Access token: https://open.dingtalk.com/document/development/obtain-orgapp-token
//   - User details: https://open.dingtalk.com/document/development/query-user-details
//   - Sub-departments: https://open.dingtalk.com/document/development/obtain-the-list-of-sub-department-ids
//   - Users of a department: https://open.dingtalk.com/document/development/queries-the-complete-information-of-a-department-user
//   - Throttling: https://open.dingtalk.com/document/development/how-to-process-api-throttling-on-the-dingtalk-server
//   - Error codes: https://open.dingtalk.com/document/development/server-api-error-codes-1
//
// The published test vectors are in testdata/vectors.json with their
// sources; pkg/cloudtest's DingTalk is the open platform these tests run
// against.
package dingtalk
