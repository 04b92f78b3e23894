package idempotency

import (
	"context"
	stderrors "errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/reqstate"
	"github.com/restwell/restwell/requestid"
)

type ctxKey string

// newLease returns a started lease under parent, for a Middleware whose
// renewals never come during a test; the caller stops it.
func newLease(t *testing.T, parent context.Context) *lease {
	t.Helper()
	m, err := New(Config{Lease: time.Hour, Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l := &lease{}
	l.start(m, parent, Info{Key: Key{ID: "id"}})
	t.Cleanup(l.stop)
	return l
}

// newLeaseCtx returns a lease's handler context under a parent carrying a
// value, and the parent's cancel function: l.st is the handler's
// context, l.cancel cancels it.
func newLeaseCtx(t *testing.T) (*lease, context.CancelCauseFunc) {
	parent, cancel := context.WithCancelCause(context.WithValue(context.Background(), ctxKey("k"), "v"))
	return newLease(t, parent), cancel
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestLeaseCtx checks the handler's context: cancelled with cause
// ErrLeaseLost when the lease is lost, with context.Canceled when the
// handler returns, with the request's cause when the request's context
// is cancelled, whichever comes first, and carrying the request's values
// and the Info.
func TestLeaseCtx(t *testing.T) {
	errParent := stderrors.New("client went away")
	tests := []struct {
		name        string
		waitFirst   bool  // call Done before the cancellations
		lease       error // cause the lease cancels with, nil for none
		end         bool  // the handler returned: cancel(nil)
		parent      bool  // the request's context is cancelled first
		parentAfter bool  // the request's context is cancelled last
		wantErr     error
		wantCause   error
	}{
		{name: "live", wantErr: nil, wantCause: nil},
		{name: "live, waited on", waitFirst: true},
		{name: "lease lost", lease: ErrLeaseLost, wantErr: context.Canceled, wantCause: ErrLeaseLost},
		{name: "lease lost, waited on", waitFirst: true, lease: ErrLeaseLost, wantErr: context.Canceled, wantCause: ErrLeaseLost},
		{name: "lease lost then ended", lease: ErrLeaseLost, end: true, wantErr: context.Canceled, wantCause: ErrLeaseLost},
		{name: "ended", end: true, wantErr: context.Canceled, wantCause: context.Canceled},
		{name: "ended, waited on", waitFirst: true, end: true, wantErr: context.Canceled, wantCause: context.Canceled},
		{name: "parent", parent: true, wantErr: context.Canceled, wantCause: errParent},
		{name: "parent, waited on", waitFirst: true, parent: true, wantErr: context.Canceled, wantCause: errParent},
		{name: "lease lost then parent", lease: ErrLeaseLost, parentAfter: true, wantErr: context.Canceled, wantCause: ErrLeaseLost},
		{name: "lease lost then parent, waited on", waitFirst: true, lease: ErrLeaseLost, parentAfter: true, wantErr: context.Canceled, wantCause: ErrLeaseLost},
		{name: "ended then parent", end: true, parentAfter: true, wantErr: context.Canceled, wantCause: context.Canceled},
		{name: "parent then lease lost", parent: true, lease: ErrLeaseLost, wantErr: context.Canceled, wantCause: errParent},
		{name: "parent then lease lost, waited on", waitFirst: true, parent: true, lease: ErrLeaseLost, end: true, wantErr: context.Canceled, wantCause: errParent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, cancelParent := newLeaseCtx(t)
			c := &l.st
			var done <-chan struct{}
			if tt.waitFirst {
				done = c.Done()
				if closed(done) {
					t.Fatal("Done closed before any cancellation")
				}
			}
			if tt.parent {
				cancelParent(errParent)
			}
			if tt.lease != nil {
				l.cancel(tt.lease)
			}
			if tt.end {
				l.cancel(nil)
			}
			if tt.parentAfter {
				cancelParent(errParent)
			}
			if got := c.Err(); got != tt.wantErr {
				t.Errorf("Err = %v, want %v", got, tt.wantErr)
			}
			if got := context.Cause(c); got != tt.wantCause {
				t.Errorf("Cause = %v, want %v", got, tt.wantCause)
			}
			if done == nil {
				done = c.Done()
			}
			if closed(done) != (tt.wantErr != nil) || closed(c.Done()) != (tt.wantErr != nil) {
				t.Errorf("Done closed %v, want %v", closed(done), tt.wantErr != nil)
			}
			if done != c.Done() {
				t.Error("Done returned another channel")
			}
			if got := c.Value(ctxKey("k")); got != "v" {
				t.Errorf("parent's value = %v, want v", got)
			}
			if info, ok := FromContext(c); !ok || info.ID != "id" {
				t.Errorf("FromContext = %+v, %v", info, ok)
			}
		})
	}
}

// TestLeaseCtxChildren: contexts derived from the handler's context are
// cancelled with it, with its cause; a detached one keeps the Info; the
// deadline is the request's.
func TestLeaseCtxChildren(t *testing.T) {
	l, _ := newLeaseCtx(t)
	child, cancel := context.WithTimeout(&l.st, time.Hour)
	defer cancel()
	ran := make(chan struct{})
	context.AfterFunc(&l.st, func() { close(ran) })
	detached := context.WithoutCancel(&l.st)
	l.cancel(ErrLeaseLost)
	<-child.Done()
	<-ran
	if got := context.Cause(child); got != ErrLeaseLost {
		t.Errorf("child's cause %v, want ErrLeaseLost", got)
	}
	if detached.Err() != nil {
		t.Error("WithoutCancel child cancelled")
	}
	if _, ok := FromContext(detached); !ok {
		t.Error("Info lost through WithoutCancel")
	}
	deadline := time.Now().Add(time.Minute)
	p, pcancel := context.WithDeadline(context.Background(), deadline)
	defer pcancel()
	d, ok := newLease(t, p).st.Deadline()
	if !ok || !d.Equal(deadline) {
		t.Errorf("Deadline = %v %v, want the parent's", d, ok)
	}
}

// TestLeaseCtxConcurrent: waiting, reading and cancelling from many
// goroutines at once (run with -race).
func TestLeaseCtxConcurrent(t *testing.T) {
	for i := 0; i < 50; i++ {
		l, _ := newLeaseCtx(t)
		c := &l.st
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				switch g {
				case 0:
					<-c.Done()
				case 1:
					for c.Err() == nil {
					}
				case 2:
					for context.Cause(c) == nil {
					}
				default:
					l.cancel(ErrLeaseLost)
				}
			}()
		}
		close(start)
		wg.Wait()
		if context.Cause(c) != ErrLeaseLost {
			t.Fatalf("cause %v, want ErrLeaseLost", context.Cause(c))
		}
	}
}

