package errors

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/restwell/restwell/internal/fielderr"
	"github.com/restwell/restwell/internal/httpsyntax"
)

// DefaultMaxBodyBytes is the body size limit DecodeJSON applies unless
// WithMaxBytes sets another: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// A DecodeOption changes how DecodeJSON reads a request. Build one with
// WithMaxBytes, DisallowUnknownFields, WithValidator or
// ReplaceInvalidUTF8; the zero DecodeOption changes nothing. Options are plain values, cheap to
// build per call and safe to share between goroutines.
type DecodeOption struct {
	maxBytes  int64
	validator Validator
	strict    bool
	replace   bool
}

// WithMaxBytes sets the largest request body DecodeJSON accepts, in bytes;
// a larger one is refused with 413. n <= 0 leaves the limit as it is
// (DefaultMaxBodyBytes unless another option set it).
func WithMaxBytes(n int64) DecodeOption {
	return DecodeOption{maxBytes: n}
}

// DisallowUnknownFields makes DecodeJSON refuse, with 422, a body that has
// an object member the destination has no field for. Each such member
// gets a FieldError at its own JSON Pointer. Without this option unknown
// members are ignored, as encoding/json does.
func DisallowUnknownFields() DecodeOption {
	return DecodeOption{strict: true}
}

// ReplaceInvalidUTF8 makes DecodeJSON accept a body that is not valid
// UTF-8 or that escapes a lone UTF-16 surrogate ("\ud800" without its
// pair), and decode each such byte or escape in a string as U+FFFD, the
// replacement character, as encoding/json does on its own. Without this
// option such a body is refused with 400 malformed_json: RFC 8259 §8.1
// requires JSON exchanged between systems to be UTF-8, and a replaced
// character silently changes what the client sent (two different invalid
// names decode to the same string). Use it for clients that cannot be
// fixed and data where a lost character does no harm.
func ReplaceInvalidUTF8() DecodeOption {
	return DecodeOption{replace: true}
}

// A Validator checks a decoded JSON body. DecodeJSON calls it, through
// WithValidator, with the body decoded into an any: nil, bool,
// json.Number, string, []any or map[string]any. A *schema.Schema of
// package github.com/restwell/restwell/schema is one, for JSON Schema.
//
// Validate returns one FieldError per problem, in any order (DecodeJSON
// sorts them, drops duplicates and keeps at most MaxFieldErrors), or none
// for a valid value. A non-nil error means the value could not be
// validated at all, a fault of the validator and not of the request:
// DecodeJSON answers it with a 500. Implementations must be safe for
// concurrent use.
type Validator interface {
	Validate(v any) ([]FieldError, error)
}

// WithValidator makes DecodeJSON validate the body with v before decoding
// it: a compiled JSON Schema (package github.com/restwell/restwell/schema)
// or any other Validator. A nil v adds none. Of several WithValidator
// options, the last non-nil one applies.
func WithValidator(v Validator) DecodeOption {
	return DecodeOption{validator: v}
}

