package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// barWidth is the longest count bar in the terminal.
const barWidth = 30

// writeText prints the report as a summary for a terminal.
func writeText(w io.Writer, v *view) error {
	p := &printer{w: w}
	p.line("ramsync reconcile report")
	p.line("%s", strings.Repeat("=", 24))
	kw := 0
	for _, f := range v.Info {
		kw = max(kw, utf8.RuneCountInString(f.Key))
	}
	for _, f := range v.Info {
		p.line("%s  %s", pad(clean(f.Key, false), kw), clean(f.Value, false))
	}
	if v.BrakesFired {
		p.line("")
		p.line("!! The deletion brakes fired: the removals under \"Left for next run\" were held.")
		if v.ApproveCmd != "" {
			p.line("!! To apply exactly these removals: %s", clean(v.ApproveCmd, false))
		}
	}

	p.line("")
	p.line("Counts")
	var maxN int64
	cw := 0
	for _, c := range v.Counts {
		maxN = max(maxN, c.N)
		cw = max(cw, utf8.RuneCountInString(c.Key))
	}
	nw := len(fmt.Sprint(maxN))
	for _, c := range v.Counts {
		bar := ""
		if maxN > 0 && c.N > 0 {
			bar = strings.Repeat("#", int(max(1, c.N*barWidth/maxN)))
		}
		p.line("  %s  %*d  %s", pad(clean(c.Key, false), cw), nw, c.N, bar)
	}

	for _, s := range v.Sections {
		p.line("")
		p.line("%s (%d)", clean(s.Title, false), len(s.Entries))
		if len(s.Entries) == 0 {
			p.line("  none")
			continue
		}
		writeEntries(p, s)
	}
	return p.err
}

// writeEntries prints a table of a list's entries, each followed by its
// details and diff.
func writeEntries(p *printer, s section) {
	head := make([]string, len(s.Headings))
	widths := make([]int, len(head))
	for i, h := range s.Headings {
		head[i] = strings.ToUpper(h)
		widths[i] = utf8.RuneCountInString(head[i])
	}
	rows := make([][]string, len(s.Entries))
	for i, e := range s.Entries {
		rows[i] = make([]string, len(e.Cells))
		for j, c := range e.Cells {
			c = clean(c, false)
			if c == "" {
				c = "-"
			}
			rows[i][j] = c
			widths[j] = max(widths[j], utf8.RuneCountInString(c))
		}
	}
	if len(head) > 0 {
		p.line("  %s", cells(head, widths))
	}
	for i, e := range s.Entries {
		if len(rows[i]) > 0 {
			p.line("  %s", cells(rows[i], widths))
		}
		for _, d := range e.Details {
			p.line("      %s: %s", clean(d.Key, false), clean(d.Value, false))
		}
		if e.Diff != "" {
			p.line("      diff (-before +after):")
			for _, l := range strings.Split(clean(e.Diff, true), "\n") {
				p.line("        %s", strings.ReplaceAll(l, "\t", "    "))
			}
		}
	}
}

// cells joins a row's cells, each padded to its column's width.
func cells(row []string, widths []int) string {
	var b strings.Builder
	for i, c := range row {
		if i == len(row)-1 {
			b.WriteString(c)
			break
		}
		b.WriteString(pad(c, widths[i]) + "  ")
	}
	return strings.TrimRight(b.String(), " ")
}

func pad(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-utf8.RuneCountInString(s)))
}

// printer writes lines and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = io.WriteString(p.w, strings.TrimRight(fmt.Sprintf(format, args...), " ")+"\n")
}
