package secrets

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
)

// sdkLogger receives aliyun-secretsmanager-client-go's log lines (its
// logger is process-wide) and passes them to slog at debug level, after
// removing every credential it has been told about.
var sdkLogger = &redactingLogger{}

type redactingLogger struct {
	mu      sync.RWMutex
	log     *slog.Logger
	secrets []string
}

func (l *redactingLogger) set(log *slog.Logger) {
	if log == nil {
		return
	}
	l.mu.Lock()
	l.log = log
	l.mu.Unlock()
}

func (l *redactingLogger) redact(c Credentials) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range []string{c.AccessKeySecret, c.SecurityToken} {
		if s != "" {
			l.secrets = append(l.secrets, s, url.QueryEscape(s))
		}
	}
}

func (l *redactingLogger) emit(level slog.Level, format string, args ...any) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.log == nil || !l.log.Enabled(context.Background(), level) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	for _, s := range l.secrets {
		msg = strings.ReplaceAll(msg, s, Redacted)
	}
	l.log.Log(context.Background(), level, "secretsmanager sdk", "detail", StripQuery(msg))
}

func (l *redactingLogger) Flush()                         {}
func (l *redactingLogger) Tracef(format string, v ...any) { l.emit(slog.LevelDebug, format, v...) }
func (l *redactingLogger) Infof(format string, v ...any)  { l.emit(slog.LevelDebug, format, v...) }
func (l *redactingLogger) Debugf(format string, v ...any) { l.emit(slog.LevelDebug, format, v...) }
func (l *redactingLogger) Warnf(format string, v ...any)  { l.emit(slog.LevelDebug, format, v...) }
func (l *redactingLogger) Errorf(format string, v ...any) { l.emit(slog.LevelDebug, format, v...) }
