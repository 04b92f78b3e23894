package idempotency_test

import (
	"context"
	stderrors "errors"
	"log/slog"
	"testing"
	"time"

	"github.com/restwell/restwell/idempotency"
)

func TestDo(t *testing.T) {
	m := newMiddleware(t, idempotency.Config{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	k := idempotency.Key{Scope: "consumer", ID: "msg-1"}
	runs := 0
	fn := func(ctx context.Context) (*idempotency.Response, error) {
		runs++
		if info, ok := idempotency.FromContext(ctx); !ok || info.Key != k || info.Token == 0 {
			t.Errorf("FromContext in fn = %+v, %v", info, ok)
		}
		return &idempotency.Response{Status: 200, Body: []byte("done")}, nil
	}
	res, replayed, err := m.Do(ctx, k, "fp", fn)
	if err != nil || replayed || string(res.Body) != "done" {
		t.Fatalf("first Do = %+v, %v, %v", res, replayed, err)
	}
	res, replayed, err = m.Do(ctx, k, "fp", fn)
	if err != nil || !replayed || string(res.Body) != "done" || runs != 1 {
		t.Fatalf("second Do = %+v, %v, %v; runs %d", res, replayed, err, runs)
	}
	if _, _, err := m.Do(ctx, k, "other", fn); !stderrors.Is(err, idempotency.ErrKeyReused) {
		t.Fatalf("Do with another fingerprint: %v, want ErrKeyReused", err)
	}
	if _, _, err := m.Do(ctx, idempotency.Key{ID: ""}, "fp", fn); !stderrors.Is(err, idempotency.ErrKeyInvalid) {
		t.Fatalf("Do with an empty key: %v, want ErrKeyInvalid", err)
	}
	if runs != 1 {
		t.Fatalf("fn ran %d times", runs)
	}
}

func TestDoErrorAndPanicRelease(t *testing.T) {
	m := newMiddleware(t, idempotency.Config{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	k := idempotency.Key{ID: "job"}
	boom := stderrors.New("boom")
	if _, _, err := m.Do(ctx, k, "fp", func(context.Context) (*idempotency.Response, error) { return nil, boom }); err != boom {
		t.Fatalf("Do = %v, want fn's error", err)
	}
	func() {
		defer func() {
			if v := recover(); v != "panic" {
				t.Errorf("recovered %v", v)
			}
		}()
		m.Do(ctx, k, "fp", func(context.Context) (*idempotency.Response, error) { panic("panic") })
	}()
	res, replayed, err := m.Do(ctx, k, "fp", func(context.Context) (*idempotency.Response, error) { return nil, nil })
	if err != nil || replayed || res == nil {
		t.Fatalf("Do after error and panic = %+v, %v, %v; want a fresh run", res, replayed, err)
	}
}

func TestDoInProgressAndTombstone(t *testing.T) {
	store := newMemory(t)
	m := newMiddleware(t, idempotency.Config{Store: store})
	ctx := context.Background()
	k := idempotency.Key{ID: "k"}
	inside := make(chan struct{})
	release := make(chan struct{})
	go m.Do(ctx, k, "fp", func(context.Context) (*idempotency.Response, error) {
		close(inside)
		<-release
		return &idempotency.Response{Tombstone: idempotency.TombstoneStreamed}, nil
	})
	<-inside
	if _, _, err := m.Do(ctx, k, "fp", nil); !stderrors.Is(err, idempotency.ErrInProgress) {
		t.Fatalf("Do while in progress: %v", err)
	}
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, _, err := m.Do(ctx, k, "fp", nil)
		if stderrors.Is(err, idempotency.ErrResponseUnavailable) && res.Tombstone == idempotency.TombstoneStreamed {
			break
		}
		if !stderrors.Is(err, idempotency.ErrInProgress) || time.Now().After(deadline) {
			t.Fatalf("Do on a tombstone: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDoStoreDown(t *testing.T) {
	store := &flaky{Store: newMemory(t)}
	store.down.Store(true)
	ctx := context.Background()
	m := newMiddleware(t, idempotency.Config{Store: store, Logger: slog.New(slog.DiscardHandler)})
	if _, _, err := m.Do(ctx, idempotency.Key{ID: "k"}, "fp", nil); !stderrors.Is(err, idempotency.ErrUnavailable) || !stderrors.Is(err, errDown) {
		t.Fatalf("Do with the store down: %v", err)
	}
	m = newMiddleware(t, idempotency.Config{Store: store, StoreFailure: idempotency.FailOpen, Logger: slog.New(slog.DiscardHandler)})
	ran := false
	if _, _, err := m.Do(ctx, idempotency.Key{ID: "k"}, "fp", func(context.Context) (*idempotency.Response, error) { ran = true; return nil, nil }); err != nil || !ran {
		t.Fatalf("fail-open Do: %v, ran %v", err, ran)
	}
}
