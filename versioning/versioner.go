package versioning

import (
	"errors"
	"log/slog"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/capture"
	"github.com/restwell/restwell/internal/reqstate"
	"github.com/restwell/restwell/observe"
)

// Config configures a Versioner. Only Versions is required; every other
// field documents its default.
type Config struct {
	// Versions the API serves, oldest first. Required. Handlers are written
	// for the last one, the newest; a convert.Converter converts bodies for
	// the others.
	Versions []Version
	// Default is the version of a request that names none. Empty means the
	// newest.
	Default string
	// Sources lists where a request may name its version, in order of
	// precedence: the first source the request uses decides, and a version
	// it names that is not supported is refused even if a later source
	// names a good one. Nil means SourcePath, SourceHeader,
	// SourceMediaType; an empty, non-nil list gives every request the
	// default version.
	Sources []Source
	// PathTemplate is the start of a versioned path, ending with
	// "{version}": "/api/v{version}" matches /api/v2/items. The version
	// segment runs to the next "/". A segment that is not a registered
	// version but looks like one (a number, or a date, when registered
	// names are numbers or dates) is refused with 404; any other path
	// carries no version, so /vendors is not taken for a version. Empty
	// means "/v{version}".
	PathTemplate string
	// PathMode says what the next handler sees of a versioned path. The
	// zero value is KeepPath.
	PathMode PathMode
	// Header names the request header that may carry the version, and the
	// response header every response of a negotiated version carries it
	// in. Empty means "Api-Version".
	Header string
	// Vendor, when set, makes vendor media types in Accept name versions:
	// with Vendor "acme", application/vnd.acme.v2+json (or
	// application/vnd.acme.2025-06-01+json) asks for that version. Lower
	// case letters, digits, '.' and '-'. Empty means vendor types name no
	// version; the media type parameter works either way.
	Vendor string
	// MediaTypeParam is the Accept parameter that names a version, as in
	// application/json; version=2. Empty means "version".
	MediaTypeParam string
	// StrictAccept answers 406 Not Acceptable when the Accept header
	// allows no JSON response of the chosen version; it requires
	// SourceMediaType. The default false ignores such an Accept header, as
	// RFC 9110 permits, and serves JSON anyway.
	StrictAccept bool
	// AfterSunset says how a version or deprecated route is served once
	// its sunset time has passed. The zero value is KeepServing.
	AfterSunset AfterSunset
	// ClientKey names the caller of a request to a deprecated version or
	// route, such as an API key id or account, for Usage and the log. The
	// value is clipped to 128 bytes of visible ASCII. Nil means calls are
	// counted per version and route only.
	ClientKey func(r *http.Request) string
	// MaxTracked bounds the distinct (version, route, client) entries
	// Usage keeps; beyond it, new clients are counted under OtherClients.
	// Zero means 10000.
	MaxTracked int
	// OnDeprecated, when set, is called for every request to a deprecated
	// version or route (one with a deprecation or sunset time), with the
	// counts so far, before the handler runs. It must be fast and safe for
	// concurrent use.
	OnDeprecated func(r *http.Request, u Usage)
	// Logger receives a warning the first time each client calls a
	// deprecated version or route, and then at most once per LogInterval,
	// with the count so far. Nil means slog.Default().
	Logger *slog.Logger
	// LogInterval is the least time between two log records about the
	// same version, route and client. Zero means one hour; negative means
	// deprecated calls are not logged.
	LogInterval time.Duration
	// Now returns the current time, for sunset decisions and usage
	// records. Nil means time.Now.
	Now func() time.Time
	// ErrorHandler writes refusals: unsupported versions, 406 and 410.
	// Nil means errors.Write.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
	// Observer receives an event for every request of a deprecated
	// version or route and every refused version (see the package
	// documentation). Nil means none are reported, at no cost.
	Observer observe.Observer
}

// A Versioner negotiates the API version of each request and marks
// responses of deprecated versions (package convert converts bodies
// between versions). Build one with New; it is safe for concurrent use by
// multiple goroutines.
type Versioner struct {
	versions     []*version
	byName       map[string]*version // for large registries; nil means a linear search
	def, latest  *version
	shapes       uint8 // bit set of the shapes of registered names
	sources      []Source
	pathPrefix   string // PathTemplate before "{version}"
	pathMode     PathMode
	header       string // canonical
	vendor       string // "vnd." + Vendor
	param        string
	strict       bool
	afterSunset  AfterSunset
	vary         string   // the Vary value to merge, "" for none
	varyTokens   []string // its tokens
	varyHook     func(int, http.Header) bool
	clientKey    func(*http.Request) string
	onDeprecated func(*http.Request, Usage)
	log          *slog.Logger
	logInterval  time.Duration
	now          func() time.Time
	errh         func(http.ResponseWriter, *http.Request, error)
	usage        tracker
	observer     observe.Observer
}

