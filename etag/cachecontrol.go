package etag

import (
	"strconv"
	"time"
)

// Common Cache-Control values for API responses (RFC 9111 §5.2.2). Set one
// with w.Header().Set("Cache-Control", ...) or Config.CacheControl.
const (
	// PrivateNoCache lets only the client's own cache keep the response,
	// and makes it revalidate before every reuse: with an ETag, that is a
	// cheap 304. The usual choice for per-user API data.
	PrivateNoCache = "private, no-cache"
	// NoStore forbids every cache to keep the response. The middleware
	// never tags a response that carries it.
	NoStore = "no-store"
)

// maxAge is the largest max-age worth sending: RFC 9111 §1.2.2 caps
// delta-seconds at 2^31.
const maxAge = 1 << 31

// Public returns "public, max-age=N" with N the whole seconds in d: any
// cache may keep the response and reuse it for d without asking. A
// negative d counts as 0; d is capped at 2^31 seconds, as RFC 9111
// advises.
func Public(d time.Duration) string {
	s := int64(d / time.Second)
	s = max(0, min(s, maxAge))
	var buf [32]byte
	return string(strconv.AppendInt(append(buf[:0], "public, max-age="...), s, 10))
}
