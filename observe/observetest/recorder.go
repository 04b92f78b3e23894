// Package observetest records the events of the restwell middleware, for
// tests of a service's wiring and of custom Observers.
package observetest

import (
	"context"
	"sync"

	"github.com/restwell/restwell/observe"
)

// A Recorder is an observe.Observer that keeps every event it receives.
// The zero value is ready to use; a Recorder is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []observe.Event
}

// Observe records e.
func (r *Recorder) Observe(_ context.Context, e observe.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns the events recorded since the last Reset, in order.
func (r *Recorder) Events() []observe.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]observe.Event(nil), r.events...)
}

// Reset forgets the events recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// Outcomes returns the Outcome of each event recorded, in order: a short
// form for tests that need nothing more.
func (r *Recorder) Outcomes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Outcome
	}
	return out
}
