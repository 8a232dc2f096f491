// Package secrets reads ramsync's secrets (the OAuth app secret, the webhook
// signing key, roster credentials) and keeps them from leaking.
//
// [Value] is a secret string that prints as REDACTED everywhere: fmt, slog,
// JSON. [Manager] reads values from KMS Secrets Manager through
// github.com/aliyun/aliyun-secretsmanager-client-go, caches them per
// instance (one KMS request per secret per hour, or per [Manager.Refresh]),
// signs with the function's STS credentials and rebuilds its client when
// those credentials change. [Static] serves fixed values for local runs.
package secrets
