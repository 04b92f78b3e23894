package etag

import (
	"net/http"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

// Validators describe the current state of the target resource, as the
// server would describe it in a 200 response to GET.
type Validators struct {
	// ETag is the entity tag of the current representation in wire form
	// (`"v7"` or `W/"v7"`; build one with Strong, Weak or Of). Empty means
	// the resource has none. A value that is not a valid entity tag is
	// treated as none by Check; the middleware answers it with a 500.
	ETag string
	// LastModified is when the representation last changed. The zero time
	// means unknown, and date conditions are then ignored. Only whole
	// seconds count, as an HTTP-date carries no more.
	LastModified time.Time
	// Missing says the resource has no current representation. A write
	// may still succeed (a PUT that creates it): If-Match then fails and
	// If-None-Match: * holds. For a method that cannot succeed on a
	// missing resource (GET, DELETE, PATCH, most POSTs) the answer is 404,
	// not 412, because preconditions only apply when the response would
	// otherwise be 2xx or 412 (RFC 9110 §13.2.1): Check proceeds for GET
	// and HEAD so the handler can send its 404, and a Validators function
	// given to the middleware returns errors.NotFound for the others.
	Missing bool
	// Resource is what the Validators function of a Middleware loaded to
	// compute the validators (the stored item, say), for the handler: the
	// middleware stores it in the context of the request it passes on,
	// once, before the handler runs, and Resource[T] reads it there. Nil
	// means none. Check and Respond ignore it.
	Resource any
}

// Result is the outcome of evaluating a request's preconditions.
type Result struct {
	// Status is 0 to go on with the request, http.StatusNotModified (304)
	// or http.StatusPreconditionFailed (412).
	Status int
	// Header names the condition that decided a 304 or 412: "If-Match",
	// "If-Unmodified-Since", "If-None-Match" or "If-Modified-Since".
	Header string
	// Range, when going on, says the server should honour the Range
	// header: the method is GET, Range is present and If-Range is absent
	// or holds. Otherwise the full representation is sent (RFC 9110
	// §13.1.5, §14.2).
	Range bool
}

// Proceed reports whether the request may go on: Status is 0.
func (res Result) Proceed() bool { return res.Status == 0 }

// Err returns the error to render for a 412: an *errors.Error with status
// 412 and code "precondition_failed" naming the failed condition, wrapping
// ErrPreconditionFailed. It returns nil for any other result.
func (res Result) Err() error {
	if res.Status != http.StatusPreconditionFailed {
		return nil
	}
	msg := "the " + res.Header + " condition did not hold: the resource has changed since the client last saw it"
	detail := "does not match the current state of the resource"
	switch res.Header {
	case "If-None-Match":
		msg = "the If-None-Match condition did not hold: the resource already exists or has not changed"
		detail = "matches the current state of the resource"
	case "If-Match":
		msg = "the If-Match condition did not hold: the resource has changed since the client last saw it, or does not exist"
		detail = "does not match the current entity tag of the resource"
	}
	return &apierrors.Error{
		Status:  http.StatusPreconditionFailed,
		Code:    "precondition_failed",
		Message: msg,
		Fields:  []apierrors.FieldError{apierrors.HeaderField(res.Header, detail)},
		Err:     ErrPreconditionFailed,
	}
}

// Check evaluates the preconditions of r against the validators of its
// target resource, as RFC 9110 §13.2.2 orders them:
//
//  1. If-Match, compared strongly; "*" holds when the resource exists.
//  2. If-Unmodified-Since, only without If-Match.
//  3. If-None-Match, compared weakly; "*" fails when the resource exists.
//     Failing gives 304 for GET and HEAD, 412 otherwise.
//  4. If-Modified-Since, only for GET and HEAD and only without
//     If-None-Match.
//  5. If-Range, only for GET with Range: reported in Result.Range.
//
// Conditions are ignored for OPTIONS, CONNECT and TRACE, and for GET and
// HEAD of a missing resource (the answer is 404). Repeated lines of a list
// field are read as one list and invalid members are skipped; a date that
// is not a valid HTTP-date, or a date field sent more than once, is
// ignored; a field sent empty counts as absent.
//
// For GET and HEAD only, an If-None-Match tag with a "-gzip", "-br" or
// "-zstd" suffix matches the tag without it, so revalidation gives 304
// behind compression middleware that marks its tags that way (weak tags
// match anyway). That allowance costs at worst a 304 for a representation
// the cache already holds in another encoding. For any other method the
// tags compare as RFC 9110 §13.1.2 says, by weak comparison of the whole
// opaque part: "v1-gzip" is a different tag from "v1", so a write with
// If-None-Match: "v1-gzip" proceeds rather than failing with 412.
//
// Check reports to no observe.Observer; Middleware.Check is Check with a
// middleware's settings that reports its 304 or 412 to Config.Observer.
//
// Check allocates nothing and is safe for concurrent use.
func Check(r *http.Request, v Validators) Result {
	return check(r, v, false)
}

func check(r *http.Request, v Validators, lenient bool) Result {
	m := r.Method
	switch m {
	case http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return Result{}
	}
	get := m == http.MethodGet
	read := get || m == http.MethodHead
	if v.Missing && read {
		return Result{}
	}
	cur, curWeak, hasTag := Parse(v.ETag)
	if v.Missing {
		hasTag = false
	}
	hasLM := !v.LastModified.IsZero() && !v.Missing
	var lm time.Time
	if hasLM {
		lm = v.LastModified.Truncate(time.Second)
	}
	h := r.Header

	// Step 1 and 2.
	if lines := h["If-Match"]; present(lines) {
		if !ifMatch(lines, cur, curWeak, hasTag, !v.Missing, lenient) {
			return Result{Status: http.StatusPreconditionFailed, Header: "If-Match"}
		}
	} else if hasLM {
		if t, ok := date(h["If-Unmodified-Since"]); ok && lm.After(t) {
			return Result{Status: http.StatusPreconditionFailed, Header: "If-Unmodified-Since"}
		}
	}

	// Step 3 and 4.
	if lines := h["If-None-Match"]; present(lines) {
		if !ifNoneMatch(lines, cur, hasTag, !v.Missing, read) {
			if read {
				return Result{Status: http.StatusNotModified, Header: "If-None-Match"}
			}
			return Result{Status: http.StatusPreconditionFailed, Header: "If-None-Match"}
		}
	} else if read && hasLM {
		if t, ok := date(h["If-Modified-Since"]); ok && !lm.After(t) {
			return Result{Status: http.StatusNotModified, Header: "If-Modified-Since"}
		}
	}

	// Step 5.
	if !get || !present(h["Range"]) {
		return Result{}
	}
	ir, ok := single(h["If-Range"])
	if !ok {
		// Absent, or sent more than once and so not one validator.
		return Result{Range: !present(h["If-Range"])}
	}
	if ir[0] == '"' || ir[0] == 'W' && len(ir) > 1 && ir[1] == '/' {
		op, weak, ok := Parse(ir)
		return Result{Range: ok && !weak && hasTag && !curWeak && op == cur}
	}
	t, ok := ParseDate(ir)
	return Result{Range: ok && hasLM && t.Equal(lm)}
}

// ifMatch evaluates If-Match (RFC 9110 §13.1.1).
func ifMatch(lines []string, cur string, curWeak, hasTag, exists, lenient bool) bool {
	for _, line := range lines {
		for s := line; s != ""; {
			var m string
			m, s = next(s)
			switch {
			case m == "":
			case m == "*":
				if exists {
					return true
				}
			case hasTag:
				op, weak, _ := Parse(m)
				if lenient {
					if op == cur || TrimEncoding(op) == cur {
						return true
					}
				} else if !weak && !curWeak && op == cur {
					return true
				}
			}
		}
	}
	return false
}

// ifNoneMatch evaluates If-None-Match (RFC 9110 §13.1.2): true when no
// member matches. With suffixes, a member carrying a compression suffix
// also matches the current tag without it.
func ifNoneMatch(lines []string, cur string, hasTag, exists, suffixes bool) bool {
	for _, line := range lines {
		for s := line; s != ""; {
			var m string
			m, s = next(s)
			switch {
			case m == "":
			case m == "*":
				if exists {
					return false
				}
			case hasTag:
				op, _, _ := Parse(m)
				if op == cur || suffixes && TrimEncoding(op) == cur {
					return false
				}
			}
		}
	}
	return true
}

// date parses a date condition; ok is false when it must be ignored.
func date(lines []string) (time.Time, bool) {
	s, ok := single(lines)
	if !ok {
		return time.Time{}, false
	}
	return ParseDate(s)
}

// Respond evaluates r's preconditions against v and answers the request
// when they decide it: a 304 (see WriteNotModified) or a 412 rendered by
// errors.Write. It returns true when it has answered; the handler then
// returns without writing. For GET and HEAD it first sets the ETag and
// Last-Modified headers from v, so the 200 or 304 carries them.
//
//	v := etag.Validators{ETag: etag.Strong(strconv.Itoa(item.Version)), LastModified: item.Updated}
//	if etag.Respond(w, r, v) {
//		return
//	}
//	// write the representation
//
// Respond reports to no observe.Observer: to have its answers observed
// like the middleware's, call Middleware.Respond.
func Respond(w http.ResponseWriter, r *http.Request, v Validators) bool {
	return respond(w, r, v, nil)
}

// respond is Respond with the settings of m, or the defaults when m is
// nil.
func respond(w http.ResponseWriter, r *http.Request, v Validators, m *Middleware) bool {
	if !v.Missing && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		h := w.Header()
		if Valid(v.ETag) {
			h["Etag"] = []string{v.ETag}
		}
		if !v.LastModified.IsZero() {
			SetLastModified(h, v.LastModified)
		}
	}
	lenient := false
	if m != nil {
		lenient = m.lenient
	}
	res := check(r, v, lenient)
	if res.Proceed() {
		return false
	}
	if m != nil {
		m.observeResult(r.Context(), res)
	}
	if res.Status == http.StatusNotModified {
		WriteNotModified(w)
		return true
	}
	if m != nil {
		m.errorHandler(w, r, res.Err())
	} else {
		apierrors.Write(w, r, res.Err())
	}
	return true
}

// WriteNotModified sends a 304 Not Modified with the header fields already
// set on w, minus those RFC 9110 §15.4.5 says describe content a 304 does
// not have: Content-Type, Content-Length, Content-Encoding, Content-Range,
// Content-Language and Content-Digest are removed, and so is
// Last-Modified when an ETag is present. Cache-Control, Content-Location,
// Date, ETag, Expires and Vary stay, as a 200 would have sent them.
func WriteNotModified(w http.ResponseWriter) {
	h := w.Header()
	notModifiedHeader(h)
	w.WriteHeader(http.StatusNotModified)
}

func notModifiedHeader(h http.Header) {
	for _, k := range [...]string{"Content-Type", "Content-Length", "Content-Encoding", "Content-Range", "Content-Language", "Content-Digest"} {
		delete(h, k)
	}
	if len(h["Etag"]) > 0 {
		delete(h, "Last-Modified")
	}
}
