package ratelimit_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/sfv"
	"github.com/restwell/restwell/ratelimit"
)

// TestPartitionKey: with Config.PartitionKey, RateLimit carries pk, an
// HMAC of the client key that differs per client and never shows the key.
func TestPartitionKey(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	l := newLimiter(t, ratelimit.Config{
		Policies:     []ratelimit.Policy{{Name: "p", Limit: 10, Window: time.Minute}},
		PartitionKey: secret,
	})
	h := l.Handler(ok200)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("192.0.2.1"))
	want := `"p";r=9;t=6;pk=:` + base64.StdEncoding.EncodeToString(mac.Sum(nil)[:16]) + `:`
	w := get(h, "192.0.2.1:1")
	got := w.Header().Get("RateLimit")
	if got != want {
		t.Errorf("RateLimit %q, want %q", got, want)
	}
	if strings.Contains(got, "192.0.2.1") {
		t.Errorf("RateLimit %q shows the client key", got)
	}
	if _, err := sfv.ParseList(got); err != nil {
		t.Errorf("RateLimit %q is not a valid structured field: %v", got, err)
	}
	other := get(h, "192.0.2.2:1").Header().Get("RateLimit")
	if other == got || !strings.Contains(other, ";pk=:") {
		t.Errorf("second client: RateLimit %q, want a pk of its own", other)
	}
	if again := get(h, "192.0.2.1:1").Header().Get("RateLimit"); again[strings.Index(again, "pk="):] != got[strings.Index(got, "pk="):] {
		t.Errorf("same client: pk changed from %q to %q", got, again)
	}
	// Without PartitionKey, no pk.
	plain := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 10, Window: time.Minute}}})
	if got := get(plain.Handler(ok200), "192.0.2.1:1").Header().Get("RateLimit"); strings.Contains(got, "pk=") {
		t.Errorf("no PartitionKey: RateLimit %q carries pk", got)
	}
}

// TestQuotaUnit: qu is advertised for units other than requests.
func TestQuotaUnit(t *testing.T) {
	cases := []struct {
		unit, want string
	}{
		{"", `"p";q=10;w=60`},
		{ratelimit.UnitRequests, `"p";q=10;w=60`},
		{ratelimit.UnitContentBytes, `"p";q=10;w=60;qu="content-bytes"`},
	}
	for _, c := range cases {
		l := newLimiter(t, ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 10, Window: time.Minute, Unit: c.unit}}})
		got := get(l.Handler(ok200), "192.0.2.1:1").Header().Get("RateLimit-Policy")
		if got != c.want {
			t.Errorf("unit %q: RateLimit-Policy %q, want %q", c.unit, got, c.want)
		}
		if _, err := sfv.ParseList(got); err != nil {
			t.Errorf("unit %q: %q does not parse: %v", c.unit, got, err)
		}
	}
	if _, err := ratelimit.New(ratelimit.Config{Policies: []ratelimit.Policy{{Name: "p", Limit: 1, Window: time.Second, Unit: "a\nb"}}}); err == nil {
		t.Error("unit with a newline: no error")
	}
}
