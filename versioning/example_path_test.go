package versioning_test

import (
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/restwell/restwell/versioning"
)

// A handler written for the newest version builds its Location with Path,
// so a version 1 client is sent to a version 1 URL.
func ExamplePath() {
	v, err := versioning.New(versioning.Config{
		Versions:     []versioning.Version{{Name: "1"}, {Name: "2"}},
		PathTemplate: "/api/v{version}",
		PathMode:     versioning.RewritePath, // the handler sees /api/v2/items
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/items", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", versioning.Path(r.Context(), "/api/v2/items/7"))
		w.WriteHeader(http.StatusCreated)
	})
	h := v.Handler(mux)
	for _, target := range []string{"/api/v1/items", "/api/v2/items"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", target, nil))
		fmt.Println(target, rec.Code, rec.Header().Get("Location"))
	}
	// Output:
	// /api/v1/items 201 /api/v1/items/7
	// /api/v2/items 201 /api/v2/items/7
}
