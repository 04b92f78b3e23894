package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const (
	wwwAuthMissing = `Bearer realm="shop"`
	wwwAuthInvalid = `Bearer realm="shop", error="invalid_token"`
)

// TestAuthenticate sends requests with every kind of Authorization to
// routes that need a key and to those that do not, and checks the status,
// the error code and WWW-Authenticate exactly.
func TestAuthenticate(t *testing.T) {
	s := newTestShop(t, nil)
	item, _ := s.createItem("mug", 1200, "USD")
	id := idOf(t, item)
	key := s.key("alice")
	unknown, _ := newAPIKey()
	flip := map[bool]string{true: "B", false: "A"}[key[10] == 'A']
	changed := key[:10] + flip + key[11:]

	for _, tt := range []struct {
		name         string
		method, path string
		auth         []string // Authorization field values; nil: none
		status       int
		code         string // for a 401
		www          string // WWW-Authenticate of a 401
	}{
		{"write, no key", "POST", "/api/v2/items", nil, 401, "unauthenticated", wwwAuthMissing},
		{"write, empty field", "POST", "/api/v2/items", []string{""}, 401, "unauthenticated", wwwAuthMissing},
		{"delete, no key", "DELETE", "/api/v2/items/" + id, nil, 401, "unauthenticated", wwwAuthMissing},
		{"orders, no key", "GET", "/api/v2/orders", nil, 401, "unauthenticated", wwwAuthMissing},
		{"one order, no key", "GET", "/api/v2/orders/1", nil, 401, "unauthenticated", wwwAuthMissing},
		{"version 1 orders, no key", "GET", "/api/v1/orders", nil, 401, "unauthenticated", wwwAuthMissing},
		{"unknown API route, no key", "GET", "/api/v2/nope", nil, 401, "unauthenticated", wwwAuthMissing},
		{"items below an item, no key", "GET", "/api/v2/items/" + id + "/x", nil, 401, "unauthenticated", wwwAuthMissing},

		{"list items, no key", "GET", "/api/v2/items", nil, 200, "", ""},
		{"read an item, no key", "GET", "/api/v2/items/" + id, nil, 200, "", ""},
		{"HEAD an item, no key", "HEAD", "/api/v2/items/" + id, nil, 200, "", ""},
		{"version 1 item, no key", "GET", "/api/v1/items/" + id, nil, 200, "", ""},
		{"missing item, no key", "GET", "/api/v2/items/999", nil, 404, "", ""},
		{"healthz, no key", "GET", "/healthz", nil, 200, "", ""},
		{"openapi, no key", "GET", "/openapi.json", nil, 200, "", ""},
		{"healthz ignores Authorization", "GET", "/healthz", []string{"Basic Zm9vOmJhcg=="}, 200, "", ""},

		{"write, key", "POST", "/api/v2/orders", []string{"Bearer " + key}, 422, "", ""},
		{"orders, key", "GET", "/api/v2/orders", []string{"Bearer " + key}, 200, "", ""},
		{"scheme in lower case", "GET", "/api/v2/orders", []string{"bearer " + key}, 200, "", ""},
		{"scheme in upper case", "GET", "/api/v2/orders", []string{"BEARER " + key}, 200, "", ""},
		{"read with a key", "GET", "/api/v2/items/" + id, []string{"Bearer " + key}, 200, "", ""},

		{"unknown key", "GET", "/api/v2/orders", []string{"Bearer " + unknown}, 401, "invalid_api_key", wwwAuthInvalid},
		{"unknown key on a read", "GET", "/api/v2/items", []string{"Bearer " + unknown}, 401, "invalid_api_key", wwwAuthInvalid},
		{"one character changed", "GET", "/api/v2/orders", []string{"Bearer " + changed}, 401, "invalid_api_key", wwwAuthInvalid},
		{"key and a character more", "GET", "/api/v2/orders", []string{"Bearer " + key + "A"}, 401, "invalid_api_key", wwwAuthInvalid},
		{"key short of one", "GET", "/api/v2/orders", []string{"Bearer " + key[:len(key)-1]}, 401, "invalid_api_key", wwwAuthInvalid},
		{"padded key", "GET", "/api/v2/orders", []string{"Bearer " + key + "="}, 401, "invalid_api_key", wwwAuthInvalid},
		{"no prefix", "GET", "/api/v2/orders", []string{"Bearer " + strings.TrimPrefix(key, keyPrefix) + "12345"}, 401, "invalid_api_key", wwwAuthInvalid},
		{"two spaces", "GET", "/api/v2/orders", []string{"Bearer  " + key}, 401, "invalid_api_key", wwwAuthInvalid},
		{"tab", "GET", "/api/v2/orders", []string{"Bearer\t" + key}, 401, "invalid_api_key", wwwAuthInvalid},
		{"scheme alone", "GET", "/api/v2/orders", []string{"Bearer"}, 401, "invalid_api_key", wwwAuthInvalid},
		{"key alone", "GET", "/api/v2/orders", []string{key}, 401, "invalid_api_key", wwwAuthInvalid},
		{"basic", "GET", "/api/v2/orders", []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+key))}, 401, "unauthenticated", wwwAuthMissing},
		{"token with a comma", "GET", "/api/v2/orders", []string{"Bearer " + key + ", Bearer " + key}, 401, "invalid_api_key", wwwAuthInvalid},
		{"two fields", "GET", "/api/v2/orders", []string{"Bearer " + key, "Bearer " + key}, 401, "invalid_api_key", wwwAuthInvalid},
		{"over the length cap", "GET", "/api/v2/orders", []string{"Bearer " + strings.Repeat("a", maxAuthorization)}, 401, "invalid_api_key", wwwAuthInvalid},
		{"not token68", "GET", "/api/v2/orders", []string{"Bearer shop_" + strings.Repeat("!", 43)}, 401, "invalid_api_key", wwwAuthInvalid},
		{"token68 but not a key", "GET", "/api/v2/orders", []string{"Bearer shop_" + strings.Repeat("+", 43)}, 401, "invalid_api_key", wwwAuthInvalid},
		{"bad key on an anonymous read", "GET", "/api/v1/items/" + id, []string{"Bearer nope"}, 401, "invalid_api_key", wwwAuthInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.method == "POST" {
				body = strings.NewReader(`{}`)
			}
			req, _ := http.NewRequest(tt.method, s.ts.URL+tt.path, body)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", strconv.Quote("auth-"+tt.name))
			for _, v := range tt.auth {
				req.Header.Add("Authorization", v)
			}
			res, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r := &response{status: res.StatusCode, header: res.Header, body: b}
			checkCommon(t, tt.name, r, true)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", r.status, tt.status, b)
			}
			if got := r.header.Values("Www-Authenticate"); tt.status == 401 && (len(got) != 1 || got[0] != tt.www) ||
				tt.status != 401 && len(got) != 0 {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.www)
			}
			if tt.status == 401 {
				wantError(t, tt.name, r, 401, tt.code)
				if r.header.Get("RateLimit") != "" {
					t.Errorf("401 counted by the limiter: RateLimit %q", r.header.Get("RateLimit"))
				}
			}
		})
	}
	if logs := s.logs.String(); strings.Contains(logs, key) || strings.Contains(logs, unknown) {
		t.Errorf("a key reached the log:\n%s", logs)
	}
}

