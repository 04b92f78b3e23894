package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/testenv"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in     string
		limit  int64
		window time.Duration
		ok     bool
	}{
		{"100/m", 100, time.Minute, true},
		{"1/s", 1, time.Second, true},
		{"3600/h", 3600, time.Hour, true},
		{" 5/s ", 5, time.Second, true},
		{"0/m", 0, 0, false},
		{"-1/m", 0, 0, false},
		{"+5/m", 0, 0, false},
		{"1.5/m", 0, 0, false},
		{"10/d", 0, 0, false},
		{"10/min", 0, 0, false},
		{"10", 0, 0, false},
		{"/m", 0, 0, false},
		{"", 0, 0, false},
		{"99999999999999999999/s", 0, 0, false},
	}
	for _, tt := range tests {
		p, err := parseRate("default", tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("parseRate(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && (p.Limit != tt.limit || p.Window != tt.window || p.Name != "default") {
			t.Errorf("parseRate(%q) = %+v, want %d per %v", tt.in, p, tt.limit, tt.window)
		}
	}
}

func TestParseOptions(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	o, err := parseOptions(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "127.0.0.1:8080" || o.db != "shop.db" || o.redis != "" || o.rate.Limit != 100 || o.rate.Window != time.Minute ||
		o.orderRate.Limit != 10 || o.trustedProxies != nil || o.corsOrigins != nil || !o.cursorRandom || len(o.cursorKeys) != 1 || len(o.cursorKeys[0]) != 32 {
		t.Errorf("defaults: %+v", o)
	}

	secret := strings.Repeat("s", 32)
	env = map[string]string{
		"SHOP_ADDR": ":9000", "SHOP_DB": ":memory:", "SHOP_REDIS_ADDR": "redis:6379", "SHOP_RATE": "5/s",
		"SHOP_ORDER_RATE": "1/h", "SHOP_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1", "SHOP_CURSOR_SECRET": secret + "," + secret + "x",
		"SHOP_CORS_ORIGINS": "https://a.example,https://b.example", "SHOP_LOG_FORMAT": "json",
	}
	o, err = parseOptions(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != ":9000" || o.db != ":memory:" || o.redis != "redis:6379" || o.rate.Limit != 5 || o.rate.Window != time.Second ||
		o.orderRate.Window != time.Hour || strings.Join(o.trustedProxies, "|") != "10.0.0.0/8|192.0.2.1" || o.cursorRandom ||
		len(o.cursorKeys) != 2 || strings.Join(o.corsOrigins, "|") != "https://a.example|https://b.example" || !o.logJSON {
		t.Errorf("from the environment: %+v", o)
	}
	// A flag wins over its variable.
	o, err = parseOptions([]string{"-rate", "7/m", "-addr", "127.0.0.1:0"}, getenv, io.Discard)
	if err != nil || o.rate.Limit != 7 || o.addr != "127.0.0.1:0" {
		t.Errorf("flags over env: %+v, %v", o, err)
	}

	if o, err := parseOptions([]string{"-metrics"}, func(string) string { return "" }, io.Discard); err != nil || !o.metrics {
		t.Errorf("-metrics: %+v, %v", o, err)
	}
	if o, err := parseOptions(nil, func(k string) string { return map[string]string{"SHOP_METRICS": "true"}[k] }, io.Discard); err != nil || !o.metrics {
		t.Errorf("SHOP_METRICS=true: %+v, %v", o, err)
	}
	if _, err := parseOptions(nil, func(k string) string { return map[string]string{"SHOP_METRICS": "yes please"}[k] }, io.Discard); err == nil {
		t.Error("SHOP_METRICS=yes please accepted")
	}
	for _, args := range [][]string{
		{"-metrics=often"}, {"-bare"},
		{"-rate", "fast"}, {"-order-rate", "0/s"}, {"-cursor-secret", "short"}, {"-log-format", "xml"}, {"extra"}, {"-nope"},
	} {
		if _, err := parseOptions(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("parseOptions(%q) accepted", args)
		}
	}
	env = map[string]string{"SHOP_RATE": "lots"}
	if _, err := parseOptions(nil, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "-rate") {
		t.Errorf("a bad SHOP_RATE: %v", err)
	}
}

// TestRunDrainsOnShutdown starts the command as main does, sends a request
// whose body is still arriving, stops the service, and checks the request
// is served in full before run returns.
func TestRunDrainsOnShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testenv.Buffer
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	db := filepath.Join(t.TempDir(), "run.db")
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db}, func(string) string { return "" }, &stdout, &stderr,
			func(addr string) { addrc <- addr })
	}()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run: %v; %s", err, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, base) || !strings.Contains(out, "curl -i "+base+"/healthz") || !strings.Contains(out, base+"/api/v2/items") {
		t.Errorf("banner %q lacks the address and curl lines", out)
	}

	pr, pw := io.Pipe()
	key := bannerKey(t, out)
	req, _ := http.NewRequest("POST", base+"/api/v2/items", pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resc := make(chan *http.Response, 1)
	errc := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			errc <- err
			return
		}
		resc <- res
	}()
	io.WriteString(pw, `{"name":"in flight",`)
	time.Sleep(100 * time.Millisecond) // the request is being read
	cancel()                           // SIGTERM
	time.Sleep(100 * time.Millisecond)
	io.WriteString(pw, `"price":{"amount":1,"currency":"USD"}}`)
	pw.Close()
	var inFlightID int64
	select {
	case res := <-resc:
		var created Item
		json.NewDecoder(res.Body).Decode(&created)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Errorf("in-flight request: %d, want 201", res.StatusCode)
		}
		inFlightID = created.ID
	case err := <-errc:
		t.Fatalf("in-flight request failed: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
	if !strings.Contains(stderr.String(), "cursor") {
		t.Errorf("no warning about the random cursor secret in %q", stderr.String())
	}
	if !strings.Contains(stderr.String(), "draining") {
		t.Errorf("no shutdown record in %q", stderr.String())
	}
	// The item committed before the process ended.
	s, err := OpenStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if it, err := s.GetItem(context.Background(), inFlightID); err != nil || it.Name != "in flight" {
		t.Errorf("item after restart: %+v, %v", it, err)
	}
}

// TestRunFailsClearly: a bad flag or an unreachable Redis stop the start.
func TestRunFailsClearly(t *testing.T) {
	noenv := func(string) string { return "" }
	if err := run(context.Background(), []string{"-rate", "x"}, noenv, io.Discard, io.Discard, nil); err == nil {
		t.Error("bad -rate accepted")
	}
	err := run(context.Background(), []string{"-redis", "127.0.0.1:1", "-db", ":memory:"}, noenv, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "redis") {
		t.Errorf("unreachable redis: %v", err)
	}
}

// TestMemoryDatabase: -db :memory: works (one connection for reads and
// writes).
func TestMemoryDatabase(t *testing.T) {
	s := newTestShop(t, func(c *Config) { c.DB = ":memory:" })
	m, tag := s.createItem("mug", 1, "USD")
	wantStatus(t, "order", s.do("POST", "/api/v2/orders", `{"item_id":`+idOf(t, m)+`,"quantity":1}`, "Idempotency-Key", "a"), 201)
	wantStatus(t, "patch", s.do("PATCH", "/api/v2/items/"+idOf(t, m), `{"name":"b"}`, "If-Match", tag), 200)
}
