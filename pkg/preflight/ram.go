package preflight

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkauth "github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerr "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ramsync/ramsync/pkg/secrets"
)

// ProbeUser is the harmless target of the RAM read checks: a user name no
// one has, so that an action the role may call answers "no such user",
// and one it may not call answers NoPermission. Nothing is ever written.
const ProbeUser = "ramsync-preflight-probe"

// The RAM read actions the rules use (policy names, as in
// scripts/deploy/*-policy.json).
var (
	// BlockerReads detect what blocks a leaver's deletion (rule 5), on
	// every path that removes users.
	BlockerReads = []string{"ram:GetUser", "ram:ListAccessKeys", "ram:GetLoginProfile", "ram:GetUserMFAInfo",
		"ram:ListGroupsForUser", "ram:ListPoliciesForUser"}
	// SuspendReads are the suspension's reads (rule 5b, LEAVER_GRACE > 0):
	// IMS finds the logon name and the console login's status.
	SuspendReads = []string{"ims:GetUser", "ims:GetLoginProfile"}
	// ReconcilerReads are the reconciler's own, with LEAVER_GRACE > 0:
	// every user's suspension marker.
	ReconcilerReads = []string{"ram:ListUsers"}
)

// RAMConfig says where and how the RAM checks call (the same settings as
// pkg/ramcred's client).
type RAMConfig struct {
	// Endpoint is RAM_ENDPOINT (host[:port], HTTPS); empty means
	// ram.aliyuncs.com. IMSEndpoint is IMS's; empty means ims.aliyuncs.com
	// with the default Endpoint, else Endpoint.
	Endpoint, IMSEndpoint string
	// Credentials returns the function's role credentials.
	Credentials func() secrets.Credentials
	// Transport carries the calls; nil means the SDK's default.
	Transport *http.Transport
	// Policy names the function's policy file for the fix line, e.g.
	// "scripts/deploy/reconciler-policy.json".
	Policy string
}

// RAMActions returns one check per action (as BlockerReads names them),
// each calling the action once on ProbeUser.
func RAMActions(cfg RAMConfig, actions []string) []Check {
	if cfg.Endpoint == "" {
		cfg.Endpoint = "ram.aliyuncs.com"
	}
	if cfg.IMSEndpoint == "" {
		cfg.IMSEndpoint = cfg.Endpoint
		if cfg.Endpoint == "ram.aliyuncs.com" {
			cfg.IMSEndpoint = "ims.aliyuncs.com"
		}
	}
	p := &prober{cfg: cfg}
	var out []Check
	for _, a := range actions {
		policy := a
		if strings.HasPrefix(a, "ims:") {
			policy = "ram:" + strings.TrimPrefix(a, "ims:") // IMS actions are granted as ram:<Action>
		}
		fix := fmt.Sprintf("grant %s to the function's role", policy)
		if cfg.Policy != "" {
			fix += " (see " + cfg.Policy + ")"
		}
		out = append(out, Check{Name: "RAM action " + a, Fix: fix, Run: func(ctx context.Context) (string, error) {
			return p.probe(ctx, a)
		}})
	}
	return out
}

type prober struct {
	cfg RAMConfig
}

func (p *prober) client() (*ram.Client, error) {
	creds := secrets.Credentials{}
	if p.cfg.Credentials != nil {
		creds = p.cfg.Credentials()
	}
	if creds.IsZero() {
		return nil, errors.New("no credentials: the function needs a role (or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET locally)")
	}
	var cred sdkauth.Credential
	if creds.SecurityToken != "" {
		cred = credentials.NewStsTokenCredential(creds.AccessKeyID, creds.AccessKeySecret, creds.SecurityToken)
	} else {
		cred = credentials.NewAccessKeyCredential(creds.AccessKeyID, creds.AccessKeySecret)
	}
	config := sdk.NewConfig()
	config.Scheme = "HTTPS"
	config.Timeout = 10 * time.Second
	config.AutoRetry = false
	if p.cfg.Transport != nil {
		config.HttpTransport = p.cfg.Transport
	}
	rc, err := ram.NewClientWithOptions("cn-hangzhou", config, cred)
	if err != nil {
		return nil, fmt.Errorf("RAM client: %v", secrets.StripQuery(err.Error()))
	}
	rc.Domain = p.cfg.Endpoint
	return rc, nil
}

