package client

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

// script answers the nth request with the nth step; the last step repeats.
type script struct {
	mu     sync.Mutex
	steps  []func(w http.ResponseWriter, r *http.Request)
	reqs   []*http.Request
	bodies []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, r)
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	s.steps[min(n, len(s.steps)-1)](w, r)
}

func status(code int, hdr ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, "body")
	}
}

func inProgress409(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", "0")
	w.WriteHeader(409)
	io.WriteString(w, `{"error":{"code":"idempotency_in_progress","message":"in progress"}}`)
}

func fastConfig() Config {
	return Config{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestRetryDecisions(t *testing.T) {
	for _, tt := range []struct {
		name      string
		method    string
		key       bool
		autoKey   bool
		first     func(http.ResponseWriter, *http.Request)
		wantCalls int
		wantCode  int
	}{
		{"GET 503 retried", "GET", false, false, status(503), 2, 200},
		{"GET 429 retried", "GET", false, false, status(429, "Retry-After", "0"), 2, 200},
		{"GET 408", "GET", false, false, status(408), 2, 200},
		{"GET 425", "GET", false, false, status(425), 2, 200},
		{"GET 502", "GET", false, false, status(502), 2, 200},
		{"GET 504", "GET", false, false, status(504), 2, 200},
		{"GET 500 not retried", "GET", false, false, status(500), 1, 500},
		{"GET 404 not retried", "GET", false, false, status(404), 1, 404},
		{"PUT 503 retried", "PUT", false, false, status(503), 2, 200},
		{"DELETE 503 retried", "DELETE", false, false, status(503), 2, 200},
		{"POST 503 without key not retried", "POST", false, false, status(503), 1, 503},
		{"POST 503 with key retried", "POST", true, false, status(503), 2, 200},
		{"POST 503 auto key retried", "POST", false, true, status(503), 2, 200},
		{"PATCH without key not retried", "PATCH", false, false, status(503), 1, 503},
		{"POST 409 in progress retried", "POST", true, false, inProgress409, 2, 200},
		{"POST 409 other not retried", "POST", true, false, status(409), 1, 409},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{steps: []func(http.ResponseWriter, *http.Request){tt.first, status(200)}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			cfg := fastConfig()
			cfg.IdempotencyKeys = tt.autoKey
			tr, err := NewTransport(cfg)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(tt.method, srv.URL, strings.NewReader("payload"))
			if tt.key {
				req.Header.Set("Idempotency-Key", `"k1"`)
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if got := len(s.reqs); got != tt.wantCalls {
				t.Errorf("%d requests, want %d", got, tt.wantCalls)
			}
			for i, b := range s.bodies {
				if b != "payload" {
					t.Errorf("attempt %d body %q, want payload", i+1, b)
				}
			}
			if tt.key || tt.autoKey {
				k := s.reqs[0].Header.Get("Idempotency-Key")
				if k == "" {
					t.Fatal("no Idempotency-Key sent")
				}
				for i, r := range s.reqs {
					if got := r.Header.Get("Idempotency-Key"); got != k {
						t.Errorf("attempt %d key %q, want %q (the same)", i+1, got, k)
					}
				}
			}
			if len(req.Header["Idempotency-Key"]) > 0 != tt.key {
				t.Errorf("the caller's request was modified: %v", req.Header)
			}
		})
	}
}

func TestAutoKeyForm(t *testing.T) {
	k := NewKey()
	if len(k) != 38 || k[0] != '"' || k[37] != '"' || k[15] != '7' {
		t.Fatalf("key %s, want a quoted UUIDv7", k)
	}
	if NewKey() == k {
		t.Error("two keys alike")
	}
}

func TestUnreplayableBodyNotRetried(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(503), status(200)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr, _ := NewTransport(fastConfig())
	req, _ := http.NewRequest("PUT", srv.URL, io.NopCloser(strings.NewReader("x")))
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || len(s.reqs) != 1 {
		t.Errorf("status %d after %d requests, want 503 after 1", resp.StatusCode, len(s.reqs))
	}
}

func TestWaits(t *testing.T) {
	date := time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	for _, tt := range []struct {
		name     string
		hdr      []string
		min, max time.Duration
	}{
		{"Retry-After seconds", []string{"Retry-After", "1"}, time.Second, 1200 * time.Millisecond},
		{"Retry-After date", []string{"Retry-After", date}, time.Millisecond, 3300 * time.Millisecond},
		{"RateLimit t larger", []string{"Retry-After", "0", "RateLimit", `"default";r=0;t=1`}, time.Second, 1200 * time.Millisecond},
		{"RateLimit t of an unspent quota ignored", []string{"Retry-After", "0", "RateLimit", `"default";r=5;t=9`}, 0, 200 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{steps: []func(http.ResponseWriter, *http.Request){status(503, tt.hdr...), status(200)}}
			srv := httptest.NewServer(s)
			defer srv.Close()
			var waits []Retry
			cfg := fastConfig()
			cfg.OnRetry = func(r Retry) { waits = append(waits, r) }
			tr, _ := NewTransport(cfg)
			start := time.Now()
			resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			el := time.Since(start)
			if len(waits) == 0 {
				t.Fatal("no wait reported")
			}
			w := waits[0]
			if w.Wait < w.Announced {
				t.Errorf("waited %s, less than the %s announced", w.Wait, w.Announced)
			}
			if w.Wait < tt.min || w.Wait > tt.max {
				t.Errorf("wait %s, want in [%s, %s]", w.Wait, tt.min, tt.max)
			}
			if el < w.Wait {
				t.Errorf("the call took %s, less than the wait %s", el, w.Wait)
			}
		})
	}
}

func TestMaxWaitError(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		apierrors.Write(w, r, apierrors.TooManyRequests(""))
	}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	cfg := fastConfig()
	cfg.MaxWait = time.Second
	tr, _ := NewTransport(cfg)
	_, err := (&http.Client{Transport: tr}).Get(srv.URL)
	var we *WaitError
	if !errors.As(err, &we) || !errors.Is(err, ErrWaitTooLong) {
		t.Fatalf("error %v, want a *WaitError with ErrWaitTooLong", err)
	}
	if we.Wait != 120*time.Second || !strings.Contains(err.Error(), "2m0s") {
		t.Errorf("wait %s in %q, want 2m0s", we.Wait, err)
	}
	var ae *apierrors.Error
	if !errors.As(err, &ae) || ae.Code != "rate_limited" {
		t.Errorf("no decoded rate_limited error in %v", err)
	}
	if len(s.reqs) != 1 {
		t.Errorf("%d requests, want 1", len(s.reqs))
	}
}

