package fcrun

import (
	"context"
	"io"
	"log/slog"

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
	if fc, ok := fccontext.FromContext(ctx); ok {
		return fc.RequestID
	}
	return ""
}