// TestBearerKey checks the parser alone: only one field of "Bearer", one
// space and a key of the shop's format is a key.
func TestBearerKey(t *testing.T) {
	key, _ := newAPIKey()
	for _, tt := range []struct {
		values []string
		want   credential
	}{
		{nil, credMissing},
		{[]string{""}, credMissing},
		{[]string{"Bearer " + key}, credKey},
		{[]string{"bEaReR " + key}, credKey},
		{[]string{"", ""}, credMalformed},
		{[]string{"Bearer " + key, ""}, credMalformed},
		{[]string{" Bearer " + key}, credMissing},
		{[]string{"Bearer " + key + " "}, credMalformed},
		{[]string{"Bearer:" + key}, credMissing},
		{[]string{"Bearers " + key}, credMissing},
		{[]string{"Bearer " + strings.ToUpper(key[:5]) + key[5:]}, credMalformed},
		{[]string{"Bearer " + key[:20] + "." + key[21:]}, credMalformed},
		{[]string{"Bearer " + key[:20] + "\x00" + key[21:]}, credMalformed},
		{[]string{"Bearer " + key[:20] + "é" + key[22:]}, credMalformed},
		{[]string{"Bearer ="}, credMalformed},
		{[]string{"Bearer"}, credMalformed},
		{[]string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, credMissing},
		{[]string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer " + key}, credMalformed},
		{[]string{"Bearer " + strings.Repeat("A", 1<<16)}, credMalformed},
	} {
		got, cred := bearerKey(tt.values)
		if cred != tt.want {
			t.Errorf("bearerKey(%.60q) = %d, want %d", tt.values, cred, tt.want)
		}
		if (cred == credKey) != (got != "") || cred == credKey && got != key {
			t.Errorf("bearerKey(%.60q) key %q, want %q", tt.values, got, key)
		}
	}
}

// FuzzBearerKey: whatever one or two Authorization fields hold, the parser
// does not panic, takes a key only in the shop's format from one field
// that says Bearer and a single space, and the middleware answers 200 or
// a 401 with its exact WWW-Authenticate, never anything else.
func FuzzBearerKey(f *testing.F) {
	key, _ := newAPIKey()
	for _, seed := range []string{
		"", "Bearer", "Bearer ", "Bearer " + key, "bearer " + key, "Bearer  " + key, "Bearer " + key + "=",
		"Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer shop_", "Bearer shop_" + strings.Repeat("-", 43),
		"Bearer a.b.c", "Bearer " + strings.Repeat("A", 300), "Bearer ~+/=", "Bearer\x00" + key, "Bearer é",
	} {
		f.Add(seed, "", false)
	}
	f.Add("Bearer "+key, "Bearer "+key, true)
	f.Add("", "Bearer "+key, true)
	s := newFuzzShop(f)
	if err := s.store.AddAPIKey(f.Context(), sha256.Sum256([]byte(key)), "fuzz"); err != nil {
		f.Fatal(err)
	}
	okh := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	h := s.authenticate(okh)
	f.Fuzz(func(t *testing.T, v1, v2 string, two bool) {
		values := []string{v1}
		if two {
			values = append(values, v2)
		}
		tok, cred := bearerKey(values)
		switch cred {
		case credKey:
			if two || len(tok) != keyLen || !strings.HasPrefix(tok, keyPrefix) || !strings.EqualFold(v1, "Bearer "+tok) {
				t.Fatalf("bearerKey(%q) took %q", values, tok)
			}
			if _, err := base64.RawURLEncoding.DecodeString(tok[len(keyPrefix):]); err != nil {
				t.Fatalf("bearerKey(%q) took %q, not base64url: %v", values, tok, err)
			}
		case credMissing:
			if two || bearerAttempt(v1) {
				t.Fatalf("bearerKey(%q) found no credential", values)
			}
		case credMalformed:
			if tok != "" {
				t.Fatalf("bearerKey(%q) returned %q with credMalformed", values, tok)
			}
		default:
			t.Fatalf("bearerKey(%q): credential %d", values, cred)
		}

		req := httptest.NewRequest("GET", "/api/v2/orders", nil)
		req.Header["Authorization"] = values
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		want := map[credential]string{credMissing: wwwAuthMissing, credMalformed: wwwAuthInvalid, credKey: wwwAuthInvalid}[cred]
		switch {
		case w.Code == 200 && cred == credKey && tok == key:
		case w.Code == 401 && w.Header().Get("Www-Authenticate") == want && (tok != key || cred != credKey):
		default:
			t.Fatalf("%q: %d %q %s", values, w.Code, w.Header().Get("Www-Authenticate"), w.Body)
		}
	})
}

// TestKeysAdd runs "keys add" as main does: one line on stdout, the key;
// the database holds its SHA-256 and not the key; a shop on that
// database takes the key for its account.
func TestKeysAdd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	noenv := func(string) string { return "" }
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"keys", "add", "-db", db, "alice"}, noenv, &out, &errb, nil); err != nil {
		t.Fatalf("keys add: %v; %s", err, errb.String())
	}
	if !regexp.MustCompile(`^shop_[A-Za-z0-9_-]{43}\n$`).Match(out.Bytes()) {
		t.Fatalf("stdout %q, want one line with the key", out.String())
	}
	key := strings.TrimSuffix(out.String(), "\n")
	raw, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimPrefix(key, keyPrefix))
	if err != nil || len(raw) != 32 {
		t.Fatalf("key %q: %d bytes (%v), want 32 random bytes", key, len(raw), err)
	}
	// SHOP_DB names the database as -db does.
	out.Reset()
	if err := run(context.Background(), []string{"keys", "add", "bob"}, func(k string) string {
		if k == "SHOP_DB" {
			return db
		}
		return ""
	}, &out, &errb, nil); err != nil {
		t.Fatalf("keys add with SHOP_DB: %v; %s", err, errb.String())
	}
	bobKey := strings.TrimSuffix(out.String(), "\n")

	// What the database keeps: the hash, the account, no key.
	sqlDB, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sqlDB.Query(`SELECT hash, account FROM api_keys ORDER BY account`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var hash []byte
		var account string
		if err := rows.Scan(&hash, &account); err != nil {
			t.Fatal(err)
		}
		got = append(got, account+" "+base64.RawURLEncoding.EncodeToString(hash))
	}
	rows.Close()
	sqlDB.Close()
	sumA, sumB := sha256.Sum256([]byte(key)), sha256.Sum256([]byte(bobKey))
	if want := []string{"alice " + base64.RawURLEncoding.EncodeToString(sumA[:]), "bob " + base64.RawURLEncoding.EncodeToString(sumB[:])}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("api_keys %v, want %v", got, want)
	}
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(key)) || bytes.Contains(b, raw) || bytes.Contains(b, []byte(bobKey)) {
			t.Errorf("%s holds a key", f)
		}
	}

	// The key works, for its account.
	s := newTestShop(t, func(c *Config) { c.DB = db })
	item, _ := s.createItem("mug", 1, "USD")
	body := `{"item_id":` + idOf(t, item) + `,"quantity":1}`
	r := s.do("POST", "/api/v2/orders", body, "Idempotency-Key", "k1", "Authorization", "Bearer "+key)
	wantStatus(t, "order with the new key", r, 201)
	if n, err := s.srv.store.CountOrders(context.Background(), "acct:alice"); err != nil || n != 1 {
		t.Errorf("alice has %d orders (%v), want 1", n, err)
	}
	wantError(t, "bob reads alice's order", s.do("GET", "/api/v2/orders/"+idOf(t, r.json(t)), "", "Authorization", "Bearer "+bobKey), 404, "not_found")

	// keys list shows accounts and hash prefixes, never a key.
	out.Reset()
	if err := run(context.Background(), []string{"keys", "list", "-db", db}, noenv, &out, &errb, nil); err != nil {
		t.Fatalf("keys list: %v; %s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var accounts []string
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 3 || len(f[2]) != 8 {
			t.Fatalf("keys list line %q, want account, time, 8 hex digits", l)
		}
		accounts = append(accounts, f[0])
		if strings.Contains(l, keyPrefix) {
			t.Errorf("keys list shows a key: %q", l)
		}
	}
	if got, want := strings.Join(accounts, ","), "alice,bob,test"; got != want {
		t.Errorf("keys list accounts %s, want %s:\n%s", got, want, out.String())
	}
	if !strings.Contains(out.String(), "alice\t") || !strings.HasSuffix(lines[0], hexOf(sumA[:4])) {
		t.Errorf("keys list %q, want alice's hash prefix %s", lines[0], hexOf(sumA[:4]))
	}

	// keys revoke: alice's key stops working at once, bob's does not.
	out.Reset()
	if err := run(context.Background(), []string{"keys", "revoke", "-db", db, "alice"}, noenv, &out, &errb, nil); err != nil {
		t.Fatalf("keys revoke: %v; %s", err, errb.String())
	}
	if got := out.String(); got != "revoked 1 keys of alice\n" {
		t.Errorf("keys revoke printed %q", got)
	}
	wantError(t, "a revoked key", s.do("GET", "/api/v2/orders", "", "Authorization", "Bearer "+key), 401, "invalid_api_key")
	wantStatus(t, "another account's key", s.do("GET", "/api/v2/orders", "", "Authorization", "Bearer "+bobKey), 200)
}

