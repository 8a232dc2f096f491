package main

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Funcs(template.FuncMap{"diffLines": diffLines}).Parse(pageSource))

// colors of the outcome bar, by count key; keys not listed take the
// fallback palette in turn.
var colors = map[string]string{
	"create": "#2da44e", "update": "#0969da", "adopt": "#1b7c83", "resume": "#54aeff", "resumed": "#54aeff",
	"suspend":   "#8250df",
	"unchanged": "#d0d7de", "delete": "#cf222e", "suspended": "#8250df",
	"alreadySuspended": "#c297ff", "already suspended": "#c297ff",
	"alreadyAbsent": "#ff8182", "already absent": "#ff8182", "dryRun": "#eac54f", "dry run": "#eac54f",
	"conflict": "#bc4c00", "rejected": "#fb8f44", "protected": "#6e7781", "blocked": "#a40e26",
	"skipped": "#afb8c1", "failed": "#82071e", "held": "#d4a72c", "deferred": "#57606a",
}

var fallback = []string{"#e16f24", "#3192aa", "#9a6700", "#bf3989", "#4d2d00", "#0550ae"}

// segment is one outcome in the bar.
type segment struct {
	Key    string
	N      int64
	Style  template.CSS
	Swatch template.CSS
}

// pageData is what the template draws.
type pageData struct {
	*view
	Bar []segment
}

// writeHTML writes the report as one self-contained HTML page: inline CSS,
// no scripts, no external assets; every value escaped by html/template.
func writeHTML(w io.Writer, v *view) error {
	d := pageData{view: v}
	next := 0
	for _, c := range v.Counts {
		if c.N <= 0 {
			continue
		}
		col, ok := colors[c.Key]
		if !ok {
			col = fallback[next%len(fallback)]
			next++
		}
		pct := float64(c.N) * 100 / float64(v.CountTotal)
		d.Bar = append(d.Bar, segment{Key: c.Key, N: c.N,
			// Built from a number and a fixed palette only: safe CSS.
			Style:  template.CSS(fmt.Sprintf("width:%.3f%%;background:%s", pct, col)),
			Swatch: template.CSS("background:" + col)})
	}
	return page.Execute(w, d)
}

// diffLine is a line of a go-cmp diff with its class: del, add or ctx.
type diffLine struct{ Class, Text string }

func diffLines(diff string) []diffLine {
	var out []diffLine
	for _, l := range strings.Split(diff, "\n") {
		c := "ctx"
		switch {
		case strings.HasPrefix(l, "-"):
			c = "del"
		case strings.HasPrefix(l, "+"):
			c = "add"
		}
		out = append(out, diffLine{c, strings.ReplaceAll(l, "\t", "    ")})
	}
	return out
}
