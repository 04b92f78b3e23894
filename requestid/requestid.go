package requestid

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"

	"github.com/restwell/restwell/internal/httpsyntax"
	"github.com/restwell/restwell/internal/reqstate"
)

// DefaultHeader is the header the middleware reads and writes unless
// Config.Header names another. Header names are case-insensitive; the
// middleware uses the canonical form, X-Request-Id, as net/http does.
const DefaultHeader = "X-Request-ID"

// MaxLen is the longest incoming identifier the middleware accepts.
const MaxLen = 128

// Config configures a Middleware. The zero value is ready to use.
type Config struct {
	// Header is the request and response header carrying the identifier.
	// Empty means X-Request-ID.
	Header string
	// IgnoreIncoming makes the middleware always generate a new identifier,
	// for services that must not let clients choose what appears in logs.
	// The default false accepts an incoming identifier when Valid says so.
	IgnoreIncoming bool
	// Generate makes a new identifier. Nil means a UUIDv7 (time-ordered,
	// RFC 9562). A returned value that is not Valid is replaced by a UUIDv7.
	Generate func() string
}

// Middleware assigns request identifiers. It is safe for concurrent use.
type Middleware struct {
	header   string
	ignore   bool
	generate func() string
}

// New returns a Middleware for cfg. It fails when cfg.Header is not a
// valid header name.
func New(cfg Config) (*Middleware, error) {
	h := cfg.Header
	if h == "" {
		h = DefaultHeader
	}
	if !httpsyntax.IsToken(h) {
		return nil, errors.New("requestid: invalid header name")
	}
	return &Middleware{header: textproto.CanonicalMIMEHeaderKey(h), ignore: cfg.IgnoreIncoming, generate: cfg.Generate}, nil
}

var defaultMiddleware = &Middleware{header: textproto.CanonicalMIMEHeaderKey(DefaultHeader)}

// Handler wraps next with the default Middleware: X-Request-ID, incoming
// identifiers accepted when valid, UUIDv7 otherwise.
func Handler(next http.Handler) http.Handler { return defaultMiddleware.Handler(next) }

// Handler returns a handler that assigns an identifier to each request,
// sets it on the response and in the request context, and calls next.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := ""
		if !m.ignore {
			if v := r.Header[m.header]; len(v) == 1 && Valid(v[0]) {
				id = v[0]
			}
		}
		if id == "" {
			id = m.newID()
		}
		// The request's shared state holds the identifier and backs the
		// header's value: no allocation when an outer middleware made it.
		st, r2 := reqstate.Attach(r)
		if st.ID != "" {
			st, r2 = reqstate.Fork(r, st) // nested: the outer identifier stays
		}
		st.ID = id
		st.IDField[0] = id
		w.Header()[m.header] = st.IDField[:]
		next.ServeHTTP(w, r2)
	})
}

func (m *Middleware) newID() string {
	if m.generate != nil {
		if id := m.generate(); Valid(id) {
			return id
		}
	}
	return NewID()
}

// Valid reports whether id is acceptable as a request identifier: 1 to
// MaxLen bytes, each visible ASCII (0x21 to 0x7E). Such a value is safe to
// echo in a header and to write to a log.
func Valid(id string) bool {
	if len(id) == 0 || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// NewContext returns a copy of ctx carrying id, for work that does not come
// through the middleware (background jobs, tests).
func NewContext(ctx context.Context, id string) context.Context {
	st := reqstate.New(ctx, reqstate.From(ctx))
	st.ID = id
	return st
}

// FromContext returns the request identifier in ctx, or "" when there is
// none.
func FromContext(ctx context.Context) string {
	if st := reqstate.From(ctx); st != nil {
		return st.ID
	}
	return ""
}
