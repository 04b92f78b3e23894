package idempotency

import (
	"context"
	stderrors "errors"
	"log/slog"
	"sync"
	"time"
)

// heartbeat renews a lease every Lease/3 while the handler runs. When the
// store says the lease is gone, it cancels the handler's context with
// cause ErrLeaseLost, so work that checks its context stops: another
// request now owns the key and this one's result will be refused.
type heartbeat struct {
	m       *Middleware
	k       Key
	token   uint64
	cancel  context.CancelCauseFunc
	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

func (h *heartbeat) start(m *Middleware, k Key, token uint64, cancel context.CancelCauseFunc) {
	h.m, h.k, h.token, h.cancel = m, k, token, cancel
	h.mu.Lock()
	h.t = time.AfterFunc(m.renewEvery, h.beat)
	h.mu.Unlock()
}

func (h *heartbeat) beat() {
	h.mu.Lock()
	stopped := h.stopped
	h.mu.Unlock()
	if stopped {
		return
	}
	m := h.m
	ctx, cancel := context.WithTimeout(context.Background(), min(m.storeTimeout, m.renewEvery))
	err := m.store.Renew(ctx, h.k, h.token, m.lease)
	cancel()

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	if stderrors.Is(err, ErrLeaseLost) {
		m.logger.LogAttrs(context.Background(), slog.LevelWarn, "idempotency: lease lost while the handler ran",
			slog.String("scope", clip(h.k.Scope)), slog.String("key", h.k.ID))
		h.cancel(ErrLeaseLost)
		return
	}
	if err != nil {
		m.logStore(context.Background(), "renew", h.k, err)
	}
	h.t.Reset(m.renewEvery)
}

// stop ends the renewals. A renewal already under way may still finish;
// that is harmless, since the store refuses it once the lease is
// completed or released.
func (h *heartbeat) stop() {
	h.mu.Lock()
	h.stopped = true
	if h.t != nil {
		h.t.Stop()
	}
	h.mu.Unlock()
}
