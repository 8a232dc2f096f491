#!/usr/bin/env bash
# Runs ramsync's reliability suites (issue 6) at full size and prints their
# figures: the reconcile of 2,000 employees and the burst of 500 webhook
# deliveries under injected faults, and the races through the real
# binaries. The tests log their figures as "RELIABILITY suite=… key=value"
# lines; this script collects them into a table. A minute or two; not part
# of CI, where the same tests run at small sizes (scripts/test.sh).
#
#   scripts/reliability.sh
#
# Exits non-zero, after printing the failures, when a suite fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tests='^(TestReconcileUnderFaults|TestWebhookBurstUnderFaults|TestSameHireAcrossFourInstancesMakesOneUser|TestTerminateRacingUpdateEndsDeletedEndToEnd|TestWebhookRacingReconcilerConverges|TestHostileWebhookRequests|TestHostileValues|TestHostileOffboardingEvents|TestNoSecretAnywhere|TestForgedRequestsOnAFreshInstance|TestForgedRequestsReadTheKeyOnce|TestSigningKeyProblemsAnswer503|TestDuplicateKeyBomb|TestAnswerForAnotherUserIsRefused|TestEndpointsOverTLSOnly|TestHostileFeishuPushes|TestHostileDingTalkPushes|TestOffboardingTrustBoundary|TestLeaverUnderCustomMapping)$'
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
RAMSYNC_FULL=1 go test -run "$tests" -count=1 -v -timeout 20m ./pkg/provision/ ./functions/e2e/ \
	./functions/webhook/ ./pkg/scim/ ./pkg/config/ >"$log" 2>&1 || status=$?

