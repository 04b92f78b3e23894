package testenv

import "sync/atomic"

// A Gauge counts what is in progress (requests in a handler, say) and
// the most that ever was at once. The zero Gauge is ready; it is safe
// for concurrent use.
type Gauge struct{ in, peak atomic.Int64 }

// Enter counts one more in progress.
func (g *Gauge) Enter() {
	n := g.in.Add(1)
	for {
		m := g.peak.Load()
		if n <= m || g.peak.CompareAndSwap(m, n) {
			return
		}
	}
}

// Leave counts one fewer in progress.
func (g *Gauge) Leave() { g.in.Add(-1) }

// Peak returns the most there ever was in progress at once.
func (g *Gauge) Peak() int64 { return g.peak.Load() }
