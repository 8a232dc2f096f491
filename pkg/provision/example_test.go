package provision_test

import (
	"fmt"

	"github.com/ramsync/ramsync/pkg/hr"
	"github.com/ramsync/ramsync/pkg/provision"
)

func ExampleParseMapping() {
	m, err := provision.ParseMapping(`{"displayName": "{{ .displayName }} ({{ .department }})"}`, 24)
	if err != nil {
		panic(err)
	}
	d, err := m.Map(hr.Employee{ID: "E1001", Email: "Li.Wei@example.com", DisplayName: "Li Wei",
		Fields: map[string]any{"department": "R&D"}})
	fmt.Printf("%+v %v\n", d, err)
	_, err = m.Map(hr.Employee{ID: "E1002", Email: "li+wei@example.com", Fields: map[string]any{"department": "Ops"}})
	fmt.Println(err)
	// Output:
	// {ExternalID:E1001 UserName:li.wei DisplayName:Li Wei (R&D) Warnings:[]} <nil>
	// employee "E1002": userName: "li+wei" has characters RAM does not allow (only a-z, 0-9, '.', '_', '-')
}
