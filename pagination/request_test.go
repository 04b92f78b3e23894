package pagination

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	apierrors "github.com/restwell/restwell/errors"
)

// checkRefusal fails unless err is a 400 invalid_parameter or
// invalid_cursor naming exactly one query parameter, with the matching
// sentinel as its cause.
func checkRefusal(t testing.TB, err error) (code, param string) {
	t.Helper()
	var e *apierrors.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *errors.Error", err, err)
	}
	if e.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", e.Status)
	}
	switch e.Code {
	case "invalid_parameter":
		if !errors.Is(err, ErrInvalidParameter) {
			t.Fatalf("invalid_parameter error %v does not wrap ErrInvalidParameter", err)
		}
	case "invalid_cursor":
		if !errors.Is(err, ErrInvalidCursor) {
			t.Fatalf("invalid_cursor error %v does not wrap ErrInvalidCursor", err)
		}
	default:
		t.Fatalf("code %q, want invalid_parameter or invalid_cursor", e.Code)
	}
	if len(e.Fields) != 1 || e.Fields[0].In != apierrors.InQuery || e.Fields[0].Path == "" || e.Fields[0].Detail == "" {
		t.Fatalf("fields %+v, want one query parameter", e.Fields)
	}
	return e.Code, e.Fields[0].Path
}

func get(target string) *http.Request {
	return httptest.NewRequest(http.MethodGet, target, nil)
}

func TestParse(t *testing.T) {
	p := newTestPager(t, nil)
	fwd := mustEncode(t, p, Cursor{Sort: "name", Values: []any{"n", int64(3)}})
	back := mustEncode(t, p, Cursor{Sort: "name", Backward: true, Values: []any{"n", int64(3)}})
	tests := []struct {
		query    string
		limit    int
		sort     string
		backward bool
		values   []any
	}{
		{"", 20, "id", false, nil},
		{"limit=1", 1, "id", false, nil},
		{"limit=100", 100, "id", false, nil},
		{"limit=007", 7, "id", false, nil},
		{"limit=", 20, "id", false, nil},
		{"sort=-price", 20, "-price", false, nil},
		{"sort=", 20, "id", false, nil},
		{"cursor=", 20, "id", false, nil},
		{"cursor=" + fwd, 20, "name", false, []any{"n", int64(3)}},
		{"cursor=" + back, 20, "name", true, []any{"n", int64(3)}},
		{"after=" + back, 20, "name", false, []any{"n", int64(3)}},
		{"before=" + fwd, 20, "name", true, []any{"n", int64(3)}},
		{"sort=name&limit=5&cursor=" + fwd, 5, "name", false, []any{"n", int64(3)}},
		{"cursor=" + fwd + "&after=&before=", 20, "name", false, []any{"n", int64(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			req, err := p.Parse(get("/items?" + tt.query))
			if err != nil {
				t.Fatal(err)
			}
			if req.Limit() != tt.limit || req.Sort() != tt.sort || req.Backward() != tt.backward || !reflect.DeepEqual(req.Values(), tt.values) {
				t.Errorf("got limit %d sort %q backward %v values %v; want %d %q %v %v",
					req.Limit(), req.Sort(), req.Backward(), req.Values(), tt.limit, tt.sort, tt.backward, tt.values)
			}
		})
	}
}

func TestParseRefusals(t *testing.T) {
	now := t0
	p := newTestPager(t, func(c *Config[row]) { c.Now = func() time.Time { return now } })
	fwd := mustEncode(t, p, Cursor{Sort: "name", Values: []any{"n", int64(3)}})
	// A NULL in the NotNull tie-breaker, validly signed: only a buggy or
	// changed configuration makes one.
	b := p.noFilters
	nullID, err := p.codec.encode("name", []Key{{Expr: "name"}, {Expr: "id", Nulls: NullsLast}}, false, []any{"n", nil}, b)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		code  string
		param string
		msg   string
	}{
		{"limit=0", "invalid_parameter", "limit", "from 1 to 100"},
		{"limit=101", "invalid_parameter", "limit", "from 1 to 100"},
		{"limit=-1", "invalid_parameter", "limit", ""},
		{"limit=%2B5", "invalid_parameter", "limit", ""},
		{"limit=5.0", "invalid_parameter", "limit", ""},
		{"limit=ten", "invalid_parameter", "limit", ""},
		{"limit=99999999999999999999", "invalid_parameter", "limit", ""},
		{"limit=5&limit=6", "invalid_parameter", "limit", "at most once"},
		{"sort=nope", "invalid_parameter", "sort", "must be one of: id, -id, name"},
		{"sort=+name", "invalid_parameter", "sort", ""},
		{"sort=name&sort=id", "invalid_parameter", "sort", ""},
		{"cursor=" + fwd + "&before=" + fwd, "invalid_parameter", "before", "cannot be combined with cursor"},
		{"cursor=" + fwd + "&after=" + fwd, "invalid_parameter", "after", "cannot be combined with cursor"},
		{"after=" + fwd + "&before=" + fwd, "invalid_parameter", "before", "cannot be combined with after"},
		{"cursor=" + fwd + "&cursor=" + fwd, "invalid_parameter", "cursor", ""},
		{"cursor=garbage", "invalid_cursor", "cursor", "not valid"},
		{"after=garbage", "invalid_cursor", "after", "not valid"},
		{"before=garbage", "invalid_cursor", "before", "not valid"},
		{"cursor=" + strings.Repeat("x", 5000), "invalid_cursor", "cursor", "too long"},
		{"sort=id&cursor=" + fwd, "invalid_cursor", "cursor", "another sort"},
		{"sort=-name&cursor=" + fwd, "invalid_parameter", "sort", ""},
		{"status=open&cursor=" + fwd, "invalid_cursor", "cursor", "other filters"},
		{"cursor=" + nullID, "invalid_cursor", "cursor", "not valid"},
	}
	for _, tt := range tests {
		name := tt.query
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			_, err := p.Parse(get("/items?" + tt.query))
			if err == nil {
				t.Fatal("got no error")
			}
			code, param := checkRefusal(t, err)
			if code != tt.code || param != tt.param {
				t.Errorf("got %s naming %q, want %s naming %q", code, param, tt.code, tt.param)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "garbage") || strings.Contains(err.Error(), "nope") {
				t.Errorf("error %q echoes the client's value", err)
			}
		})
	}
	now = t0.Add(25 * time.Hour)
	_, err = p.Parse(get("/items?cursor=" + fwd))
	if !errors.Is(err, ErrCursorExpired) {
		t.Errorf("expired cursor: got %v, want ErrCursorExpired", err)
	}
}

