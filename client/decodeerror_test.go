package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/requestid"
)

// TestDecodeErrorRoundTrip writes errors with the server side's Renderer
// in both formats and decodes them back.
func TestDecodeErrorRoundTrip(t *testing.T) {
	sent := apierrors.Validation("bad order",
		apierrors.BodyField("/price/amount", "must be >= 0"),
		apierrors.QueryParam("limit", "too large"))
	for _, tt := range []struct {
		name       string
		rd         *apierrors.Renderer
		wantFields []apierrors.FieldError
		wantType   string
	}{
		{"envelope", &apierrors.Renderer{}, []apierrors.FieldError{
			apierrors.BodyField("/limit", "too large"), apierrors.BodyField("/price/amount", "must be >= 0")}, ""},
		{"problem", &apierrors.Renderer{Format: apierrors.Problem, TypeBase: "https://x/p/"}, []apierrors.FieldError{
			apierrors.BodyField("/price/amount", "must be >= 0"), apierrors.QueryParam("limit", "too large")}, "https://x/p/validation_failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/", nil)
			r = r.WithContext(requestid.NewContext(r.Context(), "req-1"))
			tt.rd.Write(rec, r, sent)
			err := DecodeError(rec.Result())
			var got *apierrors.Error
			if !errors.As(err, &got) {
				t.Fatalf("%v is no *errors.Error", err)
			}
			if got.Status != 422 || got.Code != "validation_failed" || got.Message != "bad order" || got.Type != tt.wantType {
				t.Errorf("got %d %q %q %q", got.Status, got.Code, got.Message, got.Type)
			}
			if RequestID(err) != "req-1" {
				t.Errorf("request id %q, want req-1", RequestID(err))
			}
			if len(got.Fields) != len(tt.wantFields) {
				t.Fatalf("fields %+v, want %+v", got.Fields, tt.wantFields)
			}
			for i, f := range tt.wantFields {
				if got.Fields[i] != f {
					t.Errorf("field %d: got %+v, want %+v", i, got.Fields[i], f)
				}
			}
		})
	}
}

func TestDecodeErrorOtherBodies(t *testing.T) {
	for _, tt := range []struct {
		ct, body, wantCode, wantMsg string
		status                      int
	}{
		{"text/html", "<h1>Bad gateway</h1>\n", "bad_gateway", "<h1>Bad gateway</h1>", 502},
		{"application/json", `{"foo":1}`, "service_unavailable", `{"foo":1}`, 503},
		{"", "", "internal_server_error", "Internal Server Error", 500},
		{"text/plain", strings.Repeat("é", 600), "not_found", strings.Repeat("é", 256) + "...", 404},
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", tt.ct)
		rec.WriteHeader(tt.status)
		rec.WriteString(tt.body)
		var got *apierrors.Error
		if !errors.As(DecodeError(rec.Result()), &got) {
			t.Fatal("no *errors.Error")
		}
		if got.Status != tt.status || got.Code != tt.wantCode || got.Message != tt.wantMsg {
			t.Errorf("%q: got %d %q %q, want %d %q %q", tt.body, got.Status, got.Code, got.Message, tt.status, tt.wantCode, tt.wantMsg)
		}
	}
	if err := DecodeError(&http.Response{StatusCode: 200}); err != nil {
		t.Errorf("200: %v, want nil", err)
	}
}

func TestDecodeProblemFields(t *testing.T) {
	for _, tt := range []struct {
		name, ct, body       string
		wantCode, wantMsg    string
		wantFields           []apierrors.FieldError
		wantRequestID, reqID string
	}{
		{"every kind of field", "application/problem+json",
			`{"type":"https://x/p","title":"Bad","status":400,"errors":[{"detail":"d1","pointer":"#/price/amount"},{"detail":"d2","parameter":"limit"},{"detail":"d3","header":"If-Match"},{"detail":"d4"},{"detail":"d5","pointer":"/plain"},{"detail":"d6","pointer":"#%zz"}]}`,
			"bad_request", "Bad", []apierrors.FieldError{
				apierrors.BodyField("/price/amount", "d1"), apierrors.QueryParam("limit", "d2"), apierrors.HeaderField("If-Match", "d3"),
				apierrors.BodyField("", "d4"), apierrors.BodyField("/plain", "d5"), apierrors.BodyField("%zz", "d6")}, "", ""},
		{"code and detail", "application/problem+json", `{"code":"out_of_stock","detail":"none left","request_id":"r-9"}`,
			"out_of_stock", "none left", nil, "r-9", "ignored"},
		{"not a problem", "application/problem+json", `{"other":1}`, "bad_request", `{"other":1}`, nil, "h-1", "h-1"},
		{"envelope without a code", "application/json", `{"error":{"message":"m"}}`, "bad_request", `{"error":{"message":"m"}}`, nil, "", ""},
		{"envelope with odd details", "application/json", `{"error":{"code":"c","message":"m","details":{"":["whole body"],"a.b":["x","y"]}}}`,
			"c", "m", []apierrors.FieldError{apierrors.BodyField("", "whole body"), apierrors.BodyField("/a/b", "x"), apierrors.BodyField("/a/b", "y")}, "", ""},
	} {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", tt.ct)
		if tt.reqID != "" {
			rec.Header().Set("X-Request-ID", tt.reqID)
		}
		rec.WriteHeader(400)
		rec.WriteString(tt.body)
		err := DecodeError(rec.Result())
		var got *apierrors.Error
		if !errors.As(err, &got) {
			t.Fatalf("%s: no *errors.Error", tt.name)
		}
		if got.Code != tt.wantCode || got.Message != tt.wantMsg || RequestID(err) != tt.wantRequestID {
			t.Errorf("%s: got %q %q request id %q, want %q %q %q", tt.name, got.Code, got.Message, RequestID(err), tt.wantCode, tt.wantMsg, tt.wantRequestID)
		}
		if len(got.Fields) != len(tt.wantFields) {
			t.Errorf("%s: fields %+v, want %+v", tt.name, got.Fields, tt.wantFields)
			continue
		}
		for i := range tt.wantFields {
			if got.Fields[i] != tt.wantFields[i] {
				t.Errorf("%s: field %d %+v, want %+v", tt.name, i, got.Fields[i], tt.wantFields[i])
			}
		}
	}
	if err := DecodeError(nil); err != nil {
		t.Errorf("DecodeError(nil) = %v", err)
	}
}

// FuzzDecodeError decodes arbitrary error bodies: DecodeError never
// panics and always gives an *errors.Error with the response's status and
// a code.
func FuzzDecodeError(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json", `{"error":{"code":"c","message":"m","details":{"a.b":["x"]},"request_id":"r"}}`},
		{"application/problem+json", `{"type":"t","title":"T","status":422,"errors":[{"detail":"d","pointer":"#/a"},{"parameter":"p"}]}`},
		{"text/html", "<h1>502</h1>"},
		{"", `{"error":"flat"}`},
		{"application/json; charset=utf-8", `{"error":{"code":1}}`},
	} {
		f.Add(s.ct, s.body, 422)
	}
	f.Fuzz(func(t *testing.T, ct, body string, status int) {
		status = 400 + (status%200+200)%200
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", ct)
		rec.WriteHeader(status)
		rec.WriteString(body)
		var got *apierrors.Error
		if !errors.As(DecodeError(rec.Result()), &got) {
			t.Fatal("no *errors.Error")
		}
		if got.Status != status || got.Code == "" {
			t.Errorf("status %d code %q, want %d and a code", got.Status, got.Code, status)
		}
	})
}
