package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/localrun"
)

// timeline prints what happens, with the time since the start.
type timeline struct{ start time.Time }

func newTimeline() *timeline { return &timeline{start: time.Now()} }

func (t *timeline) say(format string, args ...any) {
	fmt.Printf("[%6.2fs] %s\n", time.Since(t.start).Seconds(), fmt.Sprintf(format, args...))
}

func (t *timeline) step(title string) {
	fmt.Printf("\n%s\n%s\n", title, strings.Repeat("─", len([]rune(title))))
}

// printUsers prints RAM's users as the double holds them.
func printUsers(l *localrun.Local) {
	users := l.Cloud.Users()
	sort.Slice(users, func(i, j int) bool { return users[i].UserName < users[j].UserName })
	fmt.Printf("\nRAM users now\n─────────────\n")
	fmt.Printf("%-18s %-20s %-10s %-16s %s\n", "userName", "displayName", "externalId", "id", "note")
	for _, u := range users {
		note := ""
		switch {
		case u.ExternalID == "":
			note = "unowned: ramsync never touches it"
		case u.UserName == "root.ops":
			note = "protected (PROTECTED_USERS)"
		}
		ext := u.ExternalID
		if ext == "" {
			ext = "-"
		}
		fmt.Printf("%-18s %-20s %-10s %-16s %s\n", u.UserName, u.DisplayName, ext, u.ID, note)
	}
}

func printCurl(l *localrun.Local) {
	body := `{"id":"evt-curl-1","type":"employee.hired","employee":{"id":"E2001","email":"sun.qi@example.com","displayName":"Sun Qi"}}`
	fmt.Printf(`
Serving. Try the webhook yourself; this run's throwaway signing key is in the command:

  body='%s'
  t=$(date +%%s)
  sig=$(printf '%%s.%%s' "$t" "$body" | openssl dgst -sha256 -hmac '%s' | sed 's/^.*= //')
  curl -s -X POST %s -H 'Content-Type: application/json' \
       -H "%s: t=$t,v1=$sig" -d "$body"

Ctrl-C stops everything.
`, body, l.SigningKey.Reveal(), l.WebhookURL, hr.SignatureHeader)
}
