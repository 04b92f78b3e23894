package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func decodeTest(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// TestMergePatch runs the examples of RFC 7396 Appendix A.
func TestMergePatch(t *testing.T) {
	tests := []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, tt := range tests {
		got := mergePatch(decodeTest(t, tt.target), decodeTest(t, tt.patch))
		if want := decodeTest(t, tt.want); !reflect.DeepEqual(got, want) {
			t.Errorf("merge %s into %s = %v, want %s", tt.patch, tt.target, got, tt.want)
		}
	}
}

// FuzzMergePatch checks that merging never panics, leaves no null from
// the patch in the result, and is idempotent: applying the same patch
// twice gives what applying it once gave (RFC 7396).
//
//	go test ./examples/shop -run '^$' -fuzz FuzzMergePatch -fuzztime 60s
func FuzzMergePatch(f *testing.F) {
	f.Add(`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`)
	f.Add(`{"name":"mug","price":{"amount":1,"currency":"USD"}}`, `{"price":{"currency":"JPY"}}`)
	f.Add(`[1]`, `{"a":null}`)
	f.Add(`{}`, `null`)
	f.Fuzz(func(t *testing.T, target, patch string) {
		tv, err1 := decodeFuzz(target)
		pv, err2 := decodeFuzz(patch)
		if err1 != nil || err2 != nil {
			return
		}
		once := mergePatch(tv, pv)
		onceJSON, err := json.Marshal(once)
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := pv.(map[string]any); ok {
			checkNoPatchNulls(t, once, p)
		}
		again, _ := decodeFuzz(string(onceJSON))
		twice := mergePatch(again, pv)
		twiceJSON, _ := json.Marshal(twice)
		if !bytes.Equal(onceJSON, twiceJSON) {
			t.Fatalf("not idempotent: %s then %s", onceJSON, twiceJSON)
		}
	})
}

func decodeFuzz(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// checkNoPatchNulls checks that no member a patch object set to null is
// left in the result.
func checkNoPatchNulls(t *testing.T, result any, patch map[string]any) {
	t.Helper()
	r, ok := result.(map[string]any)
	if !ok {
		t.Fatalf("an object patch gave %T", result)
	}
	for k, v := range patch {
		if v == nil {
			if _, present := r[k]; present {
				t.Fatalf("member %q set to null is still there", k)
			}
			continue
		}
		if pv, ok := v.(map[string]any); ok {
			checkNoPatchNulls(t, r[k], pv)
		}
	}
}

// FuzzItemWrites sends arbitrary bodies to POST and PATCH through the
// whole service: the answer is a success or a client error, never a 5xx,
// and whatever is stored passes the item schema.
//
//	go test ./examples/shop -run '^$' -fuzz FuzzItemWrites -fuzztime 60s
func FuzzItemWrites(f *testing.F) {
	f.Add(`{"name":"mug","price":{"amount":1200,"currency":"USD"}}`, "application/json", false)
	f.Add(`{"price":{"amount":7}}`, "application/merge-patch+json", true)
	f.Add(`{"name":null}`, "application/merge-patch+json", true)
	f.Add(`{"price":1e400}`, "application/json", true)
	f.Add(`{"name":"\u0000","price":{"amount":0,"currency":"KRW"}}`, "application/json; charset=utf-8", false)
	f.Add(`[]`, "application/json", true)
	f.Add(`{"price":{"amount":1e2}}`, "application/merge-patch+json", true)
	s := newFuzzShop(f)
	key, sum := newAPIKey()
	if err := s.store.AddAPIKey(f.Context(), sum, "fuzz"); err != nil {
		f.Fatal(err)
	}
	create := httptest.NewRequest("POST", "/api/v2/items", strings.NewReader(`{"name":"seed","price":{"amount":1,"currency":"USD"}}`))
	create.Header.Set("Content-Type", "application/json")
	create.Header.Set("Authorization", "Bearer "+key)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, create)
	if w.Code != http.StatusCreated {
		f.Fatalf("seed: %d %s", w.Code, w.Body)
	}
	f.Fuzz(func(t *testing.T, body, ctype string, patch bool) {
		method, path := "POST", "/api/v2/items"
		if patch {
			method, path = "PATCH", "/api/v2/items/1"
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("If-Match", "*")
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q (%s): %d %s", method, body, ctype, w.Code, w.Body)
		}
		if w.Code == 200 || w.Code == 201 {
			var it Item
			if err := json.Unmarshal(w.Body.Bytes(), &it); err != nil {
				t.Fatal(err)
			}
			in, _ := json.Marshal(itemInput{it.Name, it.Price})
			v, _ := decodeFuzz(string(in))
			if fields, err := s.itemSchema.Validate(v); err != nil || len(fields) > 0 {
				t.Fatalf("stored item %s does not pass the schema: %v %v", w.Body, fields, err)
			}
		}
	})
}

func newFuzzShop(f *testing.F) *Server {
	cfg := testConfig(f)
	cfg.Logger = discardLogger()
	s, err := NewServer(f.Context(), cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	return s
}
