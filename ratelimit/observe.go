package ratelimit

import (
	"context"
	"time"

	"github.com/restwell/restwell/observe"
)

// observeStart returns the time a decision starts, read only when an
// Observer is set.
func (l *Limiter) observeStart() time.Time {
	if l.observer == nil {
		return time.Time{}
	}
	return time.Now()
}

// observeDecision reports the decision d (and err, from decide) that
// started at start. status says whether the answer is an HTTP one.
func (l *Limiter) observeDecision(ctx context.Context, d *Decision, err error, start time.Time, status bool) {
	if l.observer == nil {
		return
	}
	l.report(ctx, d, err, time.Since(start), status)
}

func (l *Limiter) report(ctx context.Context, d *Decision, err error, took time.Duration, http bool) {
	e := observe.Event{Package: "ratelimit", Op: "take", Duration: took}
	if d.index >= 0 {
		e.Policy = l.policies[d.index].Name
	}
	if err == ErrCostTooHigh {
		e.Outcome, e.Op, e.Duration = observe.CostTooHigh, "", 0
		e.Status = httpStatus(http, 400)
		l.observer.Observe(ctx, e)
		return
	}
	if d.StoreFailed {
		f := e
		f.Outcome, f.Reason, f.Policy, f.Err = observe.StoreError, l.mode.String(), "", err
		if err != nil { // FailClosed
			f.Status = httpStatus(http, 503)
			l.observer.Observe(ctx, f)
			return
		}
		l.observer.Observe(ctx, f)
		// The decision that follows was not the store's.
		e.Op, e.Duration, e.Reason = "", 0, f.Reason
	}
	if d.Allowed {
		e.Outcome = observe.Allowed
	} else {
		e.Outcome, e.Status = observe.Limited, httpStatus(http, 429)
	}
	l.observer.Observe(ctx, e)
}

// observeInvalidKey reports a request refused for want of a key.
func (l *Limiter) observeInvalidKey(ctx context.Context, status bool) {
	if l.observer != nil {
		l.observer.Observe(ctx, observe.Event{Package: "ratelimit", Outcome: observe.InvalidKey, Status: httpStatus(status, 400)})
	}
}

func httpStatus(http bool, code int) int {
	if http {
		return code
	}
	return 0
}
