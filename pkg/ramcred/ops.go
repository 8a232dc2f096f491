package ramcred

import (
	"context"
	"errors"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// notExist reports whether err is RAM's "not there" answer.
func notExist(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.NotExist()
}

// userGone reports whether RAM says the user itself does not exist.
func userGone(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == "EntityNotExist.User"
}

// ErrNoSuchUser is returned (wrapped in an *Error) when RAM knows no user
// by the name given: it was deleted, or renamed since it was looked up.
var ErrNoSuchUser = errors.New("RAM has no user of that name")

// noSuchUser marks err, when RAM said EntityNotExist.User, with ErrNoSuchUser.
func noSuchUser(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Code == "EntityNotExist.User" && e.Err == nil {
		e.Err = ErrNoSuchUser
	}
	return err
}

// Blockers reads what the user has that blocks its deletion (and its
// console login profile). If RAM knows no user of that name, the error
// matches ErrNoSuchUser.
func (c *Client) Blockers(ctx context.Context, userName string) (b Blockers, err error) {
	defer func() { err = noSuchUser(err) }()
	name := ramName(userName)
	keys, err := c.accessKeys(ctx, name)
	if err != nil {
		return b, err
	}
	b.AccessKeys = keys
	if b.LoginProfile, err = c.hasLoginProfile(ctx, name); err != nil {
		return b, err
	}
	if b.MFADevice, err = c.mfaDevice(ctx, name); err != nil {
		return b, err
	}
	if b.Groups, err = c.groups(ctx, name); err != nil {
		return b, err
	}
	if b.Policies, err = c.policies(ctx, name); err != nil {
		return b, err
	}
	return b, nil
}

// Revoke clears everything that blocks the user's deletion, cutting access
// first: all AccessKeys are deactivated before any other change, then
// deleted; then the login profile, the MFA device, group memberships and
// attached policies go. It returns the steps taken, also when it stops at
// an error; running it again finishes the job. If RAM knows no user of
// that name (at any step: it may be renamed meanwhile), the error matches
// ErrNoSuchUser.
func (c *Client) Revoke(ctx context.Context, userName string) (steps []Step, err error) {
	defer func() { err = noSuchUser(err) }()
	name := ramName(userName)
	// done records a write; RAM's "not there" means someone (an earlier,
	// interrupted run) already did it.
	done := func(action, target string, err error) error {
		switch {
		case err == nil:
			steps = append(steps, Step{Action: action, Target: target, Result: "done"})
		case notExist(err) && !userGone(err):
			steps = append(steps, Step{Action: action, Target: target, Result: "already done"})
		default:
			return err
		}
		return nil
	}

	keys, err := c.accessKeys(ctx, name)
	if err != nil {
		return steps, err
	}
	for _, k := range keys {
		if k.Status == "Inactive" {
			continue
		}
		req := ram.CreateUpdateAccessKeyRequest()
		req.UserName, req.UserAccessKeyId, req.Status = name, k.ID, "Inactive"
		if err := done("UpdateAccessKey", k.ID, c.call(ctx, "UpdateAccessKey", name, req, ram.CreateUpdateAccessKeyResponse())); err != nil {
			return steps, err
		}
	}
	for _, k := range keys {
		req := ram.CreateDeleteAccessKeyRequest()
		req.UserName, req.UserAccessKeyId = name, k.ID
		if err := done("DeleteAccessKey", k.ID, c.call(ctx, "DeleteAccessKey", name, req, ram.CreateDeleteAccessKeyResponse())); err != nil {
			return steps, err
		}
	}

	if has, err := c.hasLoginProfile(ctx, name); err != nil {
		return steps, err
	} else if has {
		req := ram.CreateDeleteLoginProfileRequest()
		req.UserName = name
		if err := done("DeleteLoginProfile", "", c.call(ctx, "DeleteLoginProfile", name, req, ram.CreateDeleteLoginProfileResponse())); err != nil {
			return steps, err
		}
	}

	if serial, err := c.mfaDevice(ctx, name); err != nil {
		return steps, err
	} else if serial != "" {
		req := ram.CreateUnbindMFADeviceRequest()
		req.UserName = name
		if err := done("UnbindMFADevice", serial, c.call(ctx, "UnbindMFADevice", name, req, ram.CreateUnbindMFADeviceResponse())); err != nil {
			return steps, err
		}
	}

	groups, err := c.groups(ctx, name)
	if err != nil {
		return steps, err
	}
	for _, g := range groups {
		req := ram.CreateRemoveUserFromGroupRequest()
		req.UserName, req.GroupName = name, g
		if err := done("RemoveUserFromGroup", g, c.call(ctx, "RemoveUserFromGroup", name, req, ram.CreateRemoveUserFromGroupResponse())); err != nil {
			return steps, err
		}
	}

	policies, err := c.policies(ctx, name)
	if err != nil {
		return steps, err
	}
	for _, p := range policies {
		req := ram.CreateDetachPolicyFromUserRequest()
		req.UserName, req.PolicyName, req.PolicyType = name, p.Name, p.Type
		if err := done("DetachPolicyFromUser", p.Name, c.call(ctx, "DetachPolicyFromUser", name, req, ram.CreateDetachPolicyFromUserResponse())); err != nil {
			return steps, err
		}
	}
	return steps, nil
}

func (c *Client) accessKeys(ctx context.Context, name string) ([]AccessKey, error) {
	req := ram.CreateListAccessKeysRequest()
	req.UserName = name
	resp := ram.CreateListAccessKeysResponse()
	if err := c.call(ctx, "ListAccessKeys", name, req, resp); err != nil {
		return nil, err
	}
	var keys []AccessKey
	for _, k := range resp.AccessKeys.AccessKey {
		keys = append(keys, AccessKey{ID: k.AccessKeyId, Status: k.Status})
	}
	return keys, nil
}

func (c *Client) hasLoginProfile(ctx context.Context, name string) (bool, error) {
	req := ram.CreateGetLoginProfileRequest()
	req.UserName = name
	err := c.call(ctx, "GetLoginProfile", name, req, ram.CreateGetLoginProfileResponse())
	switch {
	case err == nil:
		return true, nil
	case notExist(err) && !userGone(err):
		return false, nil
	}
	return false, err
}

func (c *Client) mfaDevice(ctx context.Context, name string) (string, error) {
	req := ram.CreateGetUserMFAInfoRequest()
	req.UserName = name
	resp := ram.CreateGetUserMFAInfoResponse()
	err := c.call(ctx, "GetUserMFAInfo", name, req, resp)
	switch {
	case err == nil:
		if resp.MFADevice.SerialNumber == "" {
			return "(unnamed)", nil
		}
		return resp.MFADevice.SerialNumber, nil
	case notExist(err) && !userGone(err):
		return "", nil
	}
	return "", err
}

func (c *Client) groups(ctx context.Context, name string) ([]string, error) {
	req := ram.CreateListGroupsForUserRequest()
	req.UserName = name
	resp := ram.CreateListGroupsForUserResponse()
	if err := c.call(ctx, "ListGroupsForUser", name, req, resp); err != nil {
		return nil, err
	}
	var out []string
	for _, g := range resp.Groups.Group {
		out = append(out, g.GroupName)
	}
	return out, nil
}

func (c *Client) policies(ctx context.Context, name string) ([]Policy, error) {
	req := ram.CreateListPoliciesForUserRequest()
	req.UserName = name
	resp := ram.CreateListPoliciesForUserResponse()
	if err := c.call(ctx, "ListPoliciesForUser", name, req, resp); err != nil {
		return nil, err
	}
	var out []Policy
	for _, p := range resp.Policies.Policy {
		out = append(out, Policy{Name: p.PolicyName, Type: p.PolicyType})
	}
	return out, nil
}
