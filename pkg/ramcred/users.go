package ramcred

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
)

// listUsersPage is the MaxItems of each ListUsers call, RAM's largest
// [ALIYUN.md §6.1].
const listUsersPage = 1000

// User reads the RAM user userName names (RAM GetUser; any "@domain" is
// ignored). If RAM has no such user, the error matches ErrNoSuchUser.
func (c *Client) User(ctx context.Context, userName string) (UserInfo, error) {
	name := ramName(userName)
	req := ram.CreateGetUserRequest()
	req.UserName = name
	resp := ram.CreateGetUserResponse()
	if err := c.call(ctx, "GetUser", name, req, resp); err != nil {
		return UserInfo{}, noSuchUser(err)
	}
	return userInfo(resp.User), nil
}

// Markers lists every RAM user (RAM ListUsers, 1000 a page) and returns the
// suspension markers found in their Comments, keyed by the lower-cased RAM
// user name (the SCIM userName before any "@"). Users whose Comments are
// not a marker are left out.
func (c *Client) Markers(ctx context.Context) (map[string]Marker, error) {
	out := map[string]Marker{}
	marker := ""
	for {
		req := ram.CreateListUsersRequest()
		req.MaxItems = requests.NewInteger(listUsersPage)
		req.Marker = marker
		resp := ram.CreateListUsersResponse()
		if err := c.call(ctx, "ListUsers", "", req, resp); err != nil {
			return nil, err
		}
		for _, u := range resp.Users.User {
			if m, ok := ParseMarker(u.Comments); ok {
				out[strings.ToLower(u.UserName)] = m
			}
		}
		if !resp.IsTruncated {
			return out, nil
		}
		if resp.Marker == "" || resp.Marker == marker {
			return nil, &Error{Action: "ListUsers", Err: errors.New("RAM said the list goes on but gave no new Marker; try again later")}
		}
		marker = resp.Marker
	}
}

// userInfo converts RAM's user object.
func userInfo(u ram.User) UserInfo {
	return UserInfo{
		Name:        u.UserName,
		ID:          u.UserId,
		DisplayName: u.DisplayName,
		Comments:    u.Comments,
		Created:     apiTime(u.CreateDate),
		Updated:     apiTime(u.UpdateDate),
	}
}

// apiTime parses one of RAM's UTC times; zero if absent or malformed.
func apiTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
