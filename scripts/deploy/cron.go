package deploy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // CRON_TZ zones, whatever the machine has installed
)

// cronFields are FC's six cron fields with their ranges and names.
var cronFields = []struct {
	name   string
	lo, hi int
	names  []string // index = value - lo
}{
	{name: "seconds", lo: 0, hi: 59},
	{name: "minutes", lo: 0, hi: 59},
	{name: "hours", lo: 0, hi: 23},
	{name: "day of month", lo: 1, hi: 31},
	{name: "month", lo: 1, hi: 12, names: strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")},
	{name: "day of week", lo: 0, hi: 6, names: strings.Fields("SUN MON TUE WED THU FRI SAT")},
}

// CheckCron checks an FC timer expression: six fields "Seconds Minutes
// Hours Day-of-month Month Day-of-week" in UTC, optionally after
// "CRON_TZ=<zone> ", or "@every <duration>". It accepts *, ?, lists,
// ranges, steps and month/weekday names, and L, W and # in the day fields.
func CheckCron(expr string) error {
	expr = strings.TrimSpace(expr)
	if rest, ok := strings.CutPrefix(expr, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d <= 0 {
			return fmt.Errorf("@every wants a positive duration like 4m")
		}
		return nil
	}
	if rest, ok := strings.CutPrefix(expr, "CRON_TZ="); ok {
		zone, fields, _ := strings.Cut(rest, " ")
		if _, err := time.LoadLocation(zone); err != nil || zone == "" {
			return fmt.Errorf("CRON_TZ=%s: unknown time zone", zone)
		}
		expr = strings.TrimSpace(fields)
	}
	fields := strings.Fields(expr)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("%d fields, want 6 (seconds minutes hours day-of-month month day-of-week)", len(fields))
	}
	for i, f := range fields {
		if err := checkCronField(i, f); err != nil {
			return fmt.Errorf("%s %q: %v", cronFields[i].name, f, err)
		}
	}
	return nil
}

func checkCronField(i int, field string) error {
	spec := cronFields[i]
	dayField := i == 3 || i == 5
	for _, item := range strings.Split(field, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n < 1 {
				return fmt.Errorf("step %q: want a whole number ≥ 1", step)
			}
		}
		switch {
		case base == "*":
			continue
		case base == "?" && dayField && !hasStep:
			continue
		case dayField && strings.ContainsAny(base, "LW#"):
			if strings.Trim(base, "0123456789LW#") != "" {
				return fmt.Errorf("%q is not a valid L/W/# form", base)
			}
			continue
		}
		lo, hi, isRange := strings.Cut(base, "-")
		a, err := cronValue(spec.lo, spec.hi, spec.names, lo)
		if err != nil {
			return err
		}
		if isRange {
			b, err := cronValue(spec.lo, spec.hi, spec.names, hi)
			if err != nil {
				return err
			}
			if b < a {
				return fmt.Errorf("range %s is backwards", base)
			}
		}
	}
	return nil
}

func cronValue(lo, hi int, names []string, s string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return lo + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New(strconv.Quote(s) + " is not a number")
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range %d-%d", n, lo, hi)
	}
	return n, nil
}
