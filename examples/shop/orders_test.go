package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCreateOrder(t *testing.T) {
	s := newTestShop(t, nil)
	item, _ := s.createItem("mug", 1200, "USD")
	id := idOf(t, item)
	body := `{"item_id":` + id + `,"quantity":2}`

	wantError(t, "no key", s.do("POST", "/api/v2/orders", body), 400, "idempotency_key_missing")
	wantError(t, "bad key", s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "a b"), 400, "idempotency_key_invalid")
	if n := s.count("orders"); n != 0 {
		t.Fatalf("%d orders after refusals", n)
	}

	first := s.do("POST", "/api/v2/orders", body, "Idempotency-Key", `"8e03978e-40d5-43e8-bc93-6894a57f9324"`)
	wantStatus(t, "first", first, http.StatusCreated)
	o := first.json(t)
	oid := idOf(t, o)
	if got, want := first.header.Get("Location"), "/api/v2/orders/"+oid; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if o["item_id"] != item["id"] || o["quantity"] != 2.0 || o["created_at"] == nil {
		t.Errorf("order %s", first.body)
	}
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("first response marked replayed")
	}
	if n := s.count("orders"); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}

	// A retry (the bare form of the same key) is replayed.
	again := s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "8e03978e-40d5-43e8-bc93-6894a57f9324")
	wantStatus(t, "retry", again, http.StatusCreated)
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed = %q", again.header.Get("Idempotent-Replayed"))
	}
	if !bytes.Equal(again.body, first.body) || again.header.Get("Location") != first.header.Get("Location") {
		t.Errorf("replay %s %q, first %s %q", again.body, again.header.Get("Location"), first.body, first.header.Get("Location"))
	}
	if n := s.count("orders"); n != 1 {
		t.Fatalf("%d orders after the retry, want 1", n)
	}

	// The same key for another order.
	wantError(t, "reused key", s.do("POST", "/api/v2/orders", `{"item_id":`+id+`,"quantity":3}`, "Idempotency-Key", "8e03978e-40d5-43e8-bc93-6894a57f9324"),
		422, "idempotency_key_reused")

	// Bad orders are 422, and a retry of one gets the same answer.
	for _, tt := range []struct{ name, body, field string }{
		{"unknown item", `{"item_id":999999,"quantity":1}`, "item_id"},
		{"zero quantity", `{"item_id":` + id + `,"quantity":0}`, "quantity"},
		{"fractional quantity", `{"item_id":` + id + `,"quantity":1.5}`, "quantity"},
		{"no item", `{"quantity":1}`, "item_id"},
	} {
		key := "bad-" + strings.ReplaceAll(tt.name, " ", "-")
		r := s.do("POST", "/api/v2/orders", tt.body, "Idempotency-Key", key)
		wantError(t, tt.name, r, 422, "validation_failed")
		if _, ok := r.details(t)[tt.field]; !ok {
			t.Errorf("%s: details %v do not name %s", tt.name, r.details(t), tt.field)
		}
	}
	wantError(t, "malformed", s.do("POST", "/api/v2/orders", `{`, "Idempotency-Key", "m1"), 400, "malformed_json")
	wantError(t, "not JSON", s.do("POST", "/api/v2/orders", `x`, "Idempotency-Key", "m2", "Content-Type", "text/plain"), 415, "unsupported_media_type")
	if n := s.count("orders"); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}

	g := s.do("GET", "/api/v2/orders/"+oid, "")
	wantStatus(t, "GET order", g, 200)
	if !bytes.Equal(g.body, first.body) {
		t.Errorf("GET %s, POST %s", g.body, first.body)
	}
	wantError(t, "GET unknown order", s.do("GET", "/api/v2/orders/999999", ""), 404, "not_found")
}

// TestOrderInProgress: a retry while the first request is running gets
// 409, and the order is made once.
func TestOrderInProgress(t *testing.T) {
	s := newTestShop(t, nil)
	item, _ := s.createItem("mug", 1200, "USD")
	body := `{"item_id":` + idOf(t, item) + `,"quantity":1}`
	entered, release := make(chan struct{}), make(chan struct{})
	s.srv.hooks.beforeOrderCommit = func(*http.Request) {
		close(entered)
		<-release
	}
	done := make(chan *response)
	go func() { done <- s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "slow-1") }()
	<-entered
	r := s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "slow-1")
	wantError(t, "retry in flight", r, http.StatusConflict, "idempotency_in_progress")
	if r.header.Get("Retry-After") == "" {
		t.Error("409 without Retry-After")
	}
	close(release)
	wantStatus(t, "first", <-done, 201)
	s.srv.hooks.beforeOrderCommit = nil
	wantStatus(t, "retry after", s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "slow-1"), 201)
	if n := s.count("orders"); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}

