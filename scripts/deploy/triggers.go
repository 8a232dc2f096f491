package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// TerminatedSuffix ends every event type offboarding acts on.
const TerminatedSuffix = "employee.terminated"

// CheckTrigger checks one trigger's config field by field, for ramsync's
// use of that trigger type (the fc3 schema accepts any object there). env
// is the function's declared environment.
func CheckTrigger(triggerType string, cfg, env map[string]any) []string {
	switch triggerType {
	case "timer":
		return checkTimer(cfg, env)
	case "http":
		return checkHTTP(cfg)
	case "eventbridge":
		return checkEventBridge(cfg)
	}
	return []string{fmt.Sprintf("triggerType %q is not one ramsync uses", triggerType)}
}

// checkTimer: ITimerTriggerConfig {cronExpression, enable, payload?}.
func checkTimer(cfg, env map[string]any) []string {
	var p problemList
	if cron, ok := cfg["cronExpression"].(string); !ok {
		p.add("cronExpression is %s, want a string", describe(cfg["cronExpression"]))
	} else if err := CheckCron(cron); err != nil {
		p.add("cronExpression %q: %v", cron, err)
	}
	if on, ok := cfg["enable"].(bool); !ok {
		p.add("enable is %s, want a boolean", describe(cfg["enable"]))
	} else if !on {
		p.add("enable is false: the nightly reconcile would never run")
	}
	if v, ok := cfg["payload"]; ok {
		payload, ok := v.(string)
		if !ok {
			p.add("payload is %s, want a string (the timer passes it verbatim)", describe(v))
		} else {
			p.list = append(p.list, checkPayload(payload, str(env, "DRY_RUN"))...)
		}
	}
	return p.list
}

// checkPayload checks the reconciler's per-run overrides (its handler's
// Overrides: dryRun, maxDeletes, maxDeletePercent, nothing else).
func checkPayload(payload, dryRunEnv string) []string {
	if strings.TrimSpace(payload) == "" {
		return nil
	}
	var p problemList
	var m map[string]any
	if err := json.Unmarshal([]byte(payload), &m); err != nil || m == nil {
		p.add("payload %q: want a JSON object", payload)
		return p.list
	}
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "dryRun":
			b, ok := v.(bool)
			if !ok {
				p.add("payload.dryRun: want true or false")
			} else if !b && dryRunEnv == "true" {
				p.add("payload sets dryRun false while DRY_RUN is \"true\": every nightly run would write; leave dryRun out until the operator flips DRY_RUN")
			}
		case "maxDeletes":
			if n, ok := v.(float64); !ok || n < 0 || n != float64(int64(n)) {
				p.add("payload.maxDeletes: want a whole number ≥ 0")
			}
		case "maxDeletePercent":
			if n, ok := v.(float64); !ok || n < 0 || n > 100 {
				p.add("payload.maxDeletePercent: want a number from 0 to 100")
			}
		default:
			p.add("payload.%s: unknown key (the reconciler accepts dryRun, maxDeletes, maxDeletePercent and refuses the run otherwise)", k)
		}
	}
	return p.list
}

var httpMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// checkHTTP: IHttpTriggerConfig {authType, methods, disableURLInternet?}.
// ramsync's webhook takes POST only, and authenticates by HMAC itself.
func checkHTTP(cfg map[string]any) []string {
	var p problemList
	switch auth, _ := cfg["authType"].(string); auth {
	case "anonymous":
	case "function", "jwt":
		p.add("authType is %q: HR systems cannot sign FC requests; want anonymous (the HMAC signature is the authentication)", auth)
	default:
		p.add("authType is %s, want one of anonymous, function, jwt (ramsync: anonymous)", describe(cfg["authType"]))
	}
	list, ok := cfg["methods"].([]any)
	if !ok {
		p.add("methods is %s, want a list", describe(cfg["methods"]))
	}
	var methods []string
	for _, m := range list {
		s, ok := m.(string)
		if !ok || !slices.Contains(httpMethods, s) {
			p.add("methods: %s is not one of %s", describe(m), strings.Join(httpMethods, " "))
			continue
		}
		methods = append(methods, s)
	}
	if ok && !slices.Equal(methods, []string{"POST"}) {
		p.add("methods are %v, want exactly [POST] (the webhook answers 405 to the rest)", methods)
	}
	if v, ok := cfg["disableURLInternet"]; ok {
		if b, isBool := v.(bool); !isBool || b {
			p.add("disableURLInternet is %s, want false: the HR system calls the public URL", describe(v))
		}
	}
	return p.list
}

