package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restwell/restwell/etag"
)

func TestCreateItem(t *testing.T) {
	s := newTestShop(t, nil)
	r := s.do("POST", "/api/v2/items", `{"name":"mug","price":{"amount":1200,"currency":"USD"}}`)
	wantStatus(t, "POST", r, http.StatusCreated)
	m := r.json(t)
	id := idOf(t, m)
	if got, want := r.header.Get("Location"), "/api/v2/items/"+id; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	tag := r.header.Get("ETag")
	if _, weak, ok := etag.Parse(tag); !ok || weak {
		t.Errorf("ETag = %q, want a strong entity tag", tag)
	}
	if m["name"] != "mug" || !reflect.DeepEqual(m["price"], map[string]any{"amount": 1200.0, "currency": "USD"}) {
		t.Errorf("body = %s", r.body)
	}
	for _, f := range []string{"created_at", "updated_at"} {
		s, _ := m[f].(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			t.Errorf("%s = %v, want an RFC 3339 time", f, m[f])
		}
	}
	if len(m) != 5 {
		t.Errorf("body has members %v, want id, name, price, created_at, updated_at", m)
	}
	// The tag of the new item is the one GET gives.
	g := s.do("GET", "/api/v2/items/"+id, "")
	wantStatus(t, "GET", g, http.StatusOK)
	if g.header.Get("ETag") != tag {
		t.Errorf("GET ETag %q, POST ETag %q", g.header.Get("ETag"), tag)
	}
}

func TestCreateItemRefusals(t *testing.T) {
	s := newTestShop(t, nil)
	big := `{"name":"` + strings.Repeat("x", 1<<20) + `","price":{"amount":1,"currency":"USD"}}`
	tests := []struct {
		name, ctype, body string
		status            int
		code              string
		details           map[string]int // key -> number of messages
	}{
		{"every failing field", "application/json", `{"name":"","price":{"amount":-1,"currency":"EUR"}}`, 422, "validation_failed",
			map[string]int{"name": 1, "price.amount": 1, "price.currency": 1}},
		{"missing fields", "application/json", `{}`, 422, "validation_failed", map[string]int{"name": 1, "price": 1}},
		{"name too long", "application/json", `{"name":"` + strings.Repeat("é", 101) + `","price":{"amount":1,"currency":"KRW"}}`, 422, "validation_failed",
			map[string]int{"name": 1}},
		{"fractional amount", "application/json", `{"name":"a","price":{"amount":1.5,"currency":"JPY"}}`, 422, "validation_failed",
			map[string]int{"price.amount": 1}},
		{"unknown member", "application/json", `{"name":"a","price":{"amount":1,"currency":"JPY"},"colour":"red"}`, 422, "validation_failed",
			map[string]int{"colour": 1}},
		{"price a number", "application/json", `{"name":"a","price":12}`, 422, "validation_failed", map[string]int{"price": 1}},
		{"malformed", "application/json", `{"name":`, 400, "malformed_json", nil},
		{"trailing data", "application/json", `{"name":"a","price":{"amount":1,"currency":"JPY"}} x`, 400, "malformed_json", nil},
		{"not JSON", "text/plain", `name=a`, 415, "unsupported_media_type", nil},
		{"no content type", "", `{"name":"a","price":{"amount":1,"currency":"JPY"}}`, 415, "unsupported_media_type", nil},
		{"over 1 MiB", "application/json", big, 413, "content_too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do("POST", "/api/v2/items", tt.body, "Content-Type", tt.ctype)
			wantError(t, tt.name, r, tt.status, tt.code)
			if tt.details != nil {
				d := r.details(t)
				got := map[string]int{}
				for k, v := range d {
					got[k] = len(v)
				}
				if !reflect.DeepEqual(got, tt.details) {
					t.Errorf("details = %v, want keys %v", d, tt.details)
				}
			}
		})
	}
	if n := s.count("items"); n != 0 {
		t.Errorf("%d items stored by refused requests", n)
	}
}

