package idempotency

import (
	"context"
	stderrors "errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/testenv"
)

// renewCounter wraps a Store, counting renewals per key; block, when set,
// holds every renewal until it is closed.
type renewCounter struct {
	Store
	mu     sync.Mutex
	renews map[Key]int
	block  chan struct{}
	fail   atomic.Bool
}

func newRenewCounter(t *testing.T) *renewCounter {
	s, err := NewMemoryStore(MemoryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return &renewCounter{Store: s, renews: map[Key]int{}}
}

func (c *renewCounter) Renew(ctx context.Context, k Key, token uint64, lease time.Duration) error {
	c.mu.Lock()
	c.renews[k]++
	block := c.block
	c.mu.Unlock()
	if block != nil {
		<-block
	}
	if c.fail.Load() {
		return stderrors.New("connection refused")
	}
	return c.Store.Renew(ctx, k, token, lease)
}

func (c *renewCounter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.renews {
		n += v
	}
	return n
}

// idle reports whether m's renewer has no lease queued and no timer
// armed.
func idle(m *Middleware) bool {
	r := &m.renewer
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.head == nil && !r.armed
}

func waitIdle(t *testing.T, m *Middleware) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !idle(m) {
		if time.Now().After(deadline) {
			t.Fatal("renewer still busy after every lease ended")
		}
		time.Sleep(time.Millisecond)
	}
}

