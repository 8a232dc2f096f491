// Package e2e drives the three real function binaries, built with
// CGO_ENABLED=0, through the local FC runtime API against the cloud test
// double: the whole path a request takes in production, minus Alibaba.
package e2e
