package cloudtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestHRIS(t *testing.T) {
	workers := []Worker{
		{ID: "21001", FirstName: "Logan", LastName: "McNeil", Email: "logan@x", Phones: []string{"+1 415 555 0100"}},
		{ID: "21002", FirstName: "Oliver", LastName: "O'Reynolds", Terminated: true},
		{ID: "21003", FirstName: "Teresa", Email: "teresa@x", Department: "R&D"},
	}
	h := NewHRIS(HRISOptions{Username: "isu@acme", Password: "pw", PageSize: 2, Workers: workers})
	defer h.Close()
	get := func(url, user, pw string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if user != "" {
			req.SetBasicAuth(user, pw)
		}
		resp, err := h.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var doc map[string]any
		if resp.StatusCode == http.StatusOK {
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("%s: not JSON: %v\n%s", url, err, body)
			}
		}
		return resp.StatusCode, doc
	}
	for _, tt := range []struct {
		url, user, pw string
		status        int
	}{
		{h.WorkdayURL, "isu@acme", "pw", 200},
		{h.WorkdayURL, "isu@acme", "wrong", 401},
		{h.WorkdayURL, "", "", 401},
		{strings.Replace(h.WorkdayURL, "format=json", "format=csv", 1), "isu@acme", "pw", 400},
		{h.BambooHRURL, "isu@acme", "any password", 200}, // the API key is the user name
		{h.BambooHRURL, "other", "pw", 401},
		{h.SuccessFactorsURL, "isu@acme", "pw", 200},
	} {
		if got, _ := get(tt.url, tt.user, tt.pw); got != tt.status {
			t.Errorf("GET %s as %q/%q = %d, want %d", tt.url, tt.user, tt.pw, got, tt.status)
		}
	}

	_, wd := get(h.WorkdayURL, "isu@acme", "pw")
	entries := wd["Report_Entry"].([]any)
	first, second := entries[0].(map[string]any), entries[1].(map[string]any)
	if first["Full_Name"] != "Logan McNeil" || first["Phone_group"].([]any)[0].(map[string]any)["Phone_Number"] != "+1 415 555 0100" {
		t.Errorf("Workday entry %v", first)
	}
	if _, ok := second["Email"]; ok || second["Termination_Date"] != "2026-11-15" {
		t.Errorf("Workday leaves empty fields out and dates leavers: %v", second)
	}
	_, bamboo := get(h.BambooHRURL, "isu@acme", "x")
	emps := bamboo["employees"].([]any)
	if e := emps[1].(map[string]any); e["status"] != "Inactive" || e["workEmail"] != nil || e["terminationDate"] != "2026-11-15" {
		t.Errorf("BambooHR employee %v", e)
	}

	// SuccessFactors: pages of 2 with absolute __next links; a failing page.
	var ids []string
	url := h.SuccessFactorsURL
	for pages := 0; url != ""; pages++ {
		status, doc := get(url, "isu@acme", "pw")
		if status != 200 || pages > 2 {
			t.Fatalf("page %d: %d", pages+1, status)
		}
		d := doc["d"].(map[string]any)
		for _, r := range d["results"].([]any) {
			ids = append(ids, r.(map[string]any)["userId"].(string))
		}
		url, _ = d["__next"].(string)
		if url != "" && !strings.HasPrefix(url, h.URL+"/odata/v2/User?") {
			t.Fatalf("__next %q is not an absolute URL to the double", url)
		}
	}
	if fmt.Sprint(ids) != "[21001 21002 21003]" {
		t.Errorf("userIds %v", ids)
	}
	h.FailPage(2)
	_, doc := get(h.SuccessFactorsURL, "isu@acme", "pw")
	next := doc["d"].(map[string]any)["__next"].(string)
	if status, _ := get(next, "isu@acme", "pw"); status != 500 {
		t.Errorf("failing page 2 answered %d", status)
	}
	c := h.Counters()
	if c["hris.successfactors.page2"] != 2 || c["hris.successfactors.500"] != 1 || c["hris.workday.401"] != 2 {
		t.Errorf("counters %v", c)
	}
}