echo "ramsync reliability figures (RAMSYNC_FULL=1, $(date -u +%Y-%m-%d), $(go env GOVERSION), $(nproc) cores)"
awk '
/RELIABILITY suite=/ {
	for (i = 1; i <= NF; i++) {
		if (split($i, kv, "=") != 2) continue
		if (kv[1] == "suite") s = kv[2]; else v[s, kv[1]] = kv[2]
	}
}
/^--- (PASS|FAIL): Test/ { r[$3] = substr($2, 1, 4) }
function g(s, k) { return ((s, k) in v) ? v[s, k] : "?" }
function n(s, k) { return ((s, k) in v) ? v[s, k] : 0 }
function row(label, a, b) { printf "  %-36s %-36s %s\n", label, a, b }
function race(label, res, text) { printf "  %-36s %-5s %s\n", label, res, text }
END {
	R = "reconcile"; W = "webhook"
	print ""
	printf "%-38s %-36s %s\n", "Faults", "reconcile (in-process)", "webhook (real binary, " g(W, "instances") " instances)"
	row("result", r["TestReconcileUnderFaults"], r["TestWebhookBurstUnderFaults"])
	row("inputs tried", g(R, "employees") " employees vs " g(R, "directory") " users", g(W, "deliveries") " deliveries, " g(W, "employees") " employees")
	row("  to create / hire", g(R, "in_create") + g(R, "in_rehire"), g(W, "in_hire"))
	row("  to rename or redisplay", g(R, "in_rename") + g(R, "in_display") + g(R, "in_case"), g(W, "in_rename") + g(W, "in_display"))
	row("  to delete / terminate", g(R, "in_leaver") + g(R, "in_rehire_leaver") + g(R, "in_terminated"), g(W, "in_terminate"))
	row("  never to write (hand-made etc.)", g(R, "never_write"), g(W, "never_write"))
	row("SCIM requests (writes)", g(R, "scim_requests") " (" g(R, "scim_writes") ")", g(W, "scim_requests") " (" g(W, "scim_writes") ")")
	row("faults: 503 before processing", g(R, "f_503_before"), g(W, "f_503_before"))
	row("faults: 500 after processing", g(R, "f_500_after"), g(W, "f_500_after"))
	row("faults: 429 with Retry-After", g(R, "f_429") " in " g(R, "f_429_bursts") " bursts", g(W, "f_429") ": " g(W, "f_429_bursts") " bursts + " g(W, "f_429_holdoff") " held off 90 s")
	row("faults: dropped (before + after)", g(R, "f_dropped"), g(W, "f_dropped"))
	row("faults: 200 ms latency spikes", g(R, "f_spike_200ms"), g(W, "f_spike_200ms"))
	row("token expiries -> 401s", g(R, "token_expiries") " -> " g(R, "f_401_expired"), g(W, "token_expiries") " -> " g(W, "f_401_expired"))
	row("secret rotation -> invalid_client", g(R, "secret_rotations") " -> " g(R, "invalid_client"), g(W, "secret_rotations") " -> " g(W, "invalid_client"))
	row("token / KMS requests (503)", g(R, "token_requests") " (" g(R, "token_503") ") / " g(R, "kms_reads") " (" g(R, "kms_503") ")", g(W, "token_requests") " (" g(W, "token_503") ") / " g(W, "kms_reads") " (" g(W, "kms_503") ")")
	row("outcomes", "create " g(R, "out_create") ", update " g(R, "out_update"), "created " n(W, "ans_created") ", updated " n(W, "ans_updated"))
	row("", "delete " g(R, "out_delete") ", unchanged " g(R, "out_unchanged"), "deleted " n(W, "ans_deleted") ", unchanged " n(W, "ans_unchanged"))
	row("", "conflict " g(R, "out_conflict") ", rejected " g(R, "out_rejected"), "already absent " n(W, "ans_already_absent"))
	row("", "protected " g(R, "out_protected") ", skipped " g(R, "out_skipped"), "503 unavailable, retried by HR: " n(W, "ans_503"))
	row("", "failed " g(R, "out_failed"), "")
	row("duplicates", g(R, "duplicates"), g(W, "duplicates"))
	row("forbidden writes", g(R, "forbidden_writes"), g(W, "forbidden_writes"))
	row("creates repeated without a lookup", g(R, "repeat_creates"), g(W, "repeat_creates"))
	row("second-run writes (no faults)", g(R, "second_run_writes"), "-")
	row("client retries", g(R, "client_retries"), "at least " g(W, "client_retries_min"))
	row("wall time", g(R, "wall"), g(W, "wall"))

	T = "race-terminate-update"; X = "race-webhook-reconciler"
	print ""
	print "Races (real binaries, no faults)"
	race("same hire x20 on 4 instances", r["TestSameHireAcrossFourInstancesMakesOneUser"],
		r["TestSameHireAcrossFourInstancesMakesOneUser"] == "PASS" ? "one user: 1 created, 19 unchanged" : "see below")
	race("terminate racing a rename", r["TestTerminateRacingUpdateEndsDeletedEndToEnd"],
		g(T, "rounds") " rounds on " g(T, "instances") " instances: " g(T, "ans_terminate_deleted") " deleted, users left " g(T, "users_left") ";")
	race("", "", "the rename came first " n(T, "ans_update_updated") " times, was skipped " n(T, "ans_update_skipped") " times")
	race("webhook racing the reconciler", r["TestWebhookRacingReconcilerConverges"], g(X, "employees") " employees, " g(X, "deliveries") " deliveries;")
	race("", "", "reconciler created " g(X, "rec_create") ", updated " g(X, "rec_update") ", deleted " g(X, "rec_delete") ";")
	race("", "", "webhook created " n(X, "ans_created") ", updated " n(X, "ans_updated") ", unchanged " n(X, "ans_unchanged") ";")
	race("", "", "duplicates " g(X, "duplicates") ", second-run writes " g(X, "second_run_writes"))

	HW = "TestHostileWebhookRequests"; HV = "TestHostileValues"; HO = "TestHostileOffboardingEvents"
	print ""
	print "Hostile input (real binaries; every rejection checked for zero SCIM writes)"
	race("webhook requests", r[HW], g(HW, "cases") " cases, " g(HW, "rejections") " rejected with their status and message")
	race("webhook values", r[HV], g(HV, "cases") " cases, " g(HV, "rejections") " rejected, the rest applied to exactly their user")
	race("offboarding events", r[HO], g(HO, "cases") " payloads, " g(HO, "events") " events")
	HF = "TestHostileFeishuPushes"; HD = "TestHostileDingTalkPushes"
	race("Feishu pushes (/feishu)", r[HF], g(HF, "cases") " cases, " g(HF, "rejections") " answered 401/413 with the error body, " g(HF, "scim_writes") " SCIM writes")
	race("DingTalk pushes (/dingtalk)", r[HD], g(HD, "cases") " cases, " g(HD, "rejections") " refused, never the success reply, " g(HD, "scim_writes") " SCIM writes")
	race("offboarding: EVENT_SOURCES, EVENT_MAX_AGE", r["TestOffboardingTrustBoundary"], "unlisted sources rejected, old events skipped (stale:), zero writes")
	race("leaver by id under a custom mapping", r["TestLeaverUnderCustomMapping"], "found by its id alone; an unmappable one answers 422, zero writes")
	race("secrets in logs/reports/answers", r["TestNoSecretAnywhere"], "app secret, AccessKey secret, STS token, signing key, tokens, MACs: none found")

	FB = "forged-burst"; FS = "forged-100s"; FX = "forged-binary"; MK = "missing-key"; DB = "dup-key-bomb"; WU = "wrong-user"; PH = "plain-http"
	print ""
	print "Hostile input, issue 12 (each case: zero SCIM writes)"
	race("100 forgeries, one burst", r["TestForgedRequestsOnAFreshInstance"],
		g(FB, "kms_reads") " KMS reads (at most " g(FB, "max_kms_reads") "), " g(FB, "scim_requests") " SCIM requests, " g(FB, "scim_writes") " writes")
	race("100 forgeries, real binary", r["TestForgedRequestsReadTheKeyOnce"],
		g(FX, "kms_reads") " KMS reads (at most " g(FX, "max_kms_reads") "), " g(FX, "scim_requests") " SCIM requests, " g(FX, "scim_writes") " writes")
	race("100 forgeries, 1 s apart", r["TestForgedRequestsOnAFreshInstance"],
		g(FS, "kms_reads") " KMS reads (at most " g(FS, "max_kms_reads") "), " g(FS, "scim_requests") " SCIM requests, " g(FS, "scim_writes") " writes")
	race("signing key missing/empty/unreadable", r["TestSigningKeyProblemsAnswer503"],
		g(MK, "cases") " cases, " g(MK, "status_503") " answered 503 (HR retries), " g(MK, "scim_writes") " writes")
	race("1 MiB of duplicate keys", r["TestDuplicateKeyBomb"],
		g(DB, "bytes") " bytes: status " g(DB, "status") ", " g(DB, "scim_requests") " SCIM requests, " g(DB, "scim_writes") " writes")
	race("SCIM answers with another user", r["TestAnswerForAnotherUserIsRefused"],
		g(WU, "ops") " operations (get, replace): " g(WU, "refused") " refused, " g(WU, "retried") " retried")
	race("http:// endpoints", r["TestEndpointsOverTLSOnly"],
		g(PH, "cases") " non-loopback http:// values: " g(PH, "refused") " refused at start-up")
}
' "$log"

echo
# Execution counts, not durations: see scripts/test.sh (go.dev/issue/75804).
echo "Fuzzing (-fuzztime=${FUZZTIME:=100000x} per target, from the seed corpora in testdata/fuzz)"
for target in $(grep -rho 'func Fuzz[A-Za-z0-9_]*' --include='*_test.go' pkg functions | sed 's/func //' | sort -u); do
	pkg=$(grep -rl "func $target(" --include='*_test.go' pkg functions | head -1 | xargs dirname)
	start=$(date +%s)
	if out=$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime=5s "./$pkg" 2>&1); then
		res=PASS
	else
		res=FAIL
		status=1
	fi
	execs=$(printf '%s\n' "$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2)
	printf '  %-36s %-5s %s execs in %ss (%s)\n' "$target" "$res" "${execs:-?}" "$(($(date +%s) - start))" "$pkg"
	if [ "$res" = FAIL ]; then printf '%s\n' "$out" | tail -20 >>"$log"; fi
done

if [ "$status" -ne 0 ]; then
	echo
	echo "FAILED (go test exit $status):"
	grep -E '^(--- FAIL|FAIL|panic:)|_test\.go:[0-9]+: ' "$log" | grep -v RELIABILITY | head -50
	exit "$status"
fi