// DecodeJSON reads the JSON body of r into v, which must be a non-nil
// pointer, and checks it on the way. Every failure is an *Error a handler
// can return as it is:
//
//   - 415 unsupported_media_type: the Content-Type is missing or is not
//     application/json or another +json type (parameters are allowed; a
//     charset other than UTF-8 is not); the response says
//     Accept: application/json. Or the body has a Content-Encoding other
//     than identity; the response then says Accept-Encoding: identity, as
//     RFC 9110 §15.5.16 asks, and only then (§12.5.3).
//   - 413 content_too_large: the body is larger than the limit (1 MiB, see
//     WithMaxBytes). Its Err is an *http.MaxBytesError.
//   - 400 malformed_json: the body is empty, is not valid JSON, has data
//     after the JSON value, is not valid UTF-8, or has a string escaping a
//     lone UTF-16 surrogate ("\ud800" not followed by "\udc00" to
//     "\udfff", or a low one alone); ReplaceInvalidUTF8 accepts the last
//     two. The message gives the byte offset (counted from 0) of the
//     first byte that could not be parsed, or of the invalid sequence or
//     escape.
//   - 400 bad_request: the body could not be read at all.
//   - 422 validation_failed: the value does not fit v (a string where v
//     has a number, an integer out of range, ...), does not pass the
//     validator (WithValidator, such as a JSON Schema), or has members v
//     has no field for (with DisallowUnknownFields). Fields has one
//     FieldError per problem, at the JSON Pointer of the offending member,
//     sorted by pointer and at most MaxFieldErrors of them. A value that
//     does not fit v yields one FieldError, for the first such member.
//   - 500: v is not a non-nil pointer, or the validator failed; both are
//     faults of the server, not of the request.
//
// The Err of each *Error is the underlying cause, when there is one (a
// *json.SyntaxError, *json.UnmarshalTypeError, *http.MaxBytesError, a read
// error, the error of a json.Unmarshaler), for errors.As; Write never
// sends it.
//
// With a validator, the body is first decoded into an any (with
// numbers as json.Number) and validated; only a valid body is decoded
// into v. Numbers are then limited to 256 characters and a decimal
// exponent within ±1000, so that arbitrary-precision checks stay cheap;
// others fail with 422. Without one, unknown members are ignored unless
// DisallowUnknownFields is given, as with encoding/json.
//
// DecodeJSON reads at most the limit plus one byte and does not close the
// body; net/http does. It is safe for concurrent use.
func DecodeJSON(r *http.Request, v any, opts ...DecodeOption) error {
	cfg := DecodeOption{maxBytes: DefaultMaxBodyBytes}
	for _, o := range opts {
		if o.maxBytes > 0 {
			cfg.maxBytes = o.maxBytes
		}
		if o.validator != nil {
			cfg.validator = o.validator
		}
		cfg.strict = cfg.strict || o.strict
		cfg.replace = cfg.replace || o.replace
	}
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return Internal(&json.InvalidUnmarshalError{Type: reflect.TypeOf(v)})
	}
	if e := checkMediaType(r.Header); e != nil {
		return e
	}

	bp := bufPool.Get().(*[]byte)
	body, e := readBody(r, cfg.maxBytes, (*bp)[:0])
	defer func() {
		if cap(body) <= maxPooledBuffer {
			*bp = body[:0]
			bufPool.Put(bp)
		}
	}()
	if e != nil {
		return e
	}
	if skipSpace(body, 0) == len(body) {
		return malformed("the request body is empty; send a JSON value", nil)
	}
	if !cfg.replace {
		if e := checkUTF8(body); e != nil {
			return e
		}
	}

	if cfg.validator != nil {
		var doc any
		if e := decodeBody(body, &doc, true, false); e != nil {
			return e
		}
		var fields []FieldError
		if hasHugeNumber(doc) {
			fields = hugeNumbers(doc, nil, nil)
		} else {
			var err error
			fields, err = cfg.validator.Validate(doc)
			if err != nil {
				return Internal(err)
			}
		}
		if len(fields) > 0 {
			return validationFailed("the request body did not pass validation", fields)
		}
	}
	if e := decodeBody(body, v, false, cfg.strict); e != nil {
		return e
	}
	return nil // not a nil *Error, which would be a non-nil error
}

// MaxFieldErrors is the largest number of FieldErrors DecodeJSON reports
// for one request; the message says how many there were in all.
const MaxFieldErrors = 100

// validationFailed returns the 422 for fields, sorted, without duplicates
// and capped at MaxFieldErrors.
func validationFailed(msg string, fields []FieldError) *Error {
	fields = normalizeFields(fields)
	if n := len(fields); n > MaxFieldErrors {
		msg += " (the first " + strconv.Itoa(MaxFieldErrors) + " of " + strconv.Itoa(n) + " problems are listed)"
		fields = fields[:MaxFieldErrors:MaxFieldErrors]
	}
	return Validation(msg, fields...)
}

// normalizeFields sorts fields by location, path and detail, and removes
// duplicates, in place.
func normalizeFields(fields []FieldError) []FieldError {
	slices.SortFunc(fields, compareFields)
	return slices.Compact(fields)
}

func compareFields(a, b FieldError) int {
	if a.In != b.In {
		return int(a.In) - int(b.In)
	}
	if c := comparePaths(a.In, a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Detail, b.Detail)
}

// comparePaths orders body paths as JSON Pointers (see
// fielderr.ComparePointers) and other paths as strings.
func comparePaths(in Location, a, b string) int {
	if in != InBody {
		return strings.Compare(a, b)
	}
	return fielderr.ComparePointers(a, b)
}

func malformed(msg string, cause error) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "malformed_json", Message: msg, Err: cause}
}

// checkMediaType accepts application/json and any type/subtype+json, with
// parameters, as long as a charset parameter, if any, names UTF-8. A
// request with a content coding is refused too: its body is not JSON as
// sent.
func checkMediaType(h http.Header) *Error {
	const send = "; send Content-Type: application/json"
	ct := h.Get("Content-Type")
	if ct == "" {
		return mediaTypeError("the request has no Content-Type" + send)
	}
	if typ, sub, ok := httpsyntax.SplitMediaType(ct); !ok || !httpsyntax.IsJSON(typ, sub) {
		return mediaTypeError("the request body must be JSON" + send)
	}
	_, params, _ := strings.Cut(ct, ";")
	if cs, ok := mediaParam(params, "charset"); ok &&
		!strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") && !strings.EqualFold(cs, "us-ascii") {
		return mediaTypeError("the request body must be UTF-8 JSON" + send)
	}
	for _, ce := range h.Values("Content-Encoding") {
		for _, c := range strings.Split(ce, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
				// RFC 9110 §15.5.16: say which codings would do.
				e := UnsupportedMediaType("content codings are not supported; send the body without Content-Encoding")
				e.Header = http.Header{"Accept-Encoding": {"identity"}}
				return e
			}
		}
	}
	return nil
}