// request builds the call of action on ProbeUser.
func (p *prober) request(action string) (requests.AcsRequest, responses.AcsResponse, error) {
	switch action {
	case "ram:GetUser":
		r := ram.CreateGetUserRequest()
		r.UserName = ProbeUser
		return r, ram.CreateGetUserResponse(), nil
	case "ram:ListUsers":
		r := ram.CreateListUsersRequest()
		r.MaxItems = requests.NewInteger(1)
		return r, ram.CreateListUsersResponse(), nil
	case "ram:ListAccessKeys":
		r := ram.CreateListAccessKeysRequest()
		r.UserName = ProbeUser
		return r, ram.CreateListAccessKeysResponse(), nil
	case "ram:GetLoginProfile":
		r := ram.CreateGetLoginProfileRequest()
		r.UserName = ProbeUser
		return r, ram.CreateGetLoginProfileResponse(), nil
	case "ram:GetUserMFAInfo":
		r := ram.CreateGetUserMFAInfoRequest()
		r.UserName = ProbeUser
		return r, ram.CreateGetUserMFAInfoResponse(), nil
	case "ram:ListGroupsForUser":
		r := ram.CreateListGroupsForUserRequest()
		r.UserName = ProbeUser
		return r, ram.CreateListGroupsForUserResponse(), nil
	case "ram:ListPoliciesForUser":
		r := ram.CreateListPoliciesForUserRequest()
		r.UserName = ProbeUser
		return r, ram.CreateListPoliciesForUserResponse(), nil
	case "ims:GetUser":
		r := ims.CreateGetUserRequest()
		r.UserPrincipalName = ProbeUser + "@preflight.onaliyun.com"
		r.SetDomain(p.cfg.IMSEndpoint)
		return r, ims.CreateGetUserResponse(), nil
	case "ims:GetLoginProfile":
		r := ims.CreateGetLoginProfileRequest()
		r.UserPrincipalName = ProbeUser + "@preflight.onaliyun.com"
		r.SetDomain(p.cfg.IMSEndpoint)
		return r, ims.CreateGetLoginProfileResponse(), nil
	}
	return nil, nil, fmt.Errorf("preflight does not know the RAM action %q", action)
}

// probe calls action once. Any answer but a refusal of the caller counts:
// "no such user" means the role may call it.
func (p *prober) probe(ctx context.Context, action string) (string, error) {
	req, resp, err := p.request(action)
	if err != nil {
		return "", err
	}
	rc, err := p.client()
	if err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() {
		err := rc.DoAction(req, resp)
		rc.Shutdown()
		done <- err
	}()
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("no answer in time: %v", ctx.Err())
	case err = <-done:
	}
	if err == nil {
		return "allowed", nil
	}
	var se *sdkerr.ServerError
	if !errors.As(err, &se) {
		// A client error may quote the signed URL: keep the kind only.
		var ce *sdkerr.ClientError
		if errors.As(err, &ce) {
			return "", fmt.Errorf("no answer from RAM (%s): %s", ce.ErrorCode(), secrets.StripQuery(firstLine(ce.Message())))
		}
		return "", fmt.Errorf("no answer from RAM: %s", secrets.StripQuery(firstLine(err.Error())))
	}
	code := se.ErrorCode()
	switch {
	case strings.HasPrefix(code, "NoPermission"), strings.Contains(code, "NoPermission"), code == "Forbidden", strings.HasPrefix(code, "Forbidden.RAM"):
		return "", fmt.Errorf("refused, %d %s: the function's role may not call %s", se.HttpStatus(), code, action)
	case code == "SignatureDoesNotMatch", strings.HasPrefix(code, "InvalidAccessKeyId"), strings.HasPrefix(code, "InvalidSecurityToken"):
		return "", fmt.Errorf("%d %s: the function's credentials are refused", se.HttpStatus(), code)
	case se.HttpStatus() >= 500 || se.HttpStatus() == 429 || strings.HasPrefix(code, "Throttling"):
		return "", fmt.Errorf("%d %s: RAM is unavailable or throttling; run preflight again later", se.HttpStatus(), code)
	}
	// EntityNotExist.User and the like: the call was allowed.
	return "allowed (" + code + " for the probe user, as expected)", nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
