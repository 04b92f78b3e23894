// Command shop is the example service of restwell: a small shop API (items
// and orders) that wires every package of the library into one service,
// on an embedded SQLite database, ready to copy as the start of a new API.
//
// Run it from the repository root, with no other set-up:
//
//	go run ./examples/shop
//
// It prints its address and curl lines to try; the API is described at
// /openapi.json and rendered at /docs.
//
// Writes, and everything about orders, need an API key, sent as
// Authorization: Bearer KEY; items can be read without one. On its first
// start on a database with no key the shop makes one for account "demo"
// and prints it, that once. Make others, for any account, with
//
//	go run ./examples/shop keys add -db shop.db ACCOUNT
//
// which prints the new key as the only line on stdout; "keys list" shows
// the accounts' keys (by a prefix of their hash) and "keys revoke ACCOUNT"
// withdraws every key of an account. Every flag has an environment
// variable (go run ./examples/shop -h lists them):
//
//	-addr             SHOP_ADDR             listen address (127.0.0.1:8080)
//	-db               SHOP_DB               SQLite file (shop.db), or :memory:
//	-redis            SHOP_REDIS_ADDR       Redis for rate limits and idempotency records (none: in memory)
//	-rate             SHOP_RATE             requests per client, N/s, N/m or N/h (100/m)
//	-order-rate       SHOP_ORDER_RATE       orders per client, on top of -rate (10/m)
//	-trusted-proxies  SHOP_TRUSTED_PROXIES  proxies whose X-Forwarded-For is believed (none)
//	-cursor-secret    SHOP_CURSOR_SECRET    pagination cursor keys, 32+ bytes (random per process)
//	-cors-origins     SHOP_CORS_ORIGINS     origins browsers may call from (none)
//	-log-format       SHOP_LOG_FORMAT       text or json (text)
//	-metrics          SHOP_METRICS          OpenTelemetry metrics at /metrics (or OTLP) and a trace id on every log record (off)
//
// With -metrics, every middleware decision, store call and request is
// counted through OpenTelemetry and served as Prometheus text at
// GET /metrics (restwell_decisions_total, restwell_store_duration_seconds,
// http_server_request_duration_seconds, target_info, go_* and process_*),
// or sent by OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set. /metrics
// is neither rate limited, nor logged, nor authenticated: expose it to
// your scrapers only. Each request then has a server span continuing the
// caller's traceparent, and the log records about it carry trace_id and
// span_id besides request_id.
//
// Several replicas behind a load balancer share one database file (or,
// copying this service, one database server), one Redis (-redis) and one
// -cursor-secret, and then behave as one service.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// shutdownTimeout bounds how long a stopping server waits for requests in
// flight.
const shutdownTimeout = 20 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal stops the process at once
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

// run runs the service until ctx is done, then drains the requests in
// flight and returns. ready, when not nil, is called with the listening
// address once requests are served.
//
// With "keys" as the first argument it runs that subcommand (runKeys)
// instead.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(addr string)) error {
	if len(args) > 0 && args[0] == "keys" {
		return runKeys(ctx, args[1:], getenv, stdout, stderr)
	}
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	var lh slog.Handler = slog.NewTextHandler(stderr, nil)
	if o.logJSON {
		lh = slog.NewJSONHandler(stderr, nil)
	}
	logger := slog.New(lh)
	if o.cursorRandom {
		logger.Warn("no -cursor-secret (SHOP_CURSOR_SECRET) set: cursors are signed with a random key, " +
			"so they will not survive a restart nor work on another replica")
	}

	var rdb redis.UniversalClient
	if o.redis != "" {
		c := redis.NewClient(&redis.Options{Addr: o.redis, ContextTimeoutEnabled: true})
		defer c.Close()
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.Ping(pctx).Err()
		cancel()
		if err != nil {
			return fmt.Errorf("redis at %s: %w", o.redis, err)
		}
		rdb = c
	}

	var tel *Telemetry
	if o.metrics {
		if tel, err = NewTelemetry(ctx, TelemetryConfig{OTLPEndpoint: o.otlpEndpoint}); err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := tel.Shutdown(sctx); err != nil {
				logger.Warn("telemetry: last export failed", "error", err)
			}
		}()
	}

	srv, err := NewServer(ctx, Config{
		DB:             o.db,
		Redis:          rdb,
		Rate:           o.rate,
		OrderRate:      o.orderRate,
		TrustedProxies: o.trustedProxies,
		CursorKeys:     o.cursorKeys,
		CORSOrigins:    o.corsOrigins,
		Logger:         logger,
		Telemetry:      tel,
	})
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(lh, slog.LevelWarn),
	}
	// The curl lines work on a fresh item of their own, so that they hold
	// whatever the database kept from earlier runs.
	demo, err := srv.store.CreateItem(ctx, "demo mug", Price{Amount: 1200, Currency: "USD"})
	if err != nil {
		ln.Close()
		return fmt.Errorf("create the demo item: %w", err)
	}
	// A database with no key at all gets one for account demo, shown in
	// the banner only now: the database keeps its hash.
	var demoKey string
	key, sum := newAPIKey()
	if made, err := srv.store.AddFirstAPIKey(ctx, sum, "demo"); err != nil {
		ln.Close()
		return fmt.Errorf("create the demo API key: %w", err)
	} else if made {
		demoKey = key
		logger.Info("made an API key for account demo, printed on stdout only this once")
	}
	printBanner(stdout, "http://"+ln.Addr().String(), o, demo, demoKey)
	logger.Info("listening", "addr", ln.Addr().String(), "db", o.db, "redis", o.redis != "", "metrics", o.metrics,
		"rate", o.rate.Limit, "rate_window", o.rate.Window, "order_rate", o.orderRate.Limit, "order_rate_window", o.orderRate.Window)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining requests in flight", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// printBanner tells the person who started the service where it is and
