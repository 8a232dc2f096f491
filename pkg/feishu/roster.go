package feishu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/ramsync/ramsync/pkg/hr"
)

// AsOfPullStart is the Roster.AsOfSource of a directory pull: AsOf is when
// the pull started (a user changed during the pull is newer than the
// roster, SPEC rule 5a).
const AsOfPullStart = "directory pull started"

// pageSize is the largest page both listing APIs allow.
const pageSize = "50"

// Roster pulls the directory (SPEC §4.6, roster feishu://): the
// departments under department ("" or "0" for the whole tenant, else an
// open_department_id) in one paged walk of departments/:id/children with
// fetch_child=true, then the direct members of that department and of
// every department found (users/find_by_department, 50 a page), one record
// per user_id however many departments a user sits in. Resigned or exited
// users are StatusTerminated, frozen ones StatusSuspended, the others
// StatusActive (is_activated and is_unjoin never count).
//
// A user without a usable user_id is a Problem, not an employee. Any call
// that fails for good aborts the pull with an *APIError naming it: there
// is never a partial roster. A pull that finds nobody wraps
// hr.ErrEmptyRoster.
func (c *Client) Roster(ctx context.Context, department string) (*hr.Roster, error) {
	start := c.cfg.Now()
	root := strings.TrimSpace(department)
	source := "feishu://"
	if root == "" {
		root = "0"
	} else {
		source += "?department=" + url.QueryEscape(root)
	}
	depts, err := c.departments(ctx, root)
	if err != nil {
		return nil, err
	}
	users, err := c.members(ctx, depts)
	if err != nil {
		return nil, err
	}
	r := &hr.Roster{Source: source, AsOf: start, AsOfSource: AsOfPullStart, Format: "feishu"}
	seen := map[string]bool{}
	bad := map[string]bool{}
	n := 0
	for i, page := range users {
		for _, obj := range page {
			n++
			e, err := employee(obj, "")
			if err != nil {
				open, _ := obj["open_id"].(string)
				if open != "" && bad[open] { // the same user in another department
					continue
				}
				bad[open] = true
				field, reason := "", err.Error()
				if fe, ok := err.(*FormatError); ok {
					field, reason = fe.Field, fe.Reason
				}
				r.Problems = append(r.Problems, hr.RecordError{Record: n, ID: e.ID, Field: field, Fields: obj,
					Reason: fmt.Sprintf("%s (user open_id %s in department %s)", reason, quote(open), quote(depts[i]))})
				continue
			}
			if seen[e.ID] {
				continue
			}
			seen[e.ID] = true
			r.Employees = append(r.Employees, e)
		}
	}
	if len(r.Employees) == 0 {
		return nil, fmt.Errorf("feishu: %s: %w: %d departments and no user with a user_id (check the app's contact data range and scopes)", source, hr.ErrEmptyRoster, len(depts))
	}
	return r, nil
}

// departments walks the children of root, all levels, and returns root
// and every department found, each once, in the order listed.
func (c *Client) departments(ctx context.Context, root string) ([]string, error) {
	out := []string{root}
	seen := map[string]bool{root: true}
	path := "/open-apis/contact/v3/departments/" + url.PathEscape(root) + "/children"
	tok := ""
	for p := 1; ; p++ {
		q := url.Values{"department_id_type": {"open_department_id"}, "fetch_child": {"true"}, "page_size": {pageSize}}
		if tok != "" {
			q.Set("page_token", tok)
		}
		name := fmt.Sprintf("GET departments/%s/children page %d", root, p)
		a, err := c.get(ctx, APIChildren, name, path, q)
		if err != nil {
			return nil, err
		}
		var data struct {
			HasMore   bool   `json:"has_more"`
			PageToken string `json:"page_token"`
			Items     []struct {
				OpenDepartmentID string `json:"open_department_id"`
			} `json:"items"`
		}
		if err := json.Unmarshal(a.Data, &data); err != nil {
			return nil, &APIError{Call: name, Status: 200, Msg: "data is not a page of departments"}
		}
		for _, it := range data.Items {
			if it.OpenDepartmentID != "" && !seen[it.OpenDepartmentID] {
				seen[it.OpenDepartmentID] = true
				out = append(out, it.OpenDepartmentID)
			}
		}
		if !data.HasMore {
			return out, nil
		}
		if data.PageToken == "" || data.PageToken == tok {
			return nil, &APIError{Call: name, Status: 200, Msg: "has_more without a new page_token"}
		}
		tok = data.PageToken
	}
}

// members fetches the direct members of each department, Concurrency
// departments at a time; the result is in the order of depts. The first
// failure cancels the rest.
func (c *Client) members(ctx context.Context, depts []string) ([][]map[string]any, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([][]map[string]any, len(depts))
	next := make(chan int)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(c.cfg.Concurrency, len(depts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				users, err := c.departmentUsers(ctx, depts[i])
				if err != nil {
					once.Do(func() { first = err; cancel() })
					continue
				}
				out[i] = users
			}
		}()
	}
feed:
	for i := range depts {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, &APIError{Call: "GET users/find_by_department", Err: err}
	}
	return out, nil
}

// departmentUsers pages through find_by_department for one department.
func (c *Client) departmentUsers(ctx context.Context, dept string) ([]map[string]any, error) {
	var out []map[string]any
	tok := ""
	for p := 1; ; p++ {
		q := url.Values{"department_id": {dept}, "department_id_type": {"open_department_id"}, "user_id_type": {"user_id"}, "page_size": {pageSize}}
		if tok != "" {
			q.Set("page_token", tok)
		}
		name := fmt.Sprintf("GET users/find_by_department department %s page %d", dept, p)
		a, err := c.get(ctx, APIFindByDepartment, name, "/open-apis/contact/v3/users/find_by_department", q)
		if err != nil {
			return nil, err
		}
		var data struct {
			HasMore   bool              `json:"has_more"`
			PageToken string            `json:"page_token"`
			Items     []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(a.Data, &data); err != nil {
			return nil, &APIError{Call: name, Status: 200, Msg: "data is not a page of users"}
		}
		for i, raw := range data.Items {
			obj, err := decodeObject(raw)
			if err != nil {
				return nil, &APIError{Call: name, Status: 200, Msg: fmt.Sprintf("items[%d]: %v", i, err)}
			}
			out = append(out, obj)
		}
		if !data.HasMore {
			return out, nil
		}
		if data.PageToken == "" || data.PageToken == tok {
			return nil, &APIError{Call: name, Status: 200, Msg: "has_more without a new page_token"}
		}
		tok = data.PageToken
	}
}
