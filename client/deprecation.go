package client

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/restwell/restwell/internal/logsafe"
)

// maxWarned bounds how many origin and version pairs the default
// deprecation warning remembers; past it, warnings repeat.
const maxWarned = 1024

// Deprecation is what a response said about the deprecation of the
// resource or API version it came from (RFC 9745, RFC 8594).
type Deprecation struct {
	// Request is the request the response answered. It must not be
	// modified.
	Request *http.Request
	// Version is the response's Api-Version field, or "".
	Version string
	// Date is when the resource is or was deprecated: the Deprecation
	// field. Zero when the field was not a valid date.
	Date time.Time
	// Sunset is when it stops answering, from the Sunset field; zero
	// when none was given.
	Sunset time.Time
	// Successor is the rel="successor-version" link, Doc the
	// rel="deprecation" one, Policy the rel="sunset" one; nil when absent.
	Successor, Doc, Policy *url.URL
}

// deprecated reports the deprecation announced by resp.
func (t *Transport) deprecated(req *http.Request, resp *http.Response) {
	h := resp.Header
	d := Deprecation{Request: req, Version: h.Get("Api-Version")}
	d.Date, _ = ParseDeprecation(h.Get("Deprecation"))
	if s := h.Get("Sunset"); s != "" {
		if st, err := http.ParseTime(s); err == nil {
			d.Sunset = st.UTC()
		}
	}
	for _, l := range ParseLinks(h["Link"], req.URL) {
		switch {
		case d.Successor == nil && l.HasRel("successor-version"):
			d.Successor = l.URL
		case d.Doc == nil && l.HasRel("deprecation"):
			d.Doc = l.URL
		case d.Policy == nil && l.HasRel("sunset"):
			d.Policy = l.URL
		}
	}
	if t.cfg.OnDeprecation != nil {
		t.cfg.OnDeprecation(d)
		return
	}
	version := d.Version
	if version == "" {
		version = "@" + h.Get("Deprecation")
	}
	key := req.URL.Scheme + "://" + req.URL.Host + " " + logsafe.Clip(version)
	if _, seen := t.warned.Load(key); seen {
		return
	}
	t.warnMu.Lock()
	_, seen := t.warned.Load(key)
	if !seen && t.nWarned < maxWarned {
		t.nWarned++
		t.warned.Store(key, struct{}{})
	}
	t.warnMu.Unlock()
	if seen {
		return // another goroutine warned meanwhile
	}
	attrs := []slog.Attr{
		slog.String("origin", logsafe.Clip(req.URL.Scheme+"://"+req.URL.Host)),
		slog.String("version", logsafe.Clip(d.Version)),
		slog.String("path", logsafe.Clip(req.URL.Path)),
	}
	if !d.Date.IsZero() {
		attrs = append(attrs, slog.Time("deprecated", d.Date))
	}
	if !d.Sunset.IsZero() {
		attrs = append(attrs, slog.Time("sunset", d.Sunset))
	}
	if d.Successor != nil {
		attrs = append(attrs, slog.String("successor", logsafe.Clip(d.Successor.String())))
	}
	if d.Doc != nil {
		attrs = append(attrs, slog.String("doc", logsafe.Clip(d.Doc.String())))
	}
	t.logger().LogAttrs(req.Context(), slog.LevelWarn, "client: the API answering is deprecated", attrs...)
}
