package convert_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/restwell/restwell/versioning"
	"github.com/restwell/restwell/versioning/convert"
)

// The example service serves version 1 from handlers written for version 2
// only, where price became an object.
func ExampleNest() {
	v, err := versioning.New(versioning.Config{
		Versions:     []versioning.Version{{Name: "1"}, {Name: "2"}},
		PathTemplate: "/api/v{version}",
		PathMode:     versioning.RewritePath,
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := convert.New(convert.Config{Versioner: v, Changes: []convert.Change{{
		Version:     "2",
		Description: "price is an object with amount and currency",
		Edits: []convert.Edit{
			convert.Nest("price", map[string]string{"amount": "price", "currency": "currency"}),
		},
	}}})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/items", func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		fmt.Printf("handler got   %s\n", in)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":1,"name":"mug","price":{"amount":1200,"currency":"USD"}}`)
	})
	r := httptest.NewRequest("POST", "/api/v1/items", strings.NewReader(`{"name":"mug","price":1200,"currency":"USD"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	v.Handler(c.Handler(mux)).ServeHTTP(w, r)
	fmt.Printf("v1 client got %d %s\n", w.Code, w.Body)
	// Output:
	// handler got   {"name":"mug","price":{"amount":1200,"currency":"USD"}}
	// v1 client got 201 {"currency":"USD","id":1,"name":"mug","price":1200}
}

func ExampleConverter_WriteChangelog() {
	v, err := versioning.New(versioning.Config{
		Versions: []versioning.Version{{Name: "2024-01-01"}, {Name: "2025-06-01"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := convert.New(convert.Config{Versioner: v, Changes: []convert.Change{
		{Version: "2025-06-01", Description: "name is now title", Edits: []convert.Edit{convert.Rename("name", "title")}},
		{Version: "2025-06-01", Description: "legacy_id removed", Edits: []convert.Edit{convert.Remove("legacy_id", nil)}},
	}})
	if err != nil {
		log.Fatal(err)
	}
	_ = c.WriteChangelog(os.Stdout)
	// Output:
	// ## 2025-06-01
	//
	// - name is now title
	// - legacy_id removed
	//
	// ## 2024-01-01
	//
	// - Initial version.
}
