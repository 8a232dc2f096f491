package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// These tests break a fresh copy of the real s.yaml (or policy) in one
// way each and require the checks to report it: a check that passes
// everything would fail here.

func props(d Doc, fn string) map[string]any { return mapAt(d, "resources", fn, "props") }

func env(d Doc, fn string) map[string]any {
	return mapAt(d, "resources", fn, "props", "environmentVariables")
}

func trigger(d Doc, fn string) map[string]any {
	return props(d, fn)["triggers"].([]any)[0].(map[string]any)
}

func triggerConfig(d Doc, fn string) map[string]any {
	return trigger(d, fn)["triggerConfig"].(map[string]any)
}

func ebSource(d Doc) map[string]any {
	return mapAt(triggerConfig(d, "offboarding"), "eventSourceConfig")
}

func TestChecksCatchBrokenSYAML(t *testing.T) {
	tests := []struct {
		name string
		edit func(d Doc)
		want string
	}{
		// http trigger
		{"POST removed from methods", func(d Doc) { triggerConfig(d, "webhook")["methods"] = []any{"GET"} }, "want exactly [POST]"},
		{"GET added to methods", func(d Doc) { triggerConfig(d, "webhook")["methods"] = []any{"POST", "GET"} }, "want exactly [POST]"},
		{"unknown method", func(d Doc) { triggerConfig(d, "webhook")["methods"] = []any{"POST", "FETCH"} }, `"FETCH" is not one of`},
		{"authType function", func(d Doc) { triggerConfig(d, "webhook")["authType"] = "function" }, `authType is "function"`},
		{"authType misspelt", func(d Doc) { triggerConfig(d, "webhook")["authType"] = "anon" }, "want one of anonymous, function, jwt"},
		{"internet URL disabled", func(d Doc) { triggerConfig(d, "webhook")["disableURLInternet"] = true }, "disableURLInternet"},

		// timer trigger
		{"cron with 5 fields", func(d Doc) { triggerConfig(d, "reconciler")["cronExpression"] = "0 18 * * *" }, "5 fields, want 6"},
		{"cron hour 24", func(d Doc) { triggerConfig(d, "reconciler")["cronExpression"] = "0 0 24 * * *" }, "out of range"},
		{"timer disabled", func(d Doc) { triggerConfig(d, "reconciler")["enable"] = false }, "would never run"},
		{"enable is a string", func(d Doc) { triggerConfig(d, "reconciler")["enable"] = "true" }, `enable is "true", want a boolean`},
		{"payload not JSON", func(d Doc) { triggerConfig(d, "reconciler")["payload"] = "dryRun=false" }, "want a JSON object"},
		{"payload unknown key", func(d Doc) { triggerConfig(d, "reconciler")["payload"] = `{"dry": true}` }, "payload.dry: unknown key"},
		{"payload overrides DRY_RUN", func(d Doc) { triggerConfig(d, "reconciler")["payload"] = `{"dryRun": false}` }, "every nightly run would write"},
		{"payload brakes negative", func(d Doc) { triggerConfig(d, "reconciler")["payload"] = `{"maxDeletes": -1}` }, "payload.maxDeletes"},
		{"payload is a number", func(d Doc) { triggerConfig(d, "reconciler")["payload"] = 1 }, "payload is 1 (int), want a string"},

		// eventbridge trigger
		{"filter type not a termination", func(d Doc) {
			triggerConfig(d, "offboarding")["eventRuleFilterPattern"] = `{"type":["ramsync:hr:employee.hired"]}`
		}, `"ramsync:hr:employee.hired" does not end in employee.terminated`},
		{"filter suffix not a termination", func(d Doc) {
			triggerConfig(d, "offboarding")["eventRuleFilterPattern"] = `{"type":[{"suffix":"employee.updated"}]}`
		}, "want {\"suffix\""},
		{"filter not JSON", func(d Doc) { triggerConfig(d, "offboarding")["eventRuleFilterPattern"] = "type=terminated" }, "want a JSON object"},
		{"filter is an object", func(d Doc) { triggerConfig(d, "offboarding")["eventRuleFilterPattern"] = map[string]any{} }, "want a JSON string"},
		{"sync invocation", func(d Doc) { triggerConfig(d, "offboarding")["asyncInvocationType"] = false }, "asyncInvocationType is false"},
		{"trigger disabled", func(d Doc) { triggerConfig(d, "offboarding")["triggerEnable"] = false }, "triggerEnable is false"},
		{"triggerEnable a string", func(d Doc) { triggerConfig(d, "offboarding")["triggerEnable"] = "yes" }, `triggerEnable is "yes", want true`},
		{"default bus", func(d Doc) { ebSource(d)["eventSourceType"] = "Default" }, "`default` bus"},
		{"no event source", func(d Doc) { delete(triggerConfig(d, "offboarding"), "eventSourceConfig") }, "eventSourceType: missing"},
		{"no queue", func(d Doc) {
			delete(mapAt(ebSource(d), "eventSourceParameters", "sourceMNSParameters"), "QueueName")
		}, "QueueName"},
		{"base64 body", func(d Doc) {
			mapAt(ebSource(d), "eventSourceParameters", "sourceMNSParameters")["IsBase64Decode"] = true
		}, "IsBase64Decode is true"},
		{"raw data schema", func(d Doc) {
			mapAt(triggerConfig(d, "offboarding"), "eventSinkConfig", "deliveryOption")["eventSchema"] = "RawData"
		}, "want CloudEvents"},

		// triggers in general
		{"second trigger", func(d Doc) {
			p := props(d, "webhook")
			p["triggers"] = append(p["triggers"].([]any), trigger(d, "webhook"))
		}, "want exactly one http trigger, got 2"},
		{"wrong trigger type", func(d Doc) { trigger(d, "webhook")["triggerType"] = "timer" }, `triggerType is "timer", want "http"`},

		// environment
		{"env var dropped", func(d Doc) { delete(env(d, "webhook"), "WEBHOOK_SECRET_NAME") }, `lacks "WEBHOOK_SECRET_NAME"`},
		{"common env var dropped", func(d Doc) { delete(env(d, "offboarding"), "SCIM_SECRET_NAME") }, `lacks "SCIM_SECRET_NAME"`},
		{"unknown env var", func(d Doc) { env(d, "reconciler")["ROSTER_TOKEN"] = "x" }, `declares "ROSTER_TOKEN", which the code never reads`},
		{"env var of another function", func(d Doc) { env(d, "offboarding")["ROSTER_URL"] = "https://x" }, `declares "ROSTER_URL"`},
		{"plain-text secret", func(d Doc) { env(d, "webhook")["WEBHOOK_SECRET"] = "hunter2" }, "local-only plain-text secret"},
		{"plain-text app secret", func(d Doc) { env(d, "reconciler")["SCIM_CLIENT_SECRET"] = "s3cret" }, "SCIM_CLIENT_SECRET: a local-only"},
		{"platform variable", func(d Doc) { env(d, "webhook")["FC_REGION"] = "cn-hangzhou" }, "set by Function Compute itself"},
		{"env value not a string", func(d Doc) { env(d, "reconciler")["MAX_DELETES"] = 25 }, "values must be strings"},
		{"env value the code rejects", func(d Doc) { env(d, "webhook")["LOG_LEVEL"] = "loud" }, "the code rejects the environment"},
		{"DRY_RUN false", func(d Doc) { env(d, "offboarding")["DRY_RUN"] = "false" }, `DRY_RUN is "false", want "true"`},
		{"DRY_RUN 1", func(d Doc) { env(d, "reconciler")["DRY_RUN"] = "1" }, `DRY_RUN is "1", want "true"`},
		{"OFFBOARD_CLEANUP false", func(d Doc) { env(d, "webhook")["OFFBOARD_CLEANUP"] = "false" }, "OFFBOARD_CLEANUP is \"false\""},
		{"LEAVER_GRACE differs", func(d Doc) { env(d, "offboarding")["LEAVER_GRACE"] = "0" }, "LEAVER_GRACE differs"},
		{"LEAVER_GRACE dropped", func(d Doc) { delete(env(d, "reconciler"), "LEAVER_GRACE") }, `lacks "LEAVER_GRACE"`},
		{"EVENT_MAX_AGE dropped", func(d Doc) { delete(env(d, "webhook"), "EVENT_MAX_AGE") }, `lacks "EVENT_MAX_AGE"`},
		{"EVENT_MAX_AGE on the reconciler", func(d Doc) { env(d, "reconciler")["EVENT_MAX_AGE"] = "72h" }, `declares "EVENT_MAX_AGE"`},

		// roles and the webhook's bounds
		{"one role for two functions", func(d Doc) { props(d, "offboarding")["role"] = props(d, "webhook")["role"] }, "give each function its own role"},
		{"webhook one request per instance", func(d Doc) { delete(props(d, "webhook"), "instanceConcurrency") }, "instanceConcurrency: want 2 to 100"},
		{"webhook unbounded", func(d Doc) { delete(props(d, "webhook"), "concurrencyConfig") }, "concurrencyConfig.reservedConcurrency: want 1 to 100"},
		{"webhook too many", func(d Doc) {
			mapAt(props(d, "webhook"), "concurrencyConfig")["reservedConcurrency"] = 300
		}, "reservedConcurrency: want 1 to 100"},

		// code, build, runtime
		{"code path", func(d Doc) { props(d, "reconciler")["code"] = "./code" }, `code is "./code", want "./dist/reconciler"`},
		{"code of another function", func(d Doc) { props(d, "webhook")["code"] = "./dist/reconciler" }, `want "./dist/webhook"`},
		{"no build action", func(d Doc) { delete(mapAt(d, "resources", "offboarding"), "actions") }, "scripts/build.sh offboarding"},
		{"build of another function", func(d Doc) {
			mapAt(d, "resources", "webhook", "actions")["pre-deploy"] = []any{map[string]any{"run": "bash scripts/build.sh reconciler"}}
		}, "scripts/build.sh webhook"},
		{"runtime", func(d Doc) { props(d, "webhook")["runtime"] = "custom.debian10" }, `runtime is "custom.debian10", want "go1"`},
		{"handler", func(d Doc) { props(d, "webhook")["handler"] = "index.handler" }, `handler is "index.handler", want "main"`},
		{"no role", func(d Doc) { delete(props(d, "offboarding"), "role") }, "role: want the function role"},
		{"no logs", func(d Doc) { delete(props(d, "webhook"), "logConfig") }, "logConfig missing"},
		{"missing function", func(d Doc) { delete(mapAt(d, "resources"), "offboarding") }, "resources.offboarding: missing"},
		{"stray resource", func(d Doc) { mapAt(d, "resources")["api"] = map[string]any{} }, "resources.api: not one of"},
		{"edition", func(d Doc) { d["edition"] = "1.0.0" }, "want \"3.0.0\""},

		// concurrency and async
		{"reconcile runs overlap", func(d Doc) {
			mapAt(props(d, "reconciler"), "concurrencyConfig")["reservedConcurrency"] = 2
		}, "reservedConcurrency must be 1"},
		{"no concurrency limit", func(d Doc) { delete(props(d, "reconciler"), "concurrencyConfig") }, "reservedConcurrency must be 1"},
		{"instance concurrency", func(d Doc) { props(d, "reconciler")["instanceConcurrency"] = 10 }, "instanceConcurrency must be 1"},
		{"no async config", func(d Doc) { delete(props(d, "offboarding"), "asyncInvokeConfig") }, "asyncInvokeConfig missing"},
		{"no failure destination", func(d Doc) {
			delete(mapAt(props(d, "reconciler"), "asyncInvokeConfig"), "destinationConfig")
		}, "onFailure.destination"},
		{"retries out of range", func(d Doc) {
			mapAt(props(d, "offboarding"), "asyncInvokeConfig")["maxAsyncRetryAttempts"] = 9
		}, "maxAsyncRetryAttempts"},
	}
	if problems := Check(loadDoc(t)); len(problems) > 0 {
		t.Fatalf("the real s.yaml already has problems: %v", problems)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadDoc(t)
			tt.edit(d)
			expectProblem(t, Check(d), tt.want)
		})
	}
}

