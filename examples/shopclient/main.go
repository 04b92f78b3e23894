// Command shopclient calls the example shop (examples/shop) through the
// restwell client: it creates an item, places an order with an
// Idempotency-Key the transport adds and reuses on every retry, walks
// every page of the items, and prints each retry and wait on the way.
//
//	go run ./examples/shop &
//	go run ./examples/shopclient -url http://127.0.0.1:8080 -key "$KEY"
//
// KEY is an API key of the shop: the one it prints on its first start,
// or a new one from go run ./examples/shop keys add ACCOUNT.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/restwell/restwell/client"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shopclient:", err)
		os.Exit(1)
	}
}

type item struct {
	ID    int64  `json:"id,omitempty"`
	Name  string `json:"name"`
	Price struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	} `json:"price"`
}

type order struct {
	ID       int64 `json:"id"`
	ItemID   int64 `json:"item_id"`
	Quantity int64 `json:"quantity"`
}

// callerHeader is where the shopclient says who is calling: the shop's
// API key, sent as Authorization: Bearer on every request. Without one,
// the shop answers the writes and the order with 401.
func callerHeader(key string) http.Header {
	if key == "" {
		return nil
	}
	return http.Header{"Authorization": {"Bearer " + key}}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shopclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "the shop's base URL")
	key := fs.String("key", os.Getenv("SHOP_API_KEY"), "the shop's API key, sent as Authorization: Bearer (env SHOP_API_KEY); the shop prints one on its first start, and go run ./examples/shop keys add ACCOUNT makes more")
	timeout := fs.Duration("timeout", 30*time.Second, "deadline of the whole run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c, err := client.New(*base, client.Config{
		IdempotencyKeys: true,
		Header:          callerHeader(*key),
		Logger:          slog.New(slog.NewTextHandler(stderr, nil)),
		OnRetry: func(r client.Retry) {
			fmt.Fprintf(stdout, "  %s %s: attempt %d, %s (status %d), waiting %s\n",
				r.Request.Method, r.Request.URL.Path, r.Attempt, r.Reason, r.Status, r.Wait.Round(time.Millisecond))
		},
	})
	if err != nil {
		return err
	}

	var in item
	in.Name, in.Price.Amount, in.Price.Currency = "mug", 1200, "USD"
	var it item
	if _, err := c.Do(ctx, "POST", "/api/v2/items", nil, in, &it); err != nil {
		return fmt.Errorf("creating an item: %w", err)
	}
	fmt.Fprintf(stdout, "created item %d (%s)\n", it.ID, it.Name)

	var o order
	resp, err := c.Do(ctx, "POST", "/api/v2/orders", nil, map[string]int64{"item_id": it.ID, "quantity": 2}, &o)
	if err != nil {
		return fmt.Errorf("placing an order: %w", err)
	}
	fmt.Fprintf(stdout, "placed order %d (replayed: %s)\n", o.ID, orNo(resp.Header.Get("Idempotent-Replayed")))

	n := 0
	for v, err := range client.Pages[item](ctx, c, "/api/v2/items?limit=5") {
		if err != nil {
			return fmt.Errorf("listing items: %w", err)
		}
		n++
		fmt.Fprintf(stdout, "  item %d %s %d %s\n", v.ID, v.Name, v.Price.Amount, v.Price.Currency)
	}
	fmt.Fprintf(stdout, "%d items in all\n", n)
	return nil
}

func orNo(s string) string {
	if s == "" {
		return "no"
	}
	return s
}
