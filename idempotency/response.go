package idempotency

import (
	"encoding/binary"
	stderrors "errors"
	"net/http"
	"slices"
	"strconv"
)

// Response is the recorded outcome of a request: what a retry is sent.
// A Response with a non-empty Tombstone records that the request was
// processed but its response could not be kept; a retry then gets a 409
// with code "idempotency_response_unavailable" instead of a second
// execution.
type Response struct {
	// Status is the final status code. Zero (a Response recorded by
	// Middleware.Do without one) is sent as 200.
	Status int
	// Header holds the replayable header fields (Config.ReplayHeaders).
	Header http.Header
	// Body is the response body, byte for byte.
	Body []byte
	// Tombstone, when not empty, says why the response was not kept:
	// TombstoneTooLarge, TombstoneStreamed or TombstoneHijacked.
	Tombstone string
}

// Tombstone reasons.
const (
	// TombstoneTooLarge: the body was over Config.MaxResponseSize.
	TombstoneTooLarge = "too_large"
	// TombstoneStreamed: the handler flushed its response while writing it.
	TombstoneStreamed = "streamed"
	// TombstoneHijacked: the handler took over the connection.
	TombstoneHijacked = "hijacked"
)

// Send writes res to w: its header fields (replacing any of the same
// name), its status and its body. A handler that records its response
// with a store inside its own transaction (sqlstore.Store.CompleteTx) can
// send the same Response afterwards.
func (res *Response) Send(w http.ResponseWriter) error {
	h := w.Header()
	for k, v := range res.Header {
		h[k] = v
	}
	status := replayStatus(res.Status)
	if bodyAllowed(status) {
		h["Content-Length"] = []string{strconv.Itoa(len(res.Body))}
	}
	w.WriteHeader(status)
	if len(res.Body) == 0 {
		return nil
	}
	_, err := w.Write(res.Body)
	return err
}

// encoding version of MarshalBinary's output.
const encodingV1 = 1

var errBadEncoding = stderrors.New("idempotency: malformed encoded response")

// MarshalBinary encodes res for a store that keeps bytes. The encoding is
// versioned and stable: records written by one release are read by the
// next.
func (res *Response) MarshalBinary() ([]byte, error) {
	return res.AppendBinary(make([]byte, 0, 32+len(res.Body)+32*len(res.Header)))
}

// AppendBinary appends the encoding of res to b.
func (res *Response) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, encodingV1)
	b = binary.AppendUvarint(b, uint64(res.Status))
	b = appendBytes(b, res.Tombstone)
	names := make([]string, 0, len(res.Header))
	for k := range res.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, k := range names {
		vs := res.Header[k]
		b = appendBytes(b, k)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendBytes(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(res.Body)))
	return append(b, res.Body...), nil
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// UnmarshalBinary decodes what MarshalBinary encoded. It copies what it
// keeps, so data may be reused afterwards.
func (res *Response) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	if d.byte() != encodingV1 {
		return errBadEncoding
	}
	status := d.uvarint()
	if status > 999 {
		return errBadEncoding
	}
	*res = Response{Status: int(status), Tombstone: d.str()}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return errBadEncoding
	}
	if n > 0 {
		res.Header = make(http.Header, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		k := d.str()
		m := d.uvarint()
		if m > uint64(len(d.b)) {
			return errBadEncoding
		}
		// Each value takes at least one byte, so m is bounded by the
		// input; stopping at the first error keeps decoding linear.
		vs := make([]string, 0, m)
		for j := uint64(0); j < m && d.err == nil; j++ {
			vs = append(vs, d.str())
		}
		if d.err != nil {
			return errBadEncoding
		}
		res.Header[k] = vs
	}
	body := d.bytes()
	if d.err != nil || len(d.b) != 0 {
		return errBadEncoding
	}
	if len(body) > 0 {
		res.Body = append([]byte(nil), body...)
	}
	return nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.err = errBadEncoding
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errBadEncoding
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errBadEncoding
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string { return string(d.bytes()) }

// bodyAllowed reports whether a response with this status may carry
// content (RFC 9110 §6.4.1).
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// replayStatus is the status a recorded response is sent with: a final
// status, 200 when none was recorded.
func replayStatus(status int) int {
	if status < 200 || status > 999 {
		return http.StatusOK
	}
	return status
}
