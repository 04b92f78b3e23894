package versioning_test

import (
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/restwell/restwell/versioning"
)

func Example() {
	v, err := versioning.New(versioning.Config{
		Versions: []versioning.Version{
			{Name: "1", Deprecated: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
				Sunset: time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), Successor: "2",
				Doc: "https://api.example.com/docs/migrate-to-v2"},
			{Name: "2"},
		},
		PathTemplate: "/api/v{version}",
		Logger:       slog.New(slog.DiscardHandler), // calls to version 1 are logged here
	})
	if err != nil {
		log.Fatal(err)
	}
	handler := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "serving version", versioning.FromContext(r.Context()))
	}))

	for _, target := range []string{"/api/v1/items/7", "/api/v2/items/7", "/api/v3/items/7"} {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		fmt.Println(strings.TrimSpace(fmt.Sprint(target, " ", w.Code, " ", w.Header().Get("Api-Version"))))
		for _, name := range []string{"Deprecation", "Sunset", "Link", "Vary"} {
			for _, val := range w.Header().Values(name) {
				fmt.Printf("  %s: %s\n", name, val)
			}
		}
	}
	// Output:
	// /api/v1/items/7 200 1
	//   Deprecation: @1735689600
	//   Sunset: Thu, 31 Dec 2026 23:59:59 GMT
	//   Link: <https://api.example.com/docs/migrate-to-v2>; rel="deprecation"; type="text/html"
	//   Link: </api/v2/items/7>; rel="successor-version"
	//   Vary: Api-Version, Accept
	// /api/v2/items/7 200 2
	//   Vary: Api-Version, Accept
	// /api/v3/items/7 404
	//   Vary: Api-Version, Accept
}

func ExampleVersioner_Deprecate() {
	v, err := versioning.New(versioning.Config{
		Versions: []versioning.Version{{Name: "1"}, {Name: "2"}},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	deprecated, err := v.Deprecate(versioning.Route{
		Deprecated:   time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		SuccessorURL: "/v2/orders/search",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /v2/orders/find", deprecated.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))

	w := httptest.NewRecorder()
	v.Handler(mux).ServeHTTP(w, httptest.NewRequest("GET", "/v2/orders/find", nil))
	fmt.Println(w.Header().Get("Deprecation"))
	fmt.Println(w.Header().Get("Link"))
	fmt.Printf("%+v\n", v.Usage()[0].Route)
	// Output:
	// @1740787200
	// </v2/orders/search>; rel="successor-version"
	// GET /v2/orders/find
}

func ExampleVersioner_Negotiate() {
	v, err := versioning.New(versioning.Config{
		Versions: []versioning.Version{{Name: "1"}, {Name: "2"}},
		Vendor:   "acme",
	})
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/items", nil)
	r.Header.Set("Accept", "application/vnd.acme.v2+json;q=0.5, application/vnd.acme.v1+json")
	res, err := v.Negotiate(r)
	fmt.Println(res.Version, res.Source, err)

	r.Header.Set("Accept", "application/vnd.acme.v7+json")
	_, err = v.Negotiate(r)
	fmt.Println(err)
	// Output:
	// 1 media-type <nil>
	// unsupported_version: API version 7 is not supported: versioning: unsupported version 7 in media-type
}
