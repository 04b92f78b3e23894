package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string // a word of the error, "" for none
	}{
		{"zero", Config{}, ""},
		{"full", Config{MaxAttempts: 3, MinBackoff: 1, MaxBackoff: 2, MaxWait: 3, AttemptTimeout: 4, Limit: 5, Burst: 6, MaxOrigins: 7, RetryStatuses: []int{500}}, ""},
		{"attempts", Config{MaxAttempts: -1}, "MaxAttempts"},
		{"backoff", Config{MinBackoff: -1}, "MinBackoff"},
		{"max backoff", Config{MaxBackoff: -1}, "MaxBackoff"},
		{"wait", Config{MaxWait: -1}, "MaxWait"},
		{"attempt timeout", Config{AttemptTimeout: -1}, "AttemptTimeout"},
		{"limit", Config{Limit: -1}, "Limit"},
		{"burst", Config{Burst: -1}, "Burst"},
		{"origins", Config{MaxOrigins: -1}, "MaxOrigins"},
		{"status too low", Config{RetryStatuses: []int{99}}, "RetryStatuses"},
		{"status too high", Config{RetryStatuses: []int{600}}, "RetryStatuses"},
	} {
		_, err := NewTransport(tt.cfg)
		_, cerr := New("http://api.example.com", tt.cfg)
		switch {
		case tt.want == "" && (err != nil || cerr != nil):
			t.Errorf("%s: NewTransport: %v, New: %v; want no error", tt.name, err, cerr)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || cerr == nil):
			t.Errorf("%s: NewTransport: %v, New: %v; want an error naming %s", tt.name, err, cerr, tt.want)
		}
	}
}

func TestNewBaseURL(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"https://api.example.com", true},
		{"http://127.0.0.1:8080/base/", true},
		{"api.example.com", false},
		{"ftp://api.example.com", false},
		{"http://", false},
		{"http://a b\x7f", false},
	} {
		c, err := New(tt.url, Config{})
		if (err == nil) != tt.ok {
			t.Errorf("New(%q): %v, want ok %v", tt.url, err, tt.ok)
			continue
		}
		if err == nil && (c.HTTPClient() == nil || c.HTTPClient().Transport != c.Transport()) {
			t.Errorf("New(%q): the HTTP client does not send through the Transport", tt.url)
		}
	}
}

func TestClientURL(t *testing.T) {
	c, _ := New("https://api.example.com/base/", Config{})
	for _, tt := range []struct{ ref, want string }{
		{"items?limit=5", "https://api.example.com/base/items?limit=5"},
		{"/api/v2/items", "https://api.example.com/api/v2/items"},
		{"https://other.example.com/x", "https://other.example.com/x"},
	} {
		u, err := c.URL(tt.ref)
		if err != nil || u.String() != tt.want {
			t.Errorf("URL(%q) = %v, %v; want %s", tt.ref, u, err, tt.want)
		}
	}
	if _, err := c.URL("%zz"); err == nil {
		t.Error("URL(%zz): no error")
	}
}

func TestClientDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Got", r.Header.Get("Content-Type")+"|"+r.Header.Get("Accept")+"|"+r.Header.Get("X-Mine"))
			var b [64]byte
			n, _ := r.Body.Read(b[:])
			w.Write(b[:n])
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/bad":
			w.Write([]byte("not json"))
		case "/wait":
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c, _ := New(srv.URL, fastConfig())
	ctx := context.Background()

	var out map[string]int
	resp, err := c.Do(ctx, "POST", "/echo", http.Header{"x-mine": {"1"}}, map[string]int{"a": 1}, &out)
	if err != nil || out["a"] != 1 {
		t.Fatalf("echo: %v %v", out, err)
	}
	if got, want := resp.Header.Get("X-Got"), "application/json|application/json, application/problem+json|1"; got != want {
		t.Errorf("request fields %q, want %q", got, want)
	}
	if _, err := c.Do(ctx, "GET", "/empty", nil, nil, &out); err != nil {
		t.Errorf("204: %v", err)
	}
	if _, err := c.Do(ctx, "GET", "/bad", nil, nil, &out); err == nil || !strings.Contains(err.Error(), "decoding the 200 answer") {
		t.Errorf("undecodable answer: %v", err)
	}
	if _, err := c.Do(ctx, "POST", "/echo", nil, func() {}, nil); err == nil || !strings.Contains(err.Error(), "encoding") {
		t.Errorf("unencodable body: %v", err)
	}
	if _, err := c.Do(ctx, "BAD METHOD", "/echo", nil, nil, nil); err == nil {
		t.Error("invalid method: no error")
	}
	if _, err := c.Do(ctx, "GET", "%zz", nil, nil, nil); err == nil {
		t.Error("invalid ref: no error")
	}
	_, err = c.Do(ctx, "GET", "/wait", nil, nil, nil)
	var we *WaitError
	if !errors.As(err, &we) || we.Wait != time.Hour || !strings.HasPrefix(err.Error(), "Get ") || !strings.Contains(err.Error(), "1h0m0s") {
		t.Errorf("wait too long: %v, want a *WaitError first in the message, saying 1h0m0s", err)
	}
	if e := RequestID(err); e != "" {
		t.Errorf("request id %q, want none", e)
	}
	if e := RequestID(errors.New("x")); e != "" {
		t.Errorf("request id of a plain error %q", e)
	}
}

func TestWaitErrorMessages(t *testing.T) {
	for _, tt := range []struct {
		err      *WaitError
		want     string
		deadline bool
	}{
		{&WaitError{Wait: 2 * time.Minute, Max: 30 * time.Second}, "the server asks to wait 2m0s, longer than MaxWait 30s", false},
		{&WaitError{Wait: 5 * time.Second, Max: time.Second, Deadline: true, Err: errors.New("503")}, "a wait of 5s would pass the context deadline (1s left): 503", true},
	} {
		if got := tt.err.Error(); !strings.Contains(got, tt.want) {
			t.Errorf("Error() = %q, want it to contain %q", got, tt.want)
		}
		if errors.Is(tt.err, context.DeadlineExceeded) != tt.deadline || errors.Is(tt.err, ErrWaitTooLong) == tt.deadline {
			t.Errorf("%v: errors.Is DeadlineExceeded %v, ErrWaitTooLong %v; want %v, %v", tt.err,
				errors.Is(tt.err, context.DeadlineExceeded), errors.Is(tt.err, ErrWaitTooLong), tt.deadline, !tt.deadline)
		}
	}
}
