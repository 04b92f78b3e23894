// Package pagination pages through collections with keyset (cursor)
// paging: every row exactly once, in order, however rows are inserted or
// deleted between requests, with opaque cursors that clients cannot forge,
// and SQL that stays fast on millions of rows. (A row whose sort values
// are updated while a client pages moves, so it may be seen twice or not
// at all; sort on values that do not change, such as created_at, where
// that matters.)
//
// # Use
//
// Declare once, per collection, the columns clients may sort on and the
// sorts they may ask for. The unique tie-breaker (ID) ends every sort:
//
//	type Item struct {
//		ID        int64     `json:"id"`
//		Name      string    `json:"name"`
//		Price     int64     `json:"price"`
//		CreatedAt time.Time `json:"created_at"`
//	}
//
//	items, err := pagination.New(pagination.Config[Item]{
//		Keys: [][]byte{secret}, // 32+ random bytes, the same on every instance
//		ID:   pagination.Column[Item]{Name: "id", Value: func(it Item) any { return it.ID }},
//		Columns: []pagination.Column[Item]{
//			{Name: "created_at", Value: func(it Item) any { return it.CreatedAt }},
//			{Name: "price", Value: func(it Item) any { return it.Price }},
//			{Name: "name", Value: func(it Item) any { return it.Name }},
//		},
//		Sorts: []string{"created_at", "-created_at", "price", "-price", "name"},
//	})
//
// Then each request is parse, query, page:
//
//	mux.Handle("GET /api/v2/items", errors.Handler(func(w http.ResponseWriter, r *http.Request) error {
//		req, err := items.Parse(r) // 400 invalid_parameter / invalid_cursor
//		if err != nil {
//			return err
//		}
//		q := req.Query(pagination.SQLite)
//		rows, err := db.QueryContext(r.Context(),
//			"SELECT id, name, price, created_at FROM items"+q.Where()+q.Tail(), q.Args...)
//		if err != nil {
//			return err
//		}
//		list, err := scanItems(rows) // up to q.Fetch rows
//		if err != nil {
//			return err
//		}
//		page, err := items.Page(req, list)
//		if err != nil {
//			return err
//		}
//		return page.Write(w)
//	}))
//
// GET /api/v2/items?limit=2&sort=-price answers
//
//	Link: </api/v2/items?limit=2&sort=-price&cursor=AQD...>; rel="next", </api/v2/items?limit=2&sort=-price>; rel="first"
//
//	{"items": [{"id": 7, ...}, {"id": 3, ...}],
//	 "meta": {"size": 2, "has_next": true, "has_prev": false, "next_cursor": "AQD..."},
//	 "links": {"self": "/api/v2/items?limit=2&sort=-price", "first": "...", "next": "..."}}
//
// # Requests
//
// Parse reads limit (default 20, at most 100), sort (one of Config.Sorts,
// default the first) and one of cursor, after or before. A cursor from
// next_cursor pages forward and one from prev_cursor backward, whichever
// parameter carries it; after and before force the direction. Every
// parameter name is configurable. A bad value is a 400 with code
// "invalid_parameter" whose details name the parameter; a bad cursor is a
// 400 with code "invalid_cursor". Pages fetched backward are returned in
// forward order, so a client never reverses anything.
//
// # Cursors
//
// A cursor holds the sort-key values of the page's boundary row and its
// tie-breaker, the direction, the sort, a hash of the filters and the
// time it was issued, in a compact binary form signed with HMAC-SHA256
// and written in unpadded base64url. A cursor that was altered, signed
// with another key, is older than Config.MaxAge (24 hours), or comes back
// with another sort or other filters (Config.FilterParams, and the values
// passed to Parse) is refused. Values come back exactly: strings,
// integers, floats (to the bit), booleans, NULL, and times to the
// nanosecond with their zone name and offset. Cursors are signed, not
// encrypted: do not sort on a column the client may not see.
//
// # SQL
//
// Request.Query writes the keyset condition and the ORDER BY for SQLite,
// PostgreSQL ($n placeholders) or MySQL: a row-value comparison such as
// (created_at, id) < (?, ?) when every key has one direction and none is
// nullable, else the expanded OR chain; nullable columns get NULLS
// FIRST/LAST and IS NULL branches, so no NULL row is ever dropped. Values
// are always placeholders. It asks for one row more than the page size,
// which is how Pager.Page knows whether another page follows. For speed,
// give each sort an index on its columns in order, tie-breaker last
// (CREATE INDEX ... ON items (price DESC, id DESC)).
//
// Counting a large collection is expensive, so pages carry no total
// unless the handler counts itself (with its filters, never with the
// cursor condition) and calls Page.SetTotal.
//
// # Responses
//
// Page.Write sends the page as JSON with an RFC 8288 Link header holding
// rel="next", rel="prev" and rel="first" links (keyset paging has no
// "last"), added after any Link values already set, and left out when the
// whole collection fits on one page. Links keep every other query
// parameter and are relative unless Config.BaseURL is set.
//
// # Offset paging
//
// Offset parses page/size parameters and OffsetPage builds the same page
// shape, with rel="last" once the total is known. It suits only small
// collections that rarely change: offset paging skips and repeats rows
// when rows are inserted or deleted between requests, and every page
// costs the database all the rows before it.
package pagination
