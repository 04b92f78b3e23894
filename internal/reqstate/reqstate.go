// Package reqstate holds what the restwell middleware know about one
// request: the request identifier, the error renderer, the negotiated
// version, the rate limiter's header values and the idempotency record.
//
// The first middleware that needs to pass something on allocates one
// State, which is at once the request's context node (reached through a
// single context key) and the request copy handed to the next handler.
// Every later middleware finds that State and fills in its own field, so
// a request through the whole stack is copied once. A middleware used
// alone allocates its own State and still works exactly as before.
//
// A State is written only while the request travels inwards, by the
// goroutine serving it, before the next handler runs; it is read-only
// afterwards for everything the handler starts. A middleware that finds
// its own field already set (the same middleware nested twice) forks a
// new State instead of overwriting the outer one's value.
//
// A State made by Attach or Fork also holds a few response capture
// slots, so that the middleware wrapping the response (errors.Recover,
// versioning, etag) need not allocate their capture.Writer each: Capture
// hands each slot out once, to one caller, safely from any goroutine, and
// falls back to a new allocation when none is left. A slot lives exactly
// as long as its request's State and is never reused, so a goroutine a
// handler leaked can never write through it into another response.
package reqstate

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/restwell/restwell/internal/capture"
)

type key struct{}

// State is the per-request state shared by the middleware. It is a
// context.Context: its parent is the request's context at the time the
// State was made, and it answers the package's key with itself.
type State struct {
	context.Context

	// Req is the request copy passed on to the next handler. It is set by
	// Attach and Fork; a State made by New has none.
	Req http.Request

	// ID is the request identifier (requestid); IDField backs the
	// response header's value.
	ID      string
	IDField [1]string

	// Renderer is the *errors.Renderer installed for the request, nil for
	// none.
	Renderer any

	// Version is the versioning package's negotiated version, nil for
	// none; VersionSource says where it came from and VersionFields back
	// the version and Vary header values.
	Version       any
	VersionFields [2]string
	VersionSource uint8

	// LimitFields backs the RateLimit-Policy value, its nesting mark
	// slot and the RateLimit value of the first rate limiter that admits
	// the request.
	LimitFields [3]string

	// Idempotency is the *idempotency.Info of the record the request runs
	// under, nil for none. The idempotency middleware sets it in a State
	// of its own, under the cancelable context its handler gets.
	Idempotency any

	// spare holds the capture slots of a State made by attach; nil for
	// the others (New, and Init into a caller's allocation).
	spare *spare
}

// slots is the number of capture slots in a State made by attach: one
// each for errors.Recover, versioning and etag.
const slots = 3

type spare struct {
	taken atomic.Uint32
	slot  [slots]capture.Writer
}

// block is what attach allocates: a State and its slots together.
type block struct {
	s     State
	spare spare
}

// Capture is capture.Get for the response to r: it returns a Writer
// around rw in the given mode and the writer the handler should be given.
// The Writer is an unused slot of the State of r's context when that has
// one left, and a new allocation otherwise; either way it is the caller's
// alone and serves this one response. Capture is safe for concurrent use.
func Capture(r *http.Request, rw http.ResponseWriter, mode capture.Mode, limit int) (*capture.Writer, http.ResponseWriter) {
	w := take(From(r.Context()))
	if w == nil {
		w = new(capture.Writer)
	}
	return w, capture.Start(w, rw, mode, limit)
}

// take returns an unused slot of s, or nil when s is nil or has none.
func take(s *State) *capture.Writer {
	if s == nil || s.spare == nil {
		return nil
	}
	sp := s.spare
	if sp.taken.Load() >= slots {
		return nil
	}
	if i := sp.taken.Add(1); i <= slots {
		return &sp.slot[i-1]
	}
	return nil
}

// Value returns s for the package's key and asks the parent otherwise.
func (s *State) Value(k any) any {
	if _, ok := k.(key); ok {
		return s
	}
	return s.Context.Value(k)
}

// String names the context, as the context package's own types do.
func (s *State) String() string { return "reqstate.State" }

// From returns the State in ctx, or nil when there is none.
func From(ctx context.Context) *State {
	s, _ := ctx.Value(key{}).(*State)
	return s
}

// Init makes s a State under parent holding the fields of from (none
// when from is nil), for a caller that keeps the State inside a larger
// allocation. It does not set s.Req.
func Init(s *State, parent context.Context, from *State) {
	if from != nil {
		*s = *from
		s.Req = http.Request{}
		s.spare = nil // the slots are from's
	}
	s.Context = parent
}

// New returns a new State under parent holding the fields of from (none
// when from is nil), without a request copy; it is for NewContext
// functions, which have no request.
func New(parent context.Context, from *State) *State {
	s := new(State)
	Init(s, parent, from)
	return s
}

// Attach returns the State of r and the request to pass on: r itself
// when r's context already holds a State, else a new State with a copy
// of r that carries it. In the first case the State is shared with the
// middleware that made it.
func Attach(r *http.Request) (*State, *http.Request) {
	if s := From(r.Context()); s != nil {
		return s, r
	}
	return attach(r, nil)
}

// Fork returns a new State under r's context holding the fields of s,
// and a copy of r that carries it. A middleware uses it when its own
// field in s is already set, so that the outer value stays as it is.
func Fork(r *http.Request, s *State) (*State, *http.Request) {
	return attach(r, s)
}

func attach(r *http.Request, from *State) (*State, *http.Request) {
	b := new(block)
	s := &b.s
	Init(s, r.Context(), from)
	s.spare = &b.spare
	s.Req = *r.WithContext(s)
	return s, &s.Req
}
