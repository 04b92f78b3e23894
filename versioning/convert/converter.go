package convert

import (
	"errors"
	"log/slog"
	"net/http"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/capture"
	"github.com/restwell/restwell/internal/logsafe"
	"github.com/restwell/restwell/versioning"
)

// ErrBodyTooLarge is the Err of the 413 *errors.Error the Handler hands to
// Config.ErrorHandler when a request body to be converted to the newest
// version is larger than Config.MaxRequestBytes (code
// "content_too_large"); test for it with errors.Is.
var ErrBodyTooLarge = errors.New("convert: request body too large to convert")

// Config configures a Converter. Only Versioner is required; every other
// field documents its default.
type Config struct {
	// Versioner negotiates the version of each request; the Converter
	// converts between its versions, and its Handler must run before the
	// Converter's. Required.
	Versioner *versioning.Versioner
	// Changes convert request and response bodies between the newest
	// version and older ones. Nil means handlers see, and clients get,
	// the same bodies in every version.
	Changes []Change
	// MaxRequestBytes bounds a request body read to be upgraded; a larger
	// one is refused with 413. Zero means 1 MiB.
	MaxRequestBytes int64
	// MaxResponseBytes bounds the response body held back to be
	// downgraded. Converting needs the whole body in memory (and decoded,
	// several times its size), so the bound protects memory; but a
	// larger body is then sent unconverted, in the newest version's shape,
	// and an error is logged. Zero means no bound: every response of an
	// older version is held in full, so paginate large collections. A
	// response the handler flushes is also sent unconverted and logged.
	MaxResponseBytes int
	// Logger receives errors about responses that could not be
	// converted. Nil means slog.Default().
	Logger *slog.Logger
	// ErrorHandler writes refusals: 413 for a request body too large to
	// convert, the *errors.Error a Change.Request returns, and 500 when a
	// conversion fails. Nil means errors.Write.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

// A Converter converts the JSON bodies of requests and responses of older
// versions to and from the newest one, by the Changes, so that handlers
// only ever deal with the newest version. Build one with New; it is safe
// for concurrent use by multiple goroutines.
type Converter struct {
	versions    []versioning.Version
	names       []string
	index       map[string]int // version name -> index, oldest first
	newest      string
	changes     []*change
	first       []int // per version: the index in changes of the first change after it
	maxRequest  int64
	maxResponse int
	log         *slog.Logger
	errh        func(http.ResponseWriter, *http.Request, error)
}

// New returns a Converter for cfg, or an error, prefixed "convert: ", when
// cfg is invalid: no Versioner, a negative bound, or an invalid change (an
// unknown or the oldest version, no description or edits, an invalid At
// pointer or edit).
func New(cfg Config) (*Converter, error) {
	if cfg.Versioner == nil {
		return nil, errors.New("convert: Config.Versioner is required")
	}
	c := &Converter{
		versions:    cfg.Versioner.Versions(),
		maxRequest:  cfg.MaxRequestBytes,
		maxResponse: cfg.MaxResponseBytes,
		log:         cfg.Logger,
		errh:        cfg.ErrorHandler,
	}
	c.index = make(map[string]int, len(c.versions))
	for i, ver := range c.versions {
		c.names = append(c.names, ver.Name)
		c.index[ver.Name] = i
	}
	c.newest = c.names[len(c.names)-1]
	if err := c.compileChanges(cfg.Changes); err != nil {
		return nil, errors.New("convert: " + err.Error())
	}
	switch {
	case c.maxRequest < 0:
		return nil, errors.New("convert: negative MaxRequestBytes")
	case c.maxResponse < 0:
		return nil, errors.New("convert: negative MaxResponseBytes")
	}
	if c.maxRequest == 0 {
		c.maxRequest = 1 << 20
	}
	if c.maxResponse == 0 {
		c.maxResponse = capture.Unlimited
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.errh == nil {
		c.errh = apierrors.Write
	}
	return c, nil
}

// Handler returns a handler that serves each request with next, converting
// the bodies of a request of an older version than the newest: it
// upgrades the request body before next reads it, and downgrades the 2xx
// JSON response body next writes. Entity tags are marked with the version
// (see the package documentation) so conditional requests work in every
// version. The version is the one versioning.FromContext reports, so
// Handler goes inside the Versioner's Handler:
//
//	v.Handler(c.Handler(mux))
//
// A request without a version, or of a version with nothing to convert,
// goes to next as it is.
func (c *Converter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, ok := c.index[versioning.FromContext(r.Context())]
		if !ok || c.first[i] == len(c.changes) {
			next.ServeHTTP(w, r)
			return
		}
		c.serve(w, r, i, next)
	})
}

// served is the state of a converted request, for the hook that runs when
// the handler commits its header.
type served struct {
	name     string
	convert  bool // downgrade 2xx JSON responses
	headOnly bool // a HEAD whose GET would be downgraded
	held     bool // the response is held to be converted
}

func (c *Converter) serve(w http.ResponseWriter, r *http.Request, i int, next http.Handler) {
	r2 := new(http.Request) // the body and header change: never the caller's
	*r2 = *r
	if c.upNeeded(i, r2) {
		if err := c.upgradeRequest(r2, i); err != nil {
			c.errh(w, r2, err)
			return
		}
	}
	if !c.downNeeded(i, r2) {
		next.ServeHTTP(w, r2)
		return
	}
	s := &served{name: c.names[i], convert: r2.Method != http.MethodHead, headOnly: r2.Method == http.MethodHead}
	unmarkConditions(r2, s.name, c.newest)
	cw, rw := capture.Get(w, capture.Hold, c.maxResponse)
	cw.HoldIf = s.hook
	cw.Logger = c.log
	next.ServeHTTP(rw, r2)
	cw.Detach()
	switch {
	case !cw.Started():
		s.hook(http.StatusOK, w.Header())
	case cw.Held():
		c.sendConverted(w, r2, cw, i)
	case s.held && (cw.Overflowed() || cw.Flushed()):
		c.log.LogAttrs(r2.Context(), slog.LevelError, "versioning: response sent unconverted: it was flushed or outgrew MaxResponseBytes",
			slog.String("version", s.name), slog.String("method", r2.Method), slog.String("path", logsafe.Clip(r2.URL.Path)))
	}
	capture.Put(cw)
}

// hook runs when the handler commits its header: it marks the entity tag
// and says whether to hold the response for conversion.
func (s *served) hook(status int, h http.Header) bool {
	markETag(h, s.name)
	s.held = s.convert && convertible(status, h)
	if s.headOnly && convertible(status, h) {
		delete(h, "Content-Length") // the older version's body has another length
	}
	return s.held
}
