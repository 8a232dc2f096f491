package main

import (
	"context"
	"net/http"
	"sync"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
)

// batchWorkers is how many employees of a batch are worked on at once.
// Events of one employee always apply in their order in the batch.
const batchWorkers = 4

// apply applies every valid event and answers each.
func (h *Handler) apply(ctx context.Context, d *hr.Delivery) []result {
	results := make([]result, len(d.Events))
	groups := map[string][]int{}
	var order []string
	for i, ev := range d.Events {
		results[i].EventID = ev.Event.ID
		results[i].ExternalID = ev.Event.Employee.ID
		if ev.Err != nil {
			results[i].Status, results[i].Error = eventStatus(ev.Err), &apiError{Code: eventCode(ev.Err), Message: ev.Err.Error()}
			continue
		}
		id := ev.Event.Employee.ID
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		groups[id] = append(groups[id], i)
	}
	next := make(chan []int)
	var wg sync.WaitGroup
	for range min(batchWorkers, max(len(order), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx := range next {
				for _, i := range idx {
					results[i] = h.applyOne(ctx, d.Events[i].Event, results[i])
				}
			}
		}()
	}
	for _, id := range order {
		next <- groups[id]
	}
	close(next)
	wg.Wait()
	h.observe(ctx, results) // the invocation's alerts (alerts.go)
	return results
}

func (h *Handler) applyOne(ctx context.Context, ev hr.Event, res result) result {
	// Every path decides through the one rulebook: see
	// provision.Engine.ApplyEvent.
	r, err := h.Engine.ApplyEvent(ctx, ev)
	res.Result = r
	if res.ExternalID == "" {
		res.ExternalID = ev.Employee.ID
	}
	switch {
	case err != nil && provision.Transient(err):
		res.Status, res.Error = http.StatusServiceUnavailable, &apiError{Code: "unavailable",
			Message: "RAM's SCIM service or OpenAPI is unavailable (the HR system should retry): " + err.Error()}
	case err != nil:
		res.Status, res.Error = http.StatusInternalServerError, &apiError{Code: "internal", Message: err.Error()}
	case r.Action == provision.Conflict:
		res.Status, res.Error = http.StatusConflict, &apiError{Code: "conflict", Message: r.Reason}
	case r.Action == provision.Protected:
		res.Status, res.Error = http.StatusConflict, &apiError{Code: "protected", Message: r.Reason}
	case r.Action == provision.Rejected:
		res.Status, res.Error = http.StatusUnprocessableEntity, &apiError{Code: "invalid_employee",
			Message: "employee " + quoteID(ev.Employee.ID) + ": " + r.Reason}
	case r.Action == provision.NotOwned:
		// Nothing of ours to remove; the reason says why.
		res.Result.Action = provision.Skipped
	}
	return res
}

func eventStatus(e *hr.EventError) int {
	if e.Kind == hr.KindInvalidEmployee {
		return http.StatusUnprocessableEntity
	}
	return http.StatusBadRequest
}

func eventCode(e *hr.EventError) string {
	if e.Kind == hr.KindInvalidEmployee {
		return "invalid_employee"
	}
	return "bad_request"
}

func quoteID(id string) string {
	if id == "" {
		return "(no id)"
	}
	return `"` + id + `"`
}
