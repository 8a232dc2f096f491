// Package ramcred reads, suspends, resumes and revokes a RAM user's
// credentials and memberships through the RAM OpenAPI (2015-05-01) and,
// for console login on/off, the IMS API (2019-08-15), with the
// github.com/aliyun/alibaba-cloud-sdk-go ram and ims services.
//
// RAM refuses to delete a user (also through SCIM) while it has
// AccessKeys, attached policies, MFA or group memberships. [Client.Revoke]
// clears them in the order that cuts access first: every AccessKey is made
// Inactive before anything else, then deleted; then the console login
// profile, the MFA device, group memberships and policies. Every step is
// idempotent: it reads what is there and acts on that, and RAM's
// EntityNotExist answers count as "already done", so a run that failed part
// way is completed by the next one and no step runs twice to harm.
// [Client.Blockers] only reads.
//
// # Suspension
//
// [Client.Suspend] cuts access without removing anything (SPEC rules 5b,
// 5c; ALIYUN.md §6.1): Active AccessKeys become Inactive, then an Active
// console login profile becomes Inactive; last, the user's Comments become
// a [Marker], "ramsync:suspended:<time>:<ids>", naming the keys it
// deactivated. [Client.Resume] reactivates exactly those keys and the
// login, and writes [ClearedComments]. [Client.Markers] lists every user's
// marker (RAM ListUsers); [Client.User] reads one user.
//
// IMS names users by logon name (UserPrincipalName), which the client
// finds with IMS GetUser by the user's id: the one the caller passes (the
// SCIM id is RAM's UserId), else RAM GetUser's. IMS answers at
// [DefaultIMSEndpoint]; [Config].IMSEndpoint overrides it, and when empty
// with a non-default Endpoint the IMS calls go to Endpoint too (the test
// double in pkg/cloudtest serves both APIs on one host, told apart by
// their Version).
//
// The actions called, as RAM policy actions (IMS actions are authorised
// as ram:<Action> too): ram:ListAccessKeys, ram:UpdateAccessKey,
// ram:DeleteAccessKey, ram:GetLoginProfile, ram:DeleteLoginProfile,
// ram:UpdateLoginProfile, ram:GetUserMFAInfo, ram:UnbindMFADevice,
// ram:ListGroupsForUser, ram:RemoveUserFromGroup, ram:ListPoliciesForUser,
// ram:DetachPolicyFromUser, ram:GetUser, ram:UpdateUser, ram:ListUsers.
//
// The client signs with the function role's STS credentials (the SDK's
// environment provider drops the security token, so they are passed
// explicitly) and rebuilds itself when they change. Throttling, 5xx and
// connection failures are retried with backoff; the SDK does not.
package ramcred
