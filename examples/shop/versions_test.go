package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/sfv"
)

// checkDeprecated checks the fields every version 1 response carries.
func checkDeprecated(t *testing.T, what string, r *response, successor string) {
	t.Helper()
	dep := r.header.Get("Deprecation")
	it, err := sfv.ParseItem(dep)
	if err != nil {
		t.Errorf("%s: Deprecation %q: %v", what, dep, err)
	} else if d, ok := it.Value.(sfv.Date); !ok || int64(d) != v1Deprecated.Unix() {
		t.Errorf("%s: Deprecation %q, want @%d", what, dep, v1Deprecated.Unix())
	}
	if got, want := r.header.Get("Sunset"), "Wed, 30 Jun 2027 23:59:59 GMT"; got != want {
		t.Errorf("%s: Sunset %q, want %q", what, got, want)
	}
	if _, err := time.Parse(http.TimeFormat, r.header.Get("Sunset")); err != nil {
		t.Errorf("%s: Sunset is not an IMF-fixdate: %v", what, err)
	}
	links := strings.Join(r.header.Values("Link"), ", ")
	if want := "<" + successor + `>; rel="successor-version"`; !strings.Contains(links, want) {
		t.Errorf("%s: Link %q lacks %s", what, links, want)
	}
	if !strings.Contains(links, `</docs>; rel="deprecation"`) {
		t.Errorf("%s: Link %q lacks the deprecation documentation", what, links)
	}
}

