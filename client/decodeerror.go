package client

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	apierrors "github.com/restwell/restwell/errors"
)

// maxErrorBody is the most of an error response DecodeError reads.
const maxErrorBody = 64 << 10

// maxErrorText is the longest text kept from an error body that is
// neither format.
const maxErrorText = 512

// DecodeError reads and closes the body of resp, a response with a status
// of 400 or more, and returns it as an *errors.Error:
//
//   - an envelope, {"error": {"code": ..., "message": ..., "details": ...}},
//     gives Code, Message and Fields (each details key as a body member:
//     "price.amount" is the pointer /price/amount);
//   - an RFC 9457 problem (application/problem+json) gives Type, Title,
//     Code, Message (from detail) and Fields (from "errors", with their
//     pointer, parameter or header);
//   - anything else gives the status, a code made from the status text
//     ("service_unavailable") and the body's text, clipped, as Message.
//
// Status is always resp's status. Members neither format defines, and
// "request_id" and "instance", are kept in Extensions; RequestID returns
// the request id. DecodeError returns nil for a status below 400, leaving
// the body unread.
func DecodeError(resp *http.Response) error {
	if resp == nil || resp.StatusCode < 400 {
		return nil
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
	}
	e := decodeErrorBody(resp.StatusCode, resp.Header.Get("Content-Type"), body)
	if _, ok := e.Extensions["request_id"]; !ok {
		if id := resp.Header.Get("X-Request-ID"); id != "" {
			if e.Extensions == nil {
				e.Extensions = make(map[string]any, 1)
			}
			e.Extensions["request_id"] = id
		}
	}
	return e
}

// RequestID returns the request id the server gave the failure err
// carries, from its body or, failing that, the X-Request-ID field of the
// response: "" when there is none.
func RequestID(err error) string {
	var e *apierrors.Error
	if !apierrors.As(err, &e) {
		return ""
	}
	s, _ := e.Extensions["request_id"].(string)
	return s
}

func decodeErrorBody(status int, contentType string, body []byte) *apierrors.Error {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/problem+json" || mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "" {
		var top map[string]json.RawMessage
		if dec := json.NewDecoder(bytes.NewReader(body)); dec.Decode(&top) == nil {
			if raw, ok := top["error"]; ok && mt != "application/problem+json" {
				if e := decodeEnvelope(status, raw); e != nil {
					return e
				}
			}
			if e := decodeProblem(status, top); e != nil {
				return e
			}
		}
	}
	return &apierrors.Error{Status: status, Code: statusCode(status), Message: clipText(body, status)}
}

func decodeEnvelope(status int, raw json.RawMessage) *apierrors.Error {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return nil
	}
	e := &apierrors.Error{Status: status}
	if !stringMember(members, "code", &e.Code) || e.Code == "" {
		return nil
	}
	stringMember(members, "message", &e.Message)
	if d, ok := members["details"]; ok {
		var details map[string][]string
		if json.Unmarshal(d, &details) == nil {
			keys := make([]string, 0, len(details))
			for k := range details {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				ptr := ""
				if k != "" {
					ptr = apierrors.Pointer(strings.Split(k, ".")...)
				}
				for _, msg := range details[k] {
					e.Fields = append(e.Fields, apierrors.BodyField(ptr, msg))
				}
			}
		}
	}
	e.Extensions = extensions(members, "code", "message", "details")
	return e
}

func decodeProblem(status int, top map[string]json.RawMessage) *apierrors.Error {
	e := &apierrors.Error{Status: status}
	var hasType, hasStatus bool
	hasType = stringMember(top, "type", &e.Type)
	var st int
	if raw, ok := top["status"]; ok && json.Unmarshal(raw, &st) == nil {
		hasStatus = true
	}
	stringMember(top, "title", &e.Title)
	stringMember(top, "detail", &e.Message)
	stringMember(top, "code", &e.Code)
	if !hasType && !hasStatus && e.Title == "" && e.Code == "" {
		return nil // not a problem object
	}
	if e.Code == "" {
		e.Code = statusCode(status)
	}
	if e.Message == "" {
		e.Message = e.Title
	}
	if raw, ok := top["errors"]; ok {
		var list []struct {
			Detail    string  `json:"detail"`
			Pointer   *string `json:"pointer"`
			Parameter *string `json:"parameter"`
			Header    *string `json:"header"`
		}
		if json.Unmarshal(raw, &list) == nil {
			for _, f := range list {
				switch {
				case f.Parameter != nil:
					e.Fields = append(e.Fields, apierrors.QueryParam(*f.Parameter, f.Detail))
				case f.Header != nil:
					e.Fields = append(e.Fields, apierrors.HeaderField(*f.Header, f.Detail))
				case f.Pointer != nil:
					e.Fields = append(e.Fields, apierrors.BodyField(fragmentPointer(*f.Pointer), f.Detail))
				default:
					e.Fields = append(e.Fields, apierrors.BodyField("", f.Detail))
				}
			}
		}
	}
	e.Extensions = extensions(top, "type", "title", "status", "detail", "code", "errors")
	return e
}

// fragmentPointer turns "#/price/amount" (the URI fragment form, RFC 6901
// §6) or "/price/amount" into a plain JSON Pointer.
func fragmentPointer(p string) string {
	if !strings.HasPrefix(p, "#") {
		return p
	}
	if s, err := url.PathUnescape(p[1:]); err == nil {
		return s
	}
	return p[1:]
}

func stringMember(m map[string]json.RawMessage, key string, dst *string) bool {
	raw, ok := m[key]
	if !ok {
		return false
	}
	return json.Unmarshal(raw, dst) == nil
}

// extensions decodes every member of m but the skipped ones.
func extensions(m map[string]json.RawMessage, skip ...string) map[string]any {
	var ext map[string]any
	for k, raw := range m {
		skipped := false
		for _, s := range skip {
			if k == s {
				skipped = true
				break
			}
		}
		if skipped {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		if ext == nil {
			ext = make(map[string]any, len(m))
		}
		ext[k] = v
	}
	return ext
}

// statusCode makes a machine code from a status: 503 is
// "service_unavailable".
func statusCode(status int) string {
	t := http.StatusText(status)
	if t == "" {
		return "http_error"
	}
	var b strings.Builder
	for _, r := range strings.ToLower(t) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// clipText returns the body as text for a message: valid UTF-8, control
// characters as spaces, at most maxErrorText bytes, or the status text.
func clipText(body []byte, status int) string {
	s := strings.ToValidUTF8(string(body), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > maxErrorText {
		i := maxErrorText
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "..."
	}
	if s == "" {
		s = http.StatusText(status)
	}
	return s
}