func TestDeadlineGivesUpEarly(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(503, "Retry-After", "5")}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	tr, _ := NewTransport(fastConfig())
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	start := time.Now()
	_, err := (&http.Client{Transport: tr}).Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("gave up after %s, want at once", el)
	}
}

func TestAttemptsExhaustedReturnsLastResponse(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(503)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	cfg := fastConfig()
	cfg.MaxAttempts = 3
	tr, _ := NewTransport(cfg)
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || string(b) != "body" || len(s.reqs) != 3 {
		t.Errorf("status %d body %q after %d requests, want 503 body after 3", resp.StatusCode, b, len(s.reqs))
	}
}

func TestConnectionErrorRetried(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			c, _, _ := http.NewResponseController(w).Hijack()
			c.Close()
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	cfg := fastConfig()
	cfg.IdempotencyKeys = true
	tr, _ := NewTransport(cfg)
	resp, err := (&http.Client{Transport: tr}).Post(srv.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || n < 2 {
		t.Errorf("status %d after %d requests", resp.StatusCode, n)
	}
}

func TestPacingWaitsForSpentQuota(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		status(200, "RateLimit-Policy", `"default";q=2;w=1`, "RateLimit", `"default";r=0;t=1`),
		status(200),
	}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	var paced []Retry
	var mu sync.Mutex
	cfg := fastConfig()
	cfg.OnRetry = func(r Retry) { mu.Lock(); paced = append(paced, r); mu.Unlock() }
	tr, _ := NewTransport(cfg)
	hc := &http.Client{Transport: tr}
	for range 2 {
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(paced) != 1 || paced[0].Reason != ReasonPacing || paced[0].Wait < 800*time.Millisecond {
		t.Fatalf("waits %+v, want one pacing wait of about 1s", paced)
	}
}