func hexOf(b []byte) string { return fmt.Sprintf("%x", b) }

// TestKeysAddRefuses: a bad account or command line prints nothing on
// stdout and adds no key.
func TestKeysAddRefuses(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	for _, args := range [][]string{
		{"keys"},
		{"keys", "remove", "-db", db, "alice"},
		{"keys", "list", "-db", db, "alice"},
		{"keys", "revoke", "-db", db},
		{"keys", "revoke", "-db", db, "Alice"},
		{"keys", "list", "-db", ":memory:"},
		{"keys", "add", "-db", db},
		{"keys", "add", "-db", db, "alice", "bob"},
		{"keys", "add", "-db", db, ""},
		{"keys", "add", "-db", db, "Alice"},
		{"keys", "add", "-db", db, "1alice"},
		{"keys", "add", "-db", db, "-alice"},
		{"keys", "add", "-db", db, "al ice"},
		{"keys", "add", "-db", db, "al/ice"},
		{"keys", "add", "-db", db, "alicé"},
		{"keys", "add", "-db", db, "alice\n"},
		{"keys", "add", "-db", db, strings.Repeat("a", maxAccount+1)},
		{"keys", "add", "-db", ":memory:", "alice"},
		{"keys", "add", "-nope", "alice"},
	} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &out, &errb, nil); err == nil {
			t.Errorf("%q: no error", args)
		}
		if out.Len() != 0 {
			t.Errorf("%q: stdout %q, want nothing", args, out.String())
		}
	}
	if _, err := os.Stat(db); err == nil {
		st, err := OpenStore(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var n int
		st.db.QueryRow(`SELECT count(*) FROM api_keys`).Scan(&n)
		if n != 0 {
			t.Errorf("%d keys added", n)
		}
	}
	for _, ok := range []string{"a", "demo", "shop-2", "a_b", strings.Repeat("z", maxAccount)} {
		if !validAccount(ok) {
			t.Errorf("validAccount(%q) = false", ok)
		}
	}
}

