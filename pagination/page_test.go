package pagination

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func ids(rs []row) []int64 {
	out := []int64{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func rows(ids ...int64) []row {
	out := make([]row, len(ids))
	for i, id := range ids {
		out[i] = row{ID: id}
	}
	return out
}

func TestPageForwardAndBackward(t *testing.T) {
	p := newTestPager(t, nil)
	tests := []struct {
		name               string
		query              func(next, prev string) string
		fetched            []row
		items              []int64
		hasNext, hasPrev   bool
		nextFrom, prevFrom int64
	}{
		{"first page, more", func(_, _ string) string { return "limit=2" }, rows(1, 2, 3), []int64{1, 2}, true, false, 2, 0},
		{"first page, exactly full", func(_, _ string) string { return "limit=2" }, rows(1, 2), []int64{1, 2}, false, false, 0, 0},
		{"first page, empty", func(_, _ string) string { return "limit=2" }, nil, []int64{}, false, false, 0, 0},
		{"later page, more", func(n, _ string) string { return "limit=2&cursor=" + n }, rows(3, 4, 5), []int64{3, 4}, true, true, 4, 3},
		{"later page, last", func(n, _ string) string { return "limit=2&cursor=" + n }, rows(3), []int64{3}, false, true, 0, 3},
		{"later page, empty", func(n, _ string) string { return "limit=2&cursor=" + n }, nil, []int64{}, false, false, 0, 0},
		// Backward queries return rows in reverse; the page is in forward order.
		{"backward, more", func(_, pr string) string { return "limit=2&cursor=" + pr }, rows(5, 4, 3), []int64{4, 5}, true, true, 5, 4},
		{"backward, reaches the start", func(_, pr string) string { return "limit=2&before=" + pr }, rows(2, 1), []int64{1, 2}, true, false, 2, 0},
		{"backward, empty", func(_, pr string) string { return "limit=2&before=" + pr }, nil, []int64{}, false, false, 0, 0},
		{"caller fetched too many", func(_, _ string) string { return "limit=2" }, rows(1, 2, 3, 4, 5), []int64{1, 2}, true, false, 2, 0},
	}
	next := mustEncode(t, p, Cursor{Sort: "id", Values: []any{int64(2)}})
	prev := mustEncode(t, p, Cursor{Sort: "id", Backward: true, Values: []any{int64(6)}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := p.Parse(get("/items?" + tt.query(next, prev)))
			if err != nil {
				t.Fatal(err)
			}
			pg, err := p.Page(req, tt.fetched)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(pg.Items); !reflect.DeepEqual(got, tt.items) {
				t.Errorf("items %v, want %v", got, tt.items)
			}
			if pg.Meta.HasNext != tt.hasNext || pg.Meta.HasPrev != tt.hasPrev {
				t.Errorf("has_next %v has_prev %v, want %v %v", pg.Meta.HasNext, pg.Meta.HasPrev, tt.hasNext, tt.hasPrev)
			}
			if (pg.Meta.NextCursor != "") != tt.hasNext || (pg.Links.Next != "") != tt.hasNext ||
				(pg.Meta.PrevCursor != "") != tt.hasPrev || (pg.Links.Prev != "") != tt.hasPrev {
				t.Errorf("cursors and links disagree with has_next/has_prev: %+v %+v", pg.Meta, pg.Links)
			}
			if pg.Meta.Size != 2 {
				t.Errorf("size %d, want 2", pg.Meta.Size)
			}
			check := func(cursor string, from int64, backward bool) {
				t.Helper()
				if cursor == "" {
					return
				}
				c, err := p.DecodeCursor(cursor)
				if err != nil {
					t.Fatal(err)
				}
				if c.Backward != backward || !reflect.DeepEqual(c.Values, []any{from}) {
					t.Errorf("cursor %+v, want backward=%v from row %d", c, backward, from)
				}
			}
			check(pg.Meta.NextCursor, tt.nextFrom, false)
			check(pg.Meta.PrevCursor, tt.prevFrom, true)
			if pg.Links.Next != "" && !strings.HasSuffix(pg.Links.Next, "limit=2&cursor="+pg.Meta.NextCursor) {
				t.Errorf("next link %q", pg.Links.Next)
			}
			if pg.Links.Prev != "" && !strings.HasSuffix(pg.Links.Prev, "limit=2&before="+pg.Meta.PrevCursor) {
				t.Errorf("prev link %q", pg.Links.Prev)
			}
		})
	}
}

func TestPageJSONAndHeaders(t *testing.T) {
	p := newTestPager(t, nil)
	req, err := p.Parse(get("/api/v2/items?limit=1&sort=-id&q=a+b%26c"))
	if err != nil {
		t.Fatal(err)
	}
	pg, err := p.Page(req, rows(9, 8))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	w.Header().Add("Link", `</docs/v1>; rel="deprecation"; type="text/html"`)
	if err := pg.Write(w); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("status %d content type %q", w.Code, w.Header().Get("Content-Type"))
	}
	c := pg.Meta.NextCursor
	next := "/api/v2/items?limit=1&sort=-id&q=a+b%26c&cursor=" + c
	first := "/api/v2/items?limit=1&sort=-id&q=a+b%26c"
	wantLinks := []string{
		`</docs/v1>; rel="deprecation"; type="text/html"`,
		`<` + next + `>; rel="next", <` + first + `>; rel="first"`,
	}
	if got := w.Header().Values("Link"); !reflect.DeepEqual(got, wantLinks) {
		t.Errorf("Link\n got %q\nwant %q", got, wantLinks)
	}
	want := `{"items":[{"ID":9,"Name":"","Price":null,"At":"0001-01-01T00:00:00Z","Any":null}],` +
		`"meta":{"size":1,"has_next":true,"has_prev":false,"next_cursor":"` + c + `"},` +
		`"links":{"self":"` + first + `","first":"` + first + `","next":"` + next + `"}}` + "\n"
	if w.Body.String() != want {
		t.Errorf("body\n got %s\nwant %s", w.Body, want)
	}
	if strings.ContainsAny(c, "+/=") {
		t.Errorf("cursor %q is not URL-safe", c)
	}
}

