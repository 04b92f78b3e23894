package reqstate

import (
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/restwell/restwell/internal/capture"
)

func TestCaptureSlots(t *testing.T) {
	tests := []struct {
		name      string
		attached  bool // the request carries a State made by Attach
		calls     int
		wantInner int // slots expected to come from the State
	}{
		{"no state", false, 2, 0},
		{"fewer than the slots", true, 2, 2},
		{"exactly the slots", true, slots, slots},
		{"more than the slots", true, slots + 2, slots},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			var s *State
			if tt.attached {
				s, r = Attach(r)
			}
			seen := map[*capture.Writer]bool{}
			inner := 0
			for range tt.calls {
				sl, _ := Capture(r, httptest.NewRecorder(), capture.Pass, 0)
				if seen[sl] {
					t.Fatalf("slot %p handed out twice", sl)
				}
				seen[sl] = true
				if s != nil && s.spare != nil && fromSpare(s.spare, sl) {
					inner++
				}
			}
			if got := inner; got != tt.wantInner {
				t.Errorf("slots from the State = %d, want %d", got, tt.wantInner)
			}
		})
	}
}

func fromSpare(sp *spare, sl *capture.Writer) bool {
	for i := range sp.slot {
		if &sp.slot[i] == sl {
			return true
		}
	}
	return false
}

func TestCaptureConcurrent(t *testing.T) {
	_, r := Attach(httptest.NewRequest("GET", "/", nil))
	const n = 16
	got := make([]*capture.Writer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], _ = Capture(r, httptest.NewRecorder(), capture.Hold, 0) })
	}
	wg.Wait()
	seen := map[*capture.Writer]bool{}
	for _, sl := range got {
		if seen[sl] {
			t.Fatalf("slot %p handed out twice", sl)
		}
		seen[sl] = true
	}
}

func TestForkHasItsOwnSlots(t *testing.T) {
	s, r := Attach(httptest.NewRequest("GET", "/", nil))
	for range slots {
		Capture(r, httptest.NewRecorder(), capture.Pass, 0)
	}
	f, r2 := Fork(r, s)
	if f.spare == nil || f.spare == s.spare {
		t.Fatalf("forked spare = %p, outer %p: want a new one", f.spare, s.spare)
	}
	sl, _ := Capture(r2, httptest.NewRecorder(), capture.Pass, 0)
	if !fromSpare(f.spare, sl) {
		t.Errorf("capture under the fork did not use the fork's slots")
	}
	n := New(r.Context(), s)
	if n.spare != nil {
		t.Errorf("New copied the slots of its source")
	}
}

// A writer a handler kept from a slot's Writer goes nowhere once the
// middleware put it, even when a later request reaches the same code.
func TestSlotWriterLateCall(t *testing.T) {
	_, r := Attach(httptest.NewRequest("GET", "/", nil))
	first := httptest.NewRecorder()
	sl, leaked := Capture(r, first, capture.Hold, capture.Unlimited)
	sl.Logger = discardLogger()
	capture.Put(sl)

	_, r2 := Attach(httptest.NewRequest("GET", "/", nil))
	second := httptest.NewRecorder()
	sl2, rw2 := Capture(r2, second, capture.Hold, capture.Unlimited)
	if sl2 == sl {
		t.Fatal("second request got the first one's slot")
	}
	if _, err := leaked.Write([]byte("late")); err != capture.ErrDetached {
		t.Errorf("late Write error = %v, want %v", err, capture.ErrDetached)
	}
	leaked.Header().Set("X-Late", "1")
	_, _ = rw2.Write([]byte("ok"))
	sl2.Detach()
	if err := sl2.Release(); err != nil {
		t.Fatal(err)
	}
	if got, want := second.Body.String(), "ok"; got != want {
		t.Errorf("second body = %q, want %q", got, want)
	}
	if got := second.Header().Get("X-Late"); got != "" {
		t.Errorf("second response has X-Late %q from the first one's writer", got)
	}
	if got := first.Body.Len(); got != 0 {
		t.Errorf("first response got %d body bytes after Put", got)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
