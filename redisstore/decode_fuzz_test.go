package redisstore

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/ratelimit"
)

// FuzzDecisions decodes arbitrary rate limit script replies without a
// server: a reply is either refused or gives results a client can be
// told (no negative quota or reset, a retry-after that is -1 or not
// negative), and the overall verdict is an allow only when every policy
// allowed.
//
//	go test ./redisstore -run '^$' -fuzz FuzzDecisions -fuzztime 60s
func FuzzDecisions(f *testing.F) {
	enc := func(v ...int64) []byte {
		b := make([]byte, 0, 8*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, uint64(x))
		}
		return b
	}
	f.Add(enc(1, 1, 99, 600_000_000, 0), uint8(1))
	f.Add(enc(0, 1, 5, 1000, 0, 0, 0, 60_000_000, 6_000_000), uint8(2))
	f.Add(enc(0, 0, 0, 0, -1), uint8(1))
	f.Add(enc(1, 1, -3, -1, 1<<62), uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, n uint8) {
		out := make([]int64, len(raw)/8)
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
		res := make([]ratelimit.Result, int(n)%(ratelimit.MaxPolicies+1))
		allowed, err := decisions(out, res)
		if err != nil {
			return
		}
		if len(out) != 1+4*len(res) {
			t.Fatalf("a reply of %d values accepted for %d policies", len(out), len(res))
		}
		all := true
		for i, r := range res {
			if r.Remaining < 0 || r.Reset < 0 || r.RetryAfter < -1 {
				t.Fatalf("policy %d: decoded %+v from %v", i, r, out)
			}
			all = all && r.Allowed
		}
		if allowed && !all {
			t.Fatalf("allowed overall, yet a policy refused: %+v from %v", res, out)
		}
	})
}

// FuzzRecordReplies decodes arbitrary Acquire and Get replies without a
// server: a reply is refused or gives a record whose fields are what the
// reply said, and its response, when there is one, encodes back to the
// same bytes.
//
//	go test ./redisstore -run '^$' -fuzz FuzzRecordReplies -fuzztime 60s
func FuzzRecordReplies(f *testing.F) {
	good, err := (&idempotency.Response{Status: 201, Body: []byte(`{"id":1}`)}).MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(int64(1), "fp", "7", "1714564800000", good, true, uint8(0))
	f.Add(int64(0), "", "0", "0", []byte{}, false, uint8(1))
	f.Add(int64(2), "fp", "-1", "x", []byte{0xff, 0, 1}, true, uint8(2))
	f.Add(int64(1), "fp", "18446744073709551615", "-5", good[:len(good)/2], true, uint8(3))
	f.Fuzz(func(t *testing.T, acquired int64, fp, tok, lease string, resp []byte, hasResp bool, shape uint8) {
		fields := []any{fp, tok, lease}
		var rec idempotency.Record
		var ok bool
		var err error
		switch shape % 4 {
		case 0: // Acquire
			v := append([]any{acquired}, fields...)
			if hasResp {
				v = append(v, string(resp))
			}
			rec, ok, err = acquireReply(v)
			if err == nil && ok != (acquired == 1) {
				t.Fatalf("acquired %d decoded as %v", acquired, ok)
			}
		case 1: // Get
			v := append(fields, nil)
			if hasResp {
				v[3] = string(resp)
			}
			rec, ok, err = getReply(v)
			if err == nil && !ok {
				t.Fatal("a record with a token decoded as absent")
			}
		case 2: // a reply of the wrong types
			rec, _, err = acquireReply([]any{acquired, []byte(fp), int64(len(tok)), nil})
			if err == nil {
				t.Fatalf("a reply of the wrong types decoded as %+v", rec)
			}
			return
		case 3: // a short reply
			if _, _, err := acquireReply(fields); err == nil {
				t.Fatal("a short Acquire reply decoded")
			}
			if _, ok, err := getReply(fields); ok || err != nil {
				t.Fatalf("a short Get reply: ok %v, err %v; want no record", ok, err)
			}
			return
		}
		if err != nil {
			return
		}
		if rec.Fingerprint != fp {
			t.Fatalf("fingerprint %q decoded as %q", fp, rec.Fingerprint)
		}
		if !rec.LeaseExpires.IsZero() && rec.LeaseExpires.Before(time.UnixMilli(1)) {
			t.Fatalf("lease %q decoded as %v, before the epoch", lease, rec.LeaseExpires)
		}
		if hasResp != (rec.Response != nil) {
			t.Fatalf("response sent %v, decoded %v", hasResp, rec.Response != nil)
		}
		if rec.Response != nil {
			b, err := rec.Response.MarshalBinary()
			if err != nil {
				t.Fatalf("a decoded response does not encode: %v", err)
			}
			var again idempotency.Response
			if err := again.UnmarshalBinary(b); err != nil {
				t.Fatalf("a response re-encoded does not decode: %v", err)
			}
			if again.Status != rec.Response.Status || string(again.Body) != string(rec.Response.Body) {
				t.Fatalf("response changed through a round trip: %+v, then %+v", rec.Response, again)
			}
		}
	})
}
