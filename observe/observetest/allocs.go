package observetest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/restwell/restwell/observe"
)

// A Setup builds what a cost check repeats: the handler a middleware makes
// with obs as its Observer (nil for none), and the request to serve to it
// again and again. Whatever the repeated request needs first (a stored
// response to replay, a tag to revalidate) is done inside Setup.
type Setup func(tb testing.TB, obs observe.Observer) (http.Handler, *http.Request)

// SameAllocs fails t unless serving the request of setup allocates as
// often with an Observer that only counts as with no Observer at all, and
// the counting Observer saw at least one event. what names the request in
// the failure message.
func SameAllocs(t *testing.T, what string, setup Setup) {
	t.Helper()
	allocs := func(obs observe.Observer) float64 {
		h, r := setup(t, obs)
		w := httptest.NewRecorder()
		return testing.AllocsPerRun(100, func() { clear(w.Header()); h.ServeHTTP(w, r) })
	}
	n := 0
	none := allocs(nil)
	counted := allocs(observe.Func(func(context.Context, observe.Event) { n++ }))
	if none != counted || n == 0 {
		t.Errorf("%s: %v allocations without an observer, %v with one that saw %d events; want equal and some events",
			what, none, counted, n)
	}
}

// Benchmark measures the request of setup with no Observer ("none") and
// with one that does nothing ("counter"), one sub-benchmark each.
func Benchmark(b *testing.B, setup Setup) {
	for _, bc := range []struct {
		name string
		obs  observe.Observer
	}{{"none", nil}, {"counter", observe.Func(func(context.Context, observe.Event) {})}} {
		b.Run(bc.name, func(b *testing.B) {
			h, r := setup(b, bc.obs)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				clear(w.Header())
				h.ServeHTTP(w, r)
			}
		})
	}
}
