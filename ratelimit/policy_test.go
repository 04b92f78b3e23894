package ratelimit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/httpsyntax"
)

func TestPolicy(t *testing.T) {
	p := Policy{Name: "p", Limit: 3, Window: time.Second}
	if got := p.Interval(); got != 333333334 {
		t.Errorf("Interval = %d, want 333333334 (rounded up)", got)
	}
	if got := (Policy{}).Interval(); got != 0 {
		t.Errorf("zero Interval = %v", got)
	}
	if p.MaxBurst() != 3 || (Policy{Limit: 3, Burst: 5}).MaxBurst() != 5 {
		t.Error("MaxBurst")
	}
	err := Policy{Name: "x", Window: time.Second}.Validate()
	if !errors.Is(err, errPolicy) || !strings.Contains(err.Error(), `ratelimit: policy "x": limit`) {
		t.Errorf("Validate error %v", err)
	}
}

func TestErrorTexts(t *testing.T) {
	long := strings.Repeat("x", 100)
	if s := (&addrError{"hop", long}).Error(); len(s) > 160 || !strings.Contains(s, `"xxx`) {
		t.Errorf("addrError not bounded and quoted: %s", s)
	}
	for n, want := range map[int]string{0: "missing", 1: "not a valid key", 2: "occurs 2 times"} {
		if s := (&keyHeaderError{"X-Key", n}).Error(); !strings.Contains(s, want) {
			t.Errorf("keyHeaderError(%d) = %q", n, s)
		}
	}
	cause := errors.New("boom")
	w := &wrapped{ErrInvalidKey, cause}
	if !errors.Is(w, ErrInvalidKey) || !errors.Is(w, cause) || w.Error() != "ratelimit: no client key: boom" {
		t.Errorf("wrapped: %v", w)
	}
	if s := StoreFailure(9).String(); s != "StoreFailure(9)" {
		t.Errorf("String = %q", s)
	}
}

func TestLater(t *testing.T) {
	cases := []struct {
		a, b time.Duration
		want bool
	}{{2, 1, true}, {1, 2, false}, {-1, 5, true}, {5, -1, false}, {-1, -1, false}}
	for _, c := range cases {
		if later(c.a, c.b) != c.want {
			t.Errorf("later(%v, %v) != %v", c.a, c.b, c.want)
		}
	}
}

func TestParseNode(t *testing.T) {
	cases := map[string]string{
		"192.0.2.1":         "192.0.2.1",
		"192.0.2.1:80":      "192.0.2.1",
		"192.0.2.1:_obf":    "192.0.2.1",
		"[2001:db8::1]":     "2001:db8::1",
		"[2001:db8::1]:_x1": "2001:db8::1",
		"2001:db8::1":       "2001:db8::1",
		"192.0.2.1:":        "",
		"192.0.2.1:_":       "",
		"192.0.2.1:_a/b":    "",
		"192.0.2.1:123456":  "",
		"192.0.2.1:8x":      "",
		"[192.0.2.1]":       "",
		"[2001:db8::1":      "",
		"[2001:db8::1]x":    "",
		"2001:db8::1:80:x":  "",
		"host:80":           "",
		"":                  "",
	}
	for in, want := range cases {
		_, text, ok := parseNode(in)
		if want == "" && ok || want != "" && (!ok || text != want) {
			t.Errorf("parseNode(%q) = %q, %v; want %q", in, text, ok, want)
		}
	}
	if httpsyntax.IsToken("") || !httpsyntax.IsToken("for") || httpsyntax.IsToken("a b") {
		t.Error("isToken")
	}
}
