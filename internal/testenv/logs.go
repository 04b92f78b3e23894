package testenv

import (
	"context"
	"log/slog"
	"sync"
)

// Logs is a slog.Handler that keeps every record, for tests that check
// what was logged. The zero value is ready to use; it is safe for
// concurrent use by multiple goroutines. Attributes and groups added with
// WithAttrs and WithGroup are not kept.
type Logs struct {
	mu   sync.Mutex
	recs []slog.Record
}

// Enabled reports true for every level.
func (l *Logs) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps r.
func (l *Logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

// WithAttrs returns l.
func (l *Logs) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup returns l.
func (l *Logs) WithGroup(string) slog.Handler { return l }

// Records returns the records kept so far.
func (l *Logs) Records() []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]slog.Record(nil), l.recs...)
}

// Messages returns "LEVEL message" for each record kept so far.
func (l *Logs) Messages() []string {
	var out []string
	for _, r := range l.Records() {
		out = append(out, r.Level.String()+" "+r.Message)
	}
	return out
}
