package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// render runs the command on a report and returns its terminal output and
// HTML page.
func render(t *testing.T, report string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "report.json")
	if err := os.WriteFile(in, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.html")
	var stdout, stderr bytes.Buffer
	if err := run([]string{in, "--html", out}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v", err)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "wrote "+out) {
		t.Errorf("stderr %q does not say where the page went", stderr.String())
	}
	return stdout.String(), string(page)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./scripts/report -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got), go test -update rewrites it:\n%s", name, d)
	}
}

// The sample report (provision's golden report with suspensions, resumes,
// fired brakes and an approval) renders as the golden files show.
func TestGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/report.json")
	if err != nil {
		t.Fatal(err)
	}
	text, page := render(t, string(data))
	golden(t, "report.txt.golden", text)
	golden(t, "report.html.golden", page)

	for _, want := range []string{
		"approve with  s reconciler invoke -e '{\"approve\":\"3f1c9a0e5b7d24c8e1a2\"}'",
		"!! The deletion brakes fired",
		"  alreadySuspended  1",
		"      marker: ramsync:suspended:2026-11-26T17:00:00Z:LTAI5tLIUQI001", // a field this tool does not know
		"        -     \"userName\":    \"zhang.san\",",
		"Left for next run (2)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the terminal summary lacks %q", want)
		}
	}
	for _, want := range []string{
		`<div class="bar" role="img"`,
		`<span style="width:11.765%;background:#fb8f44" title="rejected: 2"></span>`,
		`<div class="alert"><strong>The deletion brakes fired.</strong>`,
		`<span class="del">-     &#34;userName&#34;:    &#34;zhang.san&#34;,</span>`,
		`<b>marker</b>: ramsync:suspended:2026-11-26T17:00:00Z:LTAI5tLIUQI001`,
		`<section class="refusal">` + "\n" + `<h2>Rejections <span class="n">(2)</span></h2>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Self-contained: no scripts, no external resources.
	for _, bad := range []string{"<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page has %q: not self-contained", bad)
		}
	}
}

// Counts are rendered generically: every key, in the report's order,
// including ones this tool has never heard of.
func TestCountsInOrder(t *testing.T) {
	text, page := render(t, `{"runId":"r","counts":{"zeta":3,"create":1,"brandNew":2},"changes":[]}`)
	i, j, k := strings.Index(text, "  zeta"), strings.Index(text, "  create"), strings.Index(text, "  brandNew")
	if i < 0 || j < i || k < j {
		t.Errorf("counts not in the report's order:\n%s", text)
	}
	if !strings.Contains(page, `title="brandNew: 2"`) || !strings.Contains(page, `<td>zeta</td><td class="num">3</td>`) {
		t.Errorf("an unknown count key is not in the page's bar and table")
	}
}

// A value carrying markup or terminal escapes is shown as text.
func TestHostileValues(t *testing.T) {
	report := `{"runId":"<script>alert(1)</script>","counts":{"<img src=x onerror=alert(2)>":1},
	"changes":[{"action":"create","userName":"<script>alert(3)</script>","reason":"\u001b[2J\u001b]0;pwned\u0007x",
	"diff":"- <script>alert(4)</script>\n+ ok","x\"><script>":"</td></tr></table><script>alert(5)</script>"}],
	"approval":"'\"><script>alert(6)</script>"}`
	text, page := render(t, report)
	if strings.Contains(strings.ToLower(page), "<script") || strings.Contains(page, "<img") {
		t.Errorf("markup from the report reached the page unescaped:\n%s", page)
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(3)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks the escaped %q", want)
		}
	}
	if strings.ContainsAny(text, "\x1b\x07") {
		t.Errorf("terminal escapes reached the summary: %q", text)
	}
	if !strings.Contains(text, "<script>alert(3)</script>") {
		t.Errorf("the terminal summary should show the value as text:\n%s", text)
	}
}

// A Log Service line whose report field holds the report renders too.
func TestLogLine(t *testing.T) {
	text, _ := render(t, `{"time":"2026-11-27T02:00:08Z","level":"INFO","msg":"reconcile report","report":{"runId":"r-7","counts":{"create":1}}}`)
	if !strings.Contains(text, "run     r-7") && !strings.Contains(text, "run  r-7") {
		t.Errorf("the report inside a log line is not rendered:\n%s", text)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no file", nil, "no report file"},
		{"two files", []string{"a", "b"}, "one report file"},
		{"html without name", []string{"a", "--html"}, "--html needs"},
		{"unknown flag", []string{"a", "--pdf"}, "unknown flag"},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, "no such file"},
		{"not json", []string{write("bad.json", "{")}, "is not JSON"},
		{"not a report", []string{write("other.json", `{"a":1}`)}, "not a reconciler report"},
		{"an array", []string{write("arr.json", `[]`)}, "not a JSON object"},
		{"two values", []string{write("two.json", `{"runId":"a"} {}`)}, "more than one JSON value"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		err := run(c.args, nil, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

func TestStdinAndFlagForms(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-"}, strings.NewReader(`{"runId":"from-stdin","counts":{}}`), &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "from-stdin") {
		t.Errorf("stdin not read:\n%s", out.String())
	}
	p := filepath.Join(t.TempDir(), "x.html")
	out.Reset()
	if err := run([]string{"--html=" + p, "-"}, strings.NewReader(`{"runId":"r","counts":{}}`), &out, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("--html=FILE did not write the page: %v", err)
	}
}

// Columns follow the report: a list shows the column fields its entries
// have (reports before SPEC version 2 had "outcome", later ones "planned").
func TestColumns(t *testing.T) {
	text, page := render(t, `{"runId":"r","counts":{},
	"changes":[{"action":"delete","userName":"a","status":"done","outcome":"deleted"}],
	"skipped":[{"action":"skipped","externalId":"E1","reason":"stale: old"}]}`)
	for _, want := range []string{
		"  ACTION  STATUS  OUTCOME  USER\n  delete  done    deleted  a\n",
		"  ACTION   EXTERNAL ID\n  skipped  E1\n      reason: stale: old\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary lacks\n%s\ngot\n%s", want, text)
		}
	}
	if !strings.Contains(page, "<tr><th>action</th><th>status</th><th>outcome</th><th>user</th><th>details</th></tr>") {
		t.Errorf("the page's changes table does not have exactly the report's columns")
	}
}
