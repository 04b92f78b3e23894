package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
)

func TestPagesFollowsEveryForm(t *testing.T) {
	items := make([]int, 7)
	for i := range items {
		items[i] = i + 1
	}
	for _, form := range []string{"link", "body-link", "cursor"} {
		t.Run(form, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
				end := min(start+3, len(items))
				body := map[string]any{"items": items[start:end], "meta": map[string]any{"has_next": end < len(items)}}
				if end < len(items) {
					next := "/list?cursor=" + strconv.Itoa(end)
					switch form {
					case "link":
						w.Header().Set("Link", "<"+next+`>; rel="next"`)
					case "body-link":
						body["links"] = map[string]string{"next": next}
					case "cursor":
						body["meta"].(map[string]any)["next_cursor"] = strconv.Itoa(end)
					}
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(body)
			}))
			defer srv.Close()
			c, err := New(srv.URL, fastConfig())
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for v, err := range Pages[int](context.Background(), c, "/list") {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			}
			if fmt.Sprint(got) != fmt.Sprint(items) {
				t.Errorf("got %v, want %v", got, items)
			}
		})
	}
}

func TestPagesLoop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `</list>; rel="next"`)
		w.Write([]byte(`{"items":[1]}`))
	}))
	defer srv.Close()
	c, _ := New(srv.URL, fastConfig())
	var n int
	var last error
	for _, err := range Pages[int](context.Background(), c, "/list") {
		n++
		last = err
	}
	if n != 2 || last == nil {
		t.Errorf("%d values, last error %v; want the item then ErrPageLoop", n, last)
	}
}

func TestUpdateRetriesOn412(t *testing.T) {
	var version atomic.Int64
	var puts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag := `"v` + strconv.FormatInt(version.Load(), 10) + `"`
		switch r.Method {
		case "GET":
			w.Header().Set("ETag", tag)
			fmt.Fprintf(w, `{"n":%d}`, version.Load())
		case "PUT":
			if puts.Add(1) == 1 {
				version.Add(1) // someone else wrote in between
			}
			if r.Header.Get("If-Match") != `"v`+strconv.FormatInt(version.Load(), 10)+`"` {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(412)
				w.Write([]byte(`{"error":{"code":"precondition_failed","message":"changed"}}`))
				return
			}
			version.Add(1)
			var v map[string]int
			json.NewDecoder(r.Body).Decode(&v)
			json.NewEncoder(w).Encode(v)
		}
	}))
	defer srv.Close()
	c, _ := New(srv.URL, fastConfig())
	calls := 0
	got, err := Update(context.Background(), c, "/thing", UpdateOptions{}, func(v *map[string]int) error {
		calls++
		(*v)["n"] += 10
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || got["n"] != 11 {
		t.Errorf("change applied %d times, result %v; want 2 times and n=11", calls, got)
	}
}
