package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ramsync/ramsync/pkg/hr"
)

// Source is the hr.Event Source of every event this package builds.
const Source = "dingtalk"

// FetchError is a user of a push whose record could not be fetched.
type FetchError struct {
	UserID string
	Type   string // the hr event type it was for
	Err    error  // an *APIError, or the context's error
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("dingtalk: user %s (%s): %v", quote(e.UserID), e.Type, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// EventsError is what Events returns, with the events it could build,
// when some users of a push are gone for good (ErrUserGone): each is a
// permanent refusal of that one event, to report and answer as success.
type EventsError struct {
	Failed []*FetchError
}

func (e *EventsError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the FetchErrors, for errors.Is and errors.As.
func (e *EventsError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f
	}
	return errs
}

// Events turns an opened push into hr events, in the push's order: a hire
// (user_add_org, user_active_org) or an update (user_modify_org) carries the
// user fetched with User; a termination (user_leave_org) carries the id
// alone (Employee.Fields {"userid": id}, Status terminated), fetching
// nothing. Every event has Source "dingtalk" and the push's OccurredAt.
//
// When a fetch fails transiently (IsTransient: network, 5xx, throttling
// after retries, token trouble) Events returns no events and that error:
// answer 503 so DingTalk redelivers. Users that are gone for good
// (ErrUserGone) do not stop the others: Events returns the events it
// built and an *EventsError listing them.
func (c *Client) Events(ctx context.Context, p Push) ([]hr.Event, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make([]hr.Event, len(p.Events))
	fails := make([]*FetchError, len(p.Events))
	var (
		once  sync.Once
		fatal *FetchError // the first transient failure; it stops the others
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, c.cfg.Concurrency)
	for i, r := range p.Events {
		events[i] = hr.Event{ID: p.EventID, Type: r.Type, OccurredAt: p.OccurredAt, Source: Source}
		if !r.NeedsFetch() {
			events[i].Employee = hr.Employee{
				ID:     r.UserID,
				Status: hr.StatusTerminated,
				Fields: map[string]any{"userid": r.UserID},
			}
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			e, err := c.User(ctx, r.UserID)
			if err == nil {
				events[i].Employee = e
				return
			}
			fails[i] = &FetchError{UserID: r.UserID, Type: r.Type, Err: err}
			if !errors.Is(err, ErrUserGone) {
				once.Do(func() { fatal = fails[i]; cancel() })
			}
		})
	}
	wg.Wait()
	if fatal != nil {
		return nil, fatal
	}
	var out []hr.Event
	var gone []*FetchError
	for i := range events {
		if fails[i] != nil {
			gone = append(gone, fails[i])
			continue
		}
		out = append(out, events[i])
	}
	if len(gone) > 0 {
		return out, &EventsError{Failed: gone}
	}
	return out, nil
}
