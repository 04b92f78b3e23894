package etag

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	nov6 := time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time // zero: invalid
	}{
		{"Sun, 06 Nov 1994 08:49:37 GMT", nov6},
		{"Sunday, 06-Nov-94 08:49:37 GMT", nov6},
		{"Sun Nov  6 08:49:37 1994", nov6},
		{"Sun Nov 06 08:49:37 1994", nov6},
		{"Mon, 06 Nov 1994 08:49:37 GMT", nov6}, // the weekday is not checked against the date
		{"Thu, 29 Feb 2024 00:00:00 GMT", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"Sat, 31 Dec 2016 23:59:60 GMT", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)}, // leap second
		{"Wednesday, 01-May-24 12:00:00 GMT", time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)},
		{"Thu, 29 Feb 2023 00:00:00 GMT", time.Time{}},
		{"Sun, 31 Nov 1994 08:49:37 GMT", time.Time{}},
		{"Sun, 00 Nov 1994 08:49:37 GMT", time.Time{}},
		{"sun, 06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"Sun, 06 nov 1994 08:49:37 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:37 UTC", time.Time{}},
		{"Sun, 06 Nov 1994 24:00:00 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 08:60:00 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:61 GMT", time.Time{}},
		{"Sun, 6 Nov 1994 08:49:37 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 8:49:37 GMT ", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:37.5 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:37 GMT ", time.Time{}},
		{" Sun, 06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"Sun, 06 Nov +994 08:49:37 GMT", time.Time{}},
		{"Sunday, 06-Nov-94 08:49:37 PST", time.Time{}},
		{"Sun, 06-Nov-94 08:49:37 GMT", time.Time{}},
		{"Sunday, 6-Nov-94 08:49:37 GMT", time.Time{}},
		{"Sun Nov 6 08:49:37 1994", time.Time{}},
		{"Sun Nov  6 08:49:37 94", time.Time{}},
		{"1994-11-06T08:49:37Z", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
		if ok && got.Location() != time.UTC {
			t.Errorf("ParseDate(%q) is in %v, want UTC", tt.in, got.Location())
		}
	}
}

func TestFullYear(t *testing.T) {
	for _, tc := range []struct{ yy, now, want int }{
		{94, 2025, 1994},
		{24, 2025, 2024},
		{75, 2025, 2075}, // exactly 50 years ahead: still the future
		{76, 2025, 1976},
		{0, 2025, 2000},
		{99, 2049, 2099},
		{0, 2099, 2000}, // 2000 lies in the past: the rule only moves future years
		{50, 2099, 2050},
		{49, 2050, 2049},
	} {
		if got := fullYear(tc.yy, tc.now); got != tc.want {
			t.Errorf("fullYear(%02d) in %d = %d, want %d", tc.yy, tc.now, got, tc.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	in := time.Date(2024, 5, 1, 14, 0, 0, 999, time.FixedZone("CEST", 2*3600))
	if got := FormatDate(in); got != "Wed, 01 May 2024 12:00:00 GMT" {
		t.Errorf("FormatDate = %q", got)
	}
	h := http.Header{}
	SetLastModified(h, in)
	if got := h.Get("Last-Modified"); got != "Wed, 01 May 2024 12:00:00 GMT" {
		t.Errorf("Last-Modified = %q", got)
	}
	SetLastModified(h, time.Time{})
	if _, ok := h["Last-Modified"]; ok {
		t.Error("zero time left Last-Modified set")
	}
}

func TestParseDateAllocatesNothing(t *testing.T) {
	inputs := []string{"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "garbage"}
	allocs := testing.AllocsPerRun(100, func() {
		for _, s := range inputs {
			ParseDate(s)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseDate allocates %.0f times", allocs)
	}
}

// FuzzParseDate checks ParseDate against http.ParseTime. Every date
// ParseDate accepts, net/http accepts as the same instant, except where
// RFC 9110 asks for something else: a leap second (:60), which net/http
// rejects, and the century of a two-digit RFC 850 year, which net/http
// picks with a fixed pivot. net/http also accepts more (lower-case names,
// one-digit hours, fractional seconds, other zone names); ParseDate does
// not. Every IMF-fixdate net/http writes, ParseDate reads back.
//
//	go test ./etag -run '^$' -fuzz FuzzParseDate -fuzztime 60s
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Sat, 31 Dec 2016 23:59:60 GMT", "Thursday, 01-Jan-70 00:00:00 GMT", "Thu, 29 Feb 2024 00:00:00 GMT",
		"Sun Nov 16 08:49:37 1994",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseDate(s)
		ref, err := http.ParseTime(s)
		if ok {
			if back, ok2 := ParseDate(FormatDate(got)); !ok2 || !back.Equal(got) {
				t.Fatalf("FormatDate(ParseDate(%q)) = %q does not read back", s, FormatDate(got))
			}
		}
		switch {
		case ok && err != nil:
			// Only a leap second may be refused by net/http.
			i := strings.Index(s, ":60")
			if i < 0 {
				t.Fatalf("ParseDate(%q) = %v but http.ParseTime fails: %v", s, got, err)
			}
			ref, err = http.ParseTime(s[:i] + ":59" + s[i+3:])
			if err != nil || !ref.Add(time.Second).Equal(got) {
				t.Fatalf("ParseDate(%q) = %v, but with :59 net/http gives %v, %v", s, got, ref, err)
			}
		case ok && !got.Equal(ref):
			// Only the century of an RFC 850 year may differ.
			years := got.Year() - ref.Year()
			if len(s) == 29 || s[3] == ' ' || (years != 100 && years != -100) || !got.AddDate(-years, 0, 0).Equal(ref) {
				t.Fatalf("ParseDate(%q) = %v, http.ParseTime = %v", s, got, ref)
			}
		case !ok && err == nil && ref.UTC().Format(http.TimeFormat) == s:
			t.Fatalf("ParseDate rejects %q, an IMF-fixdate net/http writes", s)
		}
	})
}
