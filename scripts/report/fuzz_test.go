package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// Any input either fails cleanly or renders: no panic, no markup from the
// input in the page, no terminal control characters in the summary.
func FuzzRender(f *testing.F) {
	sample, err := os.ReadFile("testdata/report.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(sample))
	f.Add(`{"runId":"<script>","counts":{"a":1},"changes":[{"action":"x","diff":"-\u001b[31m"}]}`)
	f.Add(`{"report":{"runId":"r","counts":{"a":-5,"b":"x","c":1e99}}}`)
	f.Fuzz(func(t *testing.T, in string) {
		parsed, err := parse([]byte(in))
		if err != nil {
			return
		}
		v, err := newView(parsed)
		if err != nil {
			return
		}
		var text, page bytes.Buffer
		if err := writeText(&text, v); err != nil {
			t.Fatal(err)
		}
		if err := writeHTML(&page, v); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(page.String()), "<script") {
			t.Errorf("markup from the input in the page")
		}
		for _, r := range text.String() {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
				t.Fatalf("control character %U in the summary", r)
			}
		}
	})
}