func TestGetItem(t *testing.T) {
	s := newTestShop(t, nil)
	m, tag := s.createItem("mug", 1200, "USD")
	id := idOf(t, m)

	r := s.do("GET", "/api/v2/items/"+id, "")
	wantStatus(t, "GET", r, http.StatusOK)
	if got := r.header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("Cache-Control = %q, want private, no-cache", got)
	}
	if r.header.Get("ETag") != tag {
		t.Errorf("ETag = %q, want %q", r.header.Get("ETag"), tag)
	}
	if r.header.Get("Last-Modified") == "" {
		t.Error("no Last-Modified")
	}
	if !reflect.DeepEqual(r.json(t), m) {
		t.Errorf("GET body %s, POST body %v", r.body, m)
	}

	h := s.do("HEAD", "/api/v2/items/"+id, "")
	wantStatus(t, "HEAD", h, http.StatusOK)
	if h.header.Get("ETag") != tag || len(h.body) != 0 {
		t.Errorf("HEAD: ETag %q, body %q", h.header.Get("ETag"), h.body)
	}

	for _, inm := range []string{tag, `"other", ` + tag, "W/" + tag, "*"} {
		nm := s.do("GET", "/api/v2/items/"+id, "", "If-None-Match", inm)
		wantStatus(t, "If-None-Match "+inm, nm, http.StatusNotModified)
		if len(nm.body) != 0 || nm.header.Get("ETag") != tag || nm.header.Get("Cache-Control") != "private, no-cache" {
			t.Errorf("304: body %q, ETag %q, Cache-Control %q", nm.body, nm.header.Get("ETag"), nm.header.Get("Cache-Control"))
		}
		if nm.header.Get("Content-Type") != "" {
			t.Errorf("304 with Content-Type %q", nm.header.Get("Content-Type"))
		}
	}
	stale := s.do("GET", "/api/v2/items/"+id, "", "If-None-Match", `"0.0"`)
	wantStatus(t, "stale If-None-Match", stale, http.StatusOK)

	for _, path := range []string{"/api/v2/items/999999", "/api/v2/items/abc", "/api/v2/items/0", "/api/v2/items/-1", "/api/v2/items/+1"} {
		wantError(t, path, s.do("GET", path, ""), http.StatusNotFound, "not_found")
	}
	// Conditions do not apply to a missing item (RFC 9110 §13.2.1).
	wantError(t, "missing with If-None-Match", s.do("GET", "/api/v2/items/999999", "", "If-None-Match", "*"), 404, "not_found")
}

func TestPutItem(t *testing.T) {
	s := newTestShop(t, nil)
	m, tag := s.createItem("mug", 1200, "USD")
	path := "/api/v2/items/" + idOf(t, m)
	body := `{"name":"cup","price":{"amount":900,"currency":"KRW"}}`

	r := s.do("PUT", path, body)
	wantError(t, "PUT without If-Match", r, http.StatusPreconditionRequired, "precondition_required")
	if _, ok := r.details(t)["If-Match"]; !ok {
		t.Errorf("428 details %v do not name If-Match", r.details(t))
	}
	wantError(t, "PUT with only If-Unmodified-Since", s.do("PUT", path, body, "If-Unmodified-Since", "Sat, 01 Jan 2100 00:00:00 GMT"),
		http.StatusPreconditionRequired, "precondition_required")
	wantError(t, "PUT with only If-None-Match", s.do("PUT", path, body, "If-None-Match", `"x"`),
		http.StatusPreconditionRequired, "precondition_required")
	wantError(t, "PUT stale", s.do("PUT", path, body, "If-Match", `"1.0"`), http.StatusPreconditionFailed, "precondition_failed")
	wantError(t, "PUT weak", s.do("PUT", path, body, "If-Match", "W/"+tag), http.StatusPreconditionFailed, "precondition_failed")
	if g := s.do("GET", path, ""); g.header.Get("ETag") != tag || g.json(t)["name"] != "mug" {
		t.Fatalf("refused PUTs changed the item: %s %s", g.header.Get("ETag"), g.body)
	}
	wantError(t, "PUT invalid", s.do("PUT", path, `{"name":""}`, "If-Match", tag), 422, "validation_failed")
	wantError(t, "PUT missing item", s.do("PUT", "/api/v2/items/999999", body, "If-Match", tag), 404, "not_found")

	ok := s.do("PUT", path, body, "If-Match", tag)
	wantStatus(t, "PUT", ok, http.StatusOK)
	newTag := ok.header.Get("ETag")
	if newTag == "" || newTag == tag {
		t.Fatalf("PUT ETag %q, old %q", newTag, tag)
	}
	if got := ok.header.Get("Content-Location"); got != path {
		t.Errorf("Content-Location = %q, want %q", got, path)
	}
	got := ok.json(t)
	if got["name"] != "cup" || !reflect.DeepEqual(got["price"], map[string]any{"amount": 900.0, "currency": "KRW"}) {
		t.Errorf("PUT body %s", ok.body)
	}
	if got["created_at"] != m["created_at"] || got["updated_at"] == m["updated_at"] {
		t.Errorf("created_at %v -> %v, updated_at %v -> %v", m["created_at"], got["created_at"], m["updated_at"], got["updated_at"])
	}
	g := s.do("GET", path, "")
	if g.header.Get("ETag") != newTag || !reflect.DeepEqual(g.json(t), got) {
		t.Errorf("GET after PUT: %s %s", g.header.Get("ETag"), g.body)
	}
	wantError(t, "PUT with the old tag again", s.do("PUT", path, body, "If-Match", tag), 412, "precondition_failed")
	wantStatus(t, "PUT If-Match: *", s.do("PUT", path, body, "If-Match", "*"), http.StatusOK)
}

