package redisstore

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/ratelimit"
)

// TestCluster runs the stores on a three-master Redis Cluster of the
// test's own: the conformance suites, the atomicity of a shared budget,
// the hash tags, and a resharding of slots in use.
func TestCluster(t *testing.T) {
	cl := startCluster(t)
	rc := cl.Client(t)
	runConformance(t, rc)
	t.Run("RateLimitAtomicity", func(t *testing.T) { testClusterAtomicity(t, cl) })
	t.Run("SameSlot", func(t *testing.T) { testClusterSameSlot(t, cl, rc) })
	t.Run("Reshard", func(t *testing.T) { testClusterReshard(t, cl, rc) })
}

// testClusterAtomicity: 20 cluster clients, 5 goroutines each, spend one
// budget exactly, for keys on each of the masters.
func testClusterAtomicity(t *testing.T, cl *redisCluster) {
	prefix := testPrefix(t)
	policies := []ratelimit.Policy{{Name: "burst", Limit: 60, Window: time.Hour}, {Name: "wide", Limit: 600, Window: time.Hour}}
	keys := []string{"alpha", "bravo", "charlie", "delta"}
	admitted := make([]atomic.Int64, len(keys))
	var wg sync.WaitGroup
	for c := 0; c < 20; c++ {
		// A cluster client loads the slot map and dials every master on
		// first use: warm it up, and allow a busy machine under -race
		// more than newRateLimitStore's timeout.
		rc := cl.Client(t)
		if err := rc.ForEachMaster(context.Background(), func(ctx context.Context, c *redis.Client) error {
			return c.Ping(ctx).Err()
		}); err != nil {
			t.Fatal(err)
		}
		s, err := NewRateLimitStore(rc, RateLimitConfig{Prefix: prefix, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for g := 0; g < 5; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := make([]ratelimit.Result, 2)
				for i := 0; i < 4*len(keys); i++ {
					k := i % len(keys)
					ok, err := s.Take(context.Background(), keys[k], policies, 1, res)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						admitted[k].Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()
	for k := range keys {
		if got := admitted[k].Load(); got != 60 {
			t.Errorf("key %q: 100 goroutines x 4 requests admitted %d, want exactly 60", keys[k], got)
		}
	}
}

// testClusterSameSlot: the keys one rate-limit decision writes all map to
// one slot on one master, whatever the client key; an idempotency record
// is one key.
func testClusterSameSlot(t *testing.T, cl *redisCluster, rc *redis.ClusterClient) {
	ctx := context.Background()
	prefix := testPrefix(t)
	s := newRateLimitStore(t, rc, prefix)
	policies := []ratelimit.Policy{
		{Name: "second", Limit: 10, Window: time.Second},
		{Name: "minute", Limit: 100, Window: time.Minute},
		{Name: "day", Limit: 10000, Window: 24 * time.Hour},
	}
	res := make([]ratelimit.Result, len(policies))
	clientKeys := []string{"203.0.113.7", "", "{", "}", "a{b}c", "{}", "user:42", "2001:db8::/64"}
	for _, key := range clientKeys {
		if _, err := s.Take(ctx, key, policies, 1, res); err != nil {
			t.Fatalf("Take(%q): %v", key, err)
		}
	}
	written := clusterKeys(t, rc, prefix)
	byTag := map[string][]string{}
	for _, k := range written {
		if k == prefix+"replicas" { // the heartbeats' set, no decision's
			continue
		}
		tag := k[len(prefix):strings.LastIndexByte(k, ':')]
		byTag[tag] = append(byTag[tag], k)
	}
	if len(byTag) != len(clientKeys) {
		t.Fatalf("keys %q: %d decisions, want %d", written, len(byTag), len(clientKeys))
	}
	masters := map[int]bool{}
	for tag, keys := range byTag {
		if len(keys) != len(policies) {
			t.Errorf("decision %s wrote %q, want one key per policy", tag, keys)
			continue
		}
		slot := keySlot(t, rc, keys[0])
		for _, k := range keys[1:] {
			if got := keySlot(t, rc, k); got != slot {
				t.Errorf("decision %s: key %s in slot %d, %s in slot %d", tag, keys[0], slot, k, got)
			}
		}
		masters[cl.owner(t, slot)] = true
	}
	if len(masters) < 2 {
		t.Errorf("every decision landed on master %v; the test wants keys on several masters", masters)
	}

	is := newIdempotencyStore(t, rc)
	k := idempotency.Key{Scope: "POST /orders", ID: "one-record"}
	if _, _, err := is.Acquire(ctx, k, "fp", time.Minute, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := clusterKeys(t, rc, is.prefix); len(got) != 1 || got[0] != is.key(k) {
		t.Errorf("idempotency record keys %q, want the one hash-tagged key %q", got, is.key(k))
	}
}

// clusterKeys returns the keys starting with prefix on every master.
func clusterKeys(t testing.TB, rc *redis.ClusterClient, prefix string) []string {
	t.Helper()
	var mu sync.Mutex
	var keys []string
	err := rc.ForEachMaster(context.Background(), func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, prefix+"*").Result()
		mu.Lock()
		keys = append(keys, ks...)
		mu.Unlock()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// keysInSlots returns, for each of the first n slots of master i, a client
// key whose rate-limit keys (prefix, hash tag) live in that slot.
func keysInSlots(t testing.TB, rc *redis.ClusterClient, prefix string, slots map[int64]bool, n int) []string {
	t.Helper()
	found := map[int64]string{}
	for i := 0; len(found) < n && i < 200000; i++ {
		k := "client-" + strconv.Itoa(i)
		slot := keySlot(t, rc, prefix+"{"+rateLimitTag(k)+"}:p")
		if slots[slot] && found[slot] == "" {
			found[slot] = k
		}
	}
	if len(found) < n {
		t.Fatalf("found keys for %d slots, want %d", len(found), n)
	}
	var keys []string
	for _, k := range found {
		keys = append(keys, k)
	}
	return keys
}

// nodeID returns the cluster node id of node i.
func (c *redisCluster) nodeID(t testing.TB, i int) string {
	t.Helper()
	id, err := c.node(t, i).Do(context.Background(), "CLUSTER", "MYID").Text()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// ownedSlots returns the lowest n slots node i serves.
func (c *redisCluster) ownedSlots(t testing.TB, i, n int) map[int64]bool {
	t.Helper()
	//lint:ignore SA1019 CLUSTER SLOTS still answers on Redis 7 and gives the slot ranges directly
	slots, err := c.node(t, 0).ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	lowest := int64(-1)
	for _, s := range slots {
		if s.Nodes[0].Addr == c.Addrs[i] && (lowest < 0 || int64(s.Start) < lowest) {
			lowest = int64(s.Start)
		}
	}
	out := map[int64]bool{}
	for s := lowest; s < lowest+int64(n); s++ {
		out[s] = true
	}
	return out
}

// testClusterReshard moves slots in use from one master to another with
// `redis-cli --cluster reshard` while requests run: the clients follow
// the MOVED and ASK redirections, and no decision and no record is lost.
func testClusterReshard(t *testing.T, cl *redisCluster, rc *redis.ClusterClient) {
	ctx := context.Background()
	const nSlots = 20
	src := cl.owner(t, 0)
	dst := (src + 1) % 3
	slots := cl.ownedSlots(t, src, nSlots)
	prefix := testPrefix(t)
	keys := keysInSlots(t, rc, prefix, slots, nSlots)
	// Quota comes back one unit every 360s (p) and 180s (q), so the state
	// after the run shows every admitted decision exactly.
	policies := []ratelimit.Policy{{Name: "p", Limit: 10_000, Window: 1000 * time.Hour}, {Name: "q", Limit: 20_000, Window: 1000 * time.Hour}}
	store := newRateLimitStore(t, rc, prefix)
	idem := newIdempotencyStore(t, rc)

	var (
		stop     atomic.Bool
		admitted = make([]atomic.Int64, len(keys))
		errs     atomic.Int64
		lastErr  atomic.Value
		mu       sync.Mutex
		records  []idempotency.Key
		wg       sync.WaitGroup
	)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]ratelimit.Result, 2)
			for i := 0; !stop.Load(); i++ {
				k := (i*4 + g) % len(keys)
				ok, err := store.Take(ctx, keys[k], policies, 1, res)
				if err != nil {
					errs.Add(1)
					lastErr.Store(err.Error())
					continue
				}
				if ok {
					admitted[k].Add(1)
				}
			}
		}()
	}
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k := idempotency.Key{Scope: keys[i%len(keys)], ID: fmt.Sprintf("%d-%d", g, i)}
				rec, ok, err := idem.Acquire(ctx, k, "fp", time.Minute, time.Hour)
				if err != nil || !ok {
					errs.Add(1)
					lastErr.Store(fmt.Sprint("acquire: ", ok, err))
					continue
				}
				resp := &idempotency.Response{Status: 201, Body: []byte(k.ID)}
				if err := idem.Complete(ctx, k, rec.Token, resp, time.Hour); err != nil {
					errs.Add(1)
					lastErr.Store("complete: " + err.Error())
					continue
				}
				mu.Lock()
				records = append(records, k)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	out, err := exec.Command("redis-cli", "--cluster", "reshard", cl.Addrs[src],
		"--cluster-from", cl.nodeID(t, src), "--cluster-to", cl.nodeID(t, dst),
		"--cluster-slots", strconv.Itoa(nSlots), "--cluster-yes").CombinedOutput()
	time.Sleep(200 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("redis-cli --cluster reshard: %v\n%s", err, out)
	}
	cl.waitOK()
	for s := range slots {
		if got := cl.owner(t, s); got != dst {
			t.Fatalf("slot %d is on node %d after the resharding, want %d", s, got, dst)
		}
	}
	if n := errs.Load(); n != 0 {
		t.Errorf("%d calls failed during the resharding; last: %v", n, lastErr.Load())
	}
	// Every admitted decision is in the state the moved slots now hold.
	res := make([]ratelimit.Result, 2)
	total := int64(0)
	for k, key := range keys {
		if _, err := store.Take(ctx, key, policies, 0, res); err != nil {
			t.Fatal(err)
		}
		n := admitted[k].Load()
		total += n
		for i, p := range policies {
			if used := p.Limit - res[i].Remaining; used != n {
				t.Errorf("key %s, policy %s: %d decisions admitted, the moved state shows %d used", key, p.Name, n, used)
			}
		}
	}
	for _, k := range records {
		rec, ok, err := idem.Get(ctx, k)
		if err != nil || !ok || rec.Response == nil || string(rec.Response.Body) != k.ID {
			t.Errorf("record %v after the resharding: %+v, %v, %v", k, rec, ok, err)
		}
	}
	if total == 0 || len(records) == 0 {
		t.Fatalf("nothing ran during the resharding: %d decisions, %d records", total, len(records))
	}
	t.Logf("during the resharding of %d slots: %d decisions, %d records, %d errors", nSlots, total, len(records), errs.Load())
}

// TestClusterMasterDown kills the master serving a client's keys in the
// middle of a run: each Limiter answers as its StoreFailure says.
func TestClusterMasterDown(t *testing.T) {
	cl := startCluster(t)
	rc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs, MaxRedirects: 1, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rc.Close() })
	policies := []ratelimit.Policy{{Name: "p", Limit: 4, Window: time.Hour}}
	type replica struct {
		mode ratelimit.StoreFailure
		h    http.Handler
	}
	var reps []replica
	for _, mode := range []ratelimit.StoreFailure{ratelimit.FailOpen, ratelimit.FailClosed, ratelimit.FailLocal} {
		s, err := NewRateLimitStore(rc, RateLimitConfig{Prefix: testPrefix(t), Timeout: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		l, err := ratelimit.New(ratelimit.Config{
			Policies: policies, Store: s, StoreFailure: mode, Replicas: 2,
			Key:          func(r *http.Request) (string, error) { return r.Header.Get("X-Client"), nil },
			Logger:       rateLimitErrors.Logger,
			ErrorHandler: rateLimitErrors.Write,
		})
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, replica{mode, l.Handler(rateLimitOK)})
	}
	do := func(h http.Handler, client string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Client", client)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const client = "victim"
	for _, rp := range reps {
		if w := do(rp.h, client); w.Code != 200 || w.Header().Get("RateLimit") != `"p";r=3;t=900` {
			t.Fatalf("%v before the kill: %d %q", rp.mode, w.Code, w.Header().Get("RateLimit"))
		}
	}
	// The master of every store's keys for client: the prefixes differ, but
	// the hash tag is the client key alone.
	victim := cl.owner(t, keySlot(t, rc, "x{"+client+"}:p"))
	cl.Kill(victim)
	for i := 0; i < 4; i++ {
		for _, rp := range reps {
			w := do(rp.h, client)
			switch rp.mode {
			case ratelimit.FailOpen:
				if w.Code != 200 || w.Header().Get("RateLimit") != "" {
					t.Errorf("fail-open, request %d after the kill: %d %q; want 200 without RateLimit", i, w.Code, w.Header().Get("RateLimit"))
				}
			case ratelimit.FailClosed:
				if w.Code != 503 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), `"unavailable"`) {
					t.Errorf("fail-closed, request %d after the kill: %d %s; want 503 unavailable", i, w.Code, w.Body)
				}
			case ratelimit.FailLocal:
				// Replicas 2: this replica alone admits 4/2 = 2, and its
				// fallback has spent the request Redis admitted before.
				want := []int{200, 429, 429, 429}[i]
				if w.Code != want || w.Header().Get("RateLimit") == "" {
					t.Errorf("fail-local, request %d after the kill: %d %q; want %d from the local half quota", i, w.Code, w.Header().Get("RateLimit"), want)
				}
			}
		}
	}
}
