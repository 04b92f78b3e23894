package ratelimit

import (
	"context"
	"net/http"
	"testing"

	"github.com/restwell/restwell/observe"
)

// BenchmarkObserver compares the middleware without an Observer and with
// one that only counts: the price of the hook itself.
func BenchmarkObserver(b *testing.B) {
	var n int64
	counter := observe.Func(func(context.Context, observe.Event) { n++ })
	for _, bc := range []struct {
		name string
		obs  observe.Observer
	}{{"none", nil}, {"counter", counter}} {
		b.Run(bc.name, func(b *testing.B) {
			l, err := New(Config{Policies: hotPolicies, Observer: bc.obs})
			if err != nil {
				b.Fatal(err)
			}
			h := l.Handler(okHandler)
			r := benchRequest()
			r.RemoteAddr = "192.0.2.1:40000"
			w := &benchWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, r)
			}
		})
	}
}