// TestStateShared: behind another restwell middleware, the handler finds
// both packages' values in one per-request state, and its request is
// cloned by the lease once more at most; alone, FromContext works the
// same.
func TestStateShared(t *testing.T) {
	m, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var outer, inner *http.Request
	var info Info
	var ok bool
	var id string
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = r
		info, ok = FromContext(r.Context())
		id = requestid.FromContext(r.Context())
	}))
	stack := requestid.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outer = r
		h.ServeHTTP(w, r)
	}))
	for _, tt := range []struct {
		name    string
		handler http.Handler
		key     string
		wantID  bool
		wantKey bool
	}{
		{"stack, with a key", stack, "k1", true, true},
		{"stack, without a key", stack, "", true, false},
		{"alone, with a key", h, "k2", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			outer, inner, ok, id = nil, nil, false, ""
			r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
			if tt.key != "" {
				r.Header.Set("Idempotency-Key", tt.key)
			}
			tt.handler.ServeHTTP(httptest.NewRecorder(), r)
			if ok != tt.wantKey || tt.wantKey && info.ID != tt.key {
				t.Errorf("FromContext = %+v, %v; want the key %q: %v", info, ok, tt.key, tt.wantKey)
			}
			if (id != "") != tt.wantID {
				t.Errorf("request id %q, want one: %v", id, tt.wantID)
			}
			if tt.wantKey && reqstate.From(inner.Context()).Idempotency == nil {
				t.Error("the Info is not in the request state")
			}
			if outer != nil && !tt.wantKey && inner != outer {
				t.Error("a request without a key was cloned again")
			}
			if outer != nil {
				if _, ok := FromContext(outer.Context()); ok {
					t.Error("the Info leaked into the outer middleware's context")
				}
			}
		})
	}
}
