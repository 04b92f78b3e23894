package idempotency

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

func TestResponseEncoding(t *testing.T) {
	for _, res := range []*Response{
		{},
		{Status: 204},
		{Status: 201, Header: http.Header{"Content-Type": {"application/json"}, "Link": {"<a>", "<b>"}}, Body: []byte(`{"id":1}`)},
		{Status: 200, Tombstone: TombstoneTooLarge},
		{Status: 999, Body: bytes.Repeat([]byte{0, 255}, 5000)},
	} {
		b, err := res.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Response
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("UnmarshalBinary(MarshalBinary(%+v)): %v", res, err)
		}
		if !reflect.DeepEqual(&got, res) {
			t.Fatalf("round trip of %+v gave %+v", res, got)
		}
		// Every truncation is an error, never a panic or a partial value.
		for i := 0; i < len(b); i++ {
			if err := new(Response).UnmarshalBinary(b[:i]); err == nil {
				t.Fatalf("truncated encoding (%d of %d bytes) accepted", i, len(b))
			}
		}
	}
}

// FuzzResponseUnmarshal checks that decoding whatever a store returns
// never panics, and that what decodes encodes back to the same bytes.
//
//	go test ./idempotency -run '^$' -fuzz FuzzResponseUnmarshal -fuzztime 60s
func FuzzResponseUnmarshal(f *testing.F) {
	good, _ := (&Response{Status: 201, Header: http.Header{"A": {"b"}}, Body: []byte("x")}).MarshalBinary()
	f.Add(good)
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Add([]byte{1, 200, 1, 0, 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, data []byte) {
		var res Response
		if res.UnmarshalBinary(data) != nil {
			return
		}
		again, err := res.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var res2 Response
		if err := res2.UnmarshalBinary(again); err != nil || !reflect.DeepEqual(res, res2) {
			t.Fatalf("re-encoding %x gave %x (%v)", data, again, err)
		}
	})
}

func TestResponseSend(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set("Content-Type", "text/plain")
	res := &Response{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte("{}")}
	if err := res.Send(w); err != nil {
		t.Fatal(err)
	}
	if w.Code != 201 || w.Body.String() != "{}" || w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Content-Length") != "2" {
		t.Fatalf("Send wrote %d %q %v", w.Code, w.Body, w.Header())
	}
	w = httptest.NewRecorder()
	(&Response{Status: 204}).Send(w)
	if w.Code != 204 || w.Header().Get("Content-Length") != "" {
		t.Fatalf("204: %d, Content-Length %q", w.Code, w.Header().Get("Content-Length"))
	}
}

// TestResponseDecodeLinear: an encoding that claims many headers, each
// with as many values as there are bytes left, fails fast instead of
// doing quadratic work.
func TestResponseDecodeLinear(t *testing.T) {
	b := []byte{encodingV1, 200, 0}
	b = binary.AppendUvarint(b, 50_000)
	for i := 0; i < 50_000; i++ {
		b = append(b, 0)                    // empty name
		b = binary.AppendUvarint(b, 60_000) // values claimed
		b = append(b, 0xff)                 // a truncated value length
	}
	start := time.Now()
	if err := new(Response).UnmarshalBinary(b); err == nil {
		t.Fatal("malformed encoding accepted")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("decoding took %v", d)
	}
}

func TestResponseSendWithoutStatus(t *testing.T) {
	w := httptest.NewRecorder()
	if err := (&Response{Body: []byte("x")}).Send(w); err != nil || w.Code != 200 {
		t.Fatalf("Send without a status: %d, %v", w.Code, err)
	}
}