// TestOrdersAreTheCallers: Idempotency-Keys, orders and their lists
// belong to the account whose API key made them; another account can
// neither read nor replay them, and no key gets no orders at all.
func TestOrdersAreTheCallers(t *testing.T) {
	s := newTestShop(t, nil)
	item, _ := s.createItem("mug", 1200, "USD")
	body := `{"item_id":` + idOf(t, item) + `,"quantity":1}`

	alice := s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "same-key", "Authorization", s.bearer("alice"))
	wantStatus(t, "alice", alice, 201)
	again := s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "same-key", "Authorization", s.bearer("alice"))
	wantStatus(t, "alice again", again, 201)
	if again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(alice.body, again.body) {
		t.Fatalf("alice's retry: Idempotent-Replayed %q, body %s; want her first answer replayed", again.header.Get("Idempotent-Replayed"), again.body)
	}
	bob := s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "same-key", "Authorization", s.bearer("bob"))
	wantStatus(t, "bob", bob, 201)
	if bob.header.Get("Idempotent-Replayed") != "" || bytes.Equal(alice.body, bob.body) {
		t.Fatalf("bob was served alice's order: %s", bob.body)
	}
	wantError(t, "no key", s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "same-key", "Authorization", ""), 401, "unauthenticated")
	if n := s.count("orders"); n != 2 {
		t.Fatalf("%d orders, want 2", n)
	}

	aliceID := idOf(t, alice.json(t))
	wantStatus(t, "alice reads hers", s.do("GET", "/api/v2/orders/"+aliceID, "", "Authorization", s.bearer("alice")), 200)
	wantError(t, "bob reads alice's", s.do("GET", "/api/v2/orders/"+aliceID, "", "Authorization", s.bearer("bob")), 404, "not_found")
	wantError(t, "no key reads alice's", s.do("GET", "/api/v2/orders/"+aliceID, "", "Authorization", ""), 401, "unauthenticated")
	wantError(t, "a made-up key reads alice's", s.do("GET", "/api/v2/orders/"+aliceID, "", "Authorization", "Bearer alice"), 401, "invalid_api_key")

	for _, tt := range []struct {
		account string
		want    []string
	}{
		{"alice", []string{aliceID}},
		{"bob", []string{idOf(t, bob.json(t))}},
		{"carol", nil},
	} {
		r := s.do("GET", "/api/v2/orders", "", "Authorization", s.bearer(tt.account))
		wantStatus(t, "list "+tt.account, r, 200)
		var pg struct {
			Items []map[string]any `json:"items"`
		}
		json.Unmarshal(r.body, &pg)
		var got []string
		for _, o := range pg.Items {
			got = append(got, idOf(t, o))
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s lists %v, want %v", tt.account, got, tt.want)
		}
	}
	wantError(t, "list with no key", s.do("GET", "/api/v2/orders", "", "Authorization", ""), 401, "unauthenticated")
}

func TestListOrders(t *testing.T) {
	s := newTestShop(t, nil)
	item, _ := s.createItem("mug", 1200, "USD")
	var ids []string
	for i := range 5 {
		r := s.do("POST", "/api/v2/orders", `{"item_id":`+idOf(t, item)+`,"quantity":1}`, "Idempotency-Key", "k"+string(rune('0'+i)))
		wantStatus(t, "order", r, 201)
		ids = append(ids, idOf(t, r.json(t)))
	}
	walk := func(first string) []string {
		var got []string
		next := first
		for next != "" {
			r := s.do("GET", next, "")
			wantStatus(t, next, r, 200)
			var pg struct {
				Items []map[string]any `json:"items"`
				Links struct {
					Next string `json:"next"`
				} `json:"links"`
			}
			json.Unmarshal(r.body, &pg)
			for _, o := range pg.Items {
				got = append(got, idOf(t, o))
			}
			next = pg.Links.Next
		}
		return got
	}
	if got, want := strings.Join(walk("/api/v2/orders?limit=2"), ","), strings.Join([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}, ","); got != want {
		t.Errorf("default order (newest first) %s, want %s", got, want)
	}
	if got, want := strings.Join(walk("/api/v2/orders?limit=2&sort=created_at"), ","), strings.Join(ids, ","); got != want {
		t.Errorf("sort=created_at %s, want %s", got, want)
	}
	// A cursor is bound to its caller.
	r := s.do("GET", "/api/v2/orders?limit=2", "")
	var pg struct {
		Meta struct {
			NextCursor string `json:"next_cursor"`
		} `json:"meta"`
	}
	json.Unmarshal(r.body, &pg)
	wantError(t, "another caller's cursor", s.do("GET", "/api/v2/orders?limit=2&cursor="+pg.Meta.NextCursor, "", "Authorization", s.bearer("mallory")),
		400, "invalid_cursor")
	wantStatus(t, "the caller's own cursor", s.do("GET", "/api/v2/orders?limit=2&cursor="+pg.Meta.NextCursor, ""), 200)
	wantError(t, "bad limit", s.do("GET", "/api/v2/orders?limit=1000", ""), 400, "invalid_parameter")
}