// mediaTypeError is the 415 for a Content-Type DecodeJSON does not read.
// It says which type to send in Accept (RFC 9110 §15.5.16) and carries no
// Accept-Encoding, which would point at a content coding instead
// (§12.5.3).
func mediaTypeError(msg string) *Error {
	e := UnsupportedMediaType(msg)
	e.Header = http.Header{"Accept": {"application/json"}}
	return e
}

// mediaParam returns the value of the parameter name in params, the part
// of a media type after its first ';'. Parameters without '=' are
// skipped; quoted values are unquoted.
func mediaParam(params, name string) (string, bool) {
	for params != "" {
		var p string
		p, params = nextParam(params)
		k, val, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), name) {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			var b strings.Builder
			for i := 1; i < len(val)-1; i++ {
				if val[i] == '\\' && i+1 < len(val)-1 {
					i++
				}
				b.WriteByte(val[i])
			}
			val = b.String()
		}
		return val, true
	}
	return "", false
}

// nextParam splits off the first ';'-separated parameter of s, honouring
// quoted strings.
func nextParam(s string) (param, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == ';':
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// readBody appends the body of r to buf, refusing more than limit bytes.
func readBody(r *http.Request, limit int64, buf []byte) ([]byte, *Error) {
	tooLarge := func(limit int64) *Error {
		return ContentTooLarge("the request body is larger than " + strconv.FormatInt(limit, 10) + " bytes").
			WithCause(&http.MaxBytesError{Limit: limit})
	}
	if r.ContentLength > limit {
		return buf, tooLarge(limit)
	}
	if r.Body == nil {
		return buf, nil
	}
	if r.ContentLength > 0 && int64(cap(buf)) < r.ContentLength+1 {
		buf = make([]byte, 0, r.ContentLength+1)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		end := cap(buf)
		if room := limit + 1 - int64(len(buf)); int64(end-len(buf)) > room {
			end = len(buf) + int(room)
		}
		n, err := r.Body.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, tooLarge(limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if As(err, &mbe) {
				return buf, tooLarge(mbe.Limit)
			}
			return buf, BadRequest("the request body could not be read").WithCause(err)
		}
	}
}

// skipSpace returns the index of the first byte of b at or after i that
// is not JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// decodeBody decodes the one JSON value in body into v.
func decodeBody(body []byte, v any, useNumber, strict bool) *Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if useNumber {
		dec.UseNumber()
	}
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	end := dec.InputOffset()
	if err != nil && end == 0 {
		// The decoder could not read a whole JSON value: a syntax error.
		// (An error after it did, even a *json.SyntaxError, comes from a
		// json.Unmarshaler in v.)
		var se *json.SyntaxError
		if As(err, &se) {
			return malformed("the request body is not valid JSON: "+se.Error()+" at byte offset "+
				strconv.FormatInt(max(se.Offset-1, 0), 10), err)
		}
		return malformed("the request body is not valid JSON: unexpected end of input at byte offset "+
			strconv.Itoa(len(body)), err)
	}
	if i := skipSpace(body, int(end)); i < len(body) {
		return malformed("the request body has data after the JSON value at byte offset "+strconv.Itoa(i), nil)
	}
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if As(err, &te) {
		ptr, inKey := locate(body, te.Offset)
		e := Validation("the request body has a value of the wrong type", BodyField(ptr, typeDetail(te, inKey)))
		e.Err = err
		return e
	}
	if strict {
		// encoding/json says only that there is an unknown field, in a
		// message: find each one by the target type's fields instead. An
		// error with none to find came from a json.Unmarshaler in v.
		if fields := unknownFields(body, reflect.TypeOf(v)); len(fields) > 0 {
			e := validationFailed("the request body has unknown fields", fields)
			e.Err = err
			return e
		}
	}
	// An error of a json.Unmarshaler (time.Time, a custom type, ...): the
	// value is wrong, but encoding/json does not say where.
	e := Validation("the request body has an invalid value",
		BodyField("", fielderr.Clip(strings.TrimPrefix(err.Error(), "json: "))))
	e.Err = err
	return e
}

