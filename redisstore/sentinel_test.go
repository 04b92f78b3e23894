package redisstore

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/ratelimit"
)

// redisSentinel is a master, a replica of it and one Sentinel (quorum 1)
// that a test started for itself on free loopback ports; every process is
// stopped, by pid, when the test ends.
type redisSentinel struct {
	t                      testing.TB
	master, replica, watch *exec.Cmd
	MasterAddr             string
	ReplicaAddr            string
	SentinelAddr           string
}

const sentinelMaster = "restwell"

func startSentinel(t testing.TB) *redisSentinel {
	t.Helper()
	requireTools(t, "redis-server")
	ports := freePorts(t, 3)
	s := &redisSentinel{t: t,
		MasterAddr:   "127.0.0.1:" + strconv.Itoa(ports[0]),
		ReplicaAddr:  "127.0.0.1:" + strconv.Itoa(ports[1]),
		SentinelAddr: "127.0.0.1:" + strconv.Itoa(ports[2]),
	}
	t.Cleanup(s.Stop)
	node := func(port int, extra ...string) *exec.Cmd {
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}, extra...)
		cmd := exec.Command("redis-server", args...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		return cmd
	}
	s.master = node(ports[0], "--repl-diskless-sync-delay", "0")
	waitPing(t, s.MasterAddr)
	s.replica = node(ports[1], "--replicaof", "127.0.0.1", strconv.Itoa(ports[0]))
	waitPing(t, s.ReplicaAddr)
	rc := redis.NewClient(&redis.Options{Addr: s.ReplicaAddr})
	defer rc.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		info, err := rc.Info(context.Background(), "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not sync with the master: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	body := "port " + strconv.Itoa(ports[2]) + "\nbind 127.0.0.1\n" +
		"sentinel monitor " + sentinelMaster + " 127.0.0.1 " + strconv.Itoa(ports[0]) + " 1\n" +
		"sentinel down-after-milliseconds " + sentinelMaster + " 500\n" +
		"sentinel failover-timeout " + sentinelMaster + " 5000\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s.watch = exec.Command("redis-server", conf, "--sentinel", "--loglevel", "warning")
	if err := s.watch.Start(); err != nil {
		t.Fatalf("start redis-server --sentinel: %v", err)
	}
	waitPing(t, s.SentinelAddr)
	// Wait until the Sentinel has found the replica, so that it can fail
	// over to it.
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.SentinelAddr})
	defer sc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		reps, err := sc.Replicas(context.Background(), sentinelMaster).Result()
		if err == nil && len(reps) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Sentinel did not find the replica: %v, %v", reps, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// Client returns a failover client through the Sentinel, closed when the
// test ends.
func (s *redisSentinel) Client(t testing.TB) *redis.Client {
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    sentinelMaster,
		SentinelAddrs: []string{s.SentinelAddr},
		MaxRetries:    -1,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// KillMaster kills the master, so that the Sentinel promotes the replica.
func (s *redisSentinel) KillMaster() { kill(s.master); s.master = nil }

func (s *redisSentinel) Stop() {
	for _, c := range []*exec.Cmd{s.watch, s.replica, s.master} {
		kill(c)
	}
}

func kill(cmd *exec.Cmd) {
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

// TestSentinel runs the stores through a Sentinel failover client: the
// conformance suites, then a failover of the master to its replica, after
// which a budget spent (and replicated) before it is still spent.
func TestSentinel(t *testing.T) {
	sen := startSentinel(t)
	c := sen.Client(t)
	runConformance(t, c)
	t.Run("Failover", func(t *testing.T) { testSentinelFailover(t, sen, c) })
}

func testSentinelFailover(t *testing.T, sen *redisSentinel, c *redis.Client) {
	ctx := context.Background()
	s := newRateLimitStore(t, c, testPrefix(t))
	policies := []ratelimit.Policy{{Name: "daily", Limit: 10, Window: 24 * time.Hour}}
	res := make([]ratelimit.Result, 1)
	for i := 0; i < 6; i++ {
		if ok, err := s.Take(ctx, "client", policies, 1, res); err != nil || !ok {
			t.Fatalf("request %d before the failover: %v, %v", i, ok, err)
		}
	}
	// Replication is asynchronous: wait until the replica has the writes,
	// as a failover after a quiet moment would find them.
	if n, err := c.Do(ctx, "WAIT", 1, 2000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1: %d, %v", n, err)
	}
	sen.KillMaster()

	deadline := time.Now().Add(20 * time.Second)
	var err error
	var ok bool
	for {
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		ok, err = s.Take(tctx, "client", policies, 1, res)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no decision 20s after the master died: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !ok || res[0].Remaining != 3 {
		t.Errorf("first decision after the failover: allowed %v, Remaining %d; want allowed, 3 (6 spent before it, on the old master)", ok, res[0].Remaining)
	}
	sc := redis.NewSentinelClient(&redis.Options{Addr: sen.SentinelAddr})
	defer sc.Close()
	if addr, err := sc.GetMasterAddrByName(ctx, sentinelMaster).Result(); err != nil || len(addr) != 2 || addr[0]+":"+addr[1] != sen.ReplicaAddr {
		t.Errorf("master after the failover: %v, %v; want the replica, %s", addr, err, sen.ReplicaAddr)
	}
}
