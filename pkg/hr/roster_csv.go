package hr

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// csvColumns are the columns ramsync understands, by their JSON names.
var csvColumns = []string{"id", "email", "displayName", "status"}

// parseCSV reads a CSV roster: UTF-8 (BOM tolerated), a header row, quoted
// fields, CRLF or LF line ends. Each known column is found by its exact name,
// else case-insensitively; every named column goes into Fields under its
// header name, as a string, and a known column also under its own name
// (an "Email" column is Fields["Email"] and Fields["email"]). Columns with an
// empty header are ignored.
func (b *builder) parseCSV(data []byte) error {
	data = trimBOM(data)
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return errors.New("the file is UTF-16: save it as UTF-8")
	}
	if !utf8.Valid(data) {
		off := invalidUTF8At(data)
		return fmt.Errorf("line %d: invalid UTF-8", 1+bytes.Count(data[:off], []byte{'\n'}))
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // a short or long row is the row's problem
	header, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("%w: no header row", ErrEmptyRoster)
	}
	if err != nil {
		return csvError(err)
	}
	names, known, err := csvHeader(header)
	if err != nil {
		return err
	}

	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		where := RecordError{Line: line}
		if i := known["id"]; i < len(row) {
			where.ID = strings.TrimSpace(row[i])
		}
		if len(row) != len(header) {
			where.Reason = fmt.Sprintf("has %d fields, the header has %d", len(row), len(header))
			b.problem(where, nil)
			continue
		}
		fields := make(map[string]any, len(names))
		for i, name := range names {
			if name != "" {
				fields[name] = row[i]
			}
		}
		// The known columns under their canonical names, for parseEmployee;
		// Fields keeps the header's spelling.
		canon := make(map[string]any, len(known))
		for col, i := range known {
			canon[col] = row[i]
		}
		for col, v := range canon {
			if _, ok := fields[col]; !ok {
				fields[col] = v // "Email" is also .email for the mapping
			}
		}
		e, ferr := parseEmployee(canon)
		if ferr != nil {
			where.ID, where.Field, where.Reason = e.ID, ferr.field, ferr.reason
			if i, ok := known[ferr.field]; ok {
				where.Field = names[i] // as the header spells it
			}
			b.problem(where, fields)
			continue
		}
		e.Fields = fields
		b.add(e, where, "id")
	}
	return nil
}

// csvHeader reads the header row: the trimmed column names, and the index of
// each known column found.
func csvHeader(header []string) (names []string, known map[string]int, err error) {
	names = make([]string, len(header))
	at := map[string]int{}
	for i, h := range header {
		names[i] = strings.TrimSpace(h)
		if names[i] == "" {
			continue
		}
		if j, dup := at[names[i]]; dup {
			return nil, nil, fmt.Errorf("line 1: column %s appears twice (columns %d and %d)", quote(names[i]), j+1, i+1)
		}
		at[names[i]] = i
	}
	known = map[string]int{}
	for _, col := range csvColumns {
		if i, ok := at[col]; ok {
			known[col] = i
			continue
		}
		var found []int
		for i, n := range names {
			if strings.EqualFold(n, col) {
				found = append(found, i)
			}
		}
		switch len(found) {
		case 0:
		case 1:
			known[col] = found[0]
		default:
			return nil, nil, fmt.Errorf("line 1: columns %s and %s both read as %s", quote(names[found[0]]), quote(names[found[1]]), col)
		}
	}
	if _, ok := known["id"]; !ok {
		return nil, nil, errors.New("line 1: no id column in the header")
	}
	return names, known, nil
}

// csvError words an encoding/csv error with its line.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d: unreadable CSV: %v", pe.StartLine, pe.Err)
	}
	return fmt.Errorf("unreadable CSV: %v", err)
}
