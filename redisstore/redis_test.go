package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/internal/testenv"
)

// newClient returns a client for the Redis server at RESTWELL_REDIS_ADDR
// (default 127.0.0.1:6379). Without a server it skips the test, or fails it
// when RESTWELL_REQUIRE_REDIS=1.
func newClient(t testing.TB) *redis.Client {
	t.Helper()
	addr := testenv.RedisAddr()
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	testenv.PingRedis(t, func(ctx context.Context) error { return c.Ping(ctx).Err() })
	return c
}

// testPrefix returns a key prefix no other test, run or process uses, so
// tests can share one Redis without flushing it.
func testPrefix(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "restwell-test:" + hex.EncodeToString(b[:]) + ":"
}

// redisServer is a redis-server process a test started for itself, so it
// can stop and restart it to test outages.
type redisServer struct {
	t    testing.TB
	Addr string
	port int
	cmd  *exec.Cmd
}

// startRedis starts a redis-server on a free loopback port and stops it when
// the test ends. Without a redis-server binary it skips, or fails under
// RESTWELL_REQUIRE_REDIS=1.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		testenv.Unavailable(t, testenv.RedisServer, "redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &redisServer{t: t, Addr: "127.0.0.1:" + strconv.Itoa(port), port: port}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server (again) on its port and waits until it answers.
func (s *redisServer) Start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c.Ping(context.Background()).Err() == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	s.t.Fatalf("redis-server on %s did not answer", s.Addr)
}

// Stop kills the server and waits for it to exit. It is safe to call twice.
func (s *redisServer) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func TestHelpers(t *testing.T) {
	c := newClient(t)
	p := testPrefix(t)
	if err := c.Set(context.Background(), p+"k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(context.Background(), p+"k").Val(); got != "v" {
		t.Errorf("got %q, want v", got)
	}
	s := startRedis(t)
	own := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer own.Close()
	if err := own.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("own server: %v", err)
	}
	s.Stop()
	if err := own.Ping(context.Background()).Err(); err == nil {
		t.Fatal("ping succeeded after Stop")
	}
	s.Start()
	if err := own.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