func TestVersion1(t *testing.T) {
	s := newTestShop(t, nil)

	// Create in the old shape: price a number, currency beside it.
	r := s.do("POST", "/api/v1/items", `{"name":"mug","price":1200,"currency":"USD"}`)
	wantStatus(t, "v1 POST", r, http.StatusCreated)
	checkDeprecated(t, "v1 POST", r, "/api/v2/items")
	m := r.json(t)
	id := idOf(t, m)
	want := map[string]any{"id": m["id"], "name": "mug", "price": 1200.0, "currency": "USD", "created_at": m["created_at"], "updated_at": m["updated_at"]}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("v1 body %s", r.body)
	}
	if got := r.header.Get("Location"); got != "/api/v1/items/"+id {
		t.Errorf("v1 Location %q", got)
	}
	tag1 := r.header.Get("ETag")
	if !strings.HasSuffix(tag1, `-v1"`) {
		t.Errorf("v1 ETag %q, want a -v1 tag", tag1)
	}

	// The same item in version 2.
	v2 := s.do("GET", "/api/v2/items/"+id, "")
	tag2 := v2.header.Get("ETag")
	if strings.TrimSuffix(tag1, `-v1"`)+`"` != tag2 {
		t.Errorf("v1 tag %q, v2 tag %q", tag1, tag2)
	}
	if v2.header.Get("Deprecation") != "" || v2.header.Get("Sunset") != "" {
		t.Error("v2 response marked deprecated")
	}

	g := s.do("GET", "/api/v1/items/"+id, "")
	wantStatus(t, "v1 GET", g, http.StatusOK)
	checkDeprecated(t, "v1 GET", g, "/api/v2/items/"+id)
	if g.header.Get("ETag") != tag1 || !reflect.DeepEqual(g.json(t), want) {
		t.Errorf("v1 GET %s %s", g.header.Get("ETag"), g.body)
	}

	// Conditional requests work with version 1 tags.
	nm := s.do("GET", "/api/v1/items/"+id, "", "If-None-Match", tag1)
	wantStatus(t, "v1 If-None-Match", nm, http.StatusNotModified)
	checkDeprecated(t, "v1 304", nm, "/api/v2/items/"+id)
	if nm.header.Get("ETag") != tag1 {
		t.Errorf("v1 304 ETag %q", nm.header.Get("ETag"))
	}
	wantError(t, "v1 PUT stale", s.do("PUT", "/api/v1/items/"+id, `{"name":"cup","price":5,"currency":"KRW"}`, "If-Match", `"1.0-v1"`),
		http.StatusPreconditionFailed, "precondition_failed")
	wantError(t, "v1 PUT unconditional", s.do("PUT", "/api/v1/items/"+id, `{"name":"cup","price":5,"currency":"KRW"}`),
		http.StatusPreconditionRequired, "precondition_required")
	p := s.do("PUT", "/api/v1/items/"+id, `{"name":"cup","price":5,"currency":"KRW"}`, "If-Match", tag1)
	wantStatus(t, "v1 PUT", p, http.StatusOK)
	pm := p.json(t)
	if pm["price"] != 5.0 || pm["currency"] != "KRW" || pm["name"] != "cup" {
		t.Errorf("v1 PUT body %s", p.body)
	}
	tag1b := p.header.Get("ETag")
	if !strings.HasSuffix(tag1b, `-v1"`) || tag1b == tag1 {
		t.Errorf("v1 PUT ETag %q (before %q)", tag1b, tag1)
	}
	if got := p.header.Get("Content-Location"); got != "/api/v1/items/"+id {
		t.Errorf("v1 PUT Content-Location %q", got)
	}
	// A version 1 merge patch: price alone keeps the currency.
	pa := s.do("PATCH", "/api/v1/items/"+id, `{"price":7}`, "Content-Type", mergePatchType, "If-Match", tag1b)
	wantStatus(t, "v1 PATCH", pa, http.StatusOK)
	if pm := pa.json(t); pm["price"] != 7.0 || pm["currency"] != "KRW" {
		t.Errorf("v1 PATCH body %s", pa.body)
	}
	if v2 := s.do("GET", "/api/v2/items/"+id, "").json(t); !reflect.DeepEqual(v2["price"], map[string]any{"amount": 7.0, "currency": "KRW"}) {
		t.Errorf("v2 after the v1 PATCH: %v", v2)
	}
	wantError(t, "v1 validation", s.do("POST", "/api/v1/items", `{"name":"x","price":-1,"currency":"EUR"}`), 422, "validation_failed")

	// Lists come in the old shape, with links in version 1.
	s.createItem("plate", 300, "JPY")
	l := s.do("GET", "/api/v1/items?limit=1", "")
	wantStatus(t, "v1 list", l, http.StatusOK)
	checkDeprecated(t, "v1 list", l, "/api/v2/items?limit=1")
	var pg struct {
		Items []map[string]any `json:"items"`
		Links struct {
			Self, Next string
		} `json:"links"`
	}
	json.Unmarshal(l.body, &pg)
	if len(pg.Items) != 1 || pg.Items[0]["currency"] == nil {
		t.Errorf("v1 list %s", l.body)
	}
	if _, isNumber := pg.Items[0]["price"].(float64); !isNumber {
		t.Errorf("v1 list price %v", pg.Items[0]["price"])
	}
	if !strings.HasPrefix(pg.Links.Next, "/api/v1/items?") || !strings.Contains(strings.Join(l.header.Values("Link"), ","), `</api/v1/items?`) {
		t.Errorf("v1 next link %q, Link %q", pg.Links.Next, l.header.Values("Link"))
	}

	// Orders in version 1.
	o := s.do("POST", "/api/v1/orders", `{"item_id":`+id+`,"quantity":1}`, "Idempotency-Key", "v1-order")
	wantStatus(t, "v1 order", o, http.StatusCreated)
	checkDeprecated(t, "v1 order", o, "/api/v2/orders")
	oid := idOf(t, o.json(t))
	if got := o.header.Get("Location"); got != "/api/v1/orders/"+oid {
		t.Errorf("v1 order Location %q", got)
	}
	wantStatus(t, "v1 get order", s.do("GET", "/api/v1/orders/"+oid, ""), http.StatusOK)
}

func TestUnsupportedVersion(t *testing.T) {
	s := newTestShop(t, nil)
	for _, path := range []string{"/api/v9/items", "/api/v3/orders/1", "/api/v0/items/1"} {
		r := s.do("GET", path, "")
		wantError(t, path, r, http.StatusNotFound, "unsupported_version")
		var env struct {
			Error struct {
				Supported []string `json:"supported_versions"`
			} `json:"error"`
		}
		json.Unmarshal(r.body, &env)
		if !reflect.DeepEqual(env.Error.Supported, []string{"1", "2"}) {
			t.Errorf("%s: supported_versions %v in %s", path, env.Error.Supported, r.body)
		}
	}
}
