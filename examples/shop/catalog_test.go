package main

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
)

func TestAPICatalog(t *testing.T) {
	s := newTestShop(t, nil)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			req, _ := http.NewRequest(method, s.ts.URL+"/.well-known/api-catalog", nil)
			res, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", res.StatusCode)
			}
			if got, want := res.Header.Get("Content-Type"), `application/linkset+json; profile="https://www.rfc-editor.org/info/rfc9727"`; got != want {
				t.Errorf("Content-Type %q, want %q", got, want)
			}
			if got, want := res.Header.Values("Link"), []string{`</.well-known/api-catalog>; rel="api-catalog"`}; !slices.Equal(got, want) {
				t.Errorf("Link %q, want %q", got, want)
			}
			if res.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
			if method == http.MethodHead {
				if len(body) != 0 {
					t.Errorf("HEAD body %q, want none", body)
				}
				return
			}
			var doc struct {
				Linkset []map[string]json.RawMessage `json:"linkset"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			type target struct{ Href, Type string }
			want := map[string]map[string][]target{
				"/api/v1": {
					"service-desc":      {{"/openapi.json", "application/json"}},
					"service-doc":       {{"/docs", "text/html"}},
					"deprecation":       {{"/docs", "text/html"}},
					"successor-version": {{"/api/v2", ""}},
				},
				"/api/v2": {
					"service-desc": {{"/openapi.json", "application/json"}},
					"service-doc":  {{"/docs", "text/html"}},
				},
			}
			if len(doc.Linkset) != len(want) {
				t.Fatalf("%d link contexts, want %d: %s", len(doc.Linkset), len(want), body)
			}
			for _, c := range doc.Linkset {
				var anchor string
				json.Unmarshal(c["anchor"], &anchor)
				wantRels, ok := want[anchor]
				if !ok {
					t.Errorf("unexpected anchor %q", anchor)
					continue
				}
				if len(c) != len(wantRels)+1 {
					t.Errorf("%s: %d members, want anchor and %d relations: %s", anchor, len(c), len(wantRels), body)
				}
				for rel, wantTargets := range wantRels {
					var got []target
					if err := json.Unmarshal(c[rel], &got); err != nil {
						t.Errorf("%s %s: %s: %v", anchor, rel, c[rel], err)
					}
					if !slices.Equal(got, wantTargets) {
						t.Errorf("%s %s: %+v, want %+v", anchor, rel, got, wantTargets)
					}
				}
			}
		})
	}
}

// TestAPICatalogLinked checks that the API's descriptions point at the
// catalog, and that the catalog revalidates with its ETag.
func TestAPICatalogLinked(t *testing.T) {
	s := newTestShop(t, nil)
	for _, path := range []string{"/openapi.json", "/docs"} {
		res, err := s.client.Get(s.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got, want := res.Header.Get("Link"), `</.well-known/api-catalog>; rel="api-catalog"`; got != want {
			t.Errorf("%s: Link %q, want %q", path, got, want)
		}
	}
	res, err := s.client.Get(s.ts.URL + "/.well-known/api-catalog")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, s.ts.URL+"/.well-known/api-catalog", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	res, err = s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: status %d, want 304", res.StatusCode)
	}
}