// what to try. The lines that read, change and order an item use demo,
// an item made for them at this start, with its current ETag, and an
// Idempotency-Key of its own, so they answer as shown on every start.
// The lines that write send key, the demo account's API key made at this
// start; when there is none (the database had keys already) they send
// $KEY, and the banner says how to make one.
func printBanner(w io.Writer, base string, o options, demo Item, key string) {
	fmt.Fprintf(w, "shop listening on %s  (API docs: %s/docs)\n", base, base)
	fmt.Fprintf(w, "database %s; rate limits and idempotency records %s\n\n", o.db,
		map[bool]string{true: "in Redis at " + o.redis, false: "in memory"}[o.redis != ""])
	switch {
	case o.metrics && o.otlpEndpoint != "":
		fmt.Fprintf(w, "metrics and traces sent by OTLP/HTTP to %s\n\n", o.otlpEndpoint)
	case o.metrics:
		fmt.Fprintf(w, "metrics (Prometheus text) at %s/metrics: not authenticated, expose it to your scrapers only\n\n", base)
	}
	auth := `"Authorization: Bearer $KEY"`
	switch {
	case key != "" && o.db == ":memory:":
		fmt.Fprintf(w, "API key of account demo (it lasts as long as this process): %s\n\n", key)
		auth = "'Authorization: Bearer " + key + "'"
	case key != "":
		fmt.Fprintf(w, "API key of account demo: %s\n", key)
		fmt.Fprintf(w, "It is printed only on this first start (the database keeps its SHA-256 alone). Make more with\n")
		fmt.Fprintf(w, "  go run ./examples/shop keys add -db %s ACCOUNT\n\n", shellWord(o.db))
		auth = "'Authorization: Bearer " + key + "'"
	default:
		fmt.Fprintf(w, "Writes and orders need an API key. The demo key was printed on the first start only; make one with\n")
		fmt.Fprintf(w, "  KEY=$(go run ./examples/shop keys add -db %s demo)\n\n", shellWord(o.db))
	}
	fmt.Fprintf(w, "Try (item reads need no key):\n")
	for _, l := range bannerLines(base, demo, auth) {
		fmt.Fprintf(w, "  %s\n", l)
	}
	fmt.Fprintln(w)
}

// bannerLines returns the curl lines printBanner shows; auth is the
// shell word of the Authorization field the writes send.
func bannerLines(base string, demo Item, auth string) []string {
	id := strconv.FormatInt(demo.ID, 10)
	tag := itemTag(demo)
	item := base + "/api/v2/items/" + id
	return []string{
		"curl -i " + base + "/healthz",
		`curl -i -X POST ` + base + `/api/v2/items -H ` + auth + ` -H 'Content-Type: application/json' -d '{"name":"mug","price":{"amount":1200,"currency":"USD"}}'`,
		"curl -i '" + base + "/api/v2/items?limit=10&sort=-price'",
		"curl -i " + item,
		"curl -i " + item + ` -H 'If-None-Match: ` + tag + `'`,
		`curl -i -X PATCH ` + item + ` -H ` + auth + ` -H 'Content-Type: application/merge-patch+json' -H 'If-Match: ` + tag + `' -d '{"price":{"amount":1500}}'`,
		`curl -i -X POST ` + base + `/api/v2/orders -H ` + auth + ` -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-order-` + id + `' -d '{"item_id":` + id + `,"quantity":2}'`,
		"curl -i " + base + "/api/v2/orders -H " + auth,
		"curl -i " + base + "/api/v1/items/" + id,
	}
}