// TestSchemaCatchesBrokenSYAML: breakages only the fc3 schema knows of,
// including wrong types inside a trigger's config, which the schema's
// own triggerConfig (anyOf … {"type": "object"}) would let through.
func TestSchemaCatchesBrokenSYAML(t *testing.T) {
	s := loadSchema(t)
	tests := []struct {
		name string
		edit func(d Doc)
		want string
	}{
		{"memory not a multiple of 64", func(d Doc) { props(d, "webhook")["memorySize"] = 100 }, "multipleOf"},
		{"timeout over a day", func(d Doc) { props(d, "reconciler")["timeout"] = 90000 }, "maximum"},
		{"unknown region", func(d Doc) { props(d, "webhook")["region"] = "mars-1" }, "region"},
		{"unknown runtime", func(d Doc) { props(d, "webhook")["runtime"] = "go2" }, "runtime"},
		{"env value a number", func(d Doc) { env(d, "reconciler")["MAX_DELETES"] = 25 }, "environmentVariables"},
		{"timer enable a string", func(d Doc) { triggerConfig(d, "reconciler")["enable"] = "yes" }, "ITimerTriggerConfig"},
		{"timer without cron", func(d Doc) { delete(triggerConfig(d, "reconciler"), "cronExpression") }, "cronExpression"},
		{"http methods a string", func(d Doc) { triggerConfig(d, "webhook")["methods"] = "POST" }, "IHttpTriggerConfig"},
		{"http method unknown", func(d Doc) { triggerConfig(d, "webhook")["methods"] = []any{"FETCH"} }, "IHttpTriggerConfig"},
		{"eventbridge pattern an object", func(d Doc) {
			triggerConfig(d, "offboarding")["eventRuleFilterPattern"] = map[string]any{"type": []any{"x"}}
		}, "IEventBridge"},
		{"eventbridge without runOptions", func(d Doc) { delete(triggerConfig(d, "offboarding"), "runOptions") }, "runOptions"},
		{"log config without logstore", func(d Doc) { delete(mapAt(props(d, "webhook"), "logConfig"), "logstore") }, "logConfig"},
		{"unknown trigger type", func(d Doc) { trigger(d, "webhook")["triggerType"] = "mns_queue" }, "triggerType"},
	}
	if problems := s.Check(loadDoc(t)); len(problems) > 0 {
		t.Fatalf("the real s.yaml already fails the schema: %v", problems)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadDoc(t)
			tt.edit(d)
			expectProblem(t, s.Check(d), tt.want)
		})
	}
}

