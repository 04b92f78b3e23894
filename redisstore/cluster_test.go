package redisstore

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisCluster is a Redis Cluster of three masters (no replicas) that a
// test started for itself on free loopback ports, with its node
// configurations in a temporary directory. Every node is stopped, by pid,
// when the test ends.
type redisCluster struct {
	t     testing.TB
	Addrs []string
	nodes []*exec.Cmd
}

// requireTools skips the test without the named binaries, or fails it
// under RESTWELL_REQUIRE_REDIS=1.
func requireTools(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("RESTWELL_REQUIRE_REDIS") == "1" {
				t.Fatalf("%s is required (RESTWELL_REQUIRE_REDIS=1) but not installed", name)
			}
			t.Skipf("%s is not installed", name)
		}
	}
}

// freePorts returns n distinct free loopback ports.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// startCluster starts three masters with `redis-server --cluster-enabled
// yes`, joins them with `redis-cli --cluster create`, and waits until
// every node reports cluster_state:ok and the same slot map.
func startCluster(t testing.TB) *redisCluster {
	t.Helper()
	requireTools(t, "redis-server", "redis-cli")
	dir := t.TempDir()
	ports := freePorts(t, 6) // three client ports, three cluster bus ports
	c := &redisCluster{t: t}
	t.Cleanup(c.Stop)
	for i := 0; i < 3; i++ {
		port := strconv.Itoa(ports[i])
		cmd := exec.Command("redis-server",
			"--port", port, "--bind", "127.0.0.1", "--cluster-port", strconv.Itoa(ports[3+i]),
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes-"+port+".conf"),
			"--cluster-node-timeout", "1000", "--dir", dir,
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		c.nodes = append(c.nodes, cmd)
		c.Addrs = append(c.Addrs, "127.0.0.1:"+port)
	}
	for _, addr := range c.Addrs {
		waitPing(t, addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitOK()
	return c
}

func waitPing(t testing.TB, addr string) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for rc.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitOK waits until every running node reports cluster_state:ok and
// all 16384 slots assigned.
func (c *redisCluster) waitOK() {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for _, addr := range c.Addrs {
		rc := redis.NewClient(&redis.Options{Addr: addr})
		for {
			info, err := rc.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_slots_ok:16384") {
				break
			}
			if time.Now().After(deadline) {
				rc.Close()
				c.t.Fatalf("cluster node %s not ok: %v %s", addr, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rc.Close()
	}
}

// Client returns a cluster client on c, closed when the test ends.
func (c *redisCluster) Client(t testing.TB) *redis.ClusterClient {
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	t.Cleanup(func() { rc.Close() })
	return rc
}

// Kill stops node i at once (SIGKILL), as a crash would.
func (c *redisCluster) Kill(i int) {
	if cmd := c.nodes[i]; cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	c.nodes[i] = nil
}

// Stop kills every node still running and waits for it to exit.
func (c *redisCluster) Stop() {
	for i := range c.nodes {
		c.Kill(i)
	}
}

// node returns a plain client on node i.
func (c *redisCluster) node(t testing.TB, i int) *redis.Client {
	rc := redis.NewClient(&redis.Options{Addr: c.Addrs[i]})
	t.Cleanup(func() { rc.Close() })
	return rc
}

// owner returns the index of the node serving slot, from node 0's view.
func (c *redisCluster) owner(t testing.TB, slot int64) int {
	t.Helper()
	//lint:ignore SA1019 CLUSTER SLOTS still answers on Redis 7 and gives the slot ranges directly
	slots, err := c.node(t, 0).ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if int64(s.Start) <= slot && slot <= int64(s.End) {
			for i, addr := range c.Addrs {
				if s.Nodes[0].Addr == addr {
					return i
				}
			}
		}
	}
	t.Fatalf("no node serves slot %d", slot)
	return -1
}

// keySlot asks Redis for the slot of key.
func keySlot(t testing.TB, rc redis.UniversalClient, key string) int64 {
	t.Helper()
	n, err := rc.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
