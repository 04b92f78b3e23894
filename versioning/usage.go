package versioning

import (
	"cmp"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Usage counts the calls one client made to a deprecated version, or to a
// deprecated route, since the Versioner was created.
type Usage struct {
	// Version is the version called.
	Version string
	// Route names the deprecated route (Route.Name); "" for calls counted
	// for a deprecated version as a whole.
	Route string
	// Client is the caller as Config.ClientKey named it; "" without a
	// ClientKey, and OtherClients once Config.MaxTracked is reached.
	Client string
	// Count is the number of calls.
	Count int64
	// First and Last are the times of the first and latest call.
	First, Last time.Time
}

// OtherClients is the Usage.Client under which calls are counted once
// Config.MaxTracked distinct entries exist.
const OtherClients = "(other)"

type usageKey struct{ version, route, client string }

type usageEntry struct {
	count              int64
	first, last, shown time.Time
}

// tracker counts deprecated calls. Its size is bounded: past max entries,
// new clients are counted under OtherClients.
type tracker struct {
	mu  sync.Mutex
	m   map[usageKey]*usageEntry
	max int
}

// add counts one call and reports whether it should be logged: the first
// call of an entry, then at most once per interval (never when interval
// is negative).
func (t *tracker) add(k usageKey, now time.Time, interval time.Duration) (Usage, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[usageKey]*usageEntry)
	}
	e := t.m[k]
	if e == nil && len(t.m) >= t.max {
		k.client = OtherClients
		e = t.m[k]
	}
	if e == nil {
		e = &usageEntry{first: now}
		t.m[k] = e
	}
	e.count++
	e.last = now
	show := interval >= 0 && (e.shown.IsZero() || now.Sub(e.shown) >= interval)
	if show {
		e.shown = now
	}
	return Usage{Version: k.version, Route: k.route, Client: k.client, Count: e.count, First: e.first, Last: e.last}, show
}

// Usage returns the calls to deprecated versions and routes counted so
// far, per version, route and client, sorted by version, route, then
// client. It is safe to call concurrently with requests.
func (v *Versioner) Usage() []Usage {
	t := &v.usage
	t.mu.Lock()
	out := make([]Usage, 0, len(t.m))
	for k, e := range t.m {
		out = append(out, Usage{Version: k.version, Route: k.route, Client: k.client, Count: e.count, First: e.first, Last: e.last})
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Usage) int {
		return cmp.Or(cmp.Compare(a.Version, b.Version), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Client, b.Client))
	})
	return out
}

// track records a call to a deprecated version (route "") or route, logs
// it when due and calls Config.OnDeprecated.
func (v *Versioner) track(r *http.Request, version, route string, d *deprecation) {
	client := ""
	if v.clientKey != nil {
		client = cleanKey(v.clientKey(r))
	}
	u, show := v.usage.add(usageKey{version, route, client}, v.now(), v.logInterval)
	if show {
		attrs := make([]slog.Attr, 0, 7)
		attrs = append(attrs, slog.String("version", version))
		if route != "" {
			attrs = append(attrs, slog.String("route", route))
		}
		if v.clientKey != nil {
			attrs = append(attrs, slog.String("client", u.Client))
		}
		attrs = append(attrs, slog.Int64("count", u.Count))
		if !d.at.IsZero() {
			attrs = append(attrs, slog.Time("deprecated", d.at))
		}
		if !d.sunset.IsZero() {
			attrs = append(attrs, slog.Time("sunset", d.sunset))
		}
		msg := "deprecated API version called"
		if route != "" {
			msg = "deprecated API route called"
		}
		v.log.LogAttrs(r.Context(), slog.LevelWarn, msg, attrs...)
	}
	if v.onDeprecated != nil {
		v.onDeprecated(r, u)
	}
}

// maxKeyLen bounds a client key before it is kept and logged.
const maxKeyLen = 128

// cleanKey makes a client key safe to keep and log: at most maxKeyLen
// bytes of visible ASCII, other bytes replaced by '?'.
func cleanKey(s string) string {
	clean := len(s) <= maxKeyLen
	for i := 0; clean && i < len(s); i++ {
		clean = s[i] >= 0x21 && s[i] <= 0x7e
	}
	if clean {
		return s
	}
	if len(s) > maxKeyLen {
		s = s[:maxKeyLen]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x21 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
