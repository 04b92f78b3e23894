package testenv

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	const writers, lines = 8, 100
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range lines {
				_, _ = b.Write([]byte("line\n"))
				_ = b.String() // a reader while others write
			}
		})
	}
	wg.Wait()
	if got, want := strings.Count(b.String(), "line\n"), writers*lines; got != want || len(b.String()) != want*len("line\n") {
		t.Errorf("%d whole lines in %d bytes, want %d", got, len(b.String()), want)
	}
	b.Reset()
	if b.String() != "" {
		t.Errorf("after Reset: %q, want empty", b.String())
	}
}

func TestPingRedis(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips")
	t.Setenv(SkipLogVar, log)
	t.Setenv(Redis.RequireVar(), "")
	var deadline bool
	ok := t.Run("answering", func(t *testing.T) {
		PingRedis(t, func(ctx context.Context) error {
			d, has := ctx.Deadline()
			deadline = has && time.Until(d) <= 2*time.Second
			return nil
		})
	})
	if !ok || !deadline {
		t.Errorf("a server that answers: passed %v, ping bounded by 2s %v", ok, deadline)
	}
	var skipped bool
	t.Run("silent", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		PingRedis(t, func(context.Context) error { return errors.New("refused") })
		t.Error("PingRedis returned")
	})
	if !skipped {
		t.Error("a server that does not answer: the test was not skipped")
	}
	got, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if want := "redis\tno Redis at " + RedisAddr() + " (set RESTWELL_REDIS_ADDR): refused\n"; string(got) != want {
		t.Errorf("skip log = %q, want %q", got, want)
	}
}

func TestLogs(t *testing.T) {
	var l Logs
	log := slog.New(&l)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { log.Warn("w", "k", 1) })
	}
	wg.Wait()
	log.With("a", 1).WithGroup("g").Error("e")
	got := l.Messages()
	want := []string{"WARN w", "WARN w", "WARN w", "WARN w", "ERROR e"}
	if !slices.Equal(got, want) {
		t.Errorf("Messages() = %q, want %q", got, want)
	}
	if n := l.Records()[0].NumAttrs(); n != 1 {
		t.Errorf("first record has %d attributes, want 1", n)
	}
}
