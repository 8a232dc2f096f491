package e2e

import (
	"errors"
	"net/http"

	"github.com/ramsync/ramsync/pkg/cloudtest/fcruntime"
)

type fcruntimeExitError = fcruntime.ExitError

func asExit(err error, target **fcruntime.ExitError) bool { return errors.As(err, target) }

type (
	httpWriter  = http.ResponseWriter
	httpRequest = http.Request
)
