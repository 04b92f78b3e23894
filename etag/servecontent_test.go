package etag

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzServeContent compares Check with the precondition handling of
// http.ServeContent, given the same ETag and modification time, over
// fuzzed methods and If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since, Range and If-Range fields.
//
// The side under test answers 304 or 412 when Check says so; otherwise it
// lets http.ServeContent serve the request with every condition removed,
// and with Range removed too unless Check's Result.Range says to honour
// it. So range arithmetic is net/http's on both sides and every
// difference in status comes from evaluating preconditions.
//
// The reference is http.ServeContent on the same request, after the
// deliberate divergences below are normalised away. These are the only
// places where Check answers differently from net/http, each because
// RFC 9110 says so (or says nothing and Check picks the safer reading):
//
//  1. An invalid member of an If-Match or If-None-Match list is skipped;
//     net/http stops reading the list there. (`junk, "v1"` matches "v1".)
//     Normalised by giving the reference only the valid members, as an
//     independent regular-expression oracle (oracleMembers) lists them.
//  2. If-None-Match on GET and HEAD accepts a tag with a "-gzip", "-br" or
//     "-zstd" suffix as the tag without it (compression middleware).
//     Normalised by replacing such a member with the current tag for those
//     methods; other methods compare exactly, as net/http does.
//  3. OPTIONS, CONNECT and TRACE ignore every condition (RFC 9110
//     §13.2.1); ServeContent evaluates them for any method. Normalised by
//     removing the conditions.
//  4. Range is honoured for GET only (RFC 9110 §14.2: range handling is
//     defined for GET alone); ServeContent also serves 206 to HEAD and to
//     any other method. Normalised by removing Range for other methods.
//  5. HTTP-dates are parsed strictly by the grammar of RFC 9110 §5.6.7:
//     net/http also takes lower-case names, one-digit hours, fractional
//     seconds and other zone names, rejects a leap second, and gives a
//     two-digit RFC 850 year a fixed pivot instead of the 50-year rule.
//     Normalised by giving the reference the date Check read, in
//     IMF-fixdate, or no field when Check ignores it (FuzzParseDate pins
//     the parser itself to http.ParseTime).
//  6. If-Range must be exactly one entity tag or one HTTP-date; net/http
//     also takes a tag followed by anything. Normalised by giving the
//     reference the tag or date Check read, or a value that never holds.
//  7. A field that holds only whitespace counts as absent (a server
//     trims it to nothing); net/http reads it as an empty list, so
//     `If-Match: " "` fails there, and `Range: " "` as an invalid range.
//     Normalised by removing such a field.
//
// Not fuzzed, because ServeContent has no equivalent: repeated field
// lines (Check reads a list over all of them and ignores a date sent
// twice; net/http reads the first line only), a missing resource, and a
// modification time of exactly the Unix epoch (net/http treats it as
// unset, Check as a date).
//
//	go test ./etag -run '^$' -fuzz FuzzServeContent -fuzztime 60s
func FuzzServeContent(f *testing.F) {
	type seed struct {
		method               uint8
		opaque               string
		weak                 bool
		mod                  int64
		ifMatch, ifNoneMatch string
		imsMode, iusMode     uint8
		imsDelta, iusDelta   int16
		imsRaw, iusRaw       string
		rangeHdr             string
		ifRangeMode          uint8
		ifRangeDelta         int16
		ifRangeRaw           string
	}
	now := int64(1714564800) // 2024-05-01 12:00:00 UTC
	for _, s := range []seed{
		{method: 0, opaque: "v1", mod: now, ifNoneMatch: `"$"`},
		{method: 0, opaque: "v1", mod: now, ifNoneMatch: `"x", W/"$"`},
		{method: 0, opaque: "v1", mod: now, ifNoneMatch: `junk, "$"`},
		{method: 0, opaque: "v1", mod: now, ifNoneMatch: `"$-gzip"`},
		{method: 0, opaque: "v1", mod: now, ifMatch: `W/"$"`},
		{method: 0, opaque: "v1", weak: true, mod: now, ifMatch: `"$"`},
		{method: 3, opaque: "v1", mod: now, ifMatch: `*`},
		{method: 3, opaque: "v1", mod: now, ifNoneMatch: `*`},
		{method: 3, opaque: "v1", mod: now, iusMode: 1, iusDelta: -1},
		{method: 3, opaque: "v1", mod: now, ifMatch: `"$"`, iusMode: 1, iusDelta: -1},
		{method: 0, opaque: "v1", mod: now, imsMode: 1},
		{method: 0, opaque: "v1", mod: now, imsMode: 2, imsDelta: 5},
		{method: 0, opaque: "v1", mod: now, imsMode: 3, imsDelta: -5},
		{method: 0, opaque: "v1", mod: now, imsMode: 4, imsRaw: "sun, 06 nov 1994 08:49:37 GMT"},
		{method: 2, opaque: "v1", mod: now, imsMode: 1},
		{method: 0, opaque: "v1", mod: now, ifNoneMatch: `"x"`, imsMode: 1},
		{method: 0, opaque: "v1", mod: now, rangeHdr: "bytes=0-3", ifRangeMode: 5, ifRangeRaw: `"$"`},
		{method: 0, opaque: "v1", mod: now, rangeHdr: "bytes=0-3", ifRangeMode: 5, ifRangeRaw: `W/"$"`},
		{method: 0, opaque: "v1", mod: now, rangeHdr: "bytes=0-3", ifRangeMode: 1},
		{method: 0, opaque: "v1", mod: now, rangeHdr: "bytes=0-3,5-6", ifRangeMode: 1, ifRangeDelta: 1},
		{method: 1, opaque: "v1", mod: now, rangeHdr: "bytes=0-3"},
		{method: 6, opaque: "v1", mod: now, ifMatch: `"x"`},
		{method: 0, opaque: "", mod: 0, ifMatch: " "},
		{method: 0, opaque: "a b", mod: now + 999, ifNoneMatch: "*"},
	} {
		f.Add(s.method, s.opaque, s.weak, s.mod, s.ifMatch, s.ifNoneMatch, s.imsMode, s.imsDelta, s.imsRaw,
			s.iusMode, s.iusDelta, s.iusRaw, s.rangeHdr, s.ifRangeMode, s.ifRangeDelta, s.ifRangeRaw)
	}
	f.Fuzz(func(t *testing.T, method uint8, opaque string, weak bool, mod int64,
		ifMatch, ifNoneMatch string, imsMode uint8, imsDelta int16, imsRaw string,
		iusMode uint8, iusDelta int16, iusRaw string, rangeHdr string,
		ifRangeMode uint8, ifRangeDelta int16, ifRangeRaw string) {
		c := newDiffCase(method, opaque, weak, mod)
		h := http.Header{}
		c.set(h, "If-Match", strings.ReplaceAll(ifMatch, "$", opaque))
		c.set(h, "If-None-Match", strings.ReplaceAll(ifNoneMatch, "$", opaque))
		c.set(h, "If-Modified-Since", c.date(imsMode, imsDelta, imsRaw))
		c.set(h, "If-Unmodified-Since", c.date(iusMode, iusDelta, iusRaw))
		c.set(h, "Range", rangeHdr)
		c.set(h, "If-Range", c.date(ifRangeMode, ifRangeDelta, ifRangeRaw))
		c.compare(t, h)
	})
}