func TestParseRendersEnvelope(t *testing.T) {
	p := newTestPager(t, nil)
	r := get("/items?limit=1000")
	_, err := p.Parse(r)
	w := httptest.NewRecorder()
	apierrors.Write(w, r, err)
	if w.Code != 400 {
		t.Fatalf("status %d", w.Code)
	}
	var body struct {
		Error struct {
			Code    string              `json:"code"`
			Message string              `json:"message"`
			Details map[string][]string `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"limit": {"must be an integer from 1 to 100"}}
	if body.Error.Code != "invalid_parameter" || !reflect.DeepEqual(body.Error.Details, want) {
		t.Errorf("body %s, want code invalid_parameter and details %v", w.Body, want)
	}
}

func TestParseFilterBinding(t *testing.T) {
	tests := []struct {
		name    string
		filters []string // Config.FilterParams
		from    string   // query the cursor was issued for
		to      string   // query it comes back with
		ok      bool
	}{
		{"all params, same", nil, "status=open&q=x", "q=x&status=open&limit=3", true},
		{"all params, value changed", nil, "status=open", "status=closed", false},
		{"all params, param added", nil, "status=open", "status=open&q=x", false},
		{"all params, param dropped", nil, "status=open&q=x", "status=open", false},
		{"all params, repeated value order", nil, "tag=a&tag=b", "tag=b&tag=a", false},
		{"all params, empty value differs from absent", nil, "status=", "", false},
		{"listed, unlisted param changed", []string{"status"}, "status=open&_=1", "status=open&_=2", true},
		{"listed, listed param changed", []string{"status"}, "status=open", "status=closed", false},
		{"listed, listed param dropped", []string{"status"}, "status=open", "", false},
		{"none bound", []string{}, "status=open", "status=closed", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPager(t, func(c *Config[row]) { c.FilterParams = tt.filters })
			req, err := p.Parse(get("/items?" + tt.from))
			if err != nil {
				t.Fatal(err)
			}
			pg, err := p.Page(req, []row{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}, {ID: 5}, {ID: 6}, {ID: 7}, {ID: 8}, {ID: 9}, {ID: 10}, {ID: 11}, {ID: 12}, {ID: 13}, {ID: 14}, {ID: 15}, {ID: 16}, {ID: 17}, {ID: 18}, {ID: 19}, {ID: 20}, {ID: 21}})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Meta.NextCursor == "" {
				t.Fatal("no next cursor")
			}
			sep := "&"
			if tt.to == "" {
				sep = ""
			}
			_, err = p.Parse(get("/items?" + tt.to + sep + "cursor=" + pg.Meta.NextCursor))
			if tt.ok && err != nil {
				t.Errorf("got %v, want the cursor accepted", err)
			}
			if !tt.ok {
				if err == nil {
					t.Fatal("got the cursor accepted, want a 400")
				}
				if code, _ := checkRefusal(t, err); code != "invalid_cursor" || !strings.Contains(err.Error(), "other filters") {
					t.Errorf("got %v, want invalid_cursor for other filters", err)
				}
			}
		})
	}
}

func TestParseExtraFilters(t *testing.T) {
	p := newTestPager(t, nil)
	req, err := p.Parse(get("/shops/1/items?limit=1"), "shop 1", "tenant a")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := p.Page(req, []row{{ID: 1}, {ID: 2}})
	if err != nil {
		t.Fatal(err)
	}
	next := "/shops/1/items?cursor=" + pg.Meta.NextCursor
	if _, err := p.Parse(get(next), "shop 1", "tenant a"); err != nil {
		t.Errorf("same filters: %v", err)
	}
	for _, f := range [][]string{{"shop 2", "tenant a"}, {"shop 1"}, {"shop 1tenant a"}, {"shop 1", "tenant a", ""}, nil} {
		if _, err := p.Parse(get(next), f...); !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("filters %q: got %v, want ErrInvalidCursor", f, err)
		}
	}
}

func TestParseSortFromCursor(t *testing.T) {
	p := newTestPager(t, func(c *Config[row]) { c.DefaultSort = "-id" })
	req, err := p.Parse(get("/items?sort=name&limit=1"))
	if err != nil {
		t.Fatal(err)
	}
	pg, err := p.Page(req, []row{{ID: 1, Name: "a"}, {ID: 2, Name: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	// A client that keeps only the cursor keeps its sort.
	req, err = p.Parse(get("/items?limit=1&cursor=" + pg.Meta.NextCursor))
	if err != nil {
		t.Fatal(err)
	}
	if req.Sort() != "name" {
		t.Fatalf("sort %q, want the cursor's, name", req.Sort())
	}
	pg, err = p.Page(req, []row{{ID: 2, Name: "b"}, {ID: 3, Name: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{pg.Links.First, pg.Links.Next, pg.Links.Prev} {
		if !strings.Contains(l, "sort=name") {
			t.Errorf("link %q lost the sort", l)
		}
	}
	if !strings.HasPrefix(pg.Links.Self, "/items?limit=1&cursor=") || strings.Contains(pg.Links.Self, "sort=") {
		t.Errorf("self %q must be the request as made", pg.Links.Self)
	}
	if _, err := p.Parse(get("/items?sort=-id&cursor=" + pg.Meta.NextCursor)); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("cursor with another sort: got %v, want ErrInvalidCursor", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config[row])
	}{
		{"no keys", func(c *Config[row]) { c.Keys = nil }},
		{"short key", func(c *Config[row]) { c.Keys = [][]byte{[]byte("short")} }},
		{"short second key", func(c *Config[row]) { c.Keys = append(c.Keys, []byte("short")) }},
		{"no id value", func(c *Config[row]) { c.ID.Value = nil }},
		{"nullable id", func(c *Config[row]) { c.ID.Nulls = NullsLast }},
		{"column without value", func(c *Config[row]) { c.Columns[0].Value = nil }},
		{"column without name", func(c *Config[row]) { c.Columns[0].Name = "" }},
		{"column with a comma", func(c *Config[row]) { c.Columns[0].Name = "a,b" }},
		{"column with a dash", func(c *Config[row]) { c.Columns[0].Name = "-a" }},
		{"duplicate column", func(c *Config[row]) { c.Columns[1].Name = c.Columns[0].Name }},
		{"column named like the id", func(c *Config[row]) { c.Columns[1].Name = "id" }},
		{"bad nulls", func(c *Config[row]) { c.Columns[1].Nulls = 7 }},
		{"empty sorts", func(c *Config[row]) { c.Sorts = []string{} }},
		{"unknown column in sort", func(c *Config[row]) { c.Sorts = []string{"nope"} }},
		{"column twice in sort", func(c *Config[row]) { c.Sorts = []string{"name,-name"} }},
		{"empty sort", func(c *Config[row]) { c.Sorts = []string{""} }},
		{"duplicate sort", func(c *Config[row]) { c.Sorts = []string{"id", "id"} }},
		{"unknown default sort", func(c *Config[row]) { c.DefaultSort = "nope" }},
		{"default limit above max", func(c *Config[row]) { c.DefaultLimit = 50; c.MaxLimit = 10 }},
		{"negative max limit", func(c *Config[row]) { c.MaxLimit = -1 }},
		{"tiny cursor limit", func(c *Config[row]) { c.MaxCursorLen = 10 }},
		{"param with a control character", func(c *Config[row]) { c.Params.Limit = "page\nsize" }},
		{"param twice", func(c *Config[row]) { c.Params.Limit = "sort" }},
		{"filter is a paging param", func(c *Config[row]) { c.FilterParams = []string{"cursor"} }},
		{"base with path", func(c *Config[row]) { c.BaseURL = "https://api.example.com/v2" }},
		{"base without scheme", func(c *Config[row]) { c.BaseURL = "api.example.com" }},
		{"base ftp", func(c *Config[row]) { c.BaseURL = "ftp://api.example.com" }},
		{"base with query", func(c *Config[row]) { c.BaseURL = "https://api.example.com?a=b" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Columns = append([]Column[row](nil), cfg.Columns...)
			tt.edit(&cfg)
			p, err := New(cfg)
			if err == nil {
				t.Fatalf("New = %v, want an error", p)
			}
			if !strings.HasPrefix(err.Error(), "pagination: ") {
				t.Errorf("error %q lacks the pagination: prefix", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	p, err := New(Config[row]{Keys: [][]byte{testKey}, ID: Column[row]{Value: func(r row) any { return r.ID }}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := p.Parse(get("/items"))
	if err != nil {
		t.Fatal(err)
	}
	if req.Limit() != 20 || req.Sort() != "id" {
		t.Errorf("limit %d sort %q, want 20 and id", req.Limit(), req.Sort())
	}
	if got := req.Keys(); !reflect.DeepEqual(got, []Key{{Expr: "id"}}) {
		t.Errorf("keys %v, want id only", got)
	}
	if _, err := p.Parse(get("/items?limit=101")); err == nil {
		t.Error("limit 101 accepted, want the default maximum of 100")
	}
	small, err := New(Config[row]{Keys: [][]byte{testKey}, ID: Column[row]{Value: func(r row) any { return r.ID }}, MaxLimit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if req, _ := small.Parse(get("/items")); req.Limit() != 5 {
		t.Errorf("MaxLimit 5: default limit %d, want 5", req.Limit())
	}
}

func TestSortKeys(t *testing.T) {
	p := newTestPager(t, func(c *Config[row]) {
		c.Sorts = []string{"-at", "price,name", "-price,-name", "name,id,price", "-id"}
	})
	want := map[string][]Key{
		"-at":           {{Expr: "created_at", Desc: true}, {Expr: "id", Desc: true}},
		"price,name":    {{Expr: "price", Nulls: NullsLast}, {Expr: "name"}, {Expr: "id"}},
		"-price,-name":  {{Expr: "price", Desc: true, Nulls: NullsLast}, {Expr: "name", Desc: true}, {Expr: "id", Desc: true}},
		"name,id,price": {{Expr: "name"}, {Expr: "id"}},
		"-id":           {{Expr: "id", Desc: true}},
	}
	for name, keys := range want {
		req, err := p.Parse(get("/items?sort=" + strings.ReplaceAll(name, ",", "%2C")))
		if err != nil {
			t.Fatal(err)
		}
		if got := req.Keys(); !reflect.DeepEqual(got, keys) {
			t.Errorf("sort %q: keys %+v, want %+v", name, got, keys)
		}
	}
}

func TestParamNames(t *testing.T) {
	p := newTestPager(t, func(c *Config[row]) {
		c.Params = Params{Limit: "page[size]", Cursor: "page[cursor]", After: "page[after]", Before: "page[before]", Sort: "order"}
	})
	_, err := p.Parse(get("/items?page%5Bsize%5D=500"))
	if code, param := checkRefusal(t, err); code != "invalid_parameter" || param != "page[size]" {
		t.Errorf("got %s naming %q, want invalid_parameter naming page[size]", code, param)
	}
	req, err := p.Parse(get("/items?page%5Bsize%5D=1&order=-id&limit=500&sort=bogus"))
	if err != nil {
		t.Fatal(err)
	}
	pg, err := p.Page(req, []row{{ID: 9}, {ID: 8}})
	if err != nil {
		t.Fatal(err)
	}
	want := "/items?page%5Bsize%5D=1&order=-id&limit=500&sort=bogus&page%5Bcursor%5D=" + pg.Meta.NextCursor
	if pg.Links.Next != want {
		t.Errorf("next %q, want %q", pg.Links.Next, want)
	}
}
