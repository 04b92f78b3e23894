// Package storetest is the conformance suite for idempotency.Store
// implementations. Every Store of this module runs it, and so should yours:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) idempotency.Store {
//			return newMyStore(t) // a fresh, empty store (or key space) per call
//		})
//	}
//
// Besides the Store methods one by one, the suite sends 200 identical
// requests at once through two middlewares sharing the store and checks
// that the handler ran exactly once.
//
// The suite waits for leases and records to expire, using durations of a
// few hundred milliseconds, and runs its subtests in parallel; a run takes
// a few seconds. The Store's clock may be its own (a database's or
// Redis's) but must advance in real time.
package storetest

import (
	"bytes"
	"context"
	stderrors "errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/restwell/restwell/idempotency"
)

const (
	long  = time.Hour              // a lease or retention that does not run out during a test
	short = 200 * time.Millisecond // one that does, soon
)

// Run runs the conformance suite. newStore is called once per subtest and
// must return a Store that holds no records; it may register cleanups on t.
func Run(t *testing.T, newStore func(t *testing.T) idempotency.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, idempotency.Store)
	}{
		{"AcquireNew", testAcquireNew},
		{"AcquireHeld", testAcquireHeld},
		{"CompleteAndReplay", testCompleteAndReplay},
		{"ResponseShapes", testResponseShapes},
		{"Tombstone", testTombstone},
		{"CompleteWrongToken", testCompleteWrongToken},
		{"CompleteTwice", testCompleteTwice},
		{"Release", testRelease},
		{"ReleaseComplete", testReleaseComplete},
		{"TakeoverAfterExpiry", testTakeover},
		{"ExpiredLeaseOtherFingerprint", testExpiredOtherFingerprint},
		{"RenewKeepsLease", testRenewKeepsLease},
		{"RenewExpiredNotTakenOver", testRenewExpired},
		{"RenewCompleted", testRenewCompleted},
		{"RecordExpires", testRecordExpires},
		{"KeysIsolated", testKeysIsolated},
		{"ConcurrentAcquire", testConcurrentAcquire},
		{"TokensUnique", testTokensUnique},
		{"ConcurrentMiddleware", testConcurrentMiddleware},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

var ctx = context.Background()

func key(t *testing.T) idempotency.Key {
	return idempotency.Key{Scope: "scope-" + t.Name(), ID: "key-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
}

func acquire(t *testing.T, s idempotency.Store, k idempotency.Key, fp string, lease, ttl time.Duration) (idempotency.Record, bool) {
	t.Helper()
	rec, ok, err := s.Acquire(ctx, k, fp, lease, ttl)
	if err != nil {
		t.Fatalf("Acquire(%q, %q): %v", k, fp, err)
	}
	return rec, ok
}

func mustAcquire(t *testing.T, s idempotency.Store, k idempotency.Key, fp string, lease, ttl time.Duration) uint64 {
	t.Helper()
	rec, ok := acquire(t, s, k, fp, lease, ttl)
	if !ok {
		t.Fatalf("Acquire(%q, %q) = not acquired (record %+v), want acquired", k, fp, rec)
	}
	if rec.Token == 0 {
		t.Fatalf("Acquire gave token 0; tokens must not be 0")
	}
	if rec.Response != nil {
		t.Fatalf("Acquire gave a record with a response")
	}
	return rec.Token
}

func wantLost(t *testing.T, op string, err error) {
	t.Helper()
	if !stderrors.Is(err, idempotency.ErrLeaseLost) {
		t.Fatalf("%s: got error %v, want ErrLeaseLost", op, err)
	}
}

func noErr(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

// eventually polls until acquire succeeds, failing after 10 s.
func eventually(t *testing.T, s idempotency.Store, k idempotency.Key, fp string, lease, ttl time.Duration) idempotency.Record {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec, ok := acquire(t, s, k, fp, lease, ttl)
		if ok {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("Acquire(%q) never succeeded; last record %+v", k, rec)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sameResponse(t *testing.T, got, want *idempotency.Response) {
	t.Helper()
	if got == nil {
		t.Fatalf("response is nil, want %+v", want)
	}
	if got.Status != want.Status || got.Tombstone != want.Tombstone || !bytes.Equal(got.Body, want.Body) {
		t.Fatalf("response = status %d tombstone %q body %q, want status %d tombstone %q body %q",
			got.Status, got.Tombstone, clip(got.Body), want.Status, want.Tombstone, clip(want.Body))
	}
	if len(got.Header) != len(want.Header) || (len(want.Header) > 0 && !reflect.DeepEqual(got.Header, want.Header)) {
		t.Fatalf("response header = %v, want %v", got.Header, want.Header)
	}
}

func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func testAcquireNew(t *testing.T, s idempotency.Store) {
	k := key(t)
	if _, found, err := s.Get(ctx, k); err != nil || found {
		t.Fatalf("Get before Acquire = found %v, err %v; want not found", found, err)
	}
	before := time.Now()
	tok := mustAcquire(t, s, k, "fp1", long, long)
	rec, found, err := s.Get(ctx, k)
	noErr(t, "Get", err)
	if !found || rec.Fingerprint != "fp1" || rec.Token != tok || rec.Response != nil {
		t.Fatalf("Get = %+v found %v, want in progress with fp1 and token %d", rec, found, tok)
	}
	if !rec.LeaseExpires.After(before.Add(long / 2)) {
		t.Errorf("LeaseExpires = %v, want about an hour from %v", rec.LeaseExpires, before)
	}
}

func testAcquireHeld(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp1", long, long)
	for _, fp := range []string{"fp1", "fp2"} {
		rec, ok := acquire(t, s, k, fp, long, long)
		if ok {
			t.Fatalf("second Acquire with %s acquired a held key", fp)
		}
		if rec.Fingerprint != "fp1" || rec.Token != tok || rec.Response != nil {
			t.Fatalf("second Acquire with %s reported %+v, want in progress, fp1, token %d", fp, rec, tok)
		}
	}
}

func testCompleteAndReplay(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp1", long, long)
	want := &idempotency.Response{
		Status: http.StatusCreated,
		Header: http.Header{"Content-Type": {"application/json"}, "Location": {"/orders/1"}},
		Body:   []byte(`{"id":1}`),
	}
	noErr(t, "Complete", s.Complete(ctx, k, tok, want, long))
	for _, fp := range []string{"fp1", "fp2"} {
		rec, ok := acquire(t, s, k, fp, long, long)
		if ok {
			t.Fatalf("Acquire(%s) acquired a completed key", fp)
		}
		if rec.Fingerprint != "fp1" {
			t.Fatalf("Acquire(%s) reported fingerprint %q, want fp1", fp, rec.Fingerprint)
		}
		sameResponse(t, rec.Response, want)
	}
	rec, found, err := s.Get(ctx, k)
	noErr(t, "Get", err)
	if !found {
		t.Fatal("Get after Complete: not found")
	}
	sameResponse(t, rec.Response, want)
	wantLost(t, "Renew after Complete", s.Renew(ctx, k, tok, long))
}

func testResponseShapes(t *testing.T, s idempotency.Store) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	for i, res := range []*idempotency.Response{
		{Status: http.StatusNoContent},
		{Status: http.StatusOK, Body: big},
		{Status: http.StatusOK, Body: binary, Header: http.Header{"Content-Type": {"application/octet-stream"}}},
		{Status: http.StatusUnprocessableEntity, Header: http.Header{"Link": {"</a>; rel=a", "</b>; rel=b"}, "Vary": {""}}, Body: []byte("{}")},
	} {
		k := key(t)
		k.ID += "-" + strconv.Itoa(i)
		tok := mustAcquire(t, s, k, "fp", long, long)
		noErr(t, "Complete", s.Complete(ctx, k, tok, res, long))
		rec, _ := acquire(t, s, k, "fp", long, long)
		sameResponse(t, rec.Response, res)
	}
}

func testTombstone(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp", long, long)
	want := &idempotency.Response{Status: http.StatusOK, Tombstone: idempotency.TombstoneStreamed}
	noErr(t, "Complete", s.Complete(ctx, k, tok, want, long))
	rec, ok := acquire(t, s, k, "fp", long, long)
	if ok {
		t.Fatal("Acquire acquired a tombstoned key")
	}
	sameResponse(t, rec.Response, want)
}

func testCompleteWrongToken(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp", long, long)
	wantLost(t, "Complete with another token", s.Complete(ctx, k, tok+1, &idempotency.Response{Status: 200}, long))
	wantLost(t, "Renew with another token", s.Renew(ctx, k, tok+1, long))
	wantLost(t, "Release with another token", s.Release(ctx, k, tok+1))
	other := idempotency.Key{Scope: k.Scope, ID: k.ID + "-none"}
	wantLost(t, "Complete of an unknown key", s.Complete(ctx, other, tok, &idempotency.Response{Status: 200}, long))
	wantLost(t, "Renew of an unknown key", s.Renew(ctx, other, tok, long))
	wantLost(t, "Release of an unknown key", s.Release(ctx, other, tok))
	rec, found, err := s.Get(ctx, k)
	noErr(t, "Get", err)
	if !found || rec.Response != nil || rec.Token != tok {
		t.Fatalf("after refused calls, record = %+v, want in progress with token %d", rec, tok)
	}
}

func testCompleteTwice(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp", long, long)
	first := &idempotency.Response{Status: 201, Body: []byte("first")}
	noErr(t, "Complete", s.Complete(ctx, k, tok, first, long))
	noErr(t, "second Complete with the same token", s.Complete(ctx, k, tok, &idempotency.Response{Status: 200, Body: []byte("second")}, long))
	rec, _, err := s.Get(ctx, k)
	noErr(t, "Get", err)
	sameResponse(t, rec.Response, first)
	wantLost(t, "Complete with another token", s.Complete(ctx, k, tok+1, &idempotency.Response{Status: 200}, long))
}

func testRelease(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp1", long, long)
	noErr(t, "Release", s.Release(ctx, k, tok))
	if _, found, err := s.Get(ctx, k); err != nil || found {
		t.Fatalf("Get after Release = found %v, err %v; want not found", found, err)
	}
	// A released key is free for any request, and the old token is dead.
	tok2 := mustAcquire(t, s, k, "fp2", long, long)
	if tok2 == tok {
		t.Fatalf("token %d reused after Release", tok)
	}
	wantLost(t, "Release with the old token", s.Release(ctx, k, tok))
	wantLost(t, "Renew with the old token", s.Renew(ctx, k, tok, long))
	wantLost(t, "Complete with the old token", s.Complete(ctx, k, tok, &idempotency.Response{Status: 200}, long))
	noErr(t, "Complete with the new token", s.Complete(ctx, k, tok2, &idempotency.Response{Status: 200, Body: []byte("2")}, long))
	rec, _ := acquire(t, s, k, "fp2", long, long)
	sameResponse(t, rec.Response, &idempotency.Response{Status: 200, Body: []byte("2")})
}

func testReleaseComplete(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp", long, long)
	res := &idempotency.Response{Status: 200, Body: []byte("done")}
	noErr(t, "Complete", s.Complete(ctx, k, tok, res, long))
	wantLost(t, "Release of a completed record", s.Release(ctx, k, tok))
	rec, ok := acquire(t, s, k, "fp", long, long)
	if ok {
		t.Fatal("a completed record was released")
	}
	sameResponse(t, rec.Response, res)
}

func testTakeover(t *testing.T, s idempotency.Store) {
	k := key(t)
	zombie := mustAcquire(t, s, k, "fp", short, long)
	rec, ok := acquire(t, s, k, "fp", long, long)
	if ok {
		t.Fatalf("key taken over before the lease ran out (record %+v)", rec)
	}
	rec = eventually(t, s, k, "fp", long, long)
	if rec.Token == zombie {
		t.Fatalf("takeover reused the token %d", zombie)
	}
	wantLost(t, "zombie Complete", s.Complete(ctx, k, zombie, &idempotency.Response{Status: 200, Body: []byte("zombie")}, long))
	wantLost(t, "zombie Renew", s.Renew(ctx, k, zombie, long))
	wantLost(t, "zombie Release", s.Release(ctx, k, zombie))
	want := &idempotency.Response{Status: 200, Body: []byte("new")}
	noErr(t, "Complete by the new holder", s.Complete(ctx, k, rec.Token, want, long))
	wantLost(t, "zombie Complete after completion", s.Complete(ctx, k, zombie, &idempotency.Response{Status: 200}, long))
	got, _ := acquire(t, s, k, "fp", long, long)
	sameResponse(t, got.Response, want)
}

func testExpiredOtherFingerprint(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp1", short, long)
	time.Sleep(3 * short)
	rec, ok := acquire(t, s, k, "fp2", long, long)
	if ok {
		t.Fatal("a request with another fingerprint took over an expired lease")
	}
	if rec.Fingerprint != "fp1" || rec.Token != tok {
		t.Fatalf("record = %+v, want fp1 and token %d", rec, tok)
	}
	// The same request may take it over.
	eventually(t, s, k, "fp1", long, long)
}

func testRenewKeepsLease(t *testing.T, s idempotency.Store) {
	const lease = 600 * time.Millisecond
	// A busy machine can stretch the sleeps below past the lease; such a
	// round proves nothing and is run again with a fresh key.
	for attempt := 0; attempt < 5; attempt++ {
		k := key(t)
		k.ID += "-" + strconv.Itoa(attempt)
		t0 := time.Now()
		tok := mustAcquire(t, s, k, "fp", lease, long)
		time.Sleep(lease * 6 / 10)
		tr := time.Now()
		noErr(t, "Renew", s.Renew(ctx, k, tok, lease))
		time.Sleep(time.Until(t0.Add(lease * 13 / 10)))
		_, ok := acquire(t, s, k, "fp", long, long)
		after := time.Now()
		if after.After(tr.Add(lease)) {
			continue // the renewed lease may have run out too
		}
		if ok {
			t.Fatal("a renewed lease was taken over before it ran out")
		}
		noErr(t, "Complete after renewals", s.Complete(ctx, k, tok, &idempotency.Response{Status: 200}, long))
		return
	}
	t.Fatal("the machine was too slow for five rounds to finish within the lease")
}

func testRenewExpired(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp", short, long)
	time.Sleep(2 * short)
	noErr(t, "Renew of an expired lease nobody took", s.Renew(ctx, k, tok, long))
	if _, ok := acquire(t, s, k, "fp", long, long); ok {
		t.Fatal("key taken over after its lease was renewed")
	}
	noErr(t, "Complete", s.Complete(ctx, k, tok, &idempotency.Response{Status: 200}, long))
}

func testRenewCompleted(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp", long, long)
	noErr(t, "Complete", s.Complete(ctx, k, tok, &idempotency.Response{Status: 200}, long))
	wantLost(t, "Renew of a completed record", s.Renew(ctx, k, tok, long))
}

func testRecordExpires(t *testing.T, s idempotency.Store) {
	k := key(t)
	tok := mustAcquire(t, s, k, "fp1", long, long)
	noErr(t, "Complete", s.Complete(ctx, k, tok, &idempotency.Response{Status: 200}, short))
	// Once expired, the key is new again, for any fingerprint.
	rec := eventually(t, s, k, "fp2", long, long)
	if rec.Token == tok {
		t.Fatalf("token %d reused after expiry", tok)
	}
	// An in-progress record expires with its ttl too.
	k2 := key(t)
	k2.ID += "-2"
	mustAcquire(t, s, k2, "fp1", long, short)
	eventually(t, s, k2, "fp2", long, long)
}

func testKeysIsolated(t *testing.T, s idempotency.Store) {
	base := key(t)
	keys := []idempotency.Key{
		base,
		{Scope: base.Scope + "x", ID: base.ID},
		{Scope: base.Scope, ID: base.ID + "x"},
		{Scope: "", ID: base.ID},
		{Scope: base.Scope + ":" + base.ID, ID: ""},
		{Scope: base.Scope + ":", ID: base.ID},
		{Scope: base.Scope, ID: ":" + base.ID},
		{Scope: base.Scope + "{x}", ID: "}" + base.ID + "{"},
		{Scope: base.Scope + "\x00", ID: base.ID},
		{Scope: base.Scope + " é", ID: base.ID},
		{Scope: base.Scope, ID: base.ID + `"'\%_*?[]`},
		// Keys may hold spaces: a store that trims or pads them (a
		// CHAR column, a PAD SPACE collation) merges these.
		{Scope: base.Scope, ID: base.ID + " "},
		{Scope: base.Scope, ID: base.ID + "  "},
		{Scope: base.Scope, ID: " " + base.ID},
		{Scope: base.Scope, ID: base.ID + " x"},
		{Scope: base.Scope + " ", ID: base.ID},
	}
	toks := make([]uint64, len(keys))
	for i, k := range keys {
		toks[i] = mustAcquire(t, s, k, "fp"+strconv.Itoa(i), long, long)
	}
	for i, k := range keys {
		res := &idempotency.Response{Status: 200, Body: []byte(strconv.Itoa(i))}
		noErr(t, fmt.Sprintf("Complete(%q)", k), s.Complete(ctx, k, toks[i], res, long))
	}
	for i, k := range keys {
		rec, ok := acquire(t, s, k, "fp"+strconv.Itoa(i), long, long)
		if ok {
			t.Fatalf("key %q acquired again", k)
		}
		sameResponse(t, rec.Response, &idempotency.Response{Status: 200, Body: []byte(strconv.Itoa(i))})
	}
}

func testConcurrentAcquire(t *testing.T, s idempotency.Store) {
	k := key(t)
	const n = 50
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		won   int
		errs  []error
		start = make(chan struct{})
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, ok, err := s.Acquire(ctx, k, "fp", long, long)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				won++
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("concurrent Acquire failed: %v", errs[0])
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent Acquire calls acquired the key, want exactly 1", won, n)
	}
}

func testTokensUnique(t *testing.T, s idempotency.Store) {
	k := key(t)
	seen := map[uint64]bool{}
	for i := 0; i < 30; i++ {
		tok := mustAcquire(t, s, k, "fp", long, long)
		if seen[tok] {
			t.Fatalf("token %d issued twice for one key", tok)
		}
		seen[tok] = true
		noErr(t, "Release", s.Release(ctx, k, tok))
	}
}
