package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/internal/capture"
	"github.com/restwell/restwell/internal/httpsyntax"
	"github.com/restwell/restwell/internal/logsafe"
	"github.com/restwell/restwell/versioning"
)

// errNotJSON marks a body that is not one JSON value; the middleware then
// passes it on unconverted.
var errNotJSON = errors.New("convert: body is not JSON")

// Request upgrades a JSON request body of the named version to the
// newest version, applying the Changes as Handler does. r is used only for
// Change.Match; when it is nil every change applies. The body is returned
// as it is when nothing needs converting. A version the Versioner does not
// have is an *versioning.UnsupportedError.
func (c *Converter) Request(r *http.Request, version string, body []byte) ([]byte, error) {
	i, ok := c.index[version]
	if !ok {
		return nil, c.unsupported(version)
	}
	return c.convert(r, i, body, true)
}

// Response downgrades a JSON body written for the newest version to the
// named version, applying the Changes as Handler does; use it for webhook
// payloads and other bodies sent outside a response. r is used only for
// Change.Match; when it is nil every change applies. The body is returned
// as it is when nothing needs converting. A version the Versioner does not
// have is an *versioning.UnsupportedError.
func (c *Converter) Response(r *http.Request, version string, body []byte) ([]byte, error) {
	i, ok := c.index[version]
	if !ok {
		return nil, c.unsupported(version)
	}
	return c.convert(r, i, body, false)
}

func (c *Converter) unsupported(version string) error {
	if !validName(version) {
		version = ""
	}
	return &versioning.UnsupportedError{Source: versioning.SourceDefault, Requested: version, Supported: slices.Clone(c.names)}
}

// validName reports whether s can be a version name (as versioning.New
// accepts them), so that it may be repeated in an error.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// convert applies the changes after the version of index i to body:
// upwards for a request, downwards for a response.
func (c *Converter) convert(r *http.Request, i int, body []byte, up bool) ([]byte, error) {
	chs := c.changes[c.first[i]:]
	applies := func(ch *change) bool {
		return (up && ch.up || !up && ch.down) && (r == nil || ch.Match == nil || ch.Match(r))
	}
	n := 0
	for _, ch := range chs {
		if applies(ch) {
			n++
		}
	}
	if n == 0 {
		return body, nil
	}
	val, err := decodeJSON(body)
	if err != nil {
		return nil, errNotJSON
	}
	if up {
		for _, ch := range chs {
			if applies(ch) {
				if val, err = ch.upgrade(val); err != nil {
					return nil, err
				}
			}
		}
	} else {
		for i := len(chs) - 1; i >= 0; i-- {
			if applies(chs[i]) {
				if val, err = chs[i].downgrade(val); err != nil {
					return nil, err
				}
			}
		}
	}
	out, err := json.Marshal(val)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 && body[len(body)-1] == '\n' {
		out = append(out, '\n') // as json.Encoder writes it
	}
	return out, nil
}

