package scim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecodeListPage decodes a 100-user list page, as a listing of
// RAM does a thousand times for 100k users.
func BenchmarkDecodeListPage(b *testing.B) {
	var users []string
	for i := range 100 {
		users = append(users, fmt.Sprintf(`{"id":"%016d","externalId":"E%06d","userName":"user%06d","displayName":"User %d",`+
			`"meta":{"created":"2026-11-01T00:00:00Z","lastModified":"2026-11-01T00:00:00Z","location":"https://scim.aliyun.com/Users/%016d","resourceType":"User"},`+
			`"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`, i, i, i, i, i))
	}
	page := []byte(`{"schemas":["` + SchemaList + `"],"totalResults":100000,"startIndex":1,"itemsPerPage":100,"Resources":[` + strings.Join(users, ",") + `]}`)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		var lr listResponse
		if err := json.Unmarshal(page, &lr); err != nil || len(lr.Resources) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilter builds a filter with a value that needs escaping.
func BenchmarkFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Eq(AttrExternalID, `E"1\2`).And(AttrUserName, "li.wei").String()
	}
}