var diffMethods = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"}

const diffContent = "0123456789abcdefghij"

// diffCase is one resource state for the differential test.
type diffCase struct {
	method  string
	tag     string    // "" when none
	modtime time.Time // zero when none
	opaque  string
}

func newDiffCase(method uint8, opaque string, weak bool, mod int64) diffCase {
	c := diffCase{method: diffMethods[int(method)%len(diffMethods)], opaque: opaque}
	if ValidOpaque(opaque) {
		c.tag = `"` + opaque + `"`
		if weak {
			c.tag = "W/" + c.tag
		}
	}
	// Seconds from 1970 to 9999 except the epoch itself, with a fraction
	// from the low bits that Last-Modified must drop.
	if sec := mod % 253402300799; sec != 0 {
		if sec < 0 {
			sec = -sec
		}
		c.modtime = time.Unix(sec, (mod&0x3ff)*1e6%1e9)
	}
	return c
}

func (c diffCase) set(h http.Header, name, value string) {
	if value != "" {
		h[name] = []string{value}
	}
}

// date builds a date field: mode 0 none, 1 to 3 the modification time
// plus delta seconds in IMF-fixdate, RFC 850 and asctime form, otherwise
// raw with "$" standing for the current tag's opaque part.
func (c diffCase) date(mode uint8, delta int16, raw string) string {
	base := c.modtime
	if base.IsZero() {
		base = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	}
	d := base.Add(time.Duration(delta) * time.Second).UTC()
	switch mode % 6 {
	case 0:
		return ""
	case 1:
		return d.Format(http.TimeFormat)
	case 2:
		return d.Format("Monday, 02-Jan-06 15:04:05 GMT")
	case 3:
		return d.Format(time.ANSIC)
	default:
		return strings.ReplaceAll(raw, "$", c.opaque)
	}
}

