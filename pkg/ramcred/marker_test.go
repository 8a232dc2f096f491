package ramcred

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ramsync/ramsync/pkg/secrets"
)

func TestParseMarker(t *testing.T) {
	nov27 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		comments string
		want     Marker
		ok       bool
	}{
		{"ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA,LTAI5tB", Marker{At: nov27, KeyIDs: []string{"LTAI5tA", "LTAI5tB"}}, true},
		{"ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA", Marker{At: nov27, KeyIDs: []string{"LTAI5tA"}}, true},
		{"ramsync:suspended:2026-11-27T09:00:00Z:", Marker{At: nov27}, true},
		{"ramsync:suspended:2026-11-27T09:00:00Z:key_1.a-b", Marker{At: nov27, KeyIDs: []string{"key_1.a-b"}}, true},

		{"", Marker{}, false},
		{"ramsync:suspended", Marker{}, false},
		{"ramsync:suspended:", Marker{}, false},
		{"ramsync:active", Marker{}, false},
		{"suspended:2026-11-27T09:00:00Z:", Marker{}, false},                         // missing prefix
		{" ramsync:suspended:2026-11-27T09:00:00Z:", Marker{}, false},                // leading space
		{"ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA ", Marker{}, false},         // trailing space
		{"RAMSYNC:SUSPENDED:2026-11-27T09:00:00Z:", Marker{}, false},                 // case
		{"ramsync:suspended:2026-11-27T09:00:00Z", Marker{}, false},                  // no ids separator
		{"ramsync:suspended:2026-11-27T09:00:00ZLTAI5tA", Marker{}, false},           // no ids separator
		{"ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA:LTAI5tB", Marker{}, false},  // extra colon
		{"ramsync:suspended:2026-11-27T09:00:00Z::", Marker{}, false},                // extra colon
		{"ramsync:suspended::2026-11-27T09:00:00Z:", Marker{}, false},                // extra colon
		{"ramsync:suspended:2026-11-27T17:00:00+08:00:", Marker{}, false},            // not UTC
		{"ramsync:suspended:2026-11-27T09:00:00+00:00:", Marker{}, false},            // UTC, not Z
		{"ramsync:suspended:2026-11-27T09:00:00.5Z:", Marker{}, false},               // fraction
		{"ramsync:suspended:2026-11-27T09:00Z:", Marker{}, false},                    // no seconds
		{"ramsync:suspended:2026-11-27 09:00:00Z:", Marker{}, false},                 // space for T
		{"ramsync:suspended:2026-02-30T09:00:00Z:", Marker{}, false},                 // no such day
		{"ramsync:suspended:2026-11-27T09:00:00z:", Marker{}, false},                 // lower-case z
		{"ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA,", Marker{}, false},         // empty id
		{"ramsync:suspended:2026-11-27T09:00:00Z:,LTAI5tA", Marker{}, false},         // empty id
		{"ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA,,LTAI5tB", Marker{}, false}, // empty id
		{"ramsync:suspended:2026-11-27T09:00:00Z:LTAI 5tA", Marker{}, false},         // space in id
		{"ramsync:suspended:yesterday:", Marker{}, false},
	} {
		t.Run(tt.comments, func(t *testing.T) {
			got, ok := ParseMarker(tt.comments)
			if ok != tt.ok || !cmp.Equal(got, tt.want) {
				t.Fatalf("ParseMarker = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
			if ok && got.String() != tt.comments {
				t.Errorf("String() = %q, want the input back", got.String())
			}
			if (UserInfo{Comments: tt.comments}).Marker(); ok != tt.ok {
				t.Errorf("UserInfo.Marker disagrees")
			}
		})
	}
	if _, ok := ParseMarker(ClearedComments); ok {
		t.Error("ClearedComments parse as a marker")
	}
}

func TestMarkerString(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	m := Marker{At: time.Date(2026, 11, 27, 17, 0, 0, 999_000_000, cst), KeyIDs: []string{"LTAI5tA", "LTAI5tB"}}
	if got, want := m.String(), "ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA,LTAI5tB"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	long := Marker{At: m.At, KeyIDs: []string{"LTAI5t" + "xxxxxxxxxxxxxxxxxxxxxxxx", "LTAI5t" + "yyyyyyyyyyyyyyyyyyyyyyyy"}}
	if n := len(long.String()); n > 128 {
		t.Errorf("a marker with two 30-character ids is %d characters, over RAM's 128", n)
	}
}

// FuzzParseMarker checks that whatever parses prints back to the same
// Comments, so a marker read from RAM is never rewritten differently.
func FuzzParseMarker(f *testing.F) {
	for _, s := range []string{
		"ramsync:suspended:2026-11-27T09:00:00Z:LTAI5tA,LTAI5tB",
		"ramsync:suspended:2026-11-27T09:00:00Z:",
		"ramsync:suspended:2026-11-27T09:00:00.5Z:",
		"ramsync:active",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := ParseMarker(s)
		if !ok {
			return
		}
		if m.String() != s {
			t.Fatalf("ParseMarker(%q).String() = %q", s, m.String())
		}
		if m.At.Location() != time.UTC {
			t.Fatalf("At in %v", m.At.Location())
		}
	})
}

func TestIMSEndpoint(t *testing.T) {
	creds := func() secrets.Credentials { return secrets.Credentials{} }
	for _, tt := range []struct{ endpoint, ims, want string }{
		{"", "", "ims.aliyuncs.com"},
		{"ram.aliyuncs.com", "", "ims.aliyuncs.com"},
		{"127.0.0.1:8443", "", "127.0.0.1:8443"},
		{"ram-vpc.example:443", "", "ram-vpc.example:443"},
		{"", "ims.example:443", "ims.example:443"},
		{"127.0.0.1:8443", "127.0.0.1:9443", "127.0.0.1:9443"},
	} {
		c, err := New(Config{Endpoint: tt.endpoint, IMSEndpoint: tt.ims, Credentials: creds})
		if err != nil {
			t.Fatal(err)
		}
		if c.cfg.IMSEndpoint != tt.want {
			t.Errorf("Endpoint %q, IMSEndpoint %q: IMS goes to %q, want %q", tt.endpoint, tt.ims, c.cfg.IMSEndpoint, tt.want)
		}
	}
	if _, err := New(Config{IMSEndpoint: "https://ims.aliyuncs.com", Credentials: creds}); err == nil {
		t.Error("an IMS endpoint with a scheme was accepted")
	}
}
