package versioning

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restwell/restwell/internal/testenv"
)

func TestUsageAndLog(t *testing.T) {
	now := t0
	logs := &testenv.Logs{}
	var hooked []Usage
	var hookMu sync.Mutex
	v := mustNew(t, Config{
		Versions:    []Version{{Name: "1", Deprecated: t0, Sunset: t0.Add(time.Hour * 24 * 365)}, {Name: "2"}},
		ClientKey:   func(r *http.Request) string { return r.Header.Get("X-Key") },
		Logger:      slog.New(logs),
		LogInterval: time.Hour,
		Now:         func() time.Time { return now },
		OnDeprecated: func(r *http.Request, u Usage) {
			hookMu.Lock()
			hooked = append(hooked, u)
			hookMu.Unlock()
		},
	})
	mw, err := v.Deprecate(Route{Name: "find orders", Deprecated: t0})
	if err != nil {
		t.Fatal(err)
	}
	h := v.Handler(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	call := func(version, key string) {
		h.ServeHTTP(httptest.NewRecorder(), request("GET", "/x", "Api-Version", version, "X-Key", key))
	}
	call("1", "alice")
	call("1", "alice")
	call("1", "bob")
	call("2", "alice") // only the route is deprecated in 2
	now = now.Add(2 * time.Hour)
	call("1", "alice") // logged again: the interval passed
	call("1", "bad key\x01"+strings.Repeat("x", 300))

	got := v.Usage()
	type row struct {
		version, route, client string
		count                  int64
	}
	var rows []row
	for _, u := range got {
		rows = append(rows, row{u.Version, u.Route, u.Client, u.Count})
		if u.First.After(u.Last) || u.Last.IsZero() {
			t.Errorf("times %+v", u)
		}
	}
	clean := "bad key?" + strings.Repeat("x", 120)
	clean = strings.ReplaceAll(clean, " ", "?")
	want := []row{
		{"1", "", "alice", 3},
		{"1", "", clean, 1},
		{"1", "", "bob", 1},
		{"1", "find orders", "alice", 3},
		{"1", "find orders", clean, 1},
		{"1", "find orders", "bob", 1},
		{"2", "find orders", "alice", 1},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("usage\n%v\nwant\n%v", rows, want)
	}
	// Each request counts for the version, then for the route.
	if len(hooked) != 11 || hooked[2] != (Usage{Version: "1", Client: "alice", Count: 2, First: t0, Last: t0}) ||
		hooked[3].Route != "find orders" || hooked[3].Count != 2 {
		t.Errorf("OnDeprecated got %d calls: %+v", len(hooked), hooked)
	}
	msgs := logs.Messages()
	// alice, bob, alice again after an hour, the bad key; for the version
	// and the route each, and alice on version 2's route.
	if len(msgs) != 9 {
		t.Errorf("%d log records: %q", len(msgs), msgs)
	}
	for _, m := range msgs {
		if !strings.HasPrefix(m, "WARN deprecated API ") {
			t.Errorf("log %q", m)
		}
	}
	for _, r := range logs.Records() {
		r.Attrs(func(a slog.Attr) bool {
			if s := a.Value.String(); strings.ContainsAny(s, "\x01 ") && a.Key == "client" {
				t.Errorf("unclean client logged: %q", s)
			}
			return true
		})
	}
}

func TestUsageBounded(t *testing.T) {
	v := mustNew(t, Config{
		Versions:    []Version{{Name: "1", Deprecated: t0}, {Name: "2"}},
		ClientKey:   func(r *http.Request) string { return r.Header.Get("X-Key") },
		MaxTracked:  3,
		LogInterval: -1,
	})
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, key := range []string{"a", "b", "c", "d", "e", "a"} {
		h.ServeHTTP(httptest.NewRecorder(), request("GET", "/v1/x", "X-Key", key))
	}
	var clients []string
	var total int64
	for _, u := range v.Usage() {
		clients = append(clients, u.Client+":"+itoa(int(u.Count)))
		total += u.Count
	}
	if want := []string{"(other):2", "a:2", "b:1", "c:1"}; !reflect.DeepEqual(clients, want) || total != 6 {
		t.Errorf("clients %v, want %v", clients, want)
	}
}

func TestUsageConcurrent(t *testing.T) {
	v := mustNew(t, Config{
		Versions:  []Version{{Name: "1", Deprecated: t0}, {Name: "2"}},
		ClientKey: func(r *http.Request) string { return r.Header.Get("X-Key") },
	})
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				h.ServeHTTP(httptest.NewRecorder(), request("GET", "/v1/x", "X-Key", itoa((g+i)%5)))
				if i%20 == 0 {
					_ = v.Usage()
				}
			}
		}()
	}
	wg.Wait()
	var total int64
	for _, u := range v.Usage() {
		total += u.Count
	}
	if total != 800 {
		t.Errorf("counted %d calls, want 800", total)
	}
}

func TestLogAttr(t *testing.T) {
	v := mustNew(t, Config{Versions: []Version{{Name: "1", Deprecated: t0}, {Name: "2"}}})
	var attrs []string
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attrs = append(attrs, LogAttr(r.Context()).String())
	}))
	h.ServeHTTP(httptest.NewRecorder(), request("GET", "/v1/x"))
	h.ServeHTTP(httptest.NewRecorder(), request("GET", "/x", "Api-Version", "2"))
	want := []string{"api_version=[name=1 source=path deprecated=true]", "api_version=[name=2 source=header]"}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("attrs %q, want %q", attrs, want)
	}
	if a := LogAttr(context.Background()); !a.Equal(slog.Attr{}) {
		t.Errorf("attr without version: %v", a)
	}
}

func TestContext(t *testing.T) {
	ctx := NewContext(context.Background(), "7")
	if FromContext(ctx) != "7" || SourceFromContext(ctx) != SourceDefault {
		t.Errorf("FromContext %q", FromContext(ctx))
	}
	if FromContext(context.Background()) != "" || SourceFromContext(context.Background()) != SourceDefault {
		t.Error("version in an empty context")
	}
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "p")
	ctx, cancel := context.WithCancel(NewContext(parent, "7"))
	defer cancel()
	if ctx.Value(key{}) != "p" || FromContext(ctx) != "7" {
		t.Error("values of the parent or the version lost")
	}
	cancel()
	<-ctx.Done()

	// A stripped request keeps parent values and cancellation too.
	v := mustNew(t, Config{PathMode: StripPath})
	pctx, pcancel := context.WithCancel(parent)
	r := request("GET", "/v1/x").WithContext(pctx)
	v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(key{}) != "p" || FromContext(r.Context()) != "1" {
			t.Error("values lost")
		}
		pcancel()
		<-r.Context().Done()
	})).ServeHTTP(httptest.NewRecorder(), r)
}
