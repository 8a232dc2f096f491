// Package config reads ramsync's configuration from the environment
// (SPEC §4.1) and checks it at start-up: a bad value is one error naming
// the variable and the problem, so the function fails before serving.
//
// Every read goes through a [Reader], which records the names it reads; the
// s.yaml test uses that record to prove each function's declared
// environment matches what its code reads.
package config
