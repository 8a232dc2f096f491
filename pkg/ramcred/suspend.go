package ramcred

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// Suspend cuts a leaver's access without removing anything (SPEC rule 5b):
// every Active AccessKey is made Inactive first, then the console login
// profile, if the user has one and it is Active, is made Inactive (IMS
// UpdateLoginProfile); groups, policies and MFA stay. Last, the user's
// Comments become the marker: at (in UTC, to the second) and the ids of
// the keys it deactivated, which [Client.Resume] will reactivate.
//
// It returns the marker and the steps taken, also when it stops at an
// error. A key that was already Inactive is not in the marker, so a
// Suspend that failed after deactivating keys and is run again writes a
// marker without them: a Resume then leaves them Inactive (access stays
// cut; an administrator reactivates them). Suspend does not read the
// Comments: call it for a user without a marker (one with a marker is
// "already suspended", SPEC rule 5b), since it overwrites a marker with
// the keys it deactivated this time, usually none. userID is the user's
// RAM UserId (the SCIM id) when the caller knows it, which saves a RAM
// GetUser; "" looks it up. If RAM knows no user of that name, the error
// matches ErrNoSuchUser. A zero at is refused before any call.
func (c *Client) Suspend(ctx context.Context, userName, userID string, at time.Time) (m Marker, steps []Step, err error) {
	defer func() { err = noSuchUser(err) }()
	name := ramName(userName)
	if at.IsZero() {
		return m, nil, &Error{Action: "Suspend", UserName: name, Err: errNoTime}
	}
	m = Marker{At: at.UTC().Truncate(time.Second)}
	keys, err := c.accessKeys(ctx, name)
	if err != nil {
		return m, steps, err
	}
	for _, k := range keys {
		if k.Status == "Inactive" {
			continue
		}
		res, err := c.setKeyStatus(ctx, name, k.ID, "Inactive")
		if err != nil {
			return m, steps, err
		}
		steps = append(steps, Step{Action: "UpdateAccessKey", Target: k.ID, Result: res})
		if res == "done" {
			m.KeyIDs = append(m.KeyIDs, k.ID)
		}
	}
	if steps, err = c.setLogin(ctx, name, userID, "Inactive", steps); err != nil {
		return m, steps, err
	}
	steps, err = c.setComments(ctx, name, m.String(), steps)
	return m, steps, err
}

// Resume undoes a Suspend (SPEC rule 5c): the AccessKeys listed in m, and
// only those, are made Active again (a key that is gone meanwhile is
// "already done"); the console login profile, if Inactive, is made Active;
// the user's Comments become ClearedComments. It returns the steps taken,
// also when it stops at an error; running it again finishes the job.
// userID is as for Suspend. If RAM knows no user of that name, the error
// matches ErrNoSuchUser.
func (c *Client) Resume(ctx context.Context, userName, userID string, m Marker) (steps []Step, err error) {
	defer func() { err = noSuchUser(err) }()
	name := ramName(userName)
	if len(m.KeyIDs) > 0 {
		keys, err := c.accessKeys(ctx, name)
		if err != nil {
			return steps, err
		}
		for _, id := range m.KeyIDs {
			i := slices.IndexFunc(keys, func(k AccessKey) bool { return k.ID == id })
			switch {
			case i < 0:
				steps = append(steps, Step{Action: "UpdateAccessKey", Target: id, Result: "already done"})
				continue
			case keys[i].Status == "Active":
				continue
			}
			res, err := c.setKeyStatus(ctx, name, id, "Active")
			if err != nil {
				return steps, err
			}
			steps = append(steps, Step{Action: "UpdateAccessKey", Target: id, Result: res})
		}
	}
	if steps, err = c.setLogin(ctx, name, userID, "Active", steps); err != nil {
		return steps, err
	}
	return c.setComments(ctx, name, ClearedComments, steps)
}

// setKeyStatus sets one AccessKey's Status, always naming the user (RAM
// would otherwise act on the caller's own key [ALIYUN.md §6]). It answers
// "done", or "already done" if the key is gone.
func (c *Client) setKeyStatus(ctx context.Context, name, id, status string) (string, error) {
	req := ram.CreateUpdateAccessKeyRequest()
	req.UserName, req.UserAccessKeyId, req.Status = name, id, status
	err := c.call(ctx, "UpdateAccessKey", name, req, ram.CreateUpdateAccessKeyResponse())
	switch {
	case err == nil:
		return "done", nil
	case notExist(err) && !userGone(err):
		return "already done", nil
	}
	return "", err
}