// TestFirstKey: of a database's starts, only the first makes a key, also
// when several replicas start at once on the empty database.
func TestFirstKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "first.db")
	st, err := OpenStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const n = 8
	made := make(chan bool, n)
	for range n {
		go func() {
			other, err := OpenStore(context.Background(), db)
			if err != nil {
				t.Error(err)
				made <- false
				return
			}
			defer other.Close()
			_, sum := newAPIKey()
			ok, err := other.AddFirstAPIKey(context.Background(), sum, "demo")
			if err != nil {
				t.Error(err)
			}
			made <- ok
		}()
	}
	count := 0
	for range n {
		if <-made {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d of %d starts made the first key, want 1", count, n)
	}
}

// FuzzParseID: a path id is a positive decimal integer of int64, written
// with digits alone (leading zeros allowed); anything else names no
// resource. Through the shop, no id is a 5xx, and only a valid id of an
// existing item is a 200.
func FuzzParseID(f *testing.F) {
	for _, seed := range []string{"1", "0", "-1", "+1", "007", "9223372036854775807", "9223372036854775808",
		"1e3", "0x10", " 1", "1 ", "", "١", "1.0", "99999999999999999999999", "%2F", "..", "1/2"} {
		f.Add(seed)
	}
	s := newFuzzShop(f)
	key, sum := newAPIKey()
	if err := s.store.AddAPIKey(f.Context(), sum, "fuzz"); err != nil {
		f.Fatal(err)
	}
	it, err := s.store.CreateItem(f.Context(), "seed", Price{Amount: 1, Currency: "USD"})
	if err != nil {
		f.Fatal(err)
	}
	h := s.Handler()
	maxID := big.NewInt(1<<63 - 1)
	f.Fuzz(func(t *testing.T, in string) {
		id, ok := parseID(in)
		// The reference: digits only, and a value in 1..MaxInt64.
		want := false
		if in != "" && strings.Trim(in, "0123456789") == "" {
			n, _ := new(big.Int).SetString(in, 10)
			want = n.Sign() > 0 && n.Cmp(maxID) <= 0
		}
		if ok != want || ok && strconv.FormatInt(id, 10) != strings.TrimLeft(in, "0") {
			t.Fatalf("parseID(%q) = %d, %v; want ok %v", in, id, ok, want)
		}
		for _, p := range []string{"/api/v2/items/", "/api/v1/items/", "/api/v2/orders/"} {
			req := httptest.NewRequest("GET", "/", nil)
			req.URL = &url.URL{Path: p + in, RawPath: p + url.PathEscape(in)}
			req.RequestURI = req.URL.RequestURI()
			req.Header.Set("Authorization", "Bearer "+key)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("GET %s: %d %s", req.URL, w.Code, w.Body)
			}
			if w.Code == 200 && (!ok || id != it.ID || p == "/api/v2/orders/") {
				t.Fatalf("GET %s: 200 %s", req.URL, w.Body)
			}
		}
	})
}

