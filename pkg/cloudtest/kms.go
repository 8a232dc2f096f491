package cloudtest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// KMS Secrets Manager version stages.
const (
	StageCurrent  = "ACSCurrent"
	StagePrevious = "ACSPrevious"
)

// kmsState holds the secrets, each a list of versions, oldest first.
type kmsState struct {
	mu      sync.Mutex
	secrets map[string][]*secretVersion
}

type secretVersion struct {
	id      string
	data    string
	created time.Time
	stages  []string
}

func newKMSState(o Options) *kmsState {
	k := &kmsState{secrets: map[string][]*secretVersion{}}
	now := o.Now().UTC().Truncate(time.Second)
	k.put(o.SecretName, o.ClientSecret, now)
	for name, v := range o.Secrets {
		k.put(name, v, now)
	}
	return k
}

// put stores value as the new ACSCurrent version of the secret name; the
// old current version becomes ACSPrevious, and the old previous one keeps
// no stage, as a KMS rotation does.
func (k *kmsState) put(name, value string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	vs := k.secrets[name]
	for _, v := range vs {
		switch {
		case slices.Contains(v.stages, StageCurrent):
			v.stages = []string{StagePrevious}
		case slices.Contains(v.stages, StagePrevious):
			v.stages = nil
		}
	}
	k.secrets[name] = append(vs, &secretVersion{
		id:      fmt.Sprintf("%032d", len(vs)+1), // the documented form, "0000…0001"
		data:    value,
		created: now,
		stages:  []string{StageCurrent},
	})
}

// get finds a version by id, or else by stage (default ACSCurrent).
func (k *kmsState) get(name, versionID, stage string) (secretVersion, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if stage == "" {
		stage = StageCurrent
	}
	for _, v := range k.secrets[name] {
		if (versionID != "" && v.id == versionID) || (versionID == "" && slices.Contains(v.stages, stage)) {
			c := *v
			c.stages = append([]string{}, v.stages...) // never null in JSON
			return c, true
		}
	}
	return secretVersion{}, false
}

// SetSecret stores value as the new ACSCurrent version of the KMS secret
// name, making it if needed. It changes KMS only: SetSecret on
// Options.SecretName puts KMS out of step with OAuth (use RotateSecret to
// change both).
func (s *Server) SetSecret(name, value string) {
	s.kms.put(name, value, s.now())
}

var kmsService = rpcService{svc: KMS, version: "2016-01-20"}

func (s *Server) routeKMS(r *http.Request) (string, http.HandlerFunc) {
	rs := kmsService
	rs.action = s.kmsAction
	return s.routeRPC(rs, r)
}

// kmsAction returns the KMS action called name; only GetSecretValue is
// emulated.
func (s *Server) kmsAction(name string) rpcAction {
	if name == "GetSecretValue" {
		return s.getSecretValue
	}
	return nil
}

// getSecretValue is KMS GetSecretValue [ALIYUN.md §3.5, checklist 15]: the
// version named by VersionId, else the one holding VersionStage (default
// ACSCurrent). FetchExtendedConfig is accepted and has no effect, since
// only Generic secrets are emulated.
func (s *Server) getSecretValue(p url.Values) (map[string]any, *rpcError) {
	name := p.Get("SecretName")
	if name == "" {
		return nil, errMissing("SecretName")
	}
	v, ok := s.kms.get(name, p.Get("VersionId"), p.Get("VersionStage"))
	if !ok {
		return nil, errRPC(http.StatusNotFound, "Forbidden.ResourceNotFound", "The resource is not found.")
	}
	return map[string]any{
		"SecretName":     name,
		"VersionId":      v.id,
		"SecretData":     v.data,
		"SecretDataType": "text",
		"SecretType":     "Generic",
		"VersionStages":  map[string]any{"VersionStage": v.stages},
		"CreateTime":     apiTime(v.created),
	}, nil
}
