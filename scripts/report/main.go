// Command report renders a ramsync reconciler report (the JSON the
// reconciler returns and logs, shaped like pkg/provision.Report) for
// people: a summary in the terminal and, with --html, a self-contained
// HTML page for an auditor, with the counts, a bar of outcomes, the
// changes with their diffs and the refusals with their reasons.
//
//	go run ./scripts/report FILE [--html OUT.html]
//	scripts/report.sh FILE [--html OUT.html]
//
// FILE may be "-" for standard input, and may be a Log Service line whose
// "report" field holds the report. The counts are shown key by key as the
// report has them, and fields this tool does not know are shown, not
// dropped, so newer reports render too.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = "usage: report FILE [--html OUT.html]   (FILE may be - for standard input)"

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		if errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("bad arguments")

// run is the command, with its streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var file, htmlOut string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--html" || a == "-html":
			if i+1 >= len(args) {
				return fmt.Errorf("%w: --html needs a file name", errUsage)
			}
			i++
			htmlOut = args[i]
		case strings.HasPrefix(a, "--html=") || strings.HasPrefix(a, "-html="):
			htmlOut = a[strings.Index(a, "=")+1:]
		case a == "-h" || a == "--help" || a == "-help":
			_, err := fmt.Fprintln(stdout, usage)
			return err
		case a != "-" && strings.HasPrefix(a, "-"):
			return fmt.Errorf("%w: unknown flag %s", errUsage, a)
		case file == "":
			file = a
		default:
			return fmt.Errorf("%w: one report file at a time (got %s and %s)", errUsage, file, a)
		}
	}
	if file == "" {
		return fmt.Errorf("%w: no report file", errUsage)
	}
	data, err := read(file, stdin)
	if err != nil {
		return err
	}
	parsed, err := parse(data)
	if err != nil {
		return fmt.Errorf("%s is not JSON: %w", file, err)
	}
	v, err := newView(parsed)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := writeText(stdout, v); err != nil {
		return err
	}
	if htmlOut == "" {
		return nil
	}
	var b bytes.Buffer
	if err := writeHTML(&b, v); err != nil {
		return err
	}
	if err := os.WriteFile(htmlOut, b.Bytes(), 0o644); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stderr, "wrote %s\n", htmlOut)
	return err
}

func read(file string, stdin io.Reader) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(file)
}
