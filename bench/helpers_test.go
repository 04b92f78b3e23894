package bench

import (
	"net/http"
	"strconv"
	"testing"
)

// benchWriter is a minimal ResponseWriter reused across iterations, so
// that what a benchmark measures is the middleware, not the recorder.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func newBenchWriter() *benchWriter { return &benchWriter{h: make(http.Header)} }

func (w *benchWriter) Header() http.Header { return w.h }

func (w *benchWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

func (w *benchWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// reset makes w ready for the next request without allocating.
func (w *benchWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}

// code is the status the handler sent: 200 when it wrote nothing.
func (w *benchWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// okHandler is the handler every middleware wraps: it writes nothing, so
// the status is an implicit 200.
var okHandler = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// clientIP returns the i-th of 2^24 distinct IPv4 addresses.
func clientIP(i int) string {
	return "10." + strconv.Itoa(i>>16&0xff) + "." + strconv.Itoa(i>>8&0xff) + "." + strconv.Itoa(i&0xff)
}

// benchAddrs returns n distinct RemoteAddr values, each from its own
// client IP, starting at the from-th address.
func benchAddrs(from, n int) []string {
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = clientIP(from+i) + ":40000"
	}
	return addrs
}

// reportCPU reports cpu-ns/op, the process's CPU time (every goroutine's,
// the garbage collector's included) since start, a cpuTime reading, per
// iteration. Other jobs on a busy machine stretch ns/op, which is wall
// time, far more than they stretch it. It reports nothing where the
// platform has no CPU clock.
func reportCPU(b *testing.B, start int64) {
	if end := cpuTime(); start != 0 && end != 0 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}
