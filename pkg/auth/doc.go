// Package auth gets and caches the OAuth 2.0 access token that RAM's SCIM
// API wants, with the client-credentials grant (RFC 6749 §4.4,
// https://www.rfc-editor.org/rfc/rfc6749#section-4.4) against Alibaba
// Cloud's token endpoint (https://oauth.aliyun.com/v1/token).
//
// It uses golang.org/x/oauth2/clientcredentials with Alibaba's quirks:
//
//   - client authentication by HTTP Basic, with AuthStyle set explicitly so a
//     failure costs one request, not two (x/oauth2's auto-detection retries
//     with the other style);
//   - client_id also sent as a parameter, as Alibaba's own example does;
//   - expires_in arrives as a JSON string ("3599"), which x/oauth2 accepts.
//
// A [Source] is built once per process on a background context (Function
// Compute cancels each invocation's context, and x/oauth2 keeps the context
// a token source was built with for every later refresh), so warm
// invocations reuse the token. It refreshes a little before expiry;
// concurrent callers share one refresh. [Source.Invalidate] drops a token
// the server refused. The app secret is read through [Secrets] inside each
// refresh, so a rotated secret is picked up: when the token endpoint says
// invalid_client, the secret is read again bypassing the cache, once.
package auth
