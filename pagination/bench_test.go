package pagination

import (
	"testing"
	"time"
)

// Run with: go test ./pagination -run '^$' -bench . -benchmem

// twoColumns is the usual cursor: a timestamp and the id.
var twoColumns = []any{time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.UTC), int64(123456789)}

func BenchmarkCursorEncode(b *testing.B) {
	p := newTestPager(b, nil)
	c := Cursor{Sort: "-at", Values: twoColumns}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.EncodeCursor(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCursorDecode(b *testing.B) {
	p := newTestPager(b, nil)
	s := mustEncode(b, p, Cursor{Sort: "-at", Values: twoColumns})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.DecodeCursor(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCursorDecodeTampered(b *testing.B) {
	p := newTestPager(b, func(c *Config[row]) { c.Keys = append(c.Keys, otherKey) })
	s := mustEncode(b, p, Cursor{Sort: "-at", Values: twoColumns})
	s = s[:10] + "A" + s[11:]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.DecodeCursor(s); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	p := newTestPager(b, nil)
	s := mustEncode(b, p, Cursor{Sort: "-at", Values: twoColumns})
	r := get("/api/v2/items?limit=20&sort=-at&cursor=" + s)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuery(b *testing.B) {
	p := newTestPager(b, nil)
	s := mustEncode(b, p, Cursor{Sort: "-at", Values: twoColumns})
	req, err := p.Parse(get("/api/v2/items?limit=20&sort=-at&cursor=" + s))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = req.Query(SQLite)
	}
}

func BenchmarkPage(b *testing.B) {
	p := newTestPager(b, nil)
	s := mustEncode(b, p, Cursor{Sort: "-at", Values: twoColumns})
	req, err := p.Parse(get("/api/v2/items?limit=20&sort=-at&cursor=" + s))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]row, 21)
	for i := range items {
		items[i] = row{ID: int64(1000 - i), At: twoColumns[0].(time.Time).Add(-time.Duration(i) * time.Second)}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Page(req, items); err != nil {
			b.Fatal(err)
		}
	}
}
