package main

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// view is a report arranged for reading; both renderers draw it.
type view struct {
	RunID       string
	Info        []field
	Counts      []count
	CountTotal  int64
	BrakesFired bool
	Brakes      string
	Approval    string
	ApproveCmd  string
	Sections    []section
}

// field is a label and its value.
type field struct{ Key, Value string }

// count is one key of the counts object, in the report's order.
type count struct {
	Key string
	N   int64
}

// section is one list of entries (changes, rejections, …).
type section struct {
	Key, Title string
	// Refusal marks the lists an auditor reads for what was not done.
	Refusal bool
	// Columns are the column fields some entry of this list has, in
	// columnOrder; their headings are in Headings.
	Columns  []string
	Headings []string
	Entries  []entry
}

// entry is one line of a list: Cells for the section's Columns, Details
// for every other field, known or not, in the entry's order, and Diff, the
// attribute diff of an update.
type entry struct {
	Cells   []string
	Details []field
	Diff    string
}

// columnOrder are the entry fields shown as columns when a list has them
// (reports before SPEC version 2 had "outcome"; later ones "planned").
var columnOrder = []struct{ key, heading string }{
	{"action", "action"}, {"planned", "planned"}, {"status", "status"}, {"outcome", "outcome"},
	{"userName", "user"}, {"externalId", "external id"}, {"id", "id"},
}

// Labels of the top-level fields this tool knows; others show their key.
var infoLabels = map[string]string{
	"runId": "run", "startedAt": "started", "finishedAt": "finished", "dryRun": "dry run", "aborted": "aborted",
	"roster": "roster", "directory": "directory", "brakes": "brakes", "approval": "approval",
	"scimCalls": "SCIM calls", "timings": "timings", "omitted": "omitted (brief copy)",
}

var sectionTitles = map[string]string{
	"changes": "Changes", "rejections": "Rejections", "conflicts": "Conflicts", "protected": "Protected",
	"skipped": "Skipped", "errors": "Errors", "warnings": "Warnings", "leftForNextRun": "Left for next run",
}

var refusals = map[string]bool{"rejections": true, "conflicts": true, "protected": true, "skipped": true, "errors": true}

// ApproveCommand is the operator's command that approves held removals.
func approveCommand(hash string) string {
	return `s reconciler invoke -e '{"approve":"` + hash + `"}'`
}

// newView arranges a parsed report. A Log Service line whose "report"
// field holds the report is taken too.
func newView(v any) (*view, error) {
	r, ok := v.(*object)
	if !ok {
		return nil, errors.New("the file is not a JSON object")
	}
	if inner := r.obj("report"); inner != nil && !r.has("runId") {
		r = inner
	}
	if !r.has("runId") && !r.has("counts") {
		return nil, errors.New("the JSON has neither runId nor counts: not a reconciler report")
	}
	w := &view{RunID: r.str("runId"), Approval: r.str("approval")}
	if w.Approval != "" {
		w.ApproveCmd = approveCommand(w.Approval)
	}
	if b := r.obj("brakes"); b != nil {
		w.BrakesFired = b.get("fired") == true
		w.Brakes = inline(b)
	}
	for _, k := range r.keys {
		val := r.vals[k]
		switch val := val.(type) {
		case []any:
			w.Sections = append(w.Sections, newSection(k, val))
			continue
		case *object:
			if k == "counts" {
				for _, ck := range val.keys {
					n, _ := strconv.ParseInt(scalar(val.vals[ck]), 10, 64)
					w.Counts = append(w.Counts, count{Key: ck, N: n})
					w.CountTotal += max(n, 0)
				}
				continue
			}
		}
		label := infoLabels[k]
		if label == "" {
			label = k
		}
		text := scalar(val)
		if o, ok := val.(*object); ok {
			text = inline(o)
		}
		if k == "finishedAt" {
			if d, ok := duration(r.str("startedAt"), text); ok {
				text += " (" + d + ")"
			}
		}
		w.Info = append(w.Info, field{label, text})
		if k == "approval" && w.ApproveCmd != "" {
			w.Info = append(w.Info, field{"approve with", w.ApproveCmd})
		}
	}
	return w, nil
}

func newSection(k string, list []any) section {
	s := section{Key: k, Title: sectionTitles[k], Refusal: refusals[k]}
	if s.Title == "" {
		s.Title = k
	}
	shown := map[string]bool{"diff": true}
	for _, c := range columnOrder {
		for _, it := range list {
			if o, ok := it.(*object); ok && o.str(c.key) != "" {
				s.Columns = append(s.Columns, c.key)
				s.Headings = append(s.Headings, c.heading)
				shown[c.key] = true
				break
			}
		}
	}
	for _, it := range list {
		o, ok := it.(*object)
		if !ok {
			s.Entries = append(s.Entries, entry{Details: []field{{"value", scalar(it)}}})
			continue
		}
		e := entry{Diff: o.str("diff")}
		for _, c := range s.Columns {
			e.Cells = append(e.Cells, o.str(c))
		}
		for _, fk := range o.keys {
			if !shown[fk] {
				e.Details = append(e.Details, field{fk, detail(o.vals[fk])})
			}
		}
		s.Entries = append(s.Entries, e)
	}
	return s
}

// detail renders an entry's field: steps as "action target result",
// lists joined with "; ".
func detail(v any) string {
	list, ok := v.([]any)
	if !ok {
		return scalar(v)
	}
	parts := make([]string, 0, len(list))
	for _, it := range list {
		if o, ok := it.(*object); ok {
			vals := make([]string, 0, len(o.keys))
			for _, k := range o.keys {
				vals = append(vals, scalar(o.vals[k]))
			}
			parts = append(parts, strings.Join(vals, " "))
			continue
		}
		parts = append(parts, scalar(it))
	}
	return strings.Join(parts, "; ")
}

// inline is an object's fields as "key=value, …", nested objects in braces.
func inline(o *object) string {
	s := scalar(o)
	return strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
}

// duration is finished − started, when both are RFC 3339 times.
func duration(started, finished string) (string, bool) {
	a, err1 := time.Parse(time.RFC3339Nano, started)
	b, err2 := time.Parse(time.RFC3339Nano, finished)
	if err1 != nil || err2 != nil {
		return "", false
	}
	return b.Sub(a).Round(time.Millisecond).String(), true
}

// clean makes a value safe for a terminal: control characters (an
// escape sequence in a hostile userName) become U+FFFD; newlines too,
// unless keepNewlines.
func clean(s string, keepNewlines bool) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' && keepNewlines || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return '\uFFFD'
		}
		return r
	}, s)
}