// BenchmarkAuthenticate measures the key check alone: an anonymous read
// (no lookup), a known key (one read of api_keys) and an unknown one.
func BenchmarkAuthenticate(b *testing.B) {
	cfg := testConfig(b)
	cfg.Logger = discardLogger()
	s, err := NewServer(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	key, sum := newAPIKey()
	if err := s.store.AddAPIKey(b.Context(), sum, "bench"); err != nil {
		b.Fatal(err)
	}
	unknown, _ := newAPIKey()
	h := s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	for _, tt := range []struct {
		name, path, auth string
		want             int
	}{
		{"anonymous", "/api/v2/items/1", "", 200},
		{"key", "/api/v2/orders", "Bearer " + key, 200},
		{"unknown", "/api/v2/orders", "Bearer " + unknown, 401},
	} {
		b.Run(tt.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", tt.path, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, req)
				if w.code != tt.want {
					b.Fatalf("status %d, want %d", w.code, tt.want)
				}
			}
		})
	}
}

// TestAuthenticateStoreDown: when the key cannot be looked up the request
// gets a 503 envelope that says nothing of the cause, not a 401 that
// would make the client drop a good key.
func TestAuthenticateStoreDown(t *testing.T) {
	s := newTestShop(t, nil)
	key := s.key("alice")
	s.srv.store.db.Close() // the read pool the lookup uses
	req, _ := http.NewRequest("GET", s.ts.URL+"/api/v2/orders", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	r := &response{status: res.StatusCode, header: res.Header, body: b}
	wantError(t, "lookup fails", r, http.StatusServiceUnavailable, "unavailable")
	if bytes.Contains(b, []byte("sql")) || bytes.Contains(b, []byte("closed")) {
		t.Errorf("the 503 tells the cause: %s", b)
	}
}