// DefaultHeader is the version header unless Config.Header names another.
const DefaultHeader = "Api-Version"

// New returns a Versioner for cfg, or an error, prefixed "versioning: ",
// when cfg is invalid: no versions, an invalid or repeated name, a sunset
// earlier than its deprecation, an unknown default or successor, an
// invalid URL, source, template, header or vendor.
func New(cfg Config) (*Versioner, error) {
	v, err := build(cfg)
	if err != nil {
		return nil, errors.New("versioning: " + err.Error())
	}
	return v, nil
}

func build(cfg Config) (*Versioner, error) {
	if len(cfg.Versions) == 0 {
		return nil, errors.New("no versions")
	}
	v := &Versioner{
		strict:       cfg.StrictAccept,
		afterSunset:  cfg.AfterSunset,
		pathMode:     cfg.PathMode,
		clientKey:    cfg.ClientKey,
		onDeprecated: cfg.OnDeprecated,
		observer:     cfg.Observer,
		log:          cfg.Logger,
		logInterval:  cfg.LogInterval,
		now:          cfg.Now,
		errh:         cfg.ErrorHandler,
	}
	v.usage.max = cfg.MaxTracked
	if err := v.buildVersions(cfg); err != nil {
		return nil, err
	}
	if err := v.buildSources(cfg); err != nil {
		return nil, err
	}
	for _, ver := range v.versions {
		ver.plain = ver.dep == nil
	}
	switch {
	case v.afterSunset > Gone:
		return nil, errors.New("invalid AfterSunset")
	case v.pathMode > RewritePath:
		return nil, errors.New("invalid PathMode")
	case v.usage.max < 0:
		return nil, errors.New("negative MaxTracked")
	}
	if v.usage.max == 0 {
		v.usage.max = 10000
	}
	if v.log == nil {
		v.log = slog.Default()
	}
	if v.logInterval == 0 {
		v.logInterval = time.Hour
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.errh == nil {
		v.errh = apierrors.Write
	}
	v.varyHook = func(_ int, h http.Header) bool {
		v.setVary(h, nil)
		return false
	}
	return v, nil
}

func (v *Versioner) buildVersions(cfg Config) error {
	v.versions = make([]*version, len(cfg.Versions))
	for i, vc := range cfg.Versions {
		if !validName(vc.Name) {
			return errors.New("invalid version name " + quote(vc.Name) + ": use 1 to 64 letters, digits, '.', '-' or '_'")
		}
		for _, prev := range v.versions[:i] {
			if prev.Name == vc.Name {
				return errors.New("version " + vc.Name + " is listed twice")
			}
		}
		dep, err := newDeprecation(vc.Deprecated, vc.Sunset, vc.Doc, vc.SunsetPolicy)
		if err != nil {
			return errors.New("version " + vc.Name + ": " + err.Error())
		}
		ver := &version{Version: vc, index: i, shape: shapeOf(vc.Name), dep: dep, owner: v}
		v.versions[i] = ver
		v.shapes |= 1 << ver.shape
	}
	if len(v.versions) > 8 {
		v.byName = make(map[string]*version, len(v.versions))
		for _, ver := range v.versions {
			v.byName[ver.Name] = ver
		}
	}
	for _, ver := range v.versions {
		if ver.Successor == "" {
			continue
		}
		if ver.successor = v.lookup(ver.Successor); ver.successor == nil || ver.successor == ver {
			return errors.New("version " + ver.Name + ": invalid successor " + quote(ver.Successor))
		}
	}
	v.latest = v.versions[len(v.versions)-1]
	v.def = v.latest
	if cfg.Default != "" {
		if v.def = v.lookup(cfg.Default); v.def == nil {
			return errors.New("unknown default version " + quote(cfg.Default))
		}
	}
	return nil
}

func (v *Versioner) buildSources(cfg Config) error {
	v.sources = cfg.Sources
	if v.sources == nil {
		v.sources = []Source{SourcePath, SourceHeader, SourceMediaType}
	}
	v.sources = append([]Source(nil), v.sources...)
	var seen [4]bool
	for _, s := range v.sources {
		if s < SourcePath || s > SourceMediaType || seen[s] {
			return errors.New("invalid or repeated source " + s.String())
		}
		seen[s] = true
	}
	if cfg.StrictAccept && !seen[SourceMediaType] {
		return errors.New("StrictAccept needs SourceMediaType")
	}

	tmpl := cfg.PathTemplate
	if tmpl == "" {
		tmpl = "/v{version}"
	}
	const ph = "{version}"
	v.pathPrefix = strings.TrimSuffix(tmpl, ph)
	if !strings.HasPrefix(tmpl, "/") || !strings.HasSuffix(tmpl, ph) || strings.ContainsAny(v.pathPrefix, "{}") {
		return errors.New("invalid PathTemplate " + quote(tmpl) + ": want a path ending with {version}, such as /api/v{version}")
	}

	h := cfg.Header
	if h == "" {
		h = DefaultHeader
	}
	if t, rest := token(h); t == "" || rest != "" {
		return errors.New("invalid Header " + quote(h))
	}
	v.header = textproto.CanonicalMIMEHeaderKey(h)
	switch v.header {
	case "Accept", "Content-Type", "Content-Length", "Vary", "Link", "Deprecation", "Sunset":
		return errors.New("Header " + quote(h) + " is a standard field with another meaning")
	}

	if cfg.Vendor != "" {
		for i := 0; i < len(cfg.Vendor); i++ {
			c := cfg.Vendor[i]
			if !(c >= 'a' && c <= 'z' || isDigit(c) || c == '.' || c == '-') {
				return errors.New("invalid Vendor " + quote(cfg.Vendor))
			}
		}
		v.vendor = "vnd." + cfg.Vendor
	}
	v.param = cfg.MediaTypeParam
	if v.param == "" {
		v.param = "version"
	}
	if t, rest := token(v.param); t == "" || rest != "" || strings.EqualFold(v.param, "q") {
		return errors.New("invalid MediaTypeParam " + quote(v.param))
	}

	if seen[SourceHeader] {
		v.varyTokens = append(v.varyTokens, v.header)
	}
	if seen[SourceMediaType] {
		v.varyTokens = append(v.varyTokens, "Accept")
	}
	v.vary = strings.Join(v.varyTokens, ", ")
	return nil
}

// Handler returns a handler that negotiates the version of each request
// and serves it with next.
//
// The chosen version is in the request context (FromContext) and in the
// response header (Config.Header). A version that is not supported gets
// 404 when it came from the path, 400 from a header or media type, code
// "unsupported_version", listing the supported versions. When the version
// may come from a header or the Accept header, every response, errors
// included, names them in Vary, merged with the values there.
//
// Responses of a deprecated version carry Deprecation, Sunset and Link
// headers; past its sunset, AfterSunset Gone answers 410. To convert the
// bodies of versions older than the newest, put a convert.Converter's
// Handler inside this one.
func (v *Versioner) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.serve(w, r, next)
	})
}

