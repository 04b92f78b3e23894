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
