package keyset_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	_ "modernc.org/sqlite"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/pagination"
)

// Item is an article for sale.
type Item struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Price     int64     `json:"price"`
	CreatedAt time.Time `json:"created_at"`
}

// newItemPager declares how clients may page through items: the sorts
// they may ask for, and how to read each sort column from an Item. Ties
// are broken by id.
func newItemPager(key []byte) (*pagination.Pager[Item], error) {
	return pagination.New(pagination.Config[Item]{
		Keys: [][]byte{key},
		ID:   pagination.Column[Item]{Name: "id", Value: func(it Item) any { return it.ID }},
		Columns: []pagination.Column[Item]{
			{Name: "created_at", Value: func(it Item) any { return it.CreatedAt }},
			{Name: "price", Value: func(it Item) any { return it.Price }},
			{Name: "name", Value: func(it Item) any { return it.Name }},
		},
		Sorts: []string{"created_at", "-created_at", "price", "-price", "name"},
	})
}

// listItems serves GET /api/v2/items?limit=&cursor=&sort=.
func listItems(db *sql.DB, pager *pagination.Pager[Item]) http.Handler {
	return errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		req, err := pager.Parse(r) // 400 invalid_parameter or invalid_cursor
		if err != nil {
			return err
		}
		q := req.Query(pagination.SQLite)
		rows, err := db.QueryContext(r.Context(),
			"SELECT id, name, price, created_at FROM items"+q.Where()+q.Tail(), q.Args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var items []Item
		for rows.Next() {
			var it Item
			if err := rows.Scan(&it.ID, &it.Name, &it.Price, &it.CreatedAt); err != nil {
				return err
			}
			items = append(items, it)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		page, err := pager.Page(req, items)
		if err != nil {
			return err
		}
		return page.Write(w)
	})
}

// Example_sqlite pages through a SQLite table of items, as the example
// shop does, forward with next links and back with prev links.
func Example_sqlite() {
	// _time_format=sqlite stores times in one sortable text format; store
	// them in UTC.
	db, err := sql.Open("sqlite", "file:items?mode=memory&_time_format=sqlite")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	if _, err := db.Exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
		price INTEGER NOT NULL, created_at TIMESTAMP NOT NULL);
		CREATE INDEX items_price ON items (price, id);`); err != nil {
		panic(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, it := range []struct {
		name  string
		price int64
	}{{"mug", 900}, {"pen", 150}, {"lamp", 4900}, {"cup", 900}, {"desk", 24900}} {
		if _, err := db.Exec("INSERT INTO items (name, price, created_at) VALUES (?, ?, ?)",
			it.name, it.price, start.Add(time.Duration(i)*time.Hour)); err != nil {
			panic(err)
		}
	}

	pager, err := newItemPager([]byte("use 32 or more random bytes here"))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v2/items", listItems(db, pager))

	get := func(target string) (links pagination.Links) {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		var body struct {
			Items []Item           `json:"items"`
			Meta  pagination.Meta  `json:"meta"`
			Links pagination.Links `json:"links"`
			Error struct{ Code string }
		}
		json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusOK {
			fmt.Println(w.Code, body.Error.Code)
			return
		}
		fmt.Print(w.Code)
		for _, it := range body.Items {
			fmt.Printf(" %s(%d)", it.Name, it.Price)
		}
		fmt.Printf(" has_next=%v has_prev=%v link_header=%v\n", body.Meta.HasNext, body.Meta.HasPrev, w.Header().Get("Link") != "")
		return body.Links
	}

	page1 := get("/api/v2/items?limit=2&sort=price")
	page2 := get(page1.Next)
	get(page2.Next)
	get(page2.Prev) // back to page 1, in the same order
	get("/api/v2/items?sort=-created_at")
	get("/api/v2/items?sort=color")
	get("/api/v2/items?limit=500")
	get("/api/v2/items?limit=2&sort=-price&cursor=" + page1.Next[len(page1.Next)-10:]) // mangled
	// Output:
	// 200 pen(150) mug(900) has_next=true has_prev=false link_header=true
	// 200 cup(900) lamp(4900) has_next=true has_prev=true link_header=true
	// 200 desk(24900) has_next=false has_prev=true link_header=true
	// 200 pen(150) mug(900) has_next=true has_prev=false link_header=true
	// 200 desk(24900) cup(900) lamp(4900) pen(150) mug(900) has_next=false has_prev=false link_header=false
	// 400 invalid_parameter
	// 400 invalid_parameter
	// 400 invalid_cursor
}
