package fcrun

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

// NewLogger returns a JSON logger writing to w (stdout in FC, which ships
// it to Log Service) at level, adding "function" to every line and the
// invocation's "requestId" to every line logged with its context.
func NewLogger(w io.Writer, function string, level slog.Leveler) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(requestIDHandler{h.WithAttrs([]slog.Attr{slog.String("function", function)})})
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("requestId", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// RequestID returns the FC request id of the invocation ctx belongs to.
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	fromContextMu.Lock()
	fc, ok := fccontext.FromContext(ctx)
	fromContextMu.Unlock()
	if ok {
		return fc.RequestID
	}
	return ""
}

// fromContextMu serialises fccontext.FromContext, which (SDK v0.3.1)
// writes the FcContext's logger field on every call: concurrent loggers of
// one invocation (a batch's events, the reconciler's writers) would race.
var fromContextMu sync.Mutex
