package scim_test

import (
	"fmt"

	"github.com/ramsync/ramsync/pkg/scim"
)

// Values are quoted and escaped, so none can widen a filter.
func ExampleEq() {
	f := scim.Eq(scim.AttrExternalID, `E1" or userName eq "admin`).And(scim.AttrUserName, "li.wei")
	fmt.Println(f)
	fmt.Println(scim.Eq("displayName", "Li Wei").Err())
	// Output:
	// externalId eq "E1\" or userName eq \"admin" and userName eq "li.wei"
	// scim: filter on "displayName": RAM filters only on id, userName and externalId
}