func (ch *change) upgrade(body any) (any, error) {
	if len(ch.Edits) > 0 {
		err := ch.each(body, func(obj map[string]any) error {
			for _, e := range ch.Edits {
				if e.Up != nil {
					if err := e.Up(obj); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if ch.Request != nil {
		return ch.Request(body)
	}
	return body, nil
}

func (ch *change) downgrade(body any) (any, error) {
	if ch.Response != nil {
		var err error
		if body, err = ch.Response(body); err != nil {
			return nil, err
		}
	}
	if len(ch.Edits) > 0 {
		err := ch.each(body, func(obj map[string]any) error {
			for i := len(ch.Edits) - 1; i >= 0; i-- {
				if d := ch.Edits[i].Down; d != nil {
					if err := d(obj); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return body, nil
}

// each calls fn for every object the change's At selects in body.
func (ch *change) each(body any, fn func(map[string]any) error) error {
	if ch.at == nil {
		return eachResource(body, fn)
	}
	for _, sel := range ch.at {
		if err := walk(body, sel, fn); err != nil {
			return err
		}
	}
	return nil
}

// eachResource calls fn for each element of items in a page, each element
// of an array body, or else the body object.
func eachResource(body any, fn func(map[string]any) error) error {
	switch x := body.(type) {
	case []any:
		return eachObject(x, fn)
	case map[string]any:
		if items, ok := x["items"].([]any); ok {
			if _, ok := x["meta"].(map[string]any); ok {
				return eachObject(items, fn)
			}
		}
		return fn(x)
	}
	return nil
}

func eachObject(arr []any, fn func(map[string]any) error) error {
	for _, el := range arr {
		if obj, ok := el.(map[string]any); ok {
			if err := fn(obj); err != nil {
				return err
			}
		}
	}
	return nil
}

// walk follows the selector toks from val and calls fn for each object it
// reaches; an array reached at the end stands for each object in it.
func walk(val any, toks []string, fn func(map[string]any) error) error {
	if len(toks) == 0 {
		switch x := val.(type) {
		case map[string]any:
			return fn(x)
		case []any:
			return eachObject(x, fn)
		}
		return nil
	}
	tok, rest := toks[0], toks[1:]
	switch x := val.(type) {
	case map[string]any:
		if tok == "*" {
			for _, el := range x {
				if err := walk(el, rest, fn); err != nil {
					return err
				}
			}
			return nil
		}
		if el, ok := x[tok]; ok {
			return walk(el, rest, fn)
		}
	case []any:
		if tok == "*" {
			for _, el := range x {
				if err := walk(el, rest, fn); err != nil {
					return err
				}
			}
			return nil
		}
		if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(x) && tok == strconv.Itoa(i) {
			return walk(x[i], rest, fn)
		}
	}
	return nil
}

// isJSONType reports whether a Content-Type value is JSON, as
// httpsyntax.IsJSON says; problem says whether application/problem+json
// counts.
func isJSONType(ct string, problem bool) bool {
	typ, sub, ok := httpsyntax.SplitMediaType(ct)
	if !ok || !httpsyntax.IsJSON(typ, sub) {
		return false
	}
	return problem || !strings.EqualFold(sub, "problem+json") || !strings.EqualFold(typ, "application")
}

// upgradeRequest replaces the JSON body of r, a request of the version of
// index i, with its upgrade to the newest version. r is the middleware's
// own copy of the request. A body that is not JSON is passed on as it
// was, for the handler to refuse.
func (c *Converter) upgradeRequest(r *http.Request, i int) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 || !isJSONType(r.Header.Get("Content-Type"), true) {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, c.maxRequest+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierrors.ContentTooLarge("the request body is larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes").WithCause(ErrBodyTooLarge)
		}
		return apierrors.BadRequest("the request body could not be read").WithCause(err)
	}
	if int64(len(data)) > c.maxRequest {
		return apierrors.ContentTooLarge("the request body is larger than " + strconv.FormatInt(c.maxRequest, 10) + " bytes").WithCause(ErrBodyTooLarge)
	}
	out, err := c.convert(r, i, data, true)
	switch {
	case errors.Is(err, errNotJSON):
		out = data
	case err != nil:
		var ae *apierrors.Error
		if errors.As(err, &ae) {
			return err
		}
		return apierrors.Internal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(out))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(out)), nil }
	r.ContentLength = int64(len(out))
	r.TransferEncoding = nil
	if _, ok := r.Header["Content-Length"]; ok {
		r.Header = r.Header.Clone() // the map is shared with the caller's request
		r.Header["Content-Length"] = []string{strconv.Itoa(len(out))}
	}
	return nil
}

// convertible reports whether a response with this status and header can
// be downgraded: a 2xx with a body, not partial, in JSON.
func convertible(status int, h http.Header) bool {
	if status < 200 || status > 299 || status == http.StatusNoContent || status == http.StatusResetContent || status == http.StatusPartialContent {
		return false
	}
	ct := h["Content-Type"]
	return len(ct) == 1 && isJSONType(ct[0], false)
}

// sendConverted downgrades the held response of a request of version ver
// and sends it on w.
func (c *Converter) sendConverted(w http.ResponseWriter, r *http.Request, cw *capture.Writer, i int) {
	status := cw.Status()
	if cw.Body().Len() == 0 {
		_ = cw.Release() // nothing to convert; a failed write means the client is gone
		return
	}
	body := cw.Body().Bytes()
	cw.Discard()
	out, err := c.convert(r, i, body, false)
	h := w.Header()
	switch {
	case errors.Is(err, errNotJSON):
		c.log.LogAttrs(r.Context(), slog.LevelWarn, "versioning: response declared as JSON is not JSON; sent unconverted",
			slog.String("version", c.names[i]), slog.String("method", r.Method), slog.String("path", logsafe.Clip(r.URL.Path)))
		out = body
	case err != nil:
		c.errh(w, r, apierrors.Internal(err))
		return
	default:
		h["Content-Length"] = []string{strconv.Itoa(len(out))}
	}
	w.WriteHeader(status)
	_, _ = w.Write(out) // a failed write means the client is gone
}
