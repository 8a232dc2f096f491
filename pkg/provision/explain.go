package provision

// Template returns the template that makes attr (AttrExternalID,
// AttrUserName, AttrDisplayName or AttrStatus) for this mapping's source,
// and whether MAPPING gave it (else it is the source's default, see
// SourceTemplates). For AttrStatus without a MAPPING template it returns
// "" and false: the record's own status is used. The reconciler's explain
// shows it beside each mapped value.
func (m *Mapping) Template(attr string) (src string, fromMapping bool) {
	if attr == AttrStatus {
		if m.status == nil {
			return "", false
		}
		return m.status.Root.String(), true
	}
	if _, native := m.native[attr]; native {
		return SourceTemplates[m.source][attr], false
	}
	if t, ok := m.templates[attr]; ok {
		return t.Root.String(), true
	}
	return "", false
}
