package cloudtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The vendors' export documents, built from Workers. Keys come in the
// order the vendors print them; values are strings as the vendors send
// them. Tests and benchmarks write them to files too.

// WorkdayReport is a Workday RaaS JSON report of the workers: every value a
// string, a field with no value left out, Phone_group a multi-instance
// field (an array of objects).
func WorkdayReport(workers []Worker) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Report_Entry":[`)
	for i, w := range workers {
		if i > 0 {
			b.WriteByte(',')
		}
		o := object{&b, 0}
		o.str("Employee_ID", w.ID)
		o.strOmit("Full_Name", strings.TrimSpace(w.FirstName+" "+w.LastName))
		o.strOmit("Legal_Name_-_First_Name", w.FirstName)
		o.strOmit("Legal_Name_-_Last_Name", w.LastName)
		o.strOmit("Email", w.Email)
		o.str("Worker_Type", "Employee")
		o.str("Start_Date", "2019-03-04")
		if w.Terminated {
			o.str("Termination_Date", terminationDate(w))
		}
		o.strOmit("Supervisory_Organization", w.Department)
		if len(w.Phones) > 0 {
			o.key("Phone_group")
			b.WriteByte('[')
			for j, p := range w.Phones {
				if j > 0 {
					b.WriteByte(',')
				}
				po := object{&b, 0}
				po.str("Phone_Type", "Work")
				po.str("Phone_Number", p)
				po.close()
			}
			b.WriteByte(']')
		}
		o.close()
	}
	b.WriteString("]}")
	return b.Bytes()
}

// bambooFields are the report's columns, as BambooHR lists them.
var bambooFields = []struct{ id, typ, name string }{
	{"displayName", "text", "Display name"},
	{"firstName", "text", "First Name"},
	{"lastName", "text", "Last Name"},
	{"workEmail", "email", "Work Email"},
	{"status", "status", "Status"},
	{"hireDate", "date", "Hire Date"},
	{"terminationDate", "date", "Termination Date"},
	{"department", "list", "Department"},
	{"4001", "text", "Cost Center"},
}

// BambooHRReport is a BambooHR custom report in JSON: title, the fields
// with their types, and the employees with every field (null when empty,
// terminationDate "0000-00-00" for those still employed, as BambooHR
// prints it).
func BambooHRReport(workers []Worker) []byte {
	var b bytes.Buffer
	b.WriteString(`{"title":"RAM users","fields":[`)
	for i, f := range bambooFields {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%q,"type":%q,"name":%q}`, f.id, f.typ, f.name)
	}
	b.WriteString(`],"employees":[`)
	for i, w := range workers {
		if i > 0 {
			b.WriteByte(',')
		}
		o := object{&b, 0}
		o.str("id", w.ID)
		o.strNull("displayName", strings.TrimSpace(w.FirstName+" "+w.LastName))
		o.strNull("firstName", w.FirstName)
		o.strNull("lastName", w.LastName)
		o.strNull("workEmail", w.Email)
		status, term := "Active", "0000-00-00"
		if w.Terminated {
			status, term = "Inactive", terminationDate(w)
		}
		o.str("status", status)
		o.str("hireDate", "2019-03-04")
		o.str("terminationDate", term)
		o.strNull("department", w.Department)
		o.strNull("4001", "")
		o.close()
	}
	b.WriteString("]}")
	return b.Bytes()
}

// SuccessFactorsPage is one page of an OData v2 User query: base is the
// service's https://host[:port], next the absolute __next URL or "" on the
// last page.
func SuccessFactorsPage(base string, workers []Worker, next string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"d":{"results":[`)
	for i, w := range workers {
		if i > 0 {
			b.WriteByte(',')
		}
		uri := fmt.Sprintf("%s/odata/v2/User('%s')", base, strings.ReplaceAll(w.ID, "'", "''"))
		o := object{&b, 0}
		o.key("__metadata")
		meta := object{&b, 0}
		meta.str("uri", uri)
		meta.str("type", "SFOData.User")
		meta.close()
		o.str("userId", w.ID)
		o.str("username", strings.ToLower(w.FirstName+w.LastName))
		o.strNull("email", w.Email)
		o.strNull("firstName", w.FirstName)
		o.strNull("lastName", w.LastName)
		status := "active"
		if w.Terminated {
			status = "inactive"
		}
		o.str("status", status)
		o.strNull("department", w.Department)
		o.key("lastModifiedDateTime")
		b.WriteString(`"/Date(1764460800000+0000)/"`)
		o.key("empInfo")
		fmt.Fprintf(&b, `{"__deferred":{"uri":%q}}`, uri+"/empInfo")
		o.close()
	}
	b.WriteString("]")
	if next != "" {
		b.WriteString(`,"__next":`)
		q, _ := json.Marshal(next)
		b.Write(q)
	}
	b.WriteString("}}")
	return b.Bytes()
}

func terminationDate(w Worker) string {
	if w.TerminationDate != "" {
		return w.TerminationDate
	}
	return "2026-11-15"
}

// object writes a JSON object's members in order.
type object struct {
	b *bytes.Buffer
	n int
}

func (o *object) key(k string) {
	if o.n == 0 {
		o.b.WriteByte('{')
	} else {
		o.b.WriteByte(',')
	}
	o.n++
	q, _ := json.Marshal(k)
	o.b.Write(q)
	o.b.WriteByte(':')
}

func (o *object) str(k, v string) {
	o.key(k)
	q, _ := json.Marshal(v)
	o.b.Write(q)
}

// strOmit leaves an empty value out, as Workday does.
func (o *object) strOmit(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

// strNull writes an empty value as null, as BambooHR and OData do.
func (o *object) strNull(k, v string) {
	if v == "" {
		o.key(k)
		o.b.WriteString("null")
		return
	}
	o.str(k, v)
}

func (o *object) close() {
	if o.n == 0 {
		o.b.WriteByte('{')
	}
	o.b.WriteByte('}')
}
