package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/sfv"
	"github.com/restwell/restwell/internal/testenv"
	"github.com/restwell/restwell/ratelimit"
)

// testKey signs cursors in tests: the same on every replica.
var testKey = []byte("0123456789abcdef0123456789abcdef-test")

// testShop is a shop served by httptest on a real SQLite file, with a
// real HTTP client.
type testShop struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	db     string
	logs   *testenv.Buffer
	client *http.Client
	// rateFields says every response must carry RateLimit-Policy and
	// RateLimit (false only where the limiter's store is meant to fail).
	rateFields bool

	mu   sync.Mutex
	keys map[string]string // API keys by account, made by key
}

// defaultAccount is the account every request of do sends the key of,
// unless it sets Authorization itself.
const defaultAccount = "test"

// key returns an API key of account, made in the shop's database on first
// use.
func (s *testShop) key(account string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[account]; ok {
		return k
	}
	k, sum := newAPIKey()
	if err := s.srv.store.AddAPIKey(context.Background(), sum, account); err != nil {
		s.t.Fatalf("add a key for %s: %v", account, err)
	}
	if s.keys == nil {
		s.keys = map[string]string{}
	}
	s.keys[account] = k
	return k
}

// bearer returns the Authorization field value that sends account's key.
func (s *testShop) bearer(account string) string { return "Bearer " + s.key(account) }

// testConfig is a Config for tests: generous limits, a fixed cursor key,
// a database file in a fresh directory.
func testConfig(t testing.TB) Config {
	return Config{
		DB:         filepath.Join(t.TempDir(), "shop.db"),
		Rate:       ratelimit.Policy{Name: "default", Limit: 1_000_000, Window: time.Minute},
		OrderRate:  ratelimit.Policy{Name: "orders", Limit: 1_000_000, Window: time.Minute},
		CursorKeys: [][]byte{testKey},
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestShop starts a shop with testConfig changed by mod.
func newTestShop(t *testing.T, mod func(*Config)) *testShop {
	t.Helper()
	cfg := testConfig(t)
	if mod != nil {
		mod(&cfg)
	}
	return startShop(t, cfg)
}

func startShop(t *testing.T, cfg Config) *testShop {
	t.Helper()
	logs := &testenv.Buffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	srv, err := NewServer(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return &testShop{t: t, srv: srv, ts: ts, db: cfg.DB, logs: logs, client: ts.Client(), rateFields: true}
}

// response is what a request got.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// errorCode returns the code of an error envelope.
func (r *response) errorCode(t *testing.T) string {
	t.Helper()
	var env struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil || env.Error.Code == "" {
		t.Fatalf("body %q is not an error envelope (%v)", r.body, err)
	}
	if got, want := env.Error.RequestID, r.header.Get("X-Request-Id"); got != want {
		t.Errorf("envelope request_id = %q, X-Request-ID = %q", got, want)
	}
	return env.Error.Code
}

// details returns the details of an error envelope.
func (r *response) details(t *testing.T) map[string][]string {
	t.Helper()
	var env struct {
		Error struct {
			Details map[string][]string `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return env.Error.Details
}

// do sends a request and checks what every response must carry.
// hdr are name, value pairs that set (an empty value: remove) fields.
// The request sends the key of defaultAccount unless hdr sets (or
// removes) Authorization.
func (s *testShop) do(method, path, body string, hdr ...string) *response {
	s.t.Helper()
	return s.doContext(context.Background(), method, path, body, hdr...)
}

func (s *testShop) doContext(ctx context.Context, method, path, body string, hdr ...string) *response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.ts.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", s.bearer(defaultAccount))
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	r := &response{status: res.StatusCode, header: res.Header, body: b}
	checkCommon(s.t, method+" "+path, r, s.rateFields)
	return r
}

// checkCommon checks the fields every response carries: X-Request-ID
// and the rate limit fields, in RFC 9651 syntax (but on a 401: the key is
// checked before the limiter, which counts accounts).
func checkCommon(t *testing.T, what string, r *response, rate bool) {
	t.Helper()
	if r.header.Get("X-Request-Id") == "" {
		t.Errorf("%s: %d without X-Request-ID", what, r.status)
	}
	if !rate || r.status == http.StatusUnauthorized {
		return
	}
	for _, name := range []string{"RateLimit-Policy", "RateLimit"} {
		v := strings.Join(r.header.Values(name), ", ")
		if v == "" {
			t.Errorf("%s: %d without %s", what, r.status, name)
			continue
		}
		if _, err := sfv.ParseList(v); err != nil {
			t.Errorf("%s: %s %q: %v", what, name, v, err)
		}
	}
}

// wantStatus fails the test unless r has status want.
func wantStatus(t *testing.T, what string, r *response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d; body %s", what, r.status, want, r.body)
	}
}

// wantError checks an error response's status, code and format.
func wantError(t *testing.T, what string, r *response, status int, code string) {
	t.Helper()
	wantStatus(t, what, r, status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	if got := r.errorCode(t); got != code {
		t.Errorf("%s: code %q, want %q; body %s", what, got, code, r.body)
	}
}

// createItem creates an item through the API and returns its body and
// ETag.
func (s *testShop) createItem(name string, amount int64, currency string) (map[string]any, string) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "price": map[string]any{"amount": amount, "currency": currency}})
	r := s.do("POST", "/api/v2/items", string(body))
	wantStatus(s.t, "create item", r, http.StatusCreated)
	return r.json(s.t), r.header.Get("ETag")
}

// count returns the number of rows in table.
func (s *testShop) count(table string) int {
	s.t.Helper()
	var n int
	if err := s.srv.store.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func idOf(t *testing.T, m map[string]any) string {
	t.Helper()
	id, ok := m["id"].(float64)
	if !ok {
		t.Fatalf("no numeric id in %v", m)
	}
	return jsonNumber(id)
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
