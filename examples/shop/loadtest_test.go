//go:build loadtest

package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restwell/restwell/ratelimit"
)

// TestServeBare is the bare configuration of examples/loadtest, which
// builds this test binary (go test -c -tags loadtest) and runs it as a
// server: it serves the item reads of the database SHOP_DB on
// SHOP_LOADTEST_ADDR with their handlers and none of the middleware
// (bareHandler) until SIGINT or SIGTERM. The shop itself has no such
// mode.
func TestServeBare(t *testing.T) {
	addr, db := os.Getenv("SHOP_LOADTEST_ADDR"), os.Getenv("SHOP_DB")
	if addr == "" || db == "" {
		t.Skip("SHOP_LOADTEST_ADDR and SHOP_DB are set by examples/loadtest")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := NewServer(ctx, Config{
		DB:         db,
		Rate:       ratelimit.Policy{Name: "default", Limit: 1, Window: time.Second}, // unused: no limiter
		OrderRate:  ratelimit.Policy{Name: "orders", Limit: 1, Window: time.Second},
		CursorKeys: [][]byte{[]byte(strings.Repeat("k", 32))},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: bareHandler(srv), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		t.Fatal(err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		t.Fatal(err)
	}
}
