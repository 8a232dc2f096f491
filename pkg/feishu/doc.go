// Package feishu makes Feishu/Lark a source of HR events and rosters for
// ramsync (SPEC §4.6): it opens the pushes a Feishu self-built app
// receives, turns the contact user events into hr.Events, and reads the
// directory as an hr.Roster. Nothing downstream knows which vendor spoke.
//
// # Pushes (the webhook's /feishu route)
//
// Feishu POSTs every subscribed event to the app's one request URL [EVT-SEND].
// ramsync requires an Encrypt Key, so a push is
//
//	X-Lark-Request-Timestamp: 1732956000          (Unix seconds)
//	X-Lark-Request-Nonce:     …
//	X-Lark-Signature:         hex SHA-256(timestamp + nonce + encryptKey + raw body)
//	{"encrypt": base64(IV[16] + AES-256-CBC(key = SHA-256(encryptKey), PKCS#7(event JSON)))}
//
// and [Open] checks it in that order: the signature over the raw bytes in
// constant time and the timestamp within the tolerance, then decryption
// with strict padding, then (inside) header.token against the Verification
// Token and header.app_id against the app id [EVT-RECV]. The URL check
// Feishu sends when the URL is saved ({"type": "url_verification"}) may
// come without signature headers; decrypting and its token are its proof,
// and the caller answers {"challenge": "…"} [EVT-SEND, EVT-FAQ]. An
// unsigned push that is not a valid URL check is refused with one fixed
// message, whatever failed, so that the route cannot serve as a padding
// oracle.
//
// What to answer: [*AuthError] 401, [*FormatError] 400, hr.ErrBodyTooLarge
// 413, any other error 500 (configuration); a Push with a Challenge, 200
// {"challenge"}; a Push with Events, the results of applying them (an event
// type ramsync ignores yields no events and is answered 200). Feishu
// retries a push not answered 200 within 3 seconds, at 15 s, 5 min, 1 h and
// 6 h [EVT-OVERVIEW]; events are idempotent, so a redelivery is harmless.
//
// # Events
//
// contact.user.created_v3 is a hire, contact.user.updated_v3 an update
// (a termination when status.is_resigned or is_exited, a suspension when
// status.is_frozen), contact.user.deleted_v3 a termination, which may carry
// the user_id alone [U-CREATED, U-UPDATED, U-DELETED]. The employee id is
// user_id (the app needs the contact:user.employee_id:readonly scope), the
// email enterprise_email or else email, the name name; Fields is the whole
// user object with JSON types kept (numbers json.Number, objects maps), so
// that a mapping such as
//
//	{{ .enterprise_email | default .email | localpart | lower }}
//
// works. is_activated and is_unjoin never affect the status.
//
// # Directory (the reconciler's feishu:// roster)
//
// A [Client] holds a tenant_access_token of the internal app (POST
// /open-apis/auth/v3/tenant_access_token/internal), cached per instance
// and renewed when under 30 minutes are left, when the platform issues a
// new one [TAT]. [Client.Roster] walks GET
// /open-apis/contact/v3/departments/:id/children with fetch_child=true
// from "0" (or a given open_department_id), 50 a page, then GET
// /open-apis/contact/v3/users/find_by_department for that department and
// each one found, 50 a page, keeping one record per user_id
// [DEPT-CHILDREN, FIND-BY-DEPT, CONTACT-FAQ]. It sends at most 50
// requests a second to each API, waits for x-ogw-ratelimit-reset on a 429
// or code 99991400 [RATE], retries 5xx and network errors with jittered
// backoff, and aborts the whole pull on any call that still fails: never
// a partial roster.
//
// The app needs the directory data range "all members" (通讯录权限范围) and
// the scopes contact:contact.base:readonly, contact:user.base:readonly,
// contact:user.email:readonly, contact:user.employee_id:readonly,
// contact:user.employee:readonly and contact:user.department:readonly.
//
// # Sources
//
// Facts, with their tags, are in shared/hr-sources/feishu.md. The pages:
//
//   - EVT-OVERVIEW https://open.feishu.cn/document/ukTMukTMukTM/uUTNz4SN1MjL1UzM
//   - EVT-SEND https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/choose-a-subscription-mode/send-notifications-to-developers-server
//   - EVT-RECV https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/encrypt-key-encryption-configuration-case
//   - EVT-FAQ https://open.larkoffice.com/document/uAjLw4CM/ukTMukTMukTM/event-subscription-guide/event-subscriptions/faq.md
//   - U-CREATED, U-UPDATED, U-DELETED https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/user/events/created (…/updated, …/deleted)
//   - FIND-BY-DEPT https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/user/find_by_department
//   - DEPT-CHILDREN https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/department/children
//   - CONTACT-FAQ https://open.feishu.cn/document/ugTN1YjL4UTN24CO1UjN/uQzN1YjL0cTN24CN3UjN
//   - TAT https://open.feishu.cn/document/ukTMukTMukTM/ukDNz4SO0MjL5QzM/auth-v3/auth/tenant_access_token_internal
//   - RATE https://open.feishu.cn/document/ukTMukTMukTM/uUzN04SN3QjL1cDN
//
// The crypto is tested against the vector the EVT-RECV page publishes and
// against the official Go SDK, github.com/larksuite/oapi-sdk-go/v3
// v3.4.22 (tests only); the directory client against pkg/cloudtest's
// Feishu double.
package feishu