// typeDetail explains a JSON value that does not fit its Go type, in JSON
// terms and without quoting the value.
func typeDetail(te *json.UnmarshalTypeError, inKey bool) string {
	t := te.Type
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "has the wrong type"
	}
	got, text, _ := strings.Cut(te.Value, " ")
	if inKey {
		return "is a member name that must be " + jsonTypeOf(t)
	}
	if got == "number" && text != "" && isIntegerText(text) {
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			bits := t.Bits()
			return "must be an integer from " + strconv.FormatInt(-1<<(bits-1), 10) + " to " +
				strconv.FormatInt(1<<(bits-1)-1, 10)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return "must be an integer from 0 to " + strconv.FormatUint(1<<t.Bits()-1, 10)
		}
	}
	if got == "number" && text != "" && (t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64) {
		return "is a number out of range"
	}
	want := jsonTypeOf(t)
	if got == "number" && want == "an integer" {
		return "must be an integer"
	}
	if got == "bool" {
		got = "boolean"
	}
	return "must be " + want + ", not " + article(got)
}

func article(s string) string {
	if s != "" && strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an " + s
	}
	return "a " + s
}

func isIntegerText(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// jsonTypeOf names the JSON value that fits t, with an article.
func jsonTypeOf(t reflect.Type) string {
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}

// locate returns the JSON Pointer of the innermost value of body whose
// text contains byte offset off, as encoding/json reports offsets in an
// UnmarshalTypeError (just after a scalar, just inside an array or
// object, or inside a member name). inKey says off was inside a member
// name; the pointer is then that member's. body must hold one valid JSON
// value, which encoding/json has checked.
func locate(body []byte, off int64) (ptr string, inKey bool) {
	var stack []locFrame
	// done reports whether the value that began at start and ended just
	// before end holds off; if not, its parent moves on.
	done := func(start, end int) bool {
		if int64(start) < off && off <= int64(end) {
			return true
		}
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].idx++
			}
		}
		return false
	}
	for i := 0; i < len(body); {
		switch c := body[i]; c {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
		case '{', '[':
			stack = append(stack, locFrame{obj: c == '{', wantKey: c == '{', start: i})
			i++
		case '}', ']':
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			i++
			if done(f.start, i) {
				return framePointer(body, stack), false
			}
		case '"':
			j := i + 1
			for j < len(body) && body[j] != '"' {
				if body[j] == '\\' {
					j++
				}
				j++
			}
			j++ // past the closing quote
			if n := len(stack); n > 0 && stack[n-1].wantKey {
				stack[n-1].wantKey = false
				stack[n-1].key = [2]int{i, j}
				if int64(i) < off && off <= int64(j) {
					return framePointer(body, stack), true
				}
				i = j
				continue
			}
			if done(i, j) {
				return framePointer(body, stack), false
			}
			i = j
		default: // a number, true, false or null
			j := i + 1
			for j < len(body) && strings.IndexByte(" \t\r\n,:]}", body[j]) < 0 {
				j++
			}
			if done(i, j) {
				return framePointer(body, stack), false
			}
			i = j
		}
	}
	return "", false
}

// locFrame is an array or object locate is in.
type locFrame struct {
	obj     bool
	wantKey bool   // an object's next string is a member name
	start   int    // offset of '[' or '{'
	idx     int    // an array's current element
	key     [2]int // an object's current member name, quoted
}

// framePointer builds the JSON Pointer of the value stack leads to.
func framePointer(body []byte, stack []locFrame) string {
	tokens := make([]string, len(stack))
	for i, f := range stack {
		if f.obj {
			_ = json.Unmarshal(body[f.key[0]:f.key[1]], &tokens[i])
		} else {
			tokens[i] = strconv.Itoa(f.idx)
		}
	}
	return Pointer(tokens...)
}

// hasHugeNumber reports whether doc has a number that numberFits refuses.
func hasHugeNumber(doc any) bool {
	switch v := doc.(type) {
	case json.Number:
		return !numberFits(string(v))
	case map[string]any:
		for _, x := range v {
			if hasHugeNumber(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasHugeNumber(x) {
				return true
			}
		}
	}
	return false
}

// hugeNumbers appends a FieldError for each number in doc that numberFits
// refuses; path is doc's location.
func hugeNumbers(doc any, path []string, out []FieldError) []FieldError {
	switch v := doc.(type) {
	case json.Number:
		if !numberFits(string(v)) {
			out = append(out, BodyField(Pointer(path...), "is a number outside the supported range"))
		}
	case map[string]any:
		for k, x := range v {
			out = hugeNumbers(x, append(path, k), out)
		}
	case []any:
		for i, x := range v {
			out = hugeNumbers(x, append(path, strconv.Itoa(i)), out)
		}
	}
	return out
}

// numberFits reports whether the JSON number s has at most 256 characters
// and a decimal exponent within ±1000. Exact arithmetic on larger ones
// (math/big, which schema validators use) can take seconds.
func numberFits(s string) bool {
	if len(s) > 256 {
		return false
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	exp := strings.TrimLeft(strings.TrimLeft(s[i+1:], "+-"), "0")
	return len(exp) < 4 || len(exp) == 4 && exp <= "1000"
}
