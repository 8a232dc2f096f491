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

// ErrWrongUser is returned (wrapped in an *Error) when the server answers a
// request for one user by id with another user: whatever the cause (a
// proxy, a cache, a hostile endpoint), acting on that answer could change
// or delete the wrong person, so it is refused and not retried.
var ErrWrongUser = errors.New("the server answered with another user than the one asked for by id")

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
	return c.decodeUserID(op, resp, id)
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
	return c.decodeUserID(op, resp, u.ID)
}

// Delete removes the user with the given RAM id. A user that is already
// gone gives an error matching [ErrNotFound] (not when an earlier attempt
// of this call, whose answer was lost, removed it); callers that want
// delete to be idempotent treat that as success. RAM refuses to delete a
// user who still has AccessKeys, policies, MFA or group memberships; that
// answer comes back as the server sent it (commonly a 409 or 400).
func (c *Client) Delete(ctx context.Context, id string) error {
	const op = "delete"
	if id == "" {
		return c.refuse(op, "id is empty")
	}
	// A 404 to a retry, after an attempt whose answer was lost (a 5xx, a
	// dropped connection), means that attempt deleted the user: success.
	_, err := c.do(ctx, &request{op: op, method: http.MethodDelete, path: "/Users/" + url.PathEscape(id), goneIsDone: true})
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
// what it was asked: pages are as long as the server makes them, and the
// listing ends when startIndex passes totalResults or a page comes back
// empty. A user seen twice (the list shifted between pages) is passed on
// once. After the first page, the rest are fetched ListConcurrency at a
// time (their startIndex is known from the first page's length and
// totalResults). If the server then answers differently than the first
// page promised (a short page, a new total: users were added or deleted
// meanwhile, shifting the offsets), the whole list is read again page by
// page, so no user who was there throughout is missed.
func (c *Client) each(ctx context.Context, op string, f Filter, fn func(User) error) error {
	if err := f.Err(); err != nil {
		return c.refuse(op, err.Error())
	}
	l := &lister{c: c, op: op, f: f, fn: fn, seen: map[string]struct{}{}}
	first, err := l.page(ctx, 1)
	if err != nil {
		return err
	}
	if err := l.emit(first); err != nil {
		return err
	}
	size, next := len(first.Resources), 1+len(first.Resources)
	if size == 0 || next > first.TotalResults {
		return nil
	}
	// The pages ahead are planned from the server's totalResults; one that
	// claims billions of users is read page by page instead, which ends at
	// the first empty or repeated page.
	if c.listConcurrency > 1 && (first.TotalResults-next)/size < maxPlannedPages {
		ok, err := l.parallel(ctx, next, size, first.TotalResults)
		if err != nil || ok {
			return err
		}
		next = 1
	}
	return l.sequential(ctx, next)
}

// maxPlannedPages bounds the pages each plans to fetch concurrently.
const maxPlannedPages = 10_000

// lister is one listing in progress.
type lister struct {
	c    *Client
	op   string
	f    Filter
	fn   func(User) error
	seen map[string]struct{}
}

func (l *lister) page(ctx context.Context, start int) (listResponse, error) {
	q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(l.c.pageSize)}}
	if !l.f.IsZero() {
		q.Set("filter", l.f.String())
	}
	resp, err := l.c.do(ctx, &request{op: l.op, method: http.MethodGet, path: "/Users", query: q})
	if err != nil {
		return listResponse{}, err
	}
	var page listResponse
	if err := json.Unmarshal(resp, &page); err != nil {
		return listResponse{}, &Error{Op: l.op, Detail: "unreadable list response", Err: err}
	}
	return page, nil
}

// emit passes a page's users on, each once.
func (l *lister) emit(page listResponse) error {
	for _, u := range page.Resources {
		if u.ID == "" {
			// Such a user can be neither told from another nor changed.
			return &Error{Op: l.op, Detail: "unreadable list response: a user without an id"}
		}
		if _, dup := l.seen[u.ID]; dup {
			continue
		}
		l.seen[u.ID] = struct{}{}
		if err := l.fn(u); err != nil {
			return err
		}
	}
	return nil
}

// sequential fetches page after page from start.
func (l *lister) sequential(ctx context.Context, start int) error {
	prev := ""
	for {
		page, err := l.page(ctx, start)
		if err != nil {
			return err
		}
		if err := l.emit(page); err != nil {
			return err
		}
		if len(page.Resources) > 0 && page.Resources[0].ID == prev {
			return &Error{Op: l.op, Detail: fmt.Sprintf("the server sent the same page again at startIndex %d: paging does not advance", start)}
		}
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			return nil
		}
		prev = page.Resources[0].ID
	}
}

// parallel fetches the pages from start on, size users each, up to total,
// ListConcurrency at a time, and passes them on in order. done is false
// when a page broke the promise of the first one.
func (l *lister) parallel(ctx context.Context, start, size, total int) (done bool, err error) {
	var starts []int
	for s := start; s <= total; s += size {
		starts = append(starts, s)
	}
	type result struct {
		page listResponse
		err  error
	}
	results := make([]chan result, len(starts))
	for i := range results {
		results[i] = make(chan result, 1)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, l.c.listConcurrency)
	go func() {
		for i, s := range starts {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				for ; i < len(starts); i++ {
					results[i] <- result{err: ctx.Err()}
				}
				return
			}
			go func() {
				defer func() { <-sem }()
				p, err := l.page(ctx, s)
				results[i] <- result{p, err}
			}()
		}
	}()
	for i, s := range starts {
		r := <-results[i]
		if r.err != nil {
			return false, r.err
		}
		before := len(l.seen)
		if err := l.emit(r.page); err != nil {
			return false, err
		}
		last := i == len(starts)-1
		got := len(r.page.Resources)
		fresh := len(l.seen) - before
		if r.page.TotalResults != total || (!last && got < size) || (last && s+got <= total) || fresh < got ||
			(last && len(l.seen) < total) {
			// The list changed, or the server pages differently than it
			// did at first.
			return false, nil
		}
	}
	return true, nil
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

// decodeUserID is decodeUser for a request naming the user by id: the
// answer must be that user.
func (c *Client) decodeUserID(op string, body []byte, id string) (User, error) {
	u, err := c.decodeUser(op, body)
	if err != nil {
		return User{}, err
	}
	if u.ID != id {
		return User{}, &Error{Op: op, Detail: fmt.Sprintf("asked for user id %s, got id %s; check SCIM_ENDPOINT", quoteID(id), quoteID(u.ID)), Err: ErrWrongUser}
	}
	return u, nil
}

// quoteID quotes an id for a message, cut to 64 bytes.
func quoteID(id string) string {
	if len(id) > 64 {
		id = id[:64] + "…"
	}
	return strconv.Quote(id)
}