func TestPatchItem(t *testing.T) {
	s := newTestShop(t, nil)
	m, tag := s.createItem("mug", 1200, "USD")
	path := "/api/v2/items/" + idOf(t, m)

	wantError(t, "PATCH without If-Match", s.do("PATCH", path, `{"name":"cup"}`, "Content-Type", mergePatchType),
		http.StatusPreconditionRequired, "precondition_required")
	wantError(t, "PATCH stale", s.do("PATCH", path, `{"name":"cup"}`, "Content-Type", mergePatchType, "If-Match", `"9.9"`),
		http.StatusPreconditionFailed, "precondition_failed")
	r := s.do("PATCH", path, `[{"op":"replace","path":"/name","value":"cup"}]`, "Content-Type", "application/json-patch+json", "If-Match", tag)
	wantError(t, "JSON Patch", r, http.StatusUnsupportedMediaType, "unsupported_media_type")
	if !strings.Contains(r.header.Get("Accept-Patch"), mergePatchType) {
		t.Errorf("415 Accept-Patch = %q", r.header.Get("Accept-Patch"))
	}
	wantError(t, "text", s.do("PATCH", path, `x`, "Content-Type", "text/plain", "If-Match", tag), 415, "unsupported_media_type")
	wantError(t, "malformed", s.do("PATCH", path, `{"name":`, "Content-Type", mergePatchType, "If-Match", tag), 400, "malformed_json")
	v := s.do("PATCH", path, `{"name":null,"price":{"currency":"EUR"}}`, "Content-Type", mergePatchType, "If-Match", tag)
	wantError(t, "patch to an invalid item", v, 422, "validation_failed")
	if d := v.details(t); len(d["name"]) != 1 || len(d["price.currency"]) != 1 {
		t.Errorf("details %v, want name and price.currency", d)
	}
	for _, amount := range []string{"1e2", "100.0", "1.5", "-1", `"7"`} {
		r := s.do("PATCH", path, `{"price":{"amount":`+amount+`}}`, "Content-Type", mergePatchType, "If-Match", tag)
		wantError(t, "amount "+amount, r, 422, "validation_failed")
		if d := r.details(t); len(d["price.amount"]) == 0 {
			t.Errorf("amount %s: details %v", amount, d)
		}
	}
	if g := s.do("GET", path, ""); g.header.Get("ETag") != tag {
		t.Fatalf("refused PATCHes changed the item")
	}

	// A merge patch changes only what it names.
	p := s.do("PATCH", path, `{"price":{"currency":"JPY"}}`, "Content-Type", mergePatchType, "If-Match", tag)
	wantStatus(t, "PATCH", p, http.StatusOK)
	got := p.json(t)
	if got["name"] != "mug" || !reflect.DeepEqual(got["price"], map[string]any{"amount": 1200.0, "currency": "JPY"}) {
		t.Errorf("PATCH body %s", p.body)
	}
	tag2 := p.header.Get("ETag")
	if tag2 == "" || tag2 == tag {
		t.Fatalf("PATCH ETag %q, old %q", tag2, tag)
	}
	// application/json is accepted too.
	p2 := s.do("PATCH", path, `{"name":"big mug"}`, "If-Match", tag2)
	wantStatus(t, "PATCH application/json", p2, http.StatusOK)
	if got := p2.json(t); got["name"] != "big mug" || !reflect.DeepEqual(got["price"], map[string]any{"amount": 1200.0, "currency": "JPY"}) {
		t.Errorf("PATCH body %s", p2.body)
	}
	wantError(t, "PATCH unknown member", s.do("PATCH", path, `{"colour":"red"}`, "If-Match", p2.header.Get("ETag")), 422, "validation_failed")
	wantError(t, "PATCH missing", s.do("PATCH", "/api/v2/items/424242", `{}`, "If-Match", tag), 404, "not_found")
}