func (c diffCase) serveContent(w http.ResponseWriter, r *http.Request) {
	if c.tag != "" {
		w.Header().Set("Etag", c.tag)
	}
	w.Header().Set("Content-Type", "text/plain")
	http.ServeContent(w, r, "", c.modtime, strings.NewReader(diffContent))
}

func newDiffRequest(method string, h http.Header) *http.Request {
	return &http.Request{Method: method, URL: &url.URL{Path: "/"}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h}
}

var conditionFields = []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"}

// ours serves the request with Check deciding every precondition.
func (c diffCase) ours(h http.Header) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	r := newDiffRequest(c.method, h)
	res := Check(r, Validators{ETag: c.tag, LastModified: c.modtime})
	switch res.Status {
	case http.StatusNotModified:
		if c.tag != "" {
			rec.Header().Set("Etag", c.tag)
		}
		SetLastModified(rec.Header(), c.modtime)
		WriteNotModified(rec)
		return rec
	case http.StatusPreconditionFailed:
		rec.WriteHeader(http.StatusPreconditionFailed)
		return rec
	}
	plain := h.Clone()
	for _, k := range conditionFields {
		delete(plain, k)
	}
	if !res.Range {
		delete(plain, "Range")
	}
	c.serveContent(rec, newDiffRequest(c.method, plain))
	return rec
}

// reference serves the request with http.ServeContent after normalising
// the documented divergences.
func (c diffCase) reference(h http.Header) *httptest.ResponseRecorder {
	ref := h.Clone()
	switch c.method {
	case "OPTIONS", "CONNECT", "TRACE": // 3
		for _, k := range conditionFields {
			delete(ref, k)
		}
	}
	if c.method != "GET" { // 4
		delete(ref, "Range")
	}
	for _, k := range append(conditionFields, "Range") {
		if v, ok := ref[k]; ok && strings.Trim(v[0], " \t") == "" { // 7
			delete(ref, k)
		}
	}
	for _, k := range []string{"If-Match", "If-None-Match"} { // 1, 2
		v, ok := ref[k]
		if !ok {
			continue
		}
		members := oracleMembers(v)
		if k == "If-None-Match" && (c.method == "GET" || c.method == "HEAD") {
			for i, m := range members {
				if m != "*" && c.tag != "" && suffixedForm(m, c.opaque) {
					members[i] = c.tag
				}
			}
		}
		list := strings.Join(members, ", ")
		if list == "" {
			list = "," // present, but no member
		}
		ref[k] = []string{list}
	}
	for _, k := range []string{"If-Modified-Since", "If-Unmodified-Since"} { // 5
		if v, ok := ref[k]; ok {
			if t, ok := ParseDate(strings.Trim(v[0], " \t")); ok {
				ref[k] = []string{FormatDate(t)}
			} else {
				delete(ref, k)
			}
		}
	}
	if v, ok := ref["If-Range"]; ok { // 5, 6
		s := strings.Trim(v[0], " \t")
		never := "never" // neither a tag nor a date: If-Range fails
		switch {
		case strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "W/"):
			if !Valid(s) {
				s = never
			}
		default:
			if t, ok := ParseDate(s); ok {
				s = FormatDate(t)
			} else {
				s = never
			}
		}
		ref["If-Range"] = []string{s}
	}
	rec := httptest.NewRecorder()
	c.serveContent(rec, newDiffRequest(c.method, ref))
	return rec
}

