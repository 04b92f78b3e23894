package pagination_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/pagination"
)

type Item struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Price     *int64    `json:"price"` // NULL: not priced yet
	CreatedAt time.Time `json:"created_at"`
}

func newPager() *pagination.Pager[Item] {
	p, err := pagination.New(pagination.Config[Item]{
		Keys: [][]byte{[]byte("use 32 or more random bytes here")},
		ID:   pagination.Column[Item]{Name: "id", Value: func(it Item) any { return it.ID }},
		Columns: []pagination.Column[Item]{
			{Name: "created_at", Value: func(it Item) any { return it.CreatedAt }},
			{Name: "price", Nulls: pagination.NullsLast, Value: func(it Item) any { return it.Price }},
			{Name: "name", Value: func(it Item) any { return it.Name }},
		},
		Sorts: []string{"created_at", "-created_at", "price", "-price", "name"},
		// A fixed clock makes the cursors below reproducible; leave it out.
		Now: func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	return p
}

// The SQL for the first page and the next one, sorting by price,
// descending, NULL prices last.
func Example() {
	items := newPager()

	req, err := items.Parse(httptest.NewRequest("GET", "/items?limit=2&sort=-price", nil))
	if err != nil {
		panic(err)
	}
	q := req.Query(pagination.PostgreSQL)
	fmt.Println("SELECT * FROM items" + q.Where() + q.Tail())

	// Rows as the database returned them: limit+1 of them.
	p := func(n int64) *int64 { return &n }
	rows := []Item{{ID: 7, Name: "desk", Price: p(24900)}, {ID: 3, Name: "lamp", Price: p(4900)}, {ID: 5, Name: "mug", Price: p(900)}}
	page, err := items.Page(req, rows)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(page.Items), "items, has_next:", page.Meta.HasNext)

	req, err = items.Parse(httptest.NewRequest("GET", page.Links.Next, nil))
	if err != nil {
		panic(err)
	}
	q = req.Query(pagination.PostgreSQL)
	fmt.Println("SELECT * FROM items" + q.Where() + q.Tail())
	fmt.Println(q.Args...)
	// Output:
	// SELECT * FROM items ORDER BY price DESC NULLS LAST, id DESC LIMIT 3
	// 2 items, has_next: true
	// SELECT * FROM items WHERE ((price < $1 OR price IS NULL)) OR (price = $1 AND id < $2) ORDER BY price DESC NULLS LAST, id DESC LIMIT 3
	// 4900 3
}

// A handler returns Parse's error as it is: clients get a 400 in the
// service's error format, naming the parameter.
func ExamplePager_Parse() {
	items := newPager()
	h := errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
		req, err := items.Parse(r)
		if err != nil {
			return err
		}
		page, err := items.Page(req, nil) // query the database here
		if err != nil {
			return err
		}
		return page.Write(w)
	})
	for _, target := range []string{"/items?limit=0", "/items?sort=color", "/items?cursor=forged"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 400 {"error":{"code":"invalid_parameter","message":"the limit parameter must be an integer from 1 to 100","details":{"limit":["must be an integer from 1 to 100"]}}}
	// 400 {"error":{"code":"invalid_parameter","message":"the sort parameter must be one of: created_at, -created_at, price, -price, name","details":{"sort":["must be one of: created_at, -created_at, price, -price, name"]}}}
	// 400 {"error":{"code":"invalid_cursor","message":"the cursor is not valid","details":{"cursor":["the cursor is not valid"]}}}
}

// The Link header is added after the links already set, here one a
// versioning middleware would add.
func ExamplePage_Write() {
	items := newPager()
	req, _ := items.Parse(httptest.NewRequest("GET", "/items?limit=1&sort=name&q=lamp", nil))
	page, _ := items.Page(req, []Item{{ID: 3, Name: "lamp"}, {ID: 9, Name: "lamp shade"}})

	w := httptest.NewRecorder()
	w.Header().Add("Link", `<https://example.com/docs/v1>; rel="deprecation"`)
	page.Write(w)
	for _, v := range w.Header().Values("Link") {
		fmt.Println("Link:", v)
	}
	fmt.Print(w.Body.String())
	// Output:
	// Link: <https://example.com/docs/v1>; rel="deprecation"
	// Link: </items?limit=1&sort=name&q=lamp&cursor=AQCAg-KDDcHBrh8EbmFtZQIGBGxhbXADBtclrAQFmVRriLCpmr5oNmU>; rel="next", </items?limit=1&sort=name&q=lamp>; rel="first"
	// {"items":[{"id":3,"name":"lamp","price":null,"created_at":"0001-01-01T00:00:00Z"}],"meta":{"size":1,"has_next":true,"has_prev":false,"next_cursor":"AQCAg-KDDcHBrh8EbmFtZQIGBGxhbXADBtclrAQFmVRriLCpmr5oNmU"},"links":{"self":"/items?limit=1&sort=name&q=lamp","first":"/items?limit=1&sort=name&q=lamp","next":"/items?limit=1&sort=name&q=lamp&cursor=AQCAg-KDDcHBrh8EbmFtZQIGBGxhbXADBtclrAQFmVRriLCpmr5oNmU"}}
}

// Build is the SQL writer under Request.Query, for callers that keep
// cursors themselves. Mixed directions cannot use a row-value comparison.
func ExampleBuild() {
	keys := []pagination.Key{
		{Expr: "shipped_at", Desc: true, Nulls: pagination.NullsFirst},
		{Expr: "customer"},
		{Expr: "id"},
	}
	q, err := pagination.Build(pagination.SQLite, keys, []any{nil, "acme", int64(42)}, false, 50, "open")
	if err != nil {
		panic(err)
	}
	fmt.Println("SELECT * FROM orders WHERE status = ?" + q.And() + q.Tail())
	fmt.Println(q.Args...)
	// Output:
	// SELECT * FROM orders WHERE status = ? AND ((shipped_at IS NOT NULL) OR (shipped_at IS NULL AND customer > ?) OR (shipped_at IS NULL AND customer = ? AND id > ?)) ORDER BY shipped_at DESC NULLS FIRST, customer ASC, id ASC LIMIT 51
	// open acme acme 42
}

// Offset paging for a small, static collection, in the same page shape.
func ExampleOffset() {
	countries, err := pagination.NewOffset(pagination.OffsetConfig{DefaultSize: 2})
	if err != nil {
		panic(err)
	}
	req, err := countries.Parse(httptest.NewRequest("GET", "/countries?page=2", nil))
	if err != nil {
		panic(err)
	}
	fmt.Println("SELECT code FROM countries ORDER BY code" + req.Tail())
	page := pagination.OffsetPage(req, []string{"DE", "DK", "ES"})
	page.SetTotal(5)
	fmt.Println(page.LinkHeader())
	// Output:
	// SELECT code FROM countries ORDER BY code LIMIT 3 OFFSET 2
	// </countries?page=3>; rel="next", </countries>; rel="prev", </countries>; rel="first", </countries?page=3>; rel="last"
}
