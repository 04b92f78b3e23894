package testenv

import (
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		log  string
		want string
	}{
		{"nothing skipped", "", "restwell: no test group skipped"},
		{"one group", "postgres\tno PostgreSQL at x\npostgres\tno PostgreSQL at y\n",
			"restwell: SKIPPED test groups: postgres (2 skips: no PostgreSQL at x)"},
		{"groups sorted, junk ignored", "redis\tno Redis\ngarbage\n\npostgres\tno PostgreSQL\nredis-server\tnot installed\nredis\tno Redis\n",
			"restwell: SKIPPED test groups: postgres (1 skips: no PostgreSQL); redis (2 skips: no Redis); redis-server (1 skips: not installed)"},
		{"unterminated last line", "redis\tno Redis", "restwell: SKIPPED test groups: redis (1 skips: no Redis)"},
	}
	for _, tt := range tests {
		if got := Summary([]byte(tt.log)); got != tt.want {
			t.Errorf("%s: Summary = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUnavailableRecordsSkip(t *testing.T) {
	log := filepath.Join(t.TempDir(), "skips")
	t.Setenv(SkipLogVar, log)
	t.Setenv(Postgres.RequireVar(), "")
	ok := t.Run("skipper", func(t *testing.T) {
		Unavailable(t, Postgres, "no PostgreSQL at %s:\n%s", "db", "refused")
		t.Error("Unavailable returned")
	})
	if !ok {
		t.Fatal("the skipped subtest failed")
	}
	got, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres\tno PostgreSQL at db: refused\n"; string(got) != want {
		t.Errorf("skip log = %q, want %q", got, want)
	}
}

func TestDefaults(t *testing.T) {
	t.Setenv("RESTWELL_POSTGRES_DSN", "")
	t.Setenv("RESTWELL_REDIS_ADDR", "")
	if PostgresDSN() != DefaultPostgresDSN || RedisAddr() != DefaultRedisAddr {
		t.Errorf("defaults: %q %q", PostgresDSN(), RedisAddr())
	}
	t.Setenv("RESTWELL_POSTGRES_DSN", "postgres://other")
	t.Setenv("RESTWELL_REDIS_ADDR", "127.0.0.1:1")
	if PostgresDSN() != "postgres://other" || RedisAddr() != "127.0.0.1:1" {
		t.Errorf("from the environment: %q %q", PostgresDSN(), RedisAddr())
	}
}

func TestSkipExamples(t *testing.T) {
	f := flag.Lookup("test.skip")
	old := f.Value.String()
	t.Cleanup(func() { f.Value.Set(old) })
	log := filepath.Join(t.TempDir(), "skips")
	t.Setenv(SkipLogVar, log)

	t.Setenv(Redis.RequireVar(), "1")
	SkipExamples(Redis, "no Redis", "ExampleA")
	if got := f.Value.String(); got != old {
		t.Errorf("required group: -test.skip = %q, want it unchanged (%q)", got, old)
	}

	t.Setenv(Redis.RequireVar(), "")
	f.Value.Set("TestSlow")
	SkipExamples(Redis, "no\nRedis", "ExampleA", "Example_b")
	if got, want := f.Value.String(), "TestSlow|^(ExampleA|Example_b)$"; got != want {
		t.Errorf("-test.skip = %q, want %q", got, want)
	}
	b, _ := os.ReadFile(log)
	if want := "redis\tno Redis\nredis\tno Redis\n"; string(b) != want {
		t.Errorf("skip log = %q, want %q", b, want)
	}
}

func TestGauge(t *testing.T) {
	var g Gauge
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			g.Enter()
			g.Leave()
		}()
	}
	g.Enter()
	g.Enter()
	g.Leave()
	if got := g.Peak(); got != 2 {
		t.Errorf("Peak %d after two in progress at once, want 2", got)
	}
	close(start)
	wg.Wait()
	if got := g.Peak(); got < 2 || got > 9 {
		t.Errorf("Peak %d, want between 2 and 9", got)
	}
	g.Leave()
	if got := g.in.Load(); got != 0 {
		t.Errorf("%d in progress after every Leave, want 0", got)
	}
}
