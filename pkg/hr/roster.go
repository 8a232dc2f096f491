package hr

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrEmptyRoster means a roster has no usable employee: no record at all, or
// every record a problem. The reconciler must abort rather than read it as
// "everyone left".
var ErrEmptyRoster = errors.New("empty roster")

// Roster is the full list of employees, as the reconciler reads it.
type Roster struct {
	// Source is where the roster came from, without credentials.
	Source string
	// AsOf is the time the roster describes (SPEC §3 rule 5a), and
	// AsOfSource where it came from: "asOf field", "Last-Modified header",
	// "file time" or "fetch time". Parse sets them only from the asOf field.
	AsOf       time.Time
	AsOfSource string
	// Format is "json" or "csv".
	Format string
	// Employees are the records that could be read, in order, each id once.
	Employees []Employee
	// Problems are the records that could not be read, in order.
	Problems []RecordError
}

// The values of Roster.AsOfSource.
const (
	AsOfField        = "asOf field"
	AsOfLastModified = "Last-Modified header"
	AsOfFileTime     = "file time"
	AsOfFetchTime    = "fetch time"
)

// RecordError is a roster record that could not be read.
type RecordError struct {
	Record int    // 1-based record number in a JSON roster, 0 for CSV
	Line   int    // line of a CSV roster where the record starts (the header is line 1), 0 for JSON
	ID     string // the employee id, if it could be read
	Field  string // the field at fault, "" for the record as a whole
	Reason string
}

// Error names the record or line, the id and the field:
// `line 4 (id "E1003"): status: unknown status "retired" (…)`.
func (e RecordError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
	} else {
		fmt.Fprintf(&b, "record %d", e.Record)
	}
	if e.ID != "" {
		fmt.Fprintf(&b, " (id %s)", quote(e.ID))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Parse reads a roster from data: format "json", "csv", or "" to guess (the
// first non-space byte, after an optional UTF-8 BOM, is '[' or '{' for JSON;
// anything else is CSV). Records that cannot be read go to Problems; a roster
// that cannot be read at all, or has no usable employee (ErrEmptyRoster), is
// an error.
func Parse(data []byte, format string) (*Roster, error) {
	r, err := parse(data, format, parseOptions{})
	if err != nil {
		return nil, fmt.Errorf("hr: roster: %w", err)
	}
	return r, nil
}

// parseOptions are the Loader's parsing settings.
type parseOptions struct {
	// standardFieldsOnly leaves Employee.Fields nil.
	standardFieldsOnly bool
}

func parse(data []byte, format string, o parseOptions) (*Roster, error) {
	format = strings.ToLower(format)
	if len(bytes.TrimSpace(trimBOM(data))) == 0 {
		return nil, fmt.Errorf("%w: no data", ErrEmptyRoster)
	}
	if format == "" {
		format = sniff(data)
	}
	var r *Roster
	var err error
	switch format {
	case "json":
		r, err = parseJSON(data, o)
	case "csv":
		r, err = parseCSV(data, o)
	default:
		return nil, fmt.Errorf("unknown format %s (want json or csv)", quote(format))
	}
	if err != nil {
		return nil, err
	}
	r.Format = format
	return r, r.check()
}

// bom is the UTF-8 byte order mark, which spreadsheet exports like to add.
var bom = []byte("\xef\xbb\xbf")

func sniff(data []byte) string {
	data = bytes.TrimLeft(bytes.TrimPrefix(data, bom), " \t\r\n")
	if len(data) > 0 && (data[0] == '[' || data[0] == '{') {
		return "json"
	}
	return "csv"
}

// add keeps e unless its id was already seen, which is a problem for the
// later record: which of two records is the truth cannot be known, and the
// employee stays in the roster either way, so nothing is deleted for it.
func (r *Roster) add(e Employee, where RecordError, seen map[string]RecordError) {
	if first, dup := seen[e.ID]; dup {
		where.ID, where.Field = e.ID, "id"
		if first.Line > 0 {
			where.Reason = fmt.Sprintf("duplicate id, first on line %d", first.Line)
		} else {
			where.Reason = fmt.Sprintf("duplicate id, first in record %d", first.Record)
		}
		r.Problems = append(r.Problems, where)
		return
	}
	seen[e.ID] = where
	r.Employees = append(r.Employees, e)
}

// check refuses a roster with no usable employee.
func (r *Roster) check() error {
	switch {
	case len(r.Employees) > 0:
		return nil
	case len(r.Problems) == 0:
		return fmt.Errorf("%w: no employee records", ErrEmptyRoster)
	}
	return fmt.Errorf("%w: all %d records have problems, the first: %v", ErrEmptyRoster, len(r.Problems), r.Problems[0])
}
