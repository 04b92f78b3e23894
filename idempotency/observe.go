package idempotency

import (
	"context"
	stderrors "errors"
	"net/http"
	"time"

	"github.com/restwell/restwell/observe"
)

// observeStart returns the time a store call starts, read only when an
// Observer is set.
func (m *Middleware) observeStart() time.Time {
	if m.observer == nil {
		return time.Time{}
	}
	return time.Now()
}

// observe reports an outcome that involved no store call.
func (m *Middleware) observe(ctx context.Context, outcome string, status int) {
	if m.observer != nil {
		m.observer.Observe(ctx, observe.Event{Package: "idempotency", Outcome: outcome, Status: status})
	}
}

// observeAcquire reports the outcome of an acquire that started at start:
// what the request gets from the record it found, as answer and Do
// decide it. status says whether the answer is an HTTP one.
func (m *Middleware) observeAcquire(ctx context.Context, start time.Time, acquired bool, rec *Record, fp string, err error, status bool) {
	if m.observer == nil {
		return
	}
	e := observe.Event{Package: "idempotency", Op: "acquire", Duration: time.Since(start)}
	switch {
	case err != nil:
		e.Outcome, e.Err, e.Reason = observe.StoreError, err, "fail-closed"
		e.Status = http.StatusServiceUnavailable
		if m.failOpen {
			e.Reason, e.Status = "fail-open", 0
		}
	case acquired:
		e.Outcome = observe.Acquired
	case rec.Fingerprint != fp:
		e.Outcome, e.Status = observe.KeyReused, http.StatusUnprocessableEntity
	case rec.Response == nil:
		e.Outcome, e.Status = observe.InProgress, http.StatusConflict
	case rec.Response.Tombstone != "":
		e.Outcome, e.Status, e.Reason = observe.ResponseUnavailable, http.StatusConflict, tombstoneReason(rec.Response.Tombstone)
	default:
		e.Outcome, e.Status = observe.Replayed, replayStatus(rec.Response.Status)
	}
	if !status {
		e.Status = 0
	}
	m.observer.Observe(ctx, e)
}

// observeEnd reports the completion (op "complete") or release (op
// "release") of a lease that started at start, and its error.
func (m *Middleware) observeEnd(ctx context.Context, op string, start time.Time, res *Response, err error) {
	if m.observer == nil {
		return
	}
	e := observe.Event{Package: "idempotency", Op: op, Duration: time.Since(start), Outcome: observe.Released}
	if res != nil {
		e.Outcome, e.Status, e.Reason = observe.Stored, res.Status, tombstoneReason(res.Tombstone)
	}
	switch {
	case stderrors.Is(err, ErrLeaseLost):
		e.Outcome, e.Reason = observe.LeaseLost, ""
	case err != nil:
		e.Outcome, e.Reason, e.Err = observe.StoreError, "", err
	}
	m.observer.Observe(ctx, e)
}

// tombstoneReason returns the Reason of a tombstone t: one of the
// package's constants, whatever a Store returned.
func tombstoneReason(t string) string {
	switch t {
	case "":
		return ""
	case TombstoneTooLarge, TombstoneStreamed, TombstoneHijacked:
		return t
	}
	return "other"
}

// observeRenew reports a failed renewal that started at start; ctx is the
// handler's, for its trace.
func (m *Middleware) observeRenew(ctx context.Context, start time.Time, err error) {
	if m.observer == nil || err == nil {
		return
	}
	e := observe.Event{Package: "idempotency", Op: "renew", Duration: time.Since(start), Outcome: observe.StoreError, Err: err}
	if stderrors.Is(err, ErrLeaseLost) {
		e.Outcome, e.Err = observe.LeaseLost, nil
	}
	m.observer.Observe(ctx, e)
}