// TestOrderCrashWindow: an order whose response was never recorded (the
// process died between the commit and the record) is found by the retry,
// through the orders table's unique (caller, key), instead of being made
// twice.
func TestOrderCrashWindow(t *testing.T) {
	s := newTestShop(t, nil)
	item, _ := s.createItem("mug", 1200, "USD")
	itemID := idOf(t, item)
	// The committed order of the lost request: caller as the shop names
	// this client (its account), no idempotency record.
	const caller = "acct:alice"
	var id int64
	if err := s.srv.store.wdb.QueryRow(`INSERT INTO orders (caller, idempotency_key, item_id, quantity, created_at) VALUES (?, 'lost-1', ?, 2, ?) RETURNING id`,
		caller, itemID, now().UnixNano()).Scan(&id); err != nil {
		t.Fatal(err)
	}

	r := s.do("POST", "/api/v2/orders", `{"item_id":`+itemID+`,"quantity":2}`, "Idempotency-Key", "lost-1", "Authorization", s.bearer("alice"))
	wantStatus(t, "retry of the lost request", r, 201)
	if got := idOf(t, r.json(t)); got != jsonNumber(float64(id)) {
		t.Errorf("order %s, want the existing %d", got, id)
	}
	if n := s.count("orders"); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
	// From now on the record exists: replays.
	again := s.do("POST", "/api/v2/orders", `{"item_id":`+itemID+`,"quantity":2}`, "Idempotency-Key", "lost-1", "Authorization", s.bearer("alice"))
	if again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, r.body) {
		t.Errorf("second retry: %d %q %s", again.status, again.header.Get("Idempotent-Replayed"), again.body)
	}
	// Another order under a lost key is refused, never made.
	if _, err := s.srv.store.wdb.Exec(`INSERT INTO orders (caller, idempotency_key, item_id, quantity, created_at) VALUES (?, 'lost-2', ?, 2, ?)`,
		caller, itemID, now().UnixNano()); err != nil {
		t.Fatal(err)
	}
	wantError(t, "other order under a lost key",
		s.do("POST", "/api/v2/orders", `{"item_id":`+itemID+`,"quantity":5}`, "Idempotency-Key", "lost-2", "Authorization", s.bearer("alice")),
		422, "idempotency_key_reused")
	if n := s.count("orders"); n != 2 {
		t.Fatalf("%d orders, want 2", n)
	}
}

// TestOrderClientGoesAway: a client that disconnects while its order is
// being written loses nothing: the order commits, its response is
// recorded, and the retry is replayed.
func TestOrderClientGoesAway(t *testing.T) {
	s := newTestShop(t, nil)
	item, _ := s.createItem("mug", 1200, "USD")
	body := `{"item_id":` + idOf(t, item) + `,"quantity":1}`
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan struct{})
	s.srv.hooks.beforeOrderCommit = func(r *http.Request) {
		cancel() // the client hangs up mid-request
		select {
		case <-r.Context().Done(): // the server noticed
		case <-time.After(5 * time.Second):
		}
		close(gone)
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", s.ts.URL+"/api/v2/orders", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "hangup-1")
	req.Header.Set("Authorization", s.bearer(defaultAccount))
	if _, err := s.client.Do(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v, want context.Canceled", err)
	}
	<-gone
	s.srv.hooks.beforeOrderCommit = nil
	// The handler finishes on its own; the retry may find it in progress
	// for a moment.
	var r *response
	for range 500 {
		r = s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "hangup-1")
		if r.status != http.StatusConflict {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	wantStatus(t, "retry", r, 201)
	if r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry not replayed: %q", r.header.Get("Idempotent-Replayed"))
	}
	if n := s.count("orders"); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}