// suffixedForm reports whether the tag m is opaque with a compression
// suffix, weak or not.
func suffixedForm(m, opaque string) bool {
	m = strings.TrimPrefix(m, "W/")
	for _, s := range []string{"-gzip", "-br", "-zstd"} {
		if m == `"`+opaque+s+`"` {
			return true
		}
	}
	return false
}

func (c diffCase) compare(t *testing.T, h http.Header) {
	t.Helper()
	got, want := c.ours(h), c.reference(h)
	if got.Code != want.Code {
		t.Fatalf("%s with %q, ETag %q, modtime %v: status %d, http.ServeContent %d",
			c.method, h, c.tag, c.modtime, got.Code, want.Code)
	}
	if got.Code == http.StatusNotModified {
		gk, wk := headerKeys(got.Header()), headerKeys(want.Header())
		if !slices.Equal(gk, wk) {
			t.Fatalf("%s with %q: 304 header fields %q, http.ServeContent %q", c.method, h, gk, wk)
		}
	}
	// Multipart boundaries are random: compare the bodies of 200s and the
	// ranges of 206s.
	if got.Code == http.StatusOK && !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatalf("%s with %q: body %q, http.ServeContent %q", c.method, h, got.Body.Bytes(), want.Body.Bytes())
	}
	if gr, wr := got.Header().Get("Content-Range"), want.Header().Get("Content-Range"); gr != wr {
		t.Fatalf("%s with %q: Content-Range %q, http.ServeContent %q", c.method, h, gr, wr)
	}
}

func headerKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestServeContentDivergences pins each documented divergence: without
// its normalisation, Check and http.ServeContent disagree.
func TestServeContentDivergences(t *testing.T) {
	mod := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		method    string
		headers   []hdr
		ours, ref int
	}{
		{"1 invalid member skipped", "GET", []hdr{{"If-None-Match", `junk, "v1"`}}, 304, 200},
		{"2 suffixed tag in If-None-Match", "GET", []hdr{{"If-None-Match", `"v1-gzip"`}}, 304, 200},
		{"3 OPTIONS ignores conditions", "OPTIONS", []hdr{{"If-Match", `"v0"`}}, 200, 412},
		{"4 Range on HEAD ignored", "HEAD", []hdr{{"Range", "bytes=0-3"}}, 200, 206},
		{"5 lenient date ignored", "GET", []hdr{{"If-Modified-Since", "wed, 01 may 2024 12:00:00 GMT"}}, 200, 304},
		{"6 If-Range tag followed by junk", "GET", []hdr{{"Range", "bytes=0-3"}, {"If-Range", `"v1" junk`}}, 200, 206},
		{"7 whitespace-only If-Match", "GET", []hdr{{"If-Match", " "}}, 200, 412},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := diffCase{method: tt.method, tag: `"v1"`, modtime: mod, opaque: "v1"}
			h := http.Header{}
			for _, x := range tt.headers {
				h.Add(x.name, x.value)
			}
			if got := c.ours(h).Code; got != tt.ours {
				t.Errorf("ours = %d, want %d", got, tt.ours)
			}
			rec := httptest.NewRecorder()
			c.serveContent(rec, newDiffRequest(tt.method, h))
			if rec.Code != tt.ref {
				t.Errorf("http.ServeContent = %d, want %d", rec.Code, tt.ref)
			}
			if got, want := c.ours(h).Code, c.reference(h).Code; got != want {
				t.Errorf("after normalising: ours %d, reference %d", got, want)
			}
		})
	}
}
