package cloudtest

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// HRIS is a test double of three HR systems' roster exports, shaped like
// httptest.Server: NewHRIS starts it on a loopback HTTPS port, Client
// trusts it, Close stops it. It serves one list of Workers in each
// vendor's documented shape (shared/hr-sources/hris.md):
//
//   - Workday RaaS, GET /ccx/service/customreport2/{tenant}/{owner}/{report}
//     (WorkdayURL): {"Report_Entry": […]}, every value a string, empty
//     fields left out, multi-instance fields as arrays of objects;
//   - a BambooHR saved custom report, GET
//     /api/gateway.php/{company}/v1/reports/{id} (BambooHRURL):
//     {"title", "fields", "employees"}, every field present, null when
//     empty;
//   - SAP SuccessFactors OData v2, GET /odata/v2/User (SuccessFactorsURL):
//     {"d": {"results": […], "__next": "<absolute URL>"}}, PageSize records
//     a page, each with __metadata, navigation properties deferred.
//
// Every route checks HTTP Basic credentials when Username is set (BambooHR:
// the API key is the user name, any password). FailPage makes one
// SuccessFactors page answer 500. Counters counts requests:
// "hris.<vendor>" and "hris.<vendor>.<status>", plus
// "hris.successfactors.page<N>". What it does not emulate: Workday prompts,
// BambooHR POST /reports/custom and its filters, SuccessFactors $filter,
// $select, $expand, $top/$skip and OAuth SAML bearer.
type HRIS struct {
	*httptest.Server
	// WorkdayURL, BambooHRURL and SuccessFactorsURL are the roster URLs.
	WorkdayURL, BambooHRURL, SuccessFactorsURL string

	o        HRISOptions
	counters *counterSet
	failPage atomic.Int64
	mu       sync.Mutex
	workers  []Worker
}

// HRISOptions configures an HRIS double.
type HRISOptions struct {
	// Username and Password are the Basic credentials every route requires;
	// "" for none. BambooHR checks the user name only.
	Username, Password string
	// PageSize is the number of SuccessFactors records a page; 0 means
	// 1000 (SuccessFactors' customPageSize limit).
	PageSize int
	// Workers are the employees served.
	Workers []Worker
}

// Worker is one employee, served in each vendor's shape.
type Worker struct {
	ID, FirstName, LastName, Email string
	// Terminated workers carry a termination date: Workday's
	// Termination_Date, BambooHR status "Inactive", SuccessFactors status
	// "inactive".
	Terminated      bool
	TerminationDate string // YYYY-MM-DD; "2026-11-15" when empty and Terminated
	Department      string
	Phones          []string // Workday's multi-instance Phone_group
}

// NewHRIS starts an HRIS double.
func NewHRIS(o HRISOptions) *HRIS {
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	h := &HRIS{o: o, counters: newCounterSet(), workers: o.Workers}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ccx/service/customreport2/{tenant}/{owner}/{report}", h.auth("workday", false, h.workday))
	mux.HandleFunc("GET /api/gateway.php/{company}/v1/reports/{id}", h.auth("bamboohr", true, h.bamboo))
	mux.HandleFunc("GET /odata/v2/User", h.auth("successfactors", false, h.successFactors))
	h.Server = httptest.NewTLSServer(mux)
	h.WorkdayURL = h.URL + "/ccx/service/customreport2/acme/ISU_ramsync/RAM_Users?format=json"
	h.BambooHRURL = h.URL + "/api/gateway.php/acme/v1/reports/301?format=JSON&fd=yes"
	h.SuccessFactorsURL = h.URL + "/odata/v2/User?$format=json&$select=userId,username,email,firstName,lastName,status,department"
	return h
}

// SetWorkers replaces the workers served.
func (h *HRIS) SetWorkers(w []Worker) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.workers = w
}

// FailPage makes SuccessFactors page n (1-based) answer 500; 0 stops it.
func (h *HRIS) FailPage(n int) { h.failPage.Store(int64(n)) }

// Counters returns a snapshot of the request counters.
func (h *HRIS) Counters() Counters { return h.counters.snapshot() }

func (h *HRIS) snapshotWorkers() []Worker {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.workers
}

// auth counts the request and checks its Basic credentials.
func (h *HRIS) auth(vendor string, userOnly bool, next func(http.ResponseWriter, *http.Request) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.counters.add("hris." + vendor)
		status := http.StatusUnauthorized
		if h.o.Username == "" || h.basicOK(r, userOnly) {
			status = next(w, r)
		} else {
			w.Header().Set("WWW-Authenticate", `Basic realm="`+vendor+`"`)
			http.Error(w, "401 Unauthorized", status)
		}
		h.counters.add("hris." + vendor + "." + strconv.Itoa(status))
	}
}

func (h *HRIS) basicOK(r *http.Request, userOnly bool) bool {
	user, pw, ok := r.BasicAuth()
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	return ok && eq(user, h.o.Username) && (userOnly || eq(pw, h.o.Password))
}

// BasicAuth is the Authorization header value for the double's
// credentials: "Basic base64(user:password)".
func (h *HRIS) BasicAuth() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(h.o.Username+":"+h.o.Password))
}

func (h *HRIS) workday(w http.ResponseWriter, r *http.Request) int {
	if f := r.URL.Query().Get("format"); f != "json" {
		http.Error(w, "format must be json here (Workday also has csv, simplexml, …)", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Write(WorkdayReport(h.snapshotWorkers()))
	return http.StatusOK
}

func (h *HRIS) bamboo(w http.ResponseWriter, r *http.Request) int {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(BambooHRReport(h.snapshotWorkers()))
	return http.StatusOK
}

func (h *HRIS) successFactors(w http.ResponseWriter, r *http.Request) int {
	workers := h.snapshotWorkers()
	skip := 0
	if t := r.URL.Query().Get("$skiptoken"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "page-"))
		if err != nil || n < 0 || n > len(workers) {
			http.Error(w, `{"error":{"code":"COE_GENERAL_BAD_REQUEST","message":{"lang":"en-US","value":"bad $skiptoken"}}}`, http.StatusBadRequest)
			return http.StatusBadRequest
		}
		skip = n
	}
	page := skip/h.o.PageSize + 1
	h.counters.add(fmt.Sprintf("hris.successfactors.page%d", page))
	if int64(page) == h.failPage.Load() {
		http.Error(w, `{"error":{"code":"COE_GENERAL_SERVER_FAILURE","message":{"lang":"en-US","value":"internal error"}}}`, http.StatusInternalServerError)
		return http.StatusInternalServerError
	}
	end := min(skip+h.o.PageSize, len(workers))
	next := ""
	if end < len(workers) {
		q := r.URL.Query()
		q.Set("$skiptoken", "page-"+strconv.Itoa(end))
		next = h.URL + r.URL.Path + "?" + q.Encode()
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Write(SuccessFactorsPage(h.URL, workers[skip:end], next))
	return http.StatusOK
}
