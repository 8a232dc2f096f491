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
	// Format is the parser that read the roster: FormatJSON, FormatCSV,
	// FormatWorkday, FormatBambooHR or FormatSuccessFactors; a directory
	// pull sets "feishu" or "dingtalk" (AsOfSource "directory pull
	// started"). The mapping for the roster's source is Mapping.For(Format).
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
	Record int    // 1-based record number in a JSON roster (across all pages of a paged export), 0 for CSV
	Page   int    // 1-based page of a SuccessFactors export, 0 for the other formats
	Line   int    // line of a CSV roster where the record starts (the header is line 1), 0 for JSON
	ID     string // the employee id, if it could be read
	Field  string // the field at fault, "" for the record as a whole
	Reason string
	// Fields are the record's fields as read (as Employee.Fields), nil
	// when the record is not an object or has the wrong number of CSV
	// fields, or for a loader reading standard fields only. A MAPPING
	// externalId template reads them to find the user the record holds.
	Fields map[string]any
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
	if e.Page > 0 {
		fmt.Fprintf(&b, " on page %d", e.Page)
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

// Parse reads a roster from data. format is one of the Format constants,
// or "" or FormatAuto to tell them apart by the content (see detect): CSV
// unless the first non-space byte, after an optional UTF-8 BOM, is '[' or
// '{'; a JSON object by its keys. A named format forces that parser, and
// data of another shape is an error saying what it looks like. Records that
// cannot be read go to Problems; a roster that cannot be read at all, or has
// no usable employee (ErrEmptyRoster), is an error. A SuccessFactors page
// with a __next link is an error here (every page or none): a Loader
// follows the links.
func Parse(data []byte, format string) (*Roster, error) {
	b := newBuilder(parseOptions{})
	next, err := b.parse(data, format, "")
	if err == nil && next != "" {
		err = errors.New("successfactors: the export has more pages (__next); load it from its https:// URL so that every page is read")
	}
	if err == nil {
		err = b.r.check()
	}
	if err != nil {
		return nil, fmt.Errorf("hr: roster: %w", err)
	}
	return b.r, nil
}

// The roster formats (ROSTER_FORMAT, Roster.Format).
const (
	FormatAuto           = "auto"
	FormatJSON           = "json"
	FormatCSV            = "csv"
	FormatWorkday        = "workday"
	FormatBambooHR       = "bamboohr"
	FormatSuccessFactors = "successfactors"
)

// Formats lists the formats a roster can be forced to, FormatAuto first.
var Formats = []string{FormatAuto, FormatJSON, FormatCSV, FormatWorkday, FormatBambooHR, FormatSuccessFactors}

// parseOptions are the Loader's parsing settings.
type parseOptions struct {
	// standardFieldsOnly leaves Employee.Fields nil.
	standardFieldsOnly bool
}

// builder collects the records of a roster, from one document or from
// every page of a paged export.
type builder struct {
	r    *Roster
	seen map[string]RecordError
	o    parseOptions
	// records counts the JSON records read so far, page is the current
	// page of a SuccessFactors export (0 before the first).
	records, page int
	// next is the __next link of the SuccessFactors page just read.
	next string
}

func newBuilder(o parseOptions) *builder {
	return &builder{r: &Roster{}, seen: map[string]RecordError{}, o: o}
}

// checkFormat normalises a format name: "" is FormatAuto.
func checkFormat(format string) (string, error) {
	format = strings.ToLower(strings.TrimSpace(format))
	if format == "" {
		return FormatAuto, nil
	}
	for _, f := range Formats {
		if f == format {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %s (want %s)", quote(format), strings.Join(Formats, ", "))
}

// parse reads one document into the builder. format is the named format
// ("" or auto to detect); hint is what the transport said ("json", "csv"
// or ""), used only when the format is not named. It returns the
// SuccessFactors __next link, if any.
func (b *builder) parse(data []byte, format, hint string) (next string, err error) {
	format, err = checkFormat(format)
	if err != nil {
		return "", err
	}
	if len(bytes.TrimSpace(trimBOM(data))) == 0 {
		return "", fmt.Errorf("%w: no data", ErrEmptyRoster)
	}
	named := format != FormatAuto
	if !named {
		format = detect(data)
		switch {
		case hint == FormatCSV:
			format = FormatCSV
		case hint == FormatJSON && format == FormatCSV:
			format = FormatJSON // the JSON parser says what is wrong
		}
	}
	switch format {
	case FormatJSON:
		err = b.parseJSON(data)
	case FormatCSV:
		err = b.parseCSV(data)
	case FormatWorkday, FormatBambooHR, FormatSuccessFactors:
		next, err = b.parseHRIS(data, hrisFormats[format])
	}
	if named {
		// A forced parser may read another format's data without a
		// complaint (ramsync's JSON parser ignores a BambooHR report's
		// "fields"): the shape must match too.
		if seems := detect(data); seems != format {
			if err == nil {
				err = errors.New("the data does not have this format's shape")
			}
			err = fmt.Errorf("%w (ROSTER_FORMAT is %s, but the data looks like %s)", err, format, describeFormat(seems))
		}
	}
	if err != nil {
		return "", err
	}
	if b.r.Format == "" {
		b.r.Format = format
	}
	return next, nil
}

// describeFormat names a format for a message.
func describeFormat(f string) string {
	switch f {
	case FormatJSON:
		return "ramsync's JSON ([…] or {\"asOf\", \"employees\"})"
	case FormatCSV:
		return "CSV"
	case FormatWorkday:
		return "a Workday RaaS export ({\"Report_Entry\": […]})"
	case FormatBambooHR:
		return "a BambooHR custom report ({\"fields\", \"employees\"})"
	case FormatSuccessFactors:
		return "a SuccessFactors OData v2 export ({\"d\": {\"results\": […]}})"
	}
	return f
}

// bom is the UTF-8 byte order mark, which spreadsheet exports like to add.
var bom = []byte("\xef\xbb\xbf")

// add keeps e unless its id was already seen, which is a problem for the
// later record: which of two records is the truth cannot be known, and the
// employee stays in the roster either way, so nothing is deleted for it.
//
// idField is the name of the id field in the record's format.
func (b *builder) add(e Employee, where RecordError, idField string) {
	if first, dup := b.seen[e.ID]; dup {
		where.ID, where.Field = e.ID, idField
		switch {
		case first.Line > 0:
			where.Reason = fmt.Sprintf("duplicate id, first on line %d", first.Line)
		case first.Page > 0:
			where.Reason = fmt.Sprintf("duplicate id, first in record %d on page %d", first.Record, first.Page)
		default:
			where.Reason = fmt.Sprintf("duplicate id, first in record %d", first.Record)
		}
		b.problem(where, e.Fields)
		return
	}
	if b.o.standardFieldsOnly {
		e.Fields = nil
	}
	b.seen[e.ID] = where
	b.r.Employees = append(b.r.Employees, e)
}

// problem records a record that could not be used, with its fields as
// read (nil if none).
func (b *builder) problem(where RecordError, fields map[string]any) {
	if !b.o.standardFieldsOnly {
		where.Fields = fields
	}
	b.r.Problems = append(b.r.Problems, where)
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