func (v *Versioner) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	h := w.Header()
	ver, src, end, f := v.negotiate(r)
	if f.kind != failNone {
		v.setVary(h, nil)
		fe := v.failureError(f)
		v.observe(r.Context(), observe.UnsupportedVersion, "", "", fe.Status)
		v.errh(w, r, fe)
		return
	}
	st, r2 := reqstate.Attach(r)
	if st.Version != nil {
		st, r2 = reqstate.Fork(r, st) // nested: the outer version stays outside
	}
	st.Version, st.VersionSource = ver, uint8(src)
	rewrite := src == SourcePath && v.pathMode != KeepPath
	if r2 == r && (rewrite || !ver.plain) {
		// The request is the one an outer middleware passes on: copy it
		// before changing its URL, header or body.
		r2 = new(http.Request)
		*r2 = *r
	}
	if rewrite {
		v.rewrite(ver, r2, end)
	}
	st.VersionFields[0] = ver.Name
	h[v.header] = st.VersionFields[0:1:1]
	if v.vary != "" {
		st.VersionFields[1] = v.vary
		v.setVary(h, st.VersionFields[1:2:2])
	}
	if !ver.plain {
		v.serveFull(w, r, r2, ver, src, end, next)
		return
	}
	if v.vary == "" {
		next.ServeHTTP(w, r2)
		return
	}
	// A handler may replace Vary: put the tokens back when it commits.
	cw, rw := reqstate.Capture(r2, w, capture.Hold, 0)
	cw.HoldIf = v.varyHook
	cw.Logger = v.log
	next.ServeHTTP(rw, r2)
	cw.Detach()
	if !cw.Started() {
		v.setVary(h, nil)
	}
	capture.Put(cw)
}

