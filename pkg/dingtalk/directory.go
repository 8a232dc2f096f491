package dingtalk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ramsync/ramsync/pkg/hr"
)

// AsOfPullStart is the hr.Roster AsOfSource of a directory pull: the
// roster describes the directory as it was when the pull started (SPEC
// rule 5a: an earlier as-of time protects more fresh joiners).
const AsOfPullStart = "directory pull started"

// Format is the hr.Roster Format of a directory pull.
const Format = "dingtalk"

// RootDepartment is the id of an org's root department.
const RootDepartment = "1"

// pageSize is the user/list page size: 100, the documented maximum of its
// sibling listsimple [DOC; dingtalk.md §3.3].
const pageSize = 100

// maxDepartments bounds the walk, so that a directory answering in a cycle
// or without end cannot keep a pull going forever.
const maxDepartments = 200_000

// User fetches one user (topapi/v2/user/get) as an hr.Employee: ID is the
// userid, Email org_email else email, DisplayName name, Status active
// (the active flag never changes it), Fields the whole result with JSON
// numbers as json.Number and objects as map[string]any. A user that does
// not exist is an *APIError matching ErrUserGone.
func (c *Client) User(ctx context.Context, userID string) (hr.Employee, error) {
	var res map[string]any
	if err := c.post(ctx, APIUserGet, map[string]string{"userid": userID}, &res); err != nil {
		return hr.Employee{}, err
	}
	e, reason := employee(res)
	if reason != "" {
		return hr.Employee{}, &APIError{API: APIUserGet, Status: 200, ErrMsg: fmt.Sprintf("user %s: %s", quote(userID), reason)}
	}
	if e.ID != userID {
		return hr.Employee{}, &APIError{API: APIUserGet, Status: 200, ErrMsg: fmt.Sprintf("asked for user %s, got %s", quote(userID), quote(e.ID))}
	}
	return e, nil
}

// employee reads a user object of user/get or user/list. The reason is
// what makes it unusable.
func employee(u map[string]any) (hr.Employee, string) {
	if u == nil {
		return hr.Employee{}, "the result is not a user object"
	}
	id, ok := u["userid"].(string)
	if !ok {
		return hr.Employee{}, "userid is missing or not a string"
	}
	if reason := checkUserID(id); reason != "" {
		return hr.Employee{ID: id}, reason
	}
	e := hr.Employee{ID: id, Status: hr.StatusActive, Fields: u}
	if s, ok := u["org_email"].(string); ok && s != "" {
		e.Email = s
	} else if s, ok := u["email"].(string); ok {
		e.Email = s
	}
	if s, ok := u["name"].(string); ok {
		e.DisplayName = s
	}
	return e, ""
}

// Roster pulls the whole directory: the department ids from department
// ("" means RootDepartment) down, through topapi/v2/department/listsubid,
// then each department's users through topapi/v2/user/list (cursor paged,
// 100 a page; a department's own users only), one record per userid even
// when a user sits in several departments, sorted by userid. A user object
// that cannot be read is a Problem of the roster, naming its userid.
//
// AsOf is when the pull started (AsOfSource AsOfPullStart), Source
// "dingtalk://" (with ?department= when given), Format "dingtalk". Any
// call that still fails after its retries aborts the pull: the error names
// the API, the department and the errcode, and no roster is returned, never
// a partial one. A directory with no user is an error wrapping
// hr.ErrEmptyRoster.
func (c *Client) Roster(ctx context.Context, department string) (*hr.Roster, error) {
	src := "dingtalk://"
	if department == "" {
		department = RootDepartment
	} else {
		src += "?department=" + url.QueryEscape(department)
	}
	root, err := strconv.ParseInt(department, 10, 64)
	if err != nil || root < 1 {
		return nil, fmt.Errorf("dingtalk: roster: department %s is not a department id (a positive number; the root is 1)", quote(department))
	}
	started := c.cfg.Now()
	p := &pull{c: c, seen: map[int64]bool{root: true}, users: map[string]map[string]any{}}
	if err := p.run(ctx, root); err != nil {
		return nil, fmt.Errorf("dingtalk: roster pull aborted, no roster: %w", err)
	}

	r := &hr.Roster{Source: src, AsOf: started, AsOfSource: AsOfPullStart, Format: Format}
	ids := make([]string, 0, len(p.users))
	for id := range p.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for i, id := range ids {
		e, reason := employee(p.users[id])
		if reason != "" {
			r.Problems = append(r.Problems, hr.RecordError{Record: i + 1, ID: id, Field: "userid", Reason: reason, Fields: p.users[id]})
			continue
		}
		r.Employees = append(r.Employees, e)
	}
	r.Problems = append(r.Problems, p.problems...)
	if len(r.Employees) == 0 {
		return nil, fmt.Errorf("dingtalk: roster: %w: no user in department %s and below (%d departments, %d problems)", hr.ErrEmptyRoster, department, len(p.seen), len(r.Problems))
	}
	return r, nil
}

