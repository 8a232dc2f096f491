package e2e

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ramsync/ramsync/pkg/cloudtest"
	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/localrun"
)

// TestHostileValues sends employee ids, emails and display names that try
// to break the SCIM filter, RAM's naming rules or the text handling. The
// odd-but-legal ones must reach exactly their own user; the rest are 422.
func TestHostileValues(t *testing.T) {
	l := start(t, localrun.Options{})
	admin := l.Cloud.SeedUser(cloudtest.User{UserName: "admin", DisplayName: "Admin"})
	boss := l.Cloud.SeedUser(cloudtest.User{ExternalID: "E100", UserName: "boss", DisplayName: "Boss"})

	const inject = `" or userName eq "admin`
	long := strings.Repeat("L", hr.MaxIDLength)
	name64 := strings.Repeat("n", 64)
	chinese := strings.Repeat("李伟", 15)            // 30 characters
	emoji := strings.Repeat("🚀", 20) + " Li Wei 🎉" // 29 characters
	hireOf := func(id, email, display string) string { return hostileHire(id, email, display) }
	ev := func(typ, id, email string) string { return hostileEvent(typ, id, email, "X") }
	const badName = "has characters RAM does not allow"

	cases := []hostileCase{
		// Filter syntax, quotes and backslashes in ids: each reaches its own user.
		{"id with a quote", hireOf(`E"1`, "q1@example.com", "Q"), nil, 200, "created", "q1"},
		{"id with a backslash", hireOf(`E\1`, "b1@example.com", "B"), nil, 200, "created", "b1"},
		{"id ending in a backslash", hireOf(`E1\`, "b2@example.com", "B"), nil, 200, "created", "b2"},
		{"id with filter syntax", hireOf(inject, "inj1@example.com", "I"), nil, 200, "created", "inj1"},
		{"id naming the boss's id", hireOf(`E100" or externalId eq "E100`, "inj2@example.com", "I"), nil, 200, "created", "inj2"},
		{"id with brackets", hireOf(`") or (userName eq "admin`, "inj3@example.com", "I"), nil, 200, "created", "inj3"},
		{"filter syntax, redelivered", hireOf(inject, "inj1@example.com", "I"), nil, 200, "unchanged", "inj1"},
		{"filter syntax, renamed", ev(hr.EventUpdated, inject, "inj1b@example.com"), nil, 200, "updated", "inj1b"},
		{"terminate aimed at the boss", ev(hr.EventTerminated, `E100" or userName eq "boss`, ""), nil, 200, "already absent", ""},
		{"terminate with filter syntax", ev(hr.EventTerminated, inject, ""), nil, 200, "deleted", "inj1b"},
		{"id of 128 characters", hireOf(long, "long@example.com", "L"), nil, 200, "created", "long"},
		{"unicode id", hireOf("员工-42", "u42@example.com", "U"), nil, 200, "created", "u42"},

		// Ids that cannot be identity keys.
		{"id of 129 characters", hireOf(long+"9", "x@example.com", "X"), nil, 422, "invalid_employee", "employee.id: is 129 characters long, at most 128 allowed"},
		{"id with BEL", hireOf("E\a1", "x@example.com", "X"), nil, 422, "invalid_employee", "contains the control character U+0007"},
		{"id with a newline", hireOf("E1\nE2", "x@example.com", "X"), nil, 422, "invalid_employee", "contains the control character U+000A"},
		{"id with NUL", hireOf("E1\x00", "x@example.com", "X"), nil, 422, "invalid_employee", "contains the control character U+0000"},
		{"id with a bidi override", hireOf("E\u202e1", "x@example.com", "X"), nil, 422, "invalid_employee", "contains the control character U+202E"},
		{"id of spaces", hireOf("   ", "x@example.com", "X"), nil, 422, "invalid_employee", "employee.id: required"},

		// userNames RAM refuses.
		{"userName with a plus", hireOf("E20", "li+wei@example.com", "X"), nil, 422, "invalid_employee", `"li+wei" ` + badName},
		{"userName in Chinese", hireOf("E21", "李伟@example.com", "X"), nil, 422, "invalid_employee", `"李伟" ` + badName},
		{"userName with a quote", hireOf("E22", `admin" or "1@example.com`, "X"), nil, 422, "invalid_employee", badName},
		{"userName of 65", hireOf("E23", name64+"5@example.com", "X"), nil, 422, "invalid_employee", "is 65 characters; RAM allows at most 64"},
		{"no email", hireOf("E24", "", "X"), nil, 422, "invalid_employee", "userName: is empty"},
		{"userName of 64", hireOf("E25", name64+"@example.com", "X"), nil, 200, "created", name64},

		// Display names: any script is fine; longer than 24 is cut, with a warning.
		{"Chinese display name", hireOf("E30", "zh@example.com", "李伟"), nil, 200, "created", "zh"},
		{"emoji display name", hireOf("E31", "emoji@example.com", "Li 🚀 Wei"), nil, 200, "created", "emoji"},
		{"RTL display name", hireOf("E32", "ar@example.com", "محمد بن علي"), nil, 200, "created", "ar"},
		{"long Chinese display name", hireOf("E33", "zh.long@example.com", chinese), nil, 200, "created", "zh.long"},
		{"long emoji display name", hireOf("E34", "emoji.long@example.com", emoji), nil, 200, "created", "emoji.long"},
		{"control characters in display name", hireOf("E35", "ctl@example.com", "Li\tWei\x1b[31m"), nil, 200, "created", "ctl"},
	}
	answers := runHostile(t, l, cases)

	// Each created user carries exactly the id it was sent with.
	for _, c := range []struct{ userName, externalID string }{
		{"q1", `E"1`}, {"b1", `E\1`}, {"b2", `E1\`}, {"inj2", `E100" or externalId eq "E100`},
		{"inj3", `") or (userName eq "admin`}, {"long", long}, {"u42", "员工-42"},
	} {
		if u := users(l.Cloud)[c.userName]; u.ExternalID != c.externalID {
			t.Errorf("%s has externalId %q, want %q", c.userName, u.ExternalID, c.externalID)
		}
	}
	if u, ok := users(l.Cloud)["admin"]; !ok || u != admin {
		t.Errorf("admin is %+v, want it untouched: %+v", u, admin)
	}
	if u, ok := users(l.Cloud)["boss"]; !ok || u != boss {
		t.Errorf("boss is %+v, want it untouched: %+v", u, boss)
	}

	// Display names: kept whole up to 24 characters, else cut with a warning.
	for _, c := range []struct{ name, userName, display, warning string }{
		{"Chinese display name", "zh", "李伟", ""},
		{"emoji display name", "emoji", "Li 🚀 Wei", ""},
		{"RTL display name", "ar", "محمد بن علي", ""},
		{"long Chinese display name", "zh.long", string([]rune(chinese)[:24]), "is 30 characters; cut to 24"},
		{"long emoji display name", "emoji.long", strings.Repeat("🚀", 20) + " Li", "is 29 characters; cut to 24"},
		{"control characters in display name", "ctl", "Li Wei [31m", "control characters; removed"},
	} {
		got := users(l.Cloud)[c.userName].DisplayName
		if got != c.display || utf8.RuneCountInString(got) > 24 {
			t.Errorf("%s: displayName %q, want %q", c.name, got, c.display)
		}
		a := answers[c.name]
		if len(a.Results) != 1 {
			continue // reported by runHostile
		}
		w := strings.Join(a.Results[0].Warnings, "; ")
		if c.warning == "" && w != "" || !strings.Contains(w, c.warning) {
			t.Errorf("%s: warnings %q, want %q", c.name, w, c.warning)
		}
	}
}
