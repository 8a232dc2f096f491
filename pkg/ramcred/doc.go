// Package ramcred reads and revokes a RAM user's credentials and
// memberships through the RAM OpenAPI (2015-05-01), with the
// github.com/aliyun/alibaba-cloud-sdk-go ram service.
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
// The client signs with the function role's STS credentials (the SDK's
// environment provider drops the security token, so they are passed
// explicitly) and rebuilds itself when they change. Throttling, 5xx and
// connection failures are retried with backoff; the SDK does not.
package ramcred
