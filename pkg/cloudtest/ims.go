package cloudtest

import (
	"net/http"
	"net/url"
	"strings"
)

// The IMS API (2019-08-15) is RAM's newer user API [ALIYUN.md §6, §6.1]. It
// names users by logon name, UserPrincipalName
// "<RAM user name>@<AccountAlias>.onaliyun.com", or by UserId, and it is
// the API that turns console logon on and off (the login profile's
// Status).
//
// Real IMS answers at ims.aliyuncs.com; here it is served on the RAM
// listener (RAMEndpoint) and told apart by Version=2019-08-15, with the
// same signature and SecurityToken checks, the same faults and the same
// call log (RAMCall.API is "ims"). Its operations are named "ims:<Action>"
// in counters ("ram.ims:GetLoginProfile") and for Intercept. [INFER] for
// everything not in the documented response fields: ProvisionType,
// ExternalId and the error codes, which mirror RAM's.

var imsService = rpcService{svc: RAM, version: "2019-08-15"}

// imsAction returns the IMS action called name (GetUser, GetLoginProfile,
// UpdateLoginProfile), wrapped with the lookup of the user the request
// names; nil for any other.
func (s *Server) imsAction(name string) rpcAction {
	var act ramUserAction
	switch name {
	case "GetUser":
		act = s.imsGetUser
	case "GetLoginProfile":
		act = s.imsGetLoginProfile
	case "UpdateLoginProfile":
		act = s.imsUpdateLoginProfile
	default:
		return nil
	}
	return func(p url.Values) (map[string]any, *rpcError) {
		s.users.mu.Lock()
		defer s.users.mu.Unlock()
		r, err := s.imsUser(name, p)
		if err != nil {
			return nil, err
		}
		return act(r, p)
	}
}

var errNoIMSUser = errRPC(http.StatusNotFound, "EntityNotExist.User", "The user does not exist.")

// imsUser finds the user named by UserPrincipalName or, for GetUser, by
// UserId or UserAccessKeyId. Callers hold s.users.mu.
func (s *Server) imsUser(action string, p url.Values) (*record, *rpcError) {
	if upn := p.Get("UserPrincipalName"); upn != "" {
		name, domain, ok := strings.Cut(upn, "@")
		if !ok || name == "" || !strings.EqualFold(domain, s.logonDomain()) {
			return nil, errNoIMSUser
		}
		if r := s.users.byName[nameKey(name)]; r != nil {
			return r, nil
		}
		return nil, errNoIMSUser
	}
	if action != "GetUser" {
		return nil, errMissing("UserPrincipalName")
	}
	if id := p.Get("UserId"); id != "" {
		if r := s.users.byID[id]; r != nil {
			return r, nil
		}
		return nil, errNoIMSUser
	}
	if key := p.Get("UserAccessKeyId"); key != "" {
		for _, r := range s.users.order {
			for _, k := range r.ram.AccessKeys {
				if k.ID == key {
					return r, nil
				}
			}
		}
		return nil, errRPC(http.StatusNotFound, "EntityNotExist.User.AccessKey", "The AccessKey does not exist.")
	}
	return nil, errMissing("UserPrincipalName")
}

// logonDomain is the account's default logon domain, "<alias>.onaliyun.com".
func (s *Server) logonDomain() string { return s.opts.AccountAlias + ".onaliyun.com" }

// upn is the logon name of r.
func (s *Server) upn(r *record) string { return ramName(r.UserName) + "@" + s.logonDomain() }

func (s *Server) imsGetUser(r *record, _ url.Values) (map[string]any, *rpcError) {
	u := ramUserJSON(r)
	delete(u, "UserName")
	u["UserPrincipalName"] = s.upn(r)
	u["ProvisionType"] = ""
	u["ExternalId"] = ""
	u["Status"] = "Active"
	return map[string]any{"User": u}, nil
}

func (s *Server) imsLoginProfile(r *record) map[string]any {
	return map[string]any{
		"UserPrincipalName":     s.upn(r),
		"Status":                r.ram.LoginStatus,
		"MFABindRequired":       false,
		"PasswordResetRequired": false,
		"CreateDate":            apiTime(r.ramSince),
		"UpdateDate":            apiTime(r.ramSince),
		"LastLoginTime":         "",
	}
}

func (s *Server) imsGetLoginProfile(r *record, _ url.Values) (map[string]any, *rpcError) {
	if !r.ram.LoginProfile {
		return nil, errNoLoginProfile
	}
	return map[string]any{"LoginProfile": s.imsLoginProfile(r)}, nil
}

// imsUpdateLoginProfile applies Status; Password, GenerateRandomPassword,
// MFABindRequired and PasswordResetRequired are accepted and ignored.
func (s *Server) imsUpdateLoginProfile(r *record, p url.Values) (map[string]any, *rpcError) {
	if !r.ram.LoginProfile {
		return nil, errNoLoginProfile
	}
	switch st := p.Get("Status"); st {
	case "Active", "Inactive":
		r.ram.LoginStatus = st
	case "":
	default:
		return nil, errRPC(http.StatusBadRequest, "InvalidParameter.Status", `The parameter "Status" must be Active or Inactive.`)
	}
	return map[string]any{"LoginProfile": s.imsLoginProfile(r)}, nil
}
