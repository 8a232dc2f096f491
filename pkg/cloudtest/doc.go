// Package cloudtest is a test double of the parts of Alibaba Cloud that
// ramsync uses, shaped like net/http/httptest: NewServer starts it on
// loopback ports, Close stops it, Client returns an *http.Client that
// trusts it.
//
// One Server emulates four services, each on its own 127.0.0.1 HTTPS port
// behind one self-signed certificate (for 127.0.0.1, ::1 and localhost):
//
//   - the OAuth token endpoint, POST /v1/token with client_credentials
//     (TokenURL);
//   - RAM's SCIM 2.0 API at the host root: /Users, /Users/{id},
//     /ResourceTypes, /Schemas (SCIMURL);
//   - KMS Secrets Manager's GetSecretValue, POP RPC style with the
//     HMAC-SHA1 signature checked (KMSEndpoint);
//   - the RAM OpenAPI actions that remove a leaver's credentials and
//     memberships, same RPC style (RAMEndpoint), with GetUser, UpdateUser
//     and ListUsers carrying Comments (the suspension marker), and, on the
//     same host told apart by Version=2019-08-15, IMS GetUser,
//     GetLoginProfile and UpdateLoginProfile (login Status).
//
// Beside the Server, each with its own httptest-like type: the Feishu/Lark
// open platform and an event sender (NewFeishu, feishu*.go), DingTalk's
// open platform and push sealer (NewDingTalk, dingtalk*.go), HR systems'
// roster exports (NewHRIS: Workday RaaS, BambooHR, SuccessFactors OData with
// __next pages) and chat-bot receivers that check each vendor's signature
// (NewBots: DingTalk, Feishu/Lark, WeCom, Slack-compatible). Their doc
// comments say what in them is inference.
//
// The services share one state: SCIM users are RAM users (a RAM user exists
// exactly when its SCIM user does), the OAuth app's secret is a KMS secret,
// and tokens the OAuth endpoint issues open the SCIM API. Tests seed and
// inspect that state directly (SeedUser, SetRAM, Users, RAMLog), inject
// faults (SetFaults, FailNext, FailNextError, Intercept) and count requests
// (Counters). The package imports nothing from ramsync: it is an independent
// twin of the cloud, against which the real clients are tested.
//
// The facts it follows are collected in shared/ALIYUN.md; comments cite
// its sections, and its tags: [DOC] documented, [SRC] read in SDK source,
// [INFER] our inference, [UNKNOWN] not found.
//
// # Use
//
//	srv := cloudtest.NewServer(cloudtest.Options{})
//	defer srv.Close()
//	o := srv.Options() // ClientID, ClientSecret, AccessKeyID… with defaults filled in
//	cfg := clientcredentials.Config{
//		ClientID: o.ClientID, ClientSecret: o.ClientSecret,
//		TokenURL: srv.TokenURL, AuthStyle: oauth2.AuthStyleInHeader,
//	}
//	ctx := context.WithValue(ctx, oauth2.HTTPClient, srv.Client())
//	hc := cfg.Client(ctx) // then POST srv.SCIMURL+"/Users" …
//
// The KMS and RAM SDKs take srv.KMSEndpoint / srv.RAMEndpoint as their
// endpoint (RegionInfo.Endpoint, or client.Domain with request.Scheme =
// "https") and credentials.NewStsTokenCredential(o.AccessKeyID,
// o.AccessKeySecret, o.SecurityToken). The secrets-manager client skips
// TLS verification; the RAM client verifies, so give it
// sdk.Config.HttpTransport with TLSClientConfig: srv.TLSConfig(). Another
// process can trust the server through SSL_CERT_FILE pointing at a file
// holding CACertPEM.
//
// # Behaviour that is our inference, not documentation
//
//   - SCIM status codes and error bodies are undocumented [§1.5 UNKNOWN]:
//     errors follow RFC 7644 §3.12 (application/scim+json); 201 on create
//     (Options.CreateStatus), 409 uniqueness, 404 unknown id, 400
//     invalidFilter / invalidValue / invalidSyntax, 401 without a valid
//     token, 501 for PATCH (Options.PatchStatus), 409 for a refused DELETE
//     (Options.DeleteRefusedStatus, no scimType). Options.BareErrors drops
//     the bodies.
//   - startIndex/count paging, the cap of 100 and unfiltered listing are
//     undocumented [§1.3]; the default of 30 comes from the documented
//     itemsPerPage, which is therefore the page size, not the number of
//     Resources returned [§1.2 DOC example].
//   - Unquoted filter values are refused (400 invalidFilter) [§1.3 UNKNOWN];
//     attribute names may carry the User schema URN prefix (RFC 7644).
//   - Unknown request attributes, "schemas" and "id" in a POST/PUT body are
//     ignored [§1.2 UNKNOWN]. A PUT without externalId removes it.
//   - userName uniqueness is per RAM user name: case-insensitive, and "x",
//     "x@corp.com" and "x@<alias>.onaliyun.com" are one user; an @domain is
//     stored rewritten to @<alias>.onaliyun.com [§1.4 DOC + INFER]. A
//     userName filter matches the same way. externalId compares exactly.
//   - displayName is checked for length only (24 by default; the RAM 2015
//     API's 128 via Options.DisplayNameMax) [§1.4 conflicting DOC].
//   - A DELETE is refused while the user has AccessKeys (active or not),
//     attached policies, an MFA device or group memberships; the login
//     profile does not block [§1.2 DOC + 2ND].
//   - OAuth errors use RFC 6749 §5.2 bodies (invalid_client 401,
//     unsupported_grant_type / invalid_request / invalid_scope 400)
//     [§2.2 UNKNOWN]; a scope other than /acs/scim is refused; expires_in is
//     rounded up to whole seconds, at least 1.
//   - RAM error codes beyond those listed in §6 (EntityNotExist.User.Group,
//     EntityNotExist.User.Policy, InvalidParameter.Status, MissingParameter)
//     and the fault codes Throttling.User, ServiceUnavailable, InternalError
//     are the POP family's usual names, not checked against the real API.
//     A RAM call without UserName is refused (400 MissingParameter), where
//     real RAM would act on the caller [§6].
//   - RPC checks: Action, Version, Format=JSON, SignatureMethod=HMAC-SHA1,
//     SignatureVersion=1.0, AccessKeyId, Signature, Timestamp within 15
//     minutes of the wall clock, a fresh SignatureNonce, then the
//     SecurityToken. SignatureDoesNotMatch does not echo the server's
//     string-to-sign, which real POP does.
//   - KMS version ids are "0000…000N" as in the documented example;
//     FetchExtendedConfig has no effect.
//   - RAM UpdateUser changes UpdateDate but not SCIM meta.lastModified, and
//     a SCIM PUT keeps Comments; UpdateUser refuses New* parameters other
//     than NewComments; the ListUsers Marker is opaque. IMS calls are
//     counted and intercepted as "ims:<Action>".
//
// # What it does not emulate
//
//   - Real RAM user ids (any unused 16-digit number here), real request ids,
//     real error message texts.
//   - OAuth beyond client_credentials: other grants, refresh tokens, scopes
//     other than /acs/scim, admin consent, app secret ids, revocation.
//   - SCIM /ServiceProviderConfig, /Groups, /Bulk, /Me, /.Search, PATCH,
//     sorting, attribute projection (attributes=, excludedAttributes= are
//     ignored), ETags, the `active` attribute, emails, names.
//   - RAM limits and quotas: 1000 users per account, 2 AccessKeys per user,
//     flow control (only the optional Options.RateLimit on SCIM).
//   - Which console-made users SCIM may change (IDaaS says it cannot adopt
//     them [§1.5 2ND]); here SCIM may replace and delete any user.
//   - RAM groups and policies as entities of their own: they exist only as
//     names attached to a user (no EntityNotExist.Group/Policy).
//   - The rest of the RAM and IMS APIs (IMS UpdateLoginProfile ignores
//     Password, MFABindRequired and PasswordResetRequired), the RAM API's own SCIM-deletion
//     effects, console login, LastLoginDate.
//   - KMS: actions other than GetSecretValue, binary or Rds/RAMCredentials
//     secrets, rotation schedules, ExtendedConfig, DKMS instances, VPC
//     endpoints, multiple regions, debt states (inject them with
//     FailNextError).
//   - Signature versions other than RPC 1.0 HMAC-SHA1 (ROA, V3, bearer
//     tokens), and credentials other than the one configured key.
//   - HTTP/2: the listeners speak HTTP/1.1 only, so that drop faults can
//     close connections.
package cloudtest