// task is one call of a pull: the sub-departments of dept, or one page of
// its users.
type task struct {
	dept   int64
	users  bool
	cursor int64
}

// pull walks a directory with Config.Concurrency workers sharing a queue;
// the first error stops it.
type pull struct {
	c *Client

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []task
	active   int
	err      error
	seen     map[int64]bool
	users    map[string]map[string]any
	problems []hr.RecordError
}

func (p *pull) run(ctx context.Context, root int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.cond = sync.NewCond(&p.mu)
	p.queue = []task{{dept: root}, {dept: root, users: true}}
	var wg sync.WaitGroup
	for range p.c.cfg.Concurrency {
		wg.Go(func() {
			for {
				t, ok := p.next()
				if !ok {
					return
				}
				children, page, err := p.do(ctx, t)
				p.finish(children, page, err, cancel)
			}
		})
	}
	wg.Wait()
	return p.err
}

// next blocks until there is a task, or returns false when the pull is
// over (nothing queued or running) or failed.
func (p *pull) next() (task, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) == 0 && p.active > 0 && p.err == nil {
		p.cond.Wait()
	}
	if p.err != nil || len(p.queue) == 0 {
		return task{}, false
	}
	t := p.queue[len(p.queue)-1]
	p.queue = p.queue[:len(p.queue)-1]
	p.active++
	return t, true
}

// finish records a task's outcome: the departments it found (each walked
// and listed once) or the next page, or the error that ends the pull.
func (p *pull) finish(children []int64, page *task, err error, cancel context.CancelFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.cond.Broadcast()
	p.active--
	if err != nil && p.err == nil {
		p.err = err
		cancel()
	}
	if p.err != nil {
		return
	}
	for _, d := range children {
		if p.seen[d] {
			continue
		}
		if len(p.seen) >= maxDepartments {
			p.err = fmt.Errorf("more than %d departments: stopping (a directory that loops?)", maxDepartments)
			cancel()
			return
		}
		p.seen[d] = true
		p.queue = append(p.queue, task{dept: d}, task{dept: d, users: true})
	}
	if page != nil {
		p.queue = append(p.queue, *page)
	}
}

// do makes the call of one task: a walk returns the sub-departments, a
// page the next page when there is one.
func (p *pull) do(ctx context.Context, t task) ([]int64, *task, error) {
	if !t.users {
		var res struct {
			DeptIDList []int64 `json:"dept_id_list"`
		}
		if err := p.c.post(ctx, APIListSubDept, map[string]int64{"dept_id": t.dept}, &res); err != nil {
			return nil, nil, &pullError{fmt.Sprintf("department %d", t.dept), err}
		}
		return res.DeptIDList, nil, nil
	}
	var res struct {
		HasMore    bool             `json:"has_more"`
		NextCursor *json.Number     `json:"next_cursor"`
		List       []map[string]any `json:"list"`
	}
	req := map[string]int64{"dept_id": t.dept, "cursor": t.cursor, "size": pageSize}
	if err := p.c.post(ctx, APIUserList, req, &res); err != nil {
		return nil, nil, &pullError{fmt.Sprintf("department %d, cursor %d", t.dept, t.cursor), err}
	}
	p.mu.Lock()
	for _, u := range res.List {
		id, _ := u["userid"].(string)
		if id == "" {
			p.problems = append(p.problems, hr.RecordError{Field: "userid", Reason: fmt.Sprintf("a user of department %d has no userid", t.dept), Fields: u})
			continue
		}
		if _, dup := p.users[id]; !dup {
			p.users[id] = u
		}
	}
	p.mu.Unlock()
	if !res.HasMore {
		return nil, nil, nil
	}
	var next int64
	if res.NextCursor != nil {
		next, _ = res.NextCursor.Int64()
	}
	if next <= t.cursor {
		return nil, nil, &APIError{API: APIUserList, Status: 200, ErrMsg: fmt.Sprintf("department %d: has_more with next_cursor %d after cursor %d: the paging does not advance", t.dept, next, t.cursor)}
	}
	return nil, &task{dept: t.dept, users: true, cursor: next}, nil
}

// pullError is a failed call of a pull and where in the walk it was.
type pullError struct {
	where string
	err   error
}

func (e *pullError) Error() string {
	return strings.TrimPrefix(e.err.Error(), "dingtalk: ") + " [" + e.where + "]"
}

func (e *pullError) Unwrap() error { return e.err }
