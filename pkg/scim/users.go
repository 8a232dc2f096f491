package scim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ErrAmbiguous is returned by the FindBy methods when more than one user
// matches a value that should be unique.
var ErrAmbiguous = errors.New("more than one user matches")

func (c *Client) refuse(op, why string) *Error {
	return &Error{Op: op, Detail: why, Err: errRefused}
}

// Create adds u (its ID and Meta are ignored) and returns the user as
// stored. If an attempt's outcome is unknown (the connection dropped after
// sending, or a 5xx), the next attempt is made only after a lookup by
// externalId shows the user is absent; if it is present, that user is
// returned. So a retried create never makes a duplicate.
func (c *Client) Create(ctx context.Context, u User) (User, error) {
	const op = "create"
	if u.UserName == "" {
		return User{}, c.refuse(op, "userName is empty")
	}
	u.ID, u.Meta = "", Meta{}
	body, err := json.Marshal(u)
	if err != nil {
		return User{}, c.refuse(op, err.Error())
	}
	r := &request{op: op, method: http.MethodPost, path: "/Users", body: body}
	if u.ExternalID != "" {
		r.settle = func(ctx context.Context) ([]byte, bool, error) {
			got, ok, err := c.FindByExternalID(ctx, u.ExternalID)
			if err != nil || !ok {
				return nil, false, err
			}
			b, err := json.Marshal(got)
			return b, true, err
		}
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return User{}, err
	}
	return c.decodeUser(op, resp)
}

// Get returns the user with the given RAM id, or an error matching
// [ErrNotFound].
func (c *Client) Get(ctx context.Context, id string) (User, error) {
	const op = "get"
	if id == "" {
		return User{}, c.refuse(op, "id is empty")
	}
	resp, err := c.do(ctx, &request{op: op, method: http.MethodGet, path: "/Users/" + url.PathEscape(id)})
	if err != nil {
		return User{}, err
	}
	return c.decodeUser(op, resp)
}

// Replace overwrites the user u.ID with u's userName, displayName and
// externalId (PUT: the whole resource; all three are always sent, so an
// owned user stays owned) and returns the user as stored.
func (c *Client) Replace(ctx context.Context, u User) (User, error) {
	const op = "replace"
	if u.ID == "" {
		return User{}, c.refuse(op, "id is empty")
	}
	if u.UserName == "" {
		return User{}, c.refuse(op, "userName is empty")
	}
	u.Meta = Meta{}
	body, err := json.Marshal(u)
	if err != nil {
		return User{}, c.refuse(op, err.Error())
	}
	resp, err := c.do(ctx, &request{op: op, method: http.MethodPut, path: "/Users/" + url.PathEscape(u.ID), body: body})
	if err != nil {
		return User{}, err
	}
	return c.decodeUser(op, resp)
}

// Delete removes the user with the given RAM id. A user that is already
// gone gives an error matching [ErrNotFound]; callers that want delete to be
// idempotent treat that as success. RAM refuses to delete a user who still
// has AccessKeys, policies, MFA or group memberships; that answer comes back
// as the server sent it (commonly a 409 or 400).
func (c *Client) Delete(ctx context.Context, id string) error {
	const op = "delete"
	if id == "" {
		return c.refuse(op, "id is empty")
	}
	_, err := c.do(ctx, &request{op: op, method: http.MethodDelete, path: "/Users/" + url.PathEscape(id)})
	return err
}

// Find returns every user matching f, across all pages.
func (c *Client) Find(ctx context.Context, f Filter) ([]User, error) {
	if f.IsZero() {
		return nil, c.refuse("find", "empty filter (use List for every user)")
	}
	var out []User
	err := c.each(ctx, "find", f, func(u User) error { out = append(out, u); return nil })
	return out, err
}

// FindByExternalID returns the user carrying externalId, if any.
func (c *Client) FindByExternalID(ctx context.Context, externalID string) (User, bool, error) {
	return c.findOne(ctx, AttrExternalID, externalID)
}

// FindByUserName returns the user with the given userName, if any. RAM
// user names are case-insensitive.
func (c *Client) FindByUserName(ctx context.Context, userName string) (User, bool, error) {
	return c.findOne(ctx, AttrUserName, userName)
}

func (c *Client) findOne(ctx context.Context, attr, value string) (User, bool, error) {
	if value == "" {
		return User{}, false, c.refuse("find", attr+" is empty")
	}
	users, err := c.Find(ctx, Eq(attr, value))
	if err != nil {
		return User{}, false, err
	}
	switch len(users) {
	case 0:
		return User{}, false, nil
	case 1:
		return users[0], true, nil
	}
	return User{}, false, &Error{Op: "find", Detail: fmt.Sprintf("%d users match %s %q", len(users), attr, value), Err: ErrAmbiguous}
}

// List returns every user, across all pages.
func (c *Client) List(ctx context.Context) ([]User, error) {
	var out []User
	err := c.Each(ctx, func(u User) error { out = append(out, u); return nil })
	return out, err
}

// Each calls fn for every user, page by page, stopping at fn's first error.
func (c *Client) Each(ctx context.Context, fn func(User) error) error {
	return c.each(ctx, "list", Filter{}, fn)
}

// each pages through /Users. It follows what the server does rather than
// what it was asked: the next page starts after the users actually
// received, and it ends when startIndex passes totalResults or a page comes
// back empty. A user seen twice (the list shifted between pages) is passed
// on once.
func (c *Client) each(ctx context.Context, op string, f Filter, fn func(User) error) error {
	if err := f.Err(); err != nil {
		return c.refuse(op, err.Error())
	}
	seen := map[string]struct{}{}
	start := 1
	for {
		q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(c.pageSize)}}
		if !f.IsZero() {
			q.Set("filter", f.String())
		}
		resp, err := c.do(ctx, &request{op: op, method: http.MethodGet, path: "/Users", query: q})
		if err != nil {
			return err
		}
		var page listResponse
		if err := json.Unmarshal(resp, &page); err != nil {
			return &Error{Op: op, Detail: "unreadable list response", Err: err}
		}
		fresh := 0
		for _, u := range page.Resources {
			if _, dup := seen[u.ID]; dup {
				continue
			}
			seen[u.ID] = struct{}{}
			fresh++
			if err := fn(u); err != nil {
				return err
			}
		}
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			return nil
		}
		if fresh == 0 {
			return &Error{Op: op, Detail: fmt.Sprintf("the server sent the same page again at startIndex %d: paging does not advance", start-len(page.Resources))}
		}
	}
}

func (c *Client) decodeUser(op string, body []byte) (User, error) {
	var u User
	if err := json.Unmarshal(body, &u); err != nil {
		return User{}, &Error{Op: op, Detail: "unreadable user in the response", Err: err}
	}
	if u.ID == "" {
		return User{}, &Error{Op: op, Detail: "the response has no user id"}
	}
	return u, nil
}