// setLogin sets the Status of the user's console login profile, if it has
// one and it differs, and appends the step.
func (c *Client) setLogin(ctx context.Context, name, id, status string, steps []Step) ([]Step, error) {
	upn, err := c.principal(ctx, name, id)
	if err != nil {
		return steps, err
	}
	get := ims.CreateGetLoginProfileRequest()
	get.UserPrincipalName = upn
	get.SetDomain(c.cfg.IMSEndpoint)
	lp := ims.CreateGetLoginProfileResponse()
	err = c.call(ctx, "ims:GetLoginProfile", name, get, lp)
	switch {
	case notExist(err) && !userGone(err):
		return steps, nil // no console login at all
	case err != nil:
		return steps, err
	case lp.LoginProfile.Status == status:
		return steps, nil
	case status == "Active" && lp.LoginProfile.Status != "Inactive":
		// Only a login ramsync could have disabled is turned back on.
		return steps, nil
	}
	upd := ims.CreateUpdateLoginProfileRequest()
	upd.UserPrincipalName, upd.Status = upn, status
	upd.SetDomain(c.cfg.IMSEndpoint)
	err = c.call(ctx, "ims:UpdateLoginProfile", name, upd, ims.CreateUpdateLoginProfileResponse())
	switch {
	case err == nil:
		return append(steps, Step{Action: "UpdateLoginProfile", Target: status, Result: "done"}), nil
	case notExist(err) && !userGone(err):
		return append(steps, Step{Action: "UpdateLoginProfile", Target: status, Result: "already done"}), nil
	}
	return steps, err
}

// principal finds the user's logon name (UserPrincipalName), by which IMS
// names users: IMS GetUser by the user's id, which RAM GetUser gives when
// id is "". A known id that IMS does not find, or finds under another
// name (the user was replaced or renamed meanwhile), is looked up again
// by name: the login profile changed is always the named user's.
func (c *Client) principal(ctx context.Context, name, id string) (string, error) {
	if id != "" {
		upn, err := c.imsPrincipal(ctx, name, id)
		var re *Error
		switch {
		case err == nil && strings.EqualFold(ramName(upn), name):
			return upn, nil
		case err == nil, errors.As(err, &re) && re.NotExist():
		default:
			return "", err
		}
	}
	u, err := c.User(ctx, name)
	if err != nil {
		return "", err
	}
	return c.imsPrincipal(ctx, name, u.ID)
}

// imsPrincipal is the UserPrincipalName of the user with id (IMS GetUser).
func (c *Client) imsPrincipal(ctx context.Context, name, id string) (string, error) {
	req := ims.CreateGetUserRequest()
	req.UserId = id
	req.SetDomain(c.cfg.IMSEndpoint)
	resp := ims.CreateGetUserResponse()
	if err := c.call(ctx, "ims:GetUser", name, req, resp); err != nil {
		return "", err
	}
	if resp.User.UserPrincipalName == "" {
		return "", &Error{Action: "ims:GetUser", UserName: name, Err: errNoPrincipal}
	}
	return resp.User.UserPrincipalName, nil
}

// Mistakes that no retry mends.
var (
	errNoTime      = errors.New("no termination time for the marker; pass the event's occurredAt or the time it was processed")
	errNoPrincipal = errors.New("IMS GetUser answered no UserPrincipalName; check IMSEndpoint points at the IMS API")
)

// setComments writes the user's Comments (RAM UpdateUser) and appends the
// step.
func (c *Client) setComments(ctx context.Context, name, comments string, steps []Step) ([]Step, error) {
	req := ram.CreateUpdateUserRequest()
	req.UserName, req.NewComments = name, comments
	if err := c.call(ctx, "UpdateUser", name, req, ram.CreateUpdateUserResponse()); err != nil {
		return steps, err
	}
	return append(steps, Step{Action: "UpdateUser", Target: comments, Result: "done"}), nil
}