func TestDeleteItem(t *testing.T) {
	s := newTestShop(t, nil)
	m, tag := s.createItem("mug", 1200, "USD")
	path := "/api/v2/items/" + idOf(t, m)

	wantError(t, "DELETE stale", s.do("DELETE", path, "", "If-Match", `"1.7"`), 412, "precondition_failed")
	wantStatus(t, "GET after refused DELETE", s.do("GET", path, ""), 200)
	r := s.do("DELETE", path, "", "If-Match", tag)
	wantStatus(t, "DELETE If-Match", r, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Errorf("204 body %q", r.body)
	}
	wantError(t, "GET deleted", s.do("GET", path, ""), 404, "not_found")
	wantError(t, "DELETE again", s.do("DELETE", path, ""), 404, "not_found")
	wantError(t, "DELETE again with If-Match", s.do("DELETE", path, "", "If-Match", tag), 404, "not_found")

	// Unconditional DELETE works too.
	m2, _ := s.createItem("plate", 300, "KRW")
	wantStatus(t, "DELETE", s.do("DELETE", "/api/v2/items/"+idOf(t, m2), ""), http.StatusNoContent)

	// An item with orders cannot go.
	m3, _ := s.createItem("bowl", 300, "KRW")
	wantStatus(t, "order", s.do("POST", "/api/v2/orders", `{"item_id":`+idOf(t, m3)+`,"quantity":1}`, "Idempotency-Key", "k1"), 201)
	wantError(t, "DELETE ordered item", s.do("DELETE", "/api/v2/items/"+idOf(t, m3), ""), 409, "item_has_orders")
}

