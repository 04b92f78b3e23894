package pagination

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

// TestPagerConcurrent shares one Pager between goroutines that parse,
// page, encode and decode at once, with times in many zones so the zone
// cache fills and is read concurrently. Run it with -race.
func TestPagerConcurrent(t *testing.T) {
	p := newTestPager(t, nil)
	const goroutines, rounds = 8, 200
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				zone := time.FixedZone(fmt.Sprintf("Z%d", (g*rounds+i)%100), (g*rounds+i)%100*60)
				at := t0.Add(time.Duration(i) * time.Nanosecond).In(zone)
				req, err := p.Parse(get(fmt.Sprintf("/items?limit=1&sort=at&g=%d", g)))
				if err != nil {
					errs <- err
					return
				}
				pg, err := p.Page(req, []row{{ID: int64(i), At: at}, {ID: int64(i + 1), At: at}})
				if err != nil {
					errs <- err
					return
				}
				req, err = p.Parse(get(pg.Links.Next))
				if err != nil {
					errs <- err
					return
				}
				want := []any{at, int64(i)}
				got := req.Values()
				if gt, ok := got[0].(time.Time); !ok || !gt.Equal(at) || gt.String() != at.String() || got[1] != want[1] {
					errs <- fmt.Errorf("goroutine %d round %d: values %v, want %v", g, i, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestAlteredCursorIs400 sends every one-character alteration of a real
// cursor through a handler: each must be a 400 invalid_cursor, never a
// panic or a page.
func TestAlteredCursorIs400(t *testing.T) {
	p := newTestPager(t, nil)
	h := apierrors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		req, err := p.Parse(r)
		if err != nil {
			return err
		}
		pg, err := p.Page(req, nil)
		if err != nil {
			return err
		}
		return pg.Write(w)
	})
	c := mustEncode(t, p, Cursor{Sort: "-price", Values: []any{int64(100), int64(7)}})
	for i := 0; i < len(c); i++ {
		for _, ch := range []byte{'A', 'z', '0', '-', '_'} {
			if c[i] == ch {
				continue
			}
			altered := c[:i] + string(ch) + c[i+1:]
			w := httptest.NewRecorder()
			h.ServeHTTP(w, get("/items?sort=-price&cursor="+altered))
			if w.Code != http.StatusBadRequest || !reflect.DeepEqual(w.Header().Values("Link"), []string(nil)) {
				t.Fatalf("cursor %q: status %d, Link %q; want 400 without links", altered, w.Code, w.Header().Values("Link"))
			}
		}
	}
}
