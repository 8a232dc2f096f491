// Package deploy checks ramsync's deployment files, so a broken s.yaml or
// role policy fails `go test` instead of a deploy (or, worse, deploys).
//
//   - [LoadSYAML] reads s.yaml and renders it the way `s preview`
//     (Serverless Devs 3.1) does: ${vars.x}, ${env('X', 'default')}.
//   - [Check] runs the checks the fc3 schema leaves out: one trigger of the
//     right kind per function with its config checked field by field
//     (the schema's triggerConfig accepts any object), the environment each
//     function's code reads, DRY_RUN and OFFBOARD_CLEANUP, code paths and
//     the build action, the reconciler's concurrency and async settings.
//   - [Schema] validates each resource's props, and each triggerConfig
//     against the definition its triggerType selects, with the fc3
//     component's own JSON schema (vendor-data/fc3/schema.json in the
//     project's shared folder; never copied here).
//   - [CheckPolicy] checks scripts/deploy/<function>-policy.json, the
//     policy of that function's own role: least privilege, the secrets its
//     configuration names ([SecretsRead]), its logstore and failure topic,
//     and exactly the RAM actions its code calls, read from pkg/ramcred's
//     source ([RAMActionsCalled], [FunctionRAMActions]).
//   - [CheckDocumented] checks that the optional variables s.yaml leaves
//     out ([Optional]) are documented there as comments.
//
// Every check returns a list of problems (empty when fine), so tests can
// break a copy of the file on purpose and see each breakage reported.
//
// Command zipper (scripts/deploy/zipper) writes the reproducible code
// packages for scripts/build.sh.
package deploy