// TestConcurrentWritesNeverLoseAnUpdate sends PUTs and PATCHes with the
// same If-Match at once, each held after its precondition passed and
// before it writes: exactly one may win, the others get 412, and the
// item holds the winner's change.
func TestConcurrentWritesNeverLoseAnUpdate(t *testing.T) {
	s := newTestShop(t, nil)
	m, tag := s.createItem("mug", 1, "USD")
	path := "/api/v2/items/" + idOf(t, m)

	const writers = 6
	var arrived sync.WaitGroup
	arrived.Add(writers)
	release := make(chan struct{})
	s.srv.hooks.beforeItemWrite = func(*http.Request) {
		arrived.Done()
		<-release
	}
	type result struct {
		status int
		name   string
	}
	results := make(chan result, writers)
	for i := range writers {
		go func() {
			name := "writer" + string(rune('a'+i))
			var r *response
			if i%2 == 0 {
				r = s.do("PUT", path, `{"name":"`+name+`","price":{"amount":1,"currency":"USD"}}`, "If-Match", tag)
			} else {
				r = s.do("PATCH", path, `{"name":"`+name+`"}`, "Content-Type", mergePatchType, "If-Match", tag)
			}
			results <- result{r.status, name}
		}()
	}
	arrived.Wait() // every writer has passed its precondition
	close(release)
	var winners []string
	for range writers {
		res := <-results
		switch res.status {
		case http.StatusOK:
			winners = append(winners, res.name)
		case http.StatusPreconditionFailed:
		default:
			t.Errorf("status %d", res.status)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d writers succeeded (%v), want exactly 1", len(winners), winners)
	}
	s.srv.hooks.beforeItemWrite = nil
	g := s.do("GET", path, "")
	if name := g.json(t)["name"]; name != winners[0] {
		t.Errorf("item name %v, the winner was %s", name, winners[0])
	}
	if g.header.Get("ETag") == tag {
		t.Error("ETag unchanged after a successful write")
	}
}

func TestListItems(t *testing.T) {
	s := newTestShop(t, nil)
	for i, p := range []int64{500, 100, 300, 200, 400} {
		m, _ := s.createItem("item"+string(rune('e'-i)), p, "USD")
		idOf(t, m)
	}
	r := s.do("GET", "/api/v2/items?limit=2&sort=-price", "")
	wantStatus(t, "list", r, 200)
	var page struct {
		Items []map[string]any `json:"items"`
		Meta  struct {
			Size       int    `json:"size"`
			HasNext    bool   `json:"has_next"`
			NextCursor string `json:"next_cursor"`
		} `json:"meta"`
		Links struct {
			Self string `json:"self"`
			Next string `json:"next"`
		} `json:"links"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Meta.Size != 2 || !page.Meta.HasNext || page.Meta.NextCursor == "" {
		t.Fatalf("page %s", r.body)
	}
	if page.Items[0]["price"].(map[string]any)["amount"] != 500.0 || page.Items[1]["price"].(map[string]any)["amount"] != 400.0 {
		t.Errorf("sort -price gave %s", r.body)
	}
	if page.Links.Self != "/api/v2/items?limit=2&sort=-price" {
		t.Errorf("links.self = %q", page.Links.Self)
	}
	link := r.header.Get("Link")
	re := regexp.MustCompile(`<([^>]*)>; rel="next"`)
	mm := re.FindStringSubmatch(link)
	if mm == nil || mm[1] != page.Links.Next || !strings.Contains(mm[1], "cursor="+page.Meta.NextCursor) {
		t.Fatalf("Link %q, links.next %q", link, page.Links.Next)
	}
	var seen []float64
	next := mm[1]
	for next != "" {
		p := s.do("GET", next, "")
		wantStatus(t, next, p, 200)
		var pg struct {
			Items []struct {
				Price Price `json:"price"`
			} `json:"items"`
			Links struct {
				Next string `json:"next"`
			} `json:"links"`
		}
		json.Unmarshal(p.body, &pg)
		for _, it := range pg.Items {
			seen = append(seen, float64(it.Price.Amount))
		}
		next = pg.Links.Next
	}
	if !reflect.DeepEqual(seen, []float64{300, 200, 100}) {
		t.Errorf("following pages gave %v", seen)
	}

	// Refusals.
	tampered := page.Meta.NextCursor[:len(page.Meta.NextCursor)-2] + "AA"
	if tampered == page.Meta.NextCursor {
		tampered = page.Meta.NextCursor[:len(page.Meta.NextCursor)-2] + "BB"
	}
	for _, tt := range []struct{ query, code string }{
		{"limit=0", "invalid_parameter"},
		{"limit=101", "invalid_parameter"},
		{"limit=abc", "invalid_parameter"},
		{"limit=-1", "invalid_parameter"},
		{"sort=colour", "invalid_parameter"},
		{"sort=-name", "invalid_parameter"},
		{"cursor=" + tampered + "&limit=2&sort=-price", "invalid_cursor"},
		{"cursor=not-a-cursor", "invalid_cursor"},
		{"cursor=" + page.Meta.NextCursor + "&limit=2&sort=price", "invalid_cursor"}, // issued for another sort
	} {
		r := s.do("GET", "/api/v2/items?"+tt.query, "")
		wantError(t, tt.query, r, 400, tt.code)
	}
	// limit bounds, and the default.
	for q, n := range map[string]int{"limit=1": 1, "limit=100": 5, "": 5} {
		r := s.do("GET", "/api/v2/items?"+q, "")
		wantStatus(t, q, r, 200)
		var pg struct {
			Items []any `json:"items"`
			Meta  struct {
				Size int `json:"size"`
			} `json:"meta"`
		}
		json.Unmarshal(r.body, &pg)
		if len(pg.Items) != n {
			t.Errorf("%q: %d items, want %d", q, len(pg.Items), n)
		}
		if q == "" && pg.Meta.Size != 20 {
			t.Errorf("default size %d, want 20", pg.Meta.Size)
		}
	}
}

// TestExpiredCursor: a cursor older than a day is refused.
func TestExpiredCursor(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	s := newTestShop(t, func(c *Config) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	})
	s.createItem("a", 1, "USD")
	s.createItem("b", 2, "USD")
	r := s.do("GET", "/api/v2/items?limit=1", "")
	var pg struct {
		Meta struct {
			NextCursor string `json:"next_cursor"`
		} `json:"meta"`
	}
	json.Unmarshal(r.body, &pg)
	wantStatus(t, "fresh cursor", s.do("GET", "/api/v2/items?limit=1&cursor="+pg.Meta.NextCursor, ""), 200)
	mu.Lock()
	clock = clock.Add(25 * time.Hour)
	mu.Unlock()
	wantError(t, "expired cursor", s.do("GET", "/api/v2/items?limit=1&cursor="+pg.Meta.NextCursor, ""), 400, "invalid_cursor")
}
