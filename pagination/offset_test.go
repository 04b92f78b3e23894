package pagination

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func newTestOffset(t testing.TB, cfg OffsetConfig) *Offset {
	t.Helper()
	o, err := NewOffset(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOffsetParse(t *testing.T) {
	o := newTestOffset(t, OffsetConfig{})
	tests := []struct {
		query              string
		page, size, offset int
	}{
		{"", 1, 20, 0},
		{"page=3", 3, 20, 40},
		{"page=2&size=5", 2, 5, 5},
		{"size=100", 1, 100, 0},
		{"page=&size=", 1, 20, 0},
		{"page=101&size=100", 101, 100, 10000},
	}
	for _, tt := range tests {
		req, err := o.Parse(get("/items?" + tt.query))
		if err != nil {
			t.Errorf("%q: %v", tt.query, err)
			continue
		}
		if req.Page() != tt.page || req.Size() != tt.size || req.Offset() != tt.offset || req.Fetch() != tt.size+1 {
			t.Errorf("%q: page %d size %d offset %d limit %d, want %d %d %d %d", tt.query,
				req.Page(), req.Size(), req.Offset(), req.Fetch(), tt.page, tt.size, tt.offset, tt.size+1)
		}
	}
	req, _ := o.Parse(get("/items?page=3&size=5"))
	if got := req.Tail(); got != " LIMIT 6 OFFSET 10" {
		t.Errorf("Tail() = %q", got)
	}
}

func TestOffsetParseRefusals(t *testing.T) {
	o := newTestOffset(t, OffsetConfig{})
	tests := []struct{ query, param string }{
		{"page=0", "page"},
		{"page=-1", "page"},
		{"page=x", "page"},
		{"page=1&page=2", "page"},
		{"page=99999999999", "page"},
		{"page=102&size=100", "page"}, // offset 10100 > 10000
		{"size=0", "size"},
		{"size=101", "size"},
		{"size=1.5", "size"},
		{"size=1&size=1", "size"},
	}
	for _, tt := range tests {
		_, err := o.Parse(get("/items?" + tt.query))
		if err == nil {
			t.Errorf("%q accepted", tt.query)
			continue
		}
		if code, param := checkRefusal(t, err); code != "invalid_parameter" || param != tt.param {
			t.Errorf("%q: %s naming %q, want invalid_parameter naming %q", tt.query, code, param, tt.param)
		}
	}
	unbounded := newTestOffset(t, OffsetConfig{MaxOffset: -1})
	if _, err := unbounded.Parse(get("/items?page=1000000&size=100")); err != nil {
		t.Errorf("MaxOffset < 0: %v", err)
	}
}

func TestOffsetPage(t *testing.T) {
	o := newTestOffset(t, OffsetConfig{PageParam: "p", SizeParam: "n", BaseURL: "http://x.test"})
	tests := []struct {
		query                   string
		fetched                 []row
		total                   int64
		items                   []int64
		next, prev, first, last string
	}{
		{"n=2", rows(1, 2, 3), -1, []int64{1, 2}, "http://x.test/items?n=2&p=2", "", "http://x.test/items?n=2", ""},
		{"n=2", rows(1, 2), -1, []int64{1, 2}, "", "", "", ""},
		{"n=2", rows(1, 2), 2, []int64{1, 2}, "", "", "", ""},
		{"p=2&n=2&q=z", rows(3, 4, 5), 5, []int64{3, 4}, "http://x.test/items?n=2&q=z&p=3", "http://x.test/items?n=2&q=z", "http://x.test/items?n=2&q=z", "http://x.test/items?n=2&q=z&p=3"},
		{"p=3&n=2", rows(5), 5, []int64{5}, "", "http://x.test/items?n=2&p=2", "http://x.test/items?n=2", "http://x.test/items?n=2&p=3"},
		{"p=9&n=2", nil, 5, []int64{}, "", "http://x.test/items?n=2&p=8", "http://x.test/items?n=2", "http://x.test/items?n=2&p=3"},
		{"p=2&n=2", nil, 0, []int64{}, "", "http://x.test/items?n=2", "http://x.test/items?n=2", "http://x.test/items?n=2"},
	}
	for _, tt := range tests {
		req, err := o.Parse(get("/items?" + tt.query))
		if err != nil {
			t.Fatal(err)
		}
		pg := OffsetPage(req, tt.fetched)
		if tt.total >= 0 {
			pg.SetTotal(tt.total)
			if pg.Meta.Total == nil || *pg.Meta.Total != tt.total {
				t.Errorf("%q: total %v, want %d", tt.query, pg.Meta.Total, tt.total)
			}
		}
		if got := ids(pg.Items); !reflect.DeepEqual(got, tt.items) {
			t.Errorf("%q: items %v, want %v", tt.query, got, tt.items)
		}
		got := []string{pg.Links.Next, pg.Links.Prev, pg.Links.First, pg.Links.Last}
		if want := []string{tt.next, tt.prev, tt.first, tt.last}; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: next, prev, first, last\n got %q\nwant %q", tt.query, got, want)
		}
		if pg.Meta.HasNext != (tt.next != "") || pg.Meta.HasPrev != (tt.prev != "") || pg.Meta.Page != req.Page() || pg.Meta.Size != 2 {
			t.Errorf("%q: meta %+v", tt.query, pg.Meta)
		}
		if (pg.LinkHeader() == "") != (tt.next == "" && tt.prev == "" && tt.last == "") {
			t.Errorf("%q: Link %q", tt.query, pg.LinkHeader())
		}
		if tt.last != "" && !strings.Contains(pg.LinkHeader(), `<`+tt.last+`>; rel="last"`) {
			t.Errorf("%q: Link %q lacks rel=last", tt.query, pg.LinkHeader())
		}
	}
}

func TestOffsetPageWrite(t *testing.T) {
	o := newTestOffset(t, OffsetConfig{})
	req, _ := o.Parse(get("/items?page=2&size=1"))
	pg := OffsetPage(req, rows(2, 3))
	pg.SetTotal(3)
	w := httptest.NewRecorder()
	if err := pg.Write(w); err != nil {
		t.Fatal(err)
	}
	want := `{"items":[{"ID":2,"Name":"","Price":null,"At":"0001-01-01T00:00:00Z","Any":null}],` +
		`"meta":{"size":1,"has_next":true,"has_prev":true,"page":2,"total":3},` +
		`"links":{"self":"/items?page=2&size=1","first":"/items?size=1","prev":"/items?size=1","next":"/items?size=1&page=3","last":"/items?size=1&page=3"}}` + "\n"
	if w.Body.String() != want {
		t.Errorf("body\n got %s\nwant %s", w.Body, want)
	}
}

func TestNewOffsetRejectsBadConfig(t *testing.T) {
	for _, cfg := range []OffsetConfig{
		{PageParam: "x", SizeParam: "x"},
		{PageParam: "a\x00"},
		{DefaultSize: 50, MaxSize: 10},
		{MaxSize: -1},
		{BaseURL: "/relative"},
	} {
		if _, err := NewOffset(cfg); err == nil || !strings.HasPrefix(err.Error(), "pagination: ") {
			t.Errorf("NewOffset(%+v) = %v, want a pagination: error", cfg, err)
		}
	}
}

// FuzzOffsetParse feeds arbitrary query strings to Offset.Parse: never a
// panic, and every refusal a 400 naming a parameter.
//
//	go test ./pagination -run '^$' -fuzz FuzzOffsetParse -fuzztime 60s
func FuzzOffsetParse(f *testing.F) {
	o := newTestOffset(f, OffsetConfig{})
	for _, q := range []string{"", "page=2", "page=0", "size=101", "page=2&size=5&q=x", "page=%32", "page=1&page=1"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r := get("/items")
		r.URL.RawQuery = q
		req, err := o.Parse(r)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if req.Page() < 1 || req.Size() < 1 || req.Size() > 100 || req.Offset() > 10000 {
			t.Fatalf("page %d size %d offset %d out of range", req.Page(), req.Size(), req.Offset())
		}
		pg := OffsetPage(req, rows(1, 2, 3))
		pg.SetTotal(5)
		_ = pg.LinkHeader()
	})
}