func TestPageLinkHeaderOmittedOnOnePage(t *testing.T) {
	p := newTestPager(t, nil)
	req, err := p.Parse(get("/items?limit=5"))
	if err != nil {
		t.Fatal(err)
	}
	pg, err := p.Page(req, rows(1, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Add("Link", `<https://example.com/d>; rel="deprecation"`)
	pg.SetLinkHeader(h)
	if got := h.Values("Link"); len(got) != 1 {
		t.Errorf("Link %q, want only the existing value", got)
	}
	if pg.LinkHeader() != "" || pg.Links.First != "" || pg.Links.Self != "/items?limit=5" {
		t.Errorf("links %+v header %q, want only self", pg.Links, pg.LinkHeader())
	}
	b, _ := json.Marshal(pg)
	if want := `{"items":[{"ID":1,`; !strings.HasPrefix(string(b), want) || strings.Contains(string(b), "cursor") {
		t.Errorf("json %s", b)
	}
	empty, err := p.Page(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(empty); !strings.HasPrefix(string(b), `{"items":[],`) {
		t.Errorf("empty page json %s, want items []", b)
	}
}

func TestPageLinks(t *testing.T) {
	tests := []struct {
		name   string
		base   string
		target string
		strip  string
		self   string
		first  string
	}{
		{"relative", "", "/items?limit=1", "", "/items?limit=1", "/items?limit=1"},
		{"absolute", "https://api.example.com/", "/items?limit=1", "", "https://api.example.com/items?limit=1", "https://api.example.com/items?limit=1"},
		{"behind StripPrefix", "", "/api/items?limit=1", "/api", "/api/items?limit=1", "/api/items?limit=1"},
		{"escaped path", "", "/caf%C3%A9/a%2Fb?limit=1", "", "/caf%C3%A9/a%2Fb?limit=1", "/caf%C3%A9/a%2Fb?limit=1"},
		{"other params kept in order, re-escaped", "", "/items?z=1&limit=1&a=%3Cx%3E&a=y&flag", "", "/items?z=1&limit=1&a=%3Cx%3E&a=y&flag=", "/items?z=1&limit=1&a=%3Cx%3E&a=y&flag="},
		{"bad pieces dropped", "", "/items?limit=1&bad=%zz&semi;colon=1&ok=1", "", "/items?limit=1&ok=1", "/items?limit=1&ok=1"},
		{"no host-relative links", "", "//evil.example/items?limit=1", "", "/evil.example/items?limit=1", "/evil.example/items?limit=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPager(t, func(c *Config[row]) { c.BaseURL = tt.base; c.FilterParams = []string{} })
			var pg *Page[row]
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				req, err := p.Parse(r)
				if err != nil {
					t.Fatal(err)
				}
				if pg, err = p.Page(req, rows(1, 2)); err != nil {
					t.Fatal(err)
				}
			})
			var handler http.Handler = h
			if tt.strip != "" {
				handler = http.StripPrefix(tt.strip, h)
			}
			r := get("/")
			r.RequestURI = tt.target
			u, err := r.URL.Parse(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			r.URL = u
			handler.ServeHTTP(httptest.NewRecorder(), r)
			if pg.Links.Self != tt.self || pg.Links.First != tt.first {
				t.Errorf("self %q first %q, want %q %q", pg.Links.Self, pg.Links.First, tt.self, tt.first)
			}
			if want := tt.first + "&cursor=" + pg.Meta.NextCursor; pg.Links.Next != want {
				t.Errorf("next %q, want %q", pg.Links.Next, want)
			}
			for _, l := range []string{pg.Links.Self, pg.Links.Next, pg.Links.First} {
				if strings.ContainsAny(l, " \r\n\t<>\"\\") {
					t.Errorf("link %q carries characters unsafe in a header", l)
				}
			}
			if !linkHeaderSyntax.MatchString(pg.LinkHeader()) {
				t.Errorf("Link %q is not a list of <uri>; rel=\"...\"", pg.LinkHeader())
			}
		})
	}
}

var linkHeaderSyntax = regexp.MustCompile(`^<[!#-;=?-~]+>; rel="(next|prev|first|last)"(, <[!#-;=?-~]+>; rel="(next|prev|first|last)")*$`)

func TestPageErrors(t *testing.T) {
	p := newTestPager(t, nil)
	other := newTestPager(t, nil)
	req, err := other.Parse(get("/items"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Page(req, nil); err == nil {
		t.Error("Page with another pager's request: want an error")
	}
	if _, err := p.Page(nil, nil); err == nil {
		t.Error("Page with a nil request: want an error")
	}
	req, _ = p.Parse(get("/items?limit=1&sort=any"))
	if _, err := p.Page(req, []row{{ID: 1, Any: struct{}{}}, {ID: 2}}); err == nil {
		t.Error("unsupported sort value type: want an error")
	}
	q := newTestPager(t, func(c *Config[row]) { c.Columns[1].Nulls = NotNull })
	req, _ = q.Parse(get("/items?limit=1&sort=price"))
	if _, err := q.Page(req, []row{{ID: 1}, {ID: 2}}); err == nil || !strings.Contains(err.Error(), "NotNull") {
		t.Errorf("NULL in a NotNull column: got %v, want an error saying so", err)
	}
}

type failingJSON struct{}

func (failingJSON) MarshalJSON() ([]byte, error) { return nil, errFail }

var errFail = &json.UnsupportedValueError{Str: "fail"}

func TestPageWriteEncodingError(t *testing.T) {
	pg := &Page[failingJSON]{Items: []failingJSON{{}}}
	w := httptest.NewRecorder()
	if err := pg.Write(w); err == nil {
		t.Fatal("want the encoding error")
	}
	if w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Errorf("wrote %q %v before failing", w.Body, w.Header())
	}
}