// Versions returns the registered versions, oldest first.
func (v *Versioner) Versions() []Version {
	out := make([]Version, len(v.versions))
	for i, ver := range v.versions {
		out[i] = ver.Version
	}
	return out
}

// rewrite gives r, the middleware's copy of the request, the URL that
// PathMode asks for; end is the length of the versioned prefix.
func (v *Versioner) rewrite(ver *version, r *http.Request, end int) {
	p := r.URL.Path
	newPrefix := ""
	if v.pathMode == RewritePath {
		if ver == v.latest {
			return
		}
		newPrefix = v.pathPrefix + v.latest.Name
	}
	u := *r.URL
	u.Path = newPrefix + p[end:]
	if u.Path == "" {
		u.Path = "/"
	}
	if raw := r.URL.RawPath; raw != "" {
		if strings.HasPrefix(raw, p[:end]) {
			u.RawPath = newPrefix + raw[end:]
			if u.RawPath == "" {
				u.RawPath = "/"
			}
		} else {
			u.RawPath = ""
		}
	}
	r.URL = &u
}

// served is the state of a request of a deprecated version, for the hook
// that runs when the handler commits its header.
type served struct {
	v    *Versioner
	ver  *version
	r    *http.Request // the request as it came in
	end  int           // versioned path prefix length, for SourcePath
	src  Source
	done bool // headers decorated
}

func (v *Versioner) serveFull(w http.ResponseWriter, r, r2 *http.Request, ver *version, src Source, end int, next http.Handler) {
	h := w.Header()
	s := &served{v: v, ver: ver, r: r, end: end, src: src}
	if ver.dep != nil {
		v.track(r2, ver.Name, "", ver.dep)
		v.observeDeprecated(r2.Context(), ver.Name, "", ver.dep)
		if v.afterSunset == Gone && ver.dep.retired(v.now()) {
			s.decorate(h)
			v.errh(w, r2, v.sunsetError(ver, s.successorURL()))
			return
		}
	}
	cw, rw := reqstate.Capture(r2, w, capture.Hold, 0)
	cw.HoldIf = s.hook
	cw.Logger = v.log
	next.ServeHTTP(rw, r2)
	cw.Detach()
	if !cw.Started() {
		s.decorate(h)
	}
	capture.Put(cw)
}

// hook runs when the handler commits its header: it completes the header.
func (s *served) hook(_ int, h http.Header) bool {
	s.decorate(h)
	return false
}

// decorate sets Vary and the deprecation headers, once.
func (s *served) decorate(h http.Header) {
	if s.done {
		return
	}
	s.done = true
	s.v.setVary(h, nil)
	if s.ver.dep != nil {
		succ := ""
		if u := s.successorURL(); u != "" {
			succ = string(appendLink(nil, u, "successor-version", ""))
		}
		s.ver.dep.apply(h, succ)
	}
}

// successorURL returns the URL of the same resource in the successor
// version when the path carries the version, else "".
func (s *served) successorURL() string {
	succ := s.ver.successor
	if succ == nil || s.src != SourcePath {
		return ""
	}
	p := s.r.URL.Path
	esc := s.r.URL.EscapedPath()
	if !strings.HasPrefix(esc, p[:s.end]) {
		return ""
	}
	b := make([]byte, 0, len(esc)+len(s.r.URL.RawQuery)+8)
	b = append(b, s.v.pathPrefix...)
	b = append(b, succ.Name...)
	b = appendEscapedURI(b, esc[s.end:])
	if s.r.URL.RawQuery != "" {
		b = append(b, '?')
		b = appendEscapedURI(b, s.r.URL.RawQuery)
	}
	if len(b) > maxURILen {
		return ""
	}
	return string(b)
}

// sunsetError is the 410 for a retired version.
func (v *Versioner) sunsetError(ver *version, successorURL string) *apierrors.Error {
	msg := "API version " + ver.Name + " was retired on " + ver.dep.sunsetVal
	ext := map[string]any{"sunset": ver.dep.sunsetVal, "supported_versions": v.supported()}
	if ver.successor != nil {
		msg += "; use version " + ver.successor.Name
		ext["successor_version"] = ver.successor.Name
	}
	if successorURL != "" {
		ext["successor"] = successorURL
	}
	return &apierrors.Error{Status: http.StatusGone, Code: "sunset", Message: msg, Extensions: ext, Err: ErrSunset}
}
