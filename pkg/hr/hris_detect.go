package hr

import (
	"bytes"
	"encoding/json"
)

// detect tells the roster formats apart by content alone (ROSTER_FORMAT=auto):
//
//   - anything not starting with '[' or '{' (after a UTF-8 BOM and white
//     space) is CSV;
//   - a JSON array is ramsync's JSON;
//   - a JSON object is told by its top-level keys, in the order they come:
//     "Report_Entry" is Workday, "d" SuccessFactors, "fields" BambooHR,
//     "asOf" ramsync's JSON; an object with none of these is ramsync's JSON
//     (whose parser then says what is missing).
//
// Values of other keys (a BambooHR "employees" array before its "fields",
// say) are skipped token by token without being kept, so detection costs
// no memory. A document that is not valid JSON, or nests deeper than the
// parsers allow, is left to the JSON parser to describe: "json".
func detect(data []byte) string {
	data = bytes.TrimLeft(trimBOM(data), " \t\r\n")
	if len(data) == 0 || data[0] != '[' && data[0] != '{' {
		return FormatCSV
	}
	if data[0] == '[' {
		return FormatJSON
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return FormatJSON
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return FormatJSON
		}
		switch tok {
		case "Report_Entry":
			return FormatWorkday
		case "d":
			return FormatSuccessFactors
		case "fields":
			return FormatBambooHR
		case "asOf":
			return FormatJSON
		}
		if !skipValue(dec) {
			return FormatJSON
		}
	}
	return FormatJSON
}

// skipValue reads one value's tokens, refusing nesting deeper than
// maxJSONDepth (the decoder's own stack would grow with it).
func skipValue(dec *json.Decoder) bool {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > maxJSONDepth {
				return false
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return true
		}
	}
}