// checkEventBridge: IEventBridge {triggerEnable, asyncInvocationType,
// eventRuleFilterPattern, eventSourceConfig, eventSinkConfig, runOptions}.
func checkEventBridge(cfg map[string]any) []string {
	var p problemList
	for _, k := range []string{"triggerEnable", "asyncInvocationType"} {
		if b, ok := cfg[k].(bool); !ok {
			p.add("%s is %s, want true", k, describe(cfg[k]))
		} else if !b {
			p.add("%s is false, want true", k)
		}
	}
	src := mapAt(cfg, "eventSourceConfig")
	srcType := str(src, "eventSourceType")
	switch srcType {
	case "MNS":
		mns := mapAt(src, "eventSourceParameters", "sourceMNSParameters")
		if str(mns, "QueueName") == "" {
			p.add("eventSourceConfig.eventSourceParameters.sourceMNSParameters.QueueName: want the queue's name")
		}
		if b, ok := mns["IsBase64Decode"].(bool); !ok || b {
			p.add("eventSourceConfig…sourceMNSParameters.IsBase64Decode is %s, want false: the message body is the event JSON as sent", describe(mns["IsBase64Decode"]))
		}
	case "Default":
		p.add("eventSourceConfig.eventSourceType Default subscribes to the `default` bus, which carries only Alibaba Cloud service events; HR events never arrive there (see s.yaml)")
	case "":
		p.add("eventSourceConfig.eventSourceType: missing")
	default:
		p.add("eventSourceConfig.eventSourceType %q: ramsync expects CloudEvents on an MNS queue", srcType)
	}
	if s := str(mapAt(cfg, "eventSinkConfig", "deliveryOption"), "eventSchema"); s != "" && s != "CloudEvents" {
		p.add("eventSinkConfig.deliveryOption.eventSchema is %q, want CloudEvents (offboarding needs the event's type)", s)
	}
	pattern, ok := cfg["eventRuleFilterPattern"].(string)
	if !ok {
		p.add("eventRuleFilterPattern is %s, want a JSON string", describe(cfg["eventRuleFilterPattern"]))
		return p.list
	}
	p.list = append(p.list, checkPattern(pattern, srcType)...)
	return p.list
}

// checkPattern checks an EventBridge event pattern: a JSON object whose
// type list, when present, only lets through types ending in
// employee.terminated (exact values or {"suffix": …}). On an MNS source the
// envelope's own type, mns:Queue:SendMessage, is allowed too.
func checkPattern(pattern, srcType string) []string {
	var p problemList
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(pattern)))
	if err := dec.Decode(&m); err != nil || m == nil {
		p.add("eventRuleFilterPattern %q: want a JSON object", pattern)
		return p.list
	}
	types, ok := m["type"]
	if !ok {
		return nil
	}
	list, ok := types.([]any)
	if !ok || len(list) == 0 {
		p.add("eventRuleFilterPattern.type: want a non-empty list")
		return p.list
	}
	for _, e := range list {
		switch e := e.(type) {
		case string:
			if !strings.HasSuffix(e, TerminatedSuffix) && (srcType != "MNS" || e != "mns:Queue:SendMessage") {
				p.add("eventRuleFilterPattern.type %q does not end in %s", e, TerminatedSuffix)
			}
		case map[string]any:
			if s, ok := e["suffix"].(string); len(e) != 1 || !ok || !strings.HasSuffix(s, TerminatedSuffix) {
				p.add("eventRuleFilterPattern.type %v: want {\"suffix\": \"…%s\"}", e, TerminatedSuffix)
			}
		default:
			p.add("eventRuleFilterPattern.type entry %v: want a string", e)
		}
	}
	return p.list
}