func newLeaseMiddleware(t *testing.T, s Store, lease time.Duration, logs *testenv.Buffer) *Middleware {
	t.Helper()
	m, err := New(Config{Store: s, Lease: lease, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestShortCallsNoRenewal: calls that end well within a lease cost no
// renewal, and once they have ended no timer keeps running.
func TestShortCallsNoRenewal(t *testing.T) {
	s := newRenewCounter(t)
	var logs testenv.Buffer
	m := newLeaseMiddleware(t, s, 60*time.Millisecond, &logs)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				k := Key{ID: fmt.Sprintf("k%d-%d", g, i)}
				if _, _, err := m.Do(context.Background(), k, "fp", func(context.Context) (*Response, error) {
					return &Response{Status: 201}, nil
				}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	waitIdle(t, m)
	if n := s.total(); n != 0 {
		t.Errorf("%d renewals for calls that each took far less than a lease", n)
	}
}

// TestConcurrentLongCallsKeepLeases: many calls outliving their lease,
// queued together, are all renewed in time: a retry never takes a key
// over while its call runs.
func TestConcurrentLongCallsKeepLeases(t *testing.T) {
	// A lease long enough for a loaded machine running the race
	// detector: a renewal may come 200ms late before a lease lapses.
	const lease = 300 * time.Millisecond
	s := newRenewCounter(t)
	var logs testenv.Buffer
	m := newLeaseMiddleware(t, s, lease, &logs)
	const calls = 24
	var (
		wg      sync.WaitGroup
		running atomic.Int32
		stolen  atomic.Int32
	)
	started := make(chan struct{}, calls)
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := Key{ID: "long-" + strconv.Itoa(i)}
			_, _, err := m.Do(context.Background(), k, "fp", func(ctx context.Context) (*Response, error) {
				running.Add(1)
				started <- struct{}{}
				select {
				case <-time.After(3 * lease):
				case <-ctx.Done():
					t.Errorf("%s: context cancelled: %v", k.ID, context.Cause(ctx))
				}
				running.Add(-1)
				return &Response{Status: 201}, nil
			})
			if err != nil {
				t.Errorf("%s: %v", k.ID, err)
			}
		}()
	}
	for i := 0; i < calls; i++ {
		<-started
	}
	// Retries of every key while the calls run: none may take a key over.
	for running.Load() > 0 {
		for i := 0; i < calls; i++ {
			k := Key{ID: "long-" + strconv.Itoa(i)}
			if rec, ok, err := s.Acquire(context.Background(), k, "fp", lease, time.Hour); err != nil {
				t.Fatal(err)
			} else if ok {
				stolen.Add(1)
				_ = s.Release(context.Background(), k, rec.Token)
			}
		}
		time.Sleep(lease / 10)
	}
	wg.Wait()
	if n := stolen.Load(); n > 0 {
		t.Errorf("%d keys taken over while their calls ran", n)
	}
	s.mu.Lock()
	for i := 0; i < calls; i++ {
		k := Key{ID: "long-" + strconv.Itoa(i)}
		// 3 leases long, renewed at least every lease/3: 8 renewals or
		// more; fewer than 6 means a lease went unrenewed for too long.
		if n := s.renews[k]; n < 6 {
			t.Errorf("%s renewed %d times, want at least 6", k.ID, n)
		}
	}
	t.Logf("renewals per call: %v", s.renews)
	s.mu.Unlock()
	waitIdle(t, m)
	if logs.String() != "" {
		t.Errorf("unexpected logs: %s", logs.String())
	}
}

// TestStopDuringRenewal: a call that returns while its renewal is under
// way is not renewed again, and nothing is logged as lost.
func TestStopDuringRenewal(t *testing.T) {
	const lease = 30 * time.Millisecond
	s := newRenewCounter(t)
	block := make(chan struct{})
	s.block = block
	var logs testenv.Buffer
	m := newLeaseMiddleware(t, s, lease, &logs)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Do(context.Background(), Key{ID: "k"}, "fp", func(context.Context) (*Response, error) {
			for s.total() == 0 {
				time.Sleep(time.Millisecond)
			}
			return &Response{Status: 201}, nil // returns while the renewal waits
		})
	}()
	<-done
	close(block)
	waitIdle(t, m)
	time.Sleep(2 * lease)
	if n := s.total(); n != 1 {
		t.Errorf("%d renewals, want the one under way when the call returned", n)
	}
	if logs.String() != "" {
		t.Errorf("unexpected logs: %s", logs.String())
	}
}

// TestRenewalFailureRetried: a renewal the store fails is logged and tried
// again a period later; the call keeps running.
func TestRenewalFailureRetried(t *testing.T) {
	const lease = 30 * time.Millisecond
	s := newRenewCounter(t)
	s.fail.Store(true)
	var logs testenv.Buffer
	m := newLeaseMiddleware(t, s, lease, &logs)
	_, _, err := m.Do(context.Background(), Key{ID: "k"}, "fp", func(ctx context.Context) (*Response, error) {
		for s.total() < 3 {
			time.Sleep(time.Millisecond)
		}
		if ctx.Err() != nil {
			t.Errorf("context cancelled by failed renewals: %v", context.Cause(ctx))
		}
		return &Response{Status: 201}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "op=renew") {
		if time.Now().After(deadline) {
			t.Fatalf("failed renewal not logged: %s", logs.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// renewFails is a Store whose renewals all fail with err.
type renewFails struct {
	Store
	err error
}

func (s renewFails) Renew(context.Context, Key, uint64, time.Duration) error { return s.err }

// ctxAttr is a log handler that adds the value of ctxAttrKey{} in a
// record's context, as a request-id or trace handler does.
type ctxAttr struct{ slog.Handler }

type ctxAttrKey struct{}

func (h ctxAttr) Handle(ctx context.Context, r slog.Record) error {
	if v, ok := ctx.Value(ctxAttrKey{}).(string); ok {
		r.AddAttrs(slog.String("req", v))
	}
	return h.Handler.Handle(ctx, r)
}

// TestRenewLogsCarryRequest: what the renewer logs about a request's lease
// is logged with that request's context, so a handler finds its request
// id and trace there.
func TestRenewLogsCarryRequest(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"renewal failed", stderrors.New("connection refused"), "op=renew"},
		{"lease lost", ErrLeaseLost, "lease lost while the handler ran"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs testenv.Buffer
			mem, err := NewMemoryStore(MemoryConfig{})
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(Config{
				Store:  renewFails{mem, tt.err},
				Lease:  30 * time.Millisecond,
				Logger: slog.New(ctxAttr{slog.NewTextHandler(&logs, nil)}),
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.WithValue(context.Background(), ctxAttrKey{}, "req-7")
			_, _, _ = m.Do(ctx, Key{ID: "k"}, "fp", func(ctx context.Context) (*Response, error) {
				deadline := time.Now().Add(5 * time.Second)
				for !strings.Contains(logs.String(), tt.want) && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				return &Response{Status: 201}, nil
			})
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, tt.want) {
					line = l
					break
				}
			}
			if line == "" {
				t.Fatalf("no record with %q: %s", tt.want, logs.String())
			}
			if !strings.Contains(line, "req=req-7") {
				t.Errorf("record %q lacks the request's req=req-7", line)
			}
		})
	}
}
