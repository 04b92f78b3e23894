package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// seedItems inserts n items in one transaction, with many ties in every
// sort key: 37 names, 13 prices, groups of 4 created in the same
// nanosecond.
func seedItems(t *testing.T, s *testShop, n int) {
	t.Helper()
	tx, err := s.srv.store.wdb.Begin()
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Hour).UnixNano()
	currencies := []string{"KRW", "USD", "JPY"}
	for i := range n {
		created := base + int64(i/4)*1000
		if _, err := tx.Exec(`INSERT INTO items (name, price_amount, price_currency, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			fmt.Sprintf("item-%02d", (i*7)%37), int64((i*5)%13)*100, currencies[i%3], created, created); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestPagingEveryItemOnce walks 1,000 items in every sort, forward to the
// end, while other items are being created, and checks that each item
// there at the start is listed exactly once, in order.
func TestPagingEveryItemOnce(t *testing.T) {
	s := newTestShop(t, nil)
	const n = 1000
	seedItems(t, s, n)
	var rows []Item
	r, err := s.srv.store.db.Query(`SELECT ` + itemColumns + ` FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		it, err := scanItem(r)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, it)
	}
	r.Close()
	before := map[int64]Item{}
	for _, it := range rows {
		before[it.ID] = it
	}
	if len(before) != n {
		t.Fatalf("%d items seeded", len(before))
	}

	// Writers add items, with all kinds of sort values, during the walks.
	ctx, stop := context.WithCancel(context.Background())
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; i < 2000 && ctx.Err() == nil; i++ {
				name := fmt.Sprintf("item-%02d", (i*11+w)%40)
				if _, err := s.srv.store.CreateItem(context.Background(), name, Price{int64((i*3)%15) * 100, "USD"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}

	sorts := map[string]func(a, b Item) int{
		"created_at":  func(a, b Item) int { return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID)) },
		"-created_at": func(a, b Item) int { return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID)) },
		"price": func(a, b Item) int {
			return cmp.Or(cmp.Compare(a.Price.Amount, b.Price.Amount), cmp.Compare(a.ID, b.ID))
		},
		"-price": func(a, b Item) int {
			return cmp.Or(cmp.Compare(b.Price.Amount, a.Price.Amount), cmp.Compare(b.ID, a.ID))
		},
		"name": func(a, b Item) int { return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) },
	}
	var walks sync.WaitGroup
	for sort, less := range sorts {
		walks.Add(1)
		go func() {
			defer walks.Done()
			seen := map[int64]int{}
			var last *Item
			next := "/api/v2/items?limit=37&sort=" + sort
			pages := 0
			for next != "" && pages < 1000 {
				pages++
				res := s.do("GET", next, "")
				if res.status != 200 {
					t.Errorf("%s: %s: %d %s", sort, next, res.status, res.body)
					return
				}
				var pg struct {
					Items []Item `json:"items"`
					Links struct {
						Next string `json:"next"`
					} `json:"links"`
				}
				if err := json.Unmarshal(res.body, &pg); err != nil {
					t.Errorf("%s: %v", sort, err)
					return
				}
				for _, it := range pg.Items {
					if _, old := before[it.ID]; !old {
						continue
					}
					seen[it.ID]++
					if last != nil && less(*last, it) >= 0 {
						t.Errorf("%s: item %d after %d, out of order", sort, it.ID, last.ID)
					}
					it := it
					last = &it
				}
				next = pg.Links.Next
			}
			for id := range before {
				if seen[id] != 1 {
					t.Errorf("%s: item %d listed %d times, want once", sort, id, seen[id])
					return
				}
			}
		}()
	}
	walks.Wait()
	stop()
	writers.Wait()
	if added := s.count("items") - n; added == 0 {
		t.Error("no item was created during the walks")
	} else {
		t.Logf("%d items created during the walks", added)
	}
}
