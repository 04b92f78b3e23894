package idempotency

import (
	"context"
	stderrors "errors"
	"fmt"
	"log/slog"

	"github.com/restwell/restwell/internal/logsafe"
	"github.com/restwell/restwell/observe"
)

// Do runs fn at most once for k and fingerprint among every caller that
// shares the Middleware's Store, without HTTP: for a queue consumer, a
// job or a gRPC method. The first caller runs fn under a renewed lease,
// records the Response it returns and gets it with replayed false; later
// callers get the recorded Response with replayed true.
//
// If fn returns an error or panics, nothing is recorded and the key is
// released, so a later call runs fn again; the error is returned as it is
// and the panic goes on. The context fn receives carries the Info
// (FromContext) and is cancelled with cause ErrLeaseLost if the lease is
// taken over. Other errors are ErrKeyReused (k was used with another
// fingerprint), ErrInProgress (another caller holds k; Config.Wait
// applies), ErrResponseUnavailable (the record is a tombstone; the
// tombstone Response is returned too) and ErrUnavailable wrapping the
// store's error (unless Config.StoreFailure is FailOpen, which runs fn
// unrecorded).
// Config.Replayable does not apply: whatever fn returns is recorded. If fn
// succeeds but its Response cannot be recorded, Do returns the Response
// with an error wrapping the store's (ErrLeaseLost if the lease was taken
// over).
func (m *Middleware) Do(ctx context.Context, k Key, fingerprint string, fn func(ctx context.Context) (*Response, error)) (res *Response, replayed bool, err error) {
	if !validKey(k.ID) {
		m.observe(ctx, observe.InvalidKey, 0)
		return nil, false, ErrKeyInvalid
	}
	start := m.observeStart()
	rec, acquired, err := m.acquire(ctx, k, fingerprint)
	m.observeAcquire(ctx, start, acquired, &rec, fingerprint, err, false)
	if err != nil {
		m.logStore(ctx, "acquire", k, err)
		if m.failOpen {
			res, err := fn(ctx)
			return res, false, err
		}
		return nil, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !acquired {
		switch {
		case rec.Fingerprint != fingerprint:
			return nil, false, ErrKeyReused
		case rec.Response == nil:
			return nil, false, ErrInProgress
		case rec.Response.Tombstone != "":
			return rec.Response, true, ErrResponseUnavailable
		}
		return rec.Response, true, nil
	}

	l := &lease{}
	l.start(m, ctx, Info{Key: k, Fingerprint: fingerprint, Token: rec.Token, Retention: m.retention})
	defer l.cancel(nil)
	release := func() {
		start := m.observeStart()
		err := m.store.Release(storeCtx(ctx), k, rec.Token)
		m.observeEnd(ctx, "release", start, nil, err)
		if err != nil && !stderrors.Is(err, ErrLeaseLost) {
			m.logStore(ctx, "release", k, err)
		}
	}
	panicked := true
	defer func() {
		if panicked {
			l.stop()
			release()
		}
	}()
	res, err = fn(&l.st)
	panicked = false
	l.stop()
	if err != nil {
		release()
		return nil, false, err
	}
	if res == nil {
		res = &Response{}
	}
	start = m.observeStart()
	cerr := m.store.Complete(storeCtx(ctx), k, rec.Token, res, m.retention)
	m.observeEnd(ctx, "complete", start, res, cerr)
	if cerr != nil {
		if stderrors.Is(cerr, ErrLeaseLost) {
			m.logger.LogAttrs(ctx, slog.LevelWarn, "idempotency: completion refused, the lease was lost",
				slog.String("scope", logsafe.Clip(k.Scope)), slog.String("key", k.ID))
		} else {
			m.logStore(ctx, "complete", k, cerr)
		}
		return res, false, fmt.Errorf("idempotency: recording the result: %w", cerr)
	}
	return res, false, nil
}