func TestChecksCatchBrokenPolicy(t *testing.T) {
	stmt := func(p map[string]any, i int) map[string]any {
		return p["Statement"].([]any)[i].(map[string]any)
	}
	// find returns the statement allowing action.
	find := func(p map[string]any, action string) map[string]any {
		for _, s := range p["Statement"].([]any) {
			if strings.Contains(mustJSON(s.(map[string]any)["Action"]), `"`+action+`"`) {
				return s.(map[string]any)
			}
		}
		panic("no statement allows " + action)
	}
	addStatement := func(p map[string]any, action, resource any) {
		p["Statement"] = append(p["Statement"].([]any), map[string]any{"Effect": "Allow", "Action": action, "Resource": resource})
	}
	dropAction := func(p map[string]any, action string) {
		s := find(p, action)
		var keep []any
		for _, a := range s["Action"].([]any) {
			if a != action {
				keep = append(keep, a)
			}
		}
		s["Action"] = keep
	}
	tests := []struct {
		fn   string
		name string
		edit func(p map[string]any)
		want string
	}{
		{"webhook", "ListUsers on the webhook", func(p map[string]any) {
			addStatement(p, "ram:ListUsers", "acs:ram:*:${accountId}:user/*")
		}, "allows ram:ListUsers, which the webhook function does not call"},
		{"offboarding", "ListUsers on offboarding", func(p map[string]any) {
			addStatement(p, "ram:ListUsers", "acs:ram:*:${accountId}:user/*")
		}, "allows ram:ListUsers"},
		{"reconciler", "ListUsers dropped", func(p map[string]any) { dropAction(p, "ram:ListUsers") }, "ram:ListUsers: not granted"},
		{"webhook", "an action dropped", func(p map[string]any) { dropAction(p, "ram:ListAccessKeys") }, "ram:ListAccessKeys: not granted"},
		{"offboarding", "UpdateLoginProfile dropped", func(p map[string]any) { dropAction(p, "ram:UpdateLoginProfile") }, "ram:UpdateLoginProfile: not granted"},
		{"webhook", "CreateUser added", func(p map[string]any) {
			addStatement(p, "ram:CreateUser", "acs:ram:*:${accountId}:user/*")
		}, "allows ram:CreateUser, which the webhook function does not call"},
		{"webhook", "ram wildcard", func(p map[string]any) { addStatement(p, "ram:*", "acs:ram:*:${accountId}:user/*") }, `wildcard action "ram:*"`},
		{"webhook", "users beyond the account", func(p map[string]any) {
			find(p, "ram:ListAccessKeys")["Resource"] = "acs:ram:*:*:user/*"
		}, "granted beyond what ramsync needs"},
		{"webhook", "roster credentials on the webhook", func(p map[string]any) {
			s := find(p, "kms:GetSecretValue")
			s["Resource"] = append(s["Resource"].([]any), "acs:kms:${region}:${accountId}:secret/${rosterAuthSecretName}")
		}, "kms:GetSecretValue: granted beyond what ramsync needs, on \"acs:kms:cn-hangzhou:1234567890123456:secret/ramsync/roster-auth\""},
		{"offboarding", "signing key on offboarding", func(p map[string]any) {
			s := find(p, "kms:GetSecretValue")
			s["Resource"] = append(s["Resource"].([]any), "acs:kms:${region}:${accountId}:secret/${webhookSecretName}")
		}, "webhook-signing-key"},
		{"reconciler", "roster credentials dropped", func(p map[string]any) {
			s := find(p, "kms:GetSecretValue")
			s["Resource"] = s["Resource"].([]any)[:1]
		}, "kms:GetSecretValue: not granted on"},
		{"webhook", "secrets on *", func(p map[string]any) { find(p, "kms:GetSecretValue")["Resource"] = "*" }, `every resource ("*")`},
		{"webhook", "every secret", func(p map[string]any) {
			find(p, "kms:GetSecretValue")["Resource"] = "acs:kms:${region}:${accountId}:secret/*"
		}, "kms:GetSecretValue: granted beyond"},
		{"webhook", "secret of another name", func(p map[string]any) {
			find(p, "kms:GetSecretValue")["Resource"].([]any)[0] = "acs:kms:${region}:${accountId}:secret/other"
		}, "secret/other"},
		{"webhook", "kms decrypt", func(p map[string]any) { addStatement(p, "kms:Decrypt", "acs:kms:${region}:${accountId}:key/*") }, "allows kms:Decrypt"},
		{"webhook", "any logstore", func(p map[string]any) {
			find(p, "log:PostLogStoreLogs")["Resource"] = "acs:log:${region}:${accountId}:project/*"
		}, "log:PostLogStoreLogs"},
		{"webhook", "publish on the webhook (no async)", func(p map[string]any) {
			addStatement(p, "mns:PublishMessage", "acs:mns:${region}:${accountId}:/topics/${failureTopic}")
		}, "allows mns:PublishMessage, which the webhook function does not call"},
		{"reconciler", "no failure topic", func(p map[string]any) {
			mns := find(p, "mns:PublishMessage")
			var keep []any
			for _, s := range p["Statement"].([]any) {
				if mustJSON(s.(map[string]any)["Action"]) != mustJSON(mns["Action"]) {
					keep = append(keep, s)
				}
			}
			p["Statement"] = keep
		}, "mns:PublishMessage: not granted"},
		{"webhook", "unknown placeholder", func(p map[string]any) {
			find(p, "log:PostLogStoreLogs")["Resource"] = "acs:log:${region}:${accountId}:project/${project}/logstore/${logstore}"
		}, "placeholder ${project} is not a var"},
		{"webhook", "deny", func(p map[string]any) { stmt(p, 0)["Effect"] = "Deny" }, "this policy only allows"},
		{"webhook", "version", func(p map[string]any) { p["Version"] = "2" }, `Version is "2"`},
		{"webhook", "unknown element", func(p map[string]any) { stmt(p, 0)["Principal"] = "x" }, "not a RAM policy document"},
	}
	doc := loadDoc(t)
	called := ramActions(t)
	for _, fn := range Functions {
		if problems := CheckPolicy(fn.Name, loadPolicy(t, fn.Name), doc, FunctionRAMActions(fn.Name, called)); len(problems) > 0 {
			t.Fatalf("the real %s policy already has problems: %v", fn.Name, problems)
		}
	}
	for _, tt := range tests {
		t.Run(tt.fn+"/"+tt.name, func(t *testing.T) {
			var p map[string]any
			if err := json.Unmarshal(loadPolicy(t, tt.fn), &p); err != nil {
				t.Fatal(err)
			}
			tt.edit(p)
			expectProblem(t, CheckPolicy(tt.fn, []byte(mustJSON(p)), doc, FunctionRAMActions(tt.fn, called)), tt.want)
		})
	}

	base := loadPolicy(t, "webhook")
	actions := FunctionRAMActions("webhook", called)
	t.Run("not JSON", func(t *testing.T) {
		expectProblem(t, CheckPolicy("webhook", []byte(`{"Version": "1",`), doc, actions), "not a RAM policy document")
	})
	// The code calls a new action (another helper adds it to pkg/ramcred):
	// every policy that lacks it fails.
	t.Run("code calls an action no policy grants", func(t *testing.T) {
		more := append(slices.Clone(called), "ram:CreateLoginProfile")
		for _, fn := range Functions {
			expectProblem(t, CheckPolicy(fn.Name, loadPolicy(t, fn.Name), doc, FunctionRAMActions(fn.Name, more)), "ram:CreateLoginProfile: not granted")
		}
	})
	t.Run("s.yaml names another secret", func(t *testing.T) {
		d := loadDoc(t)
		env(d, "webhook")["WEBHOOK_SECRET_NAME"] = "elsewhere/key"
		expectProblem(t, CheckPolicy("webhook", base, d, actions), "secret/elsewhere/key")
	})
	t.Run("s.yaml enables Feishu under another secret", func(t *testing.T) {
		d := loadDoc(t)
		env(d, "webhook")["FEISHU_SECRET_NAME"] = "other/feishu"
		expectProblem(t, CheckPolicy("webhook", base, d, actions), "secret/other/feishu")
	})
	t.Run("s.yaml writes to another logstore", func(t *testing.T) {
		d := loadDoc(t)
		mapAt(props(d, "reconciler"), "logConfig")["logstore"] = "other"
		expectProblem(t, CheckPolicy("reconciler", loadPolicy(t, "reconciler"), d, FunctionRAMActions("reconciler", called)), "logstore/other")
	})
}

// TestChecksCatchUndocumentedOptional: an optional variable neither set
// nor documented in its function's section is reported.
func TestChecksCatchUndocumentedOptional(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := loadDoc(t)
	if problems := CheckDocumented(src, doc); len(problems) > 0 {
		t.Fatalf("the real s.yaml already has problems: %v", problems)
	}
	for _, tt := range []struct{ line, want string }{
		{"# EVENT_SOURCES:", "offboarding: optional EVENT_SOURCES"},
		{"# ROSTER_FORMAT:", "reconciler: optional ROSTER_FORMAT"},
		{"# ALERT_FORMAT:", "optional ALERT_FORMAT"},
	} {
		broken := strings.ReplaceAll(string(src), tt.line, "# (removed):")
		expectProblem(t, CheckDocumented([]byte(broken), doc), tt.want)
	}
}

func expectProblem(t *testing.T, problems []string, want string) {
	t.Helper()
	for _, p := range problems {
		if strings.Contains(p, want) {
			t.Logf("reported: %s", p)
			return
		}
	}
	t.Errorf("no problem mentions %q; got %d:\n%s", want, len(problems), strings.Join(problems, "\n"))
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
