package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestIsPermanent(t *testing.T) {
	op := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	for _, tt := range []struct {
		name string
		url  string
		err  error
		want bool
	}{
		{"no error", "http://a", nil, false},
		{"refused", "http://a", op(syscall.ECONNREFUSED), false},
		{"reset", "http://a", op(syscall.ECONNRESET), false},
		{"EOF", "http://a", io.EOF, false},
		{"unexpected EOF", "http://a", io.ErrUnexpectedEOF, false},
		{"attempt timeout", "http://a", context.DeadlineExceeded, false},
		{"DNS temporary", "http://a", op(&net.DNSError{Err: "server misbehaving", Name: "a", IsTemporary: true}), false},
		{"DNS timeout", "http://a", op(&net.DNSError{Err: "i/o timeout", Name: "a", IsTimeout: true}), false},
		{"DNS not found", "http://a", op(&net.DNSError{Err: "no such host", Name: "a", IsNotFound: true}), true},
		{"unknown authority", "https://a", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, true},
		{"bare unknown authority", "https://a", x509.UnknownAuthorityError{}, true},
		{"hostname", "https://a", fmt.Errorf("tls: %w", x509.HostnameError{Host: "a"}), true},
		{"expired", "https://a", x509.CertificateInvalidError{Reason: x509.Expired}, true},
		{"no system roots", "https://a", x509.SystemRootsError{}, true},
		{"insecure algorithm", "https://a", x509.InsecureAlgorithmError(x509.MD5WithRSA), true},
		{"not TLS", "https://a", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true},
		{"scheme mismatch", "https://a", fmt.Errorf("x: %w", http.ErrSchemeMismatch), true},
		{"bad address", "http://a", op(&net.AddrError{Err: "missing port in address", Addr: "a"}), true},
		{"unknown network", "http://a", op(net.UnknownNetworkError("tcp7")), true},
		{"invalid host", "http://a", url.InvalidHostError("%"), true},
		{"not http", "ftp://a", errors.New("unsupported protocol scheme"), true},
		{"no host", "http:///x", errors.New("no Host"), true},
	} {
		u, _ := url.Parse(tt.url)
		req := &http.Request{Method: "GET", URL: u}
		if got := isPermanent(req, tt.err); got != tt.want {
			t.Errorf("%s: isPermanent(%q, %v) = %v, want %v", tt.name, tt.url, tt.err, got, tt.want)
		}
	}
}

// TestPermanentFailuresNotRetried sends requests that no retry can mend:
// each is attempted once and its error returned.
func TestPermanentFailuresNotRetried(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	for _, tt := range []struct {
		name string
		url  string
		want string
	}{
		{"unknown authority", tlsSrv.URL, "certificate"},
		{"https to a plain server", "https://" + plain.Listener.Addr().String(), "does not look like a TLS handshake"},
		{"not http", "ftp://" + plain.Listener.Addr().String(), "unsupported protocol scheme"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var attempts atomic.Int32
			hc := &http.Transport{}
			cfg := fastConfig()
			cfg.Base = baseFunc(func(r *http.Request) (*http.Response, error) {
				attempts.Add(1)
				return hc.RoundTrip(r)
			})
			tr, _ := NewTransport(cfg)
			req, _ := http.NewRequest("GET", tt.url, nil)
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("status %d, want an error", resp.StatusCode)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
			if n := attempts.Load(); n != 1 {
				t.Errorf("%d attempts, want 1", n)
			}
		})
	}
}

func TestNoURL(t *testing.T) {
	tr, _ := NewTransport(fastConfig())
	if _, err := tr.RoundTrip(&http.Request{Method: "GET", Header: http.Header{}}); err == nil {
		t.Error("a request without URL was sent")
	}
}
