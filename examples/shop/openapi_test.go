package main

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// documentedOperations returns "METHOD /path" for every operation of
// openapi.json.
func documentedOperations(t *testing.T) []string {
	t.Helper()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	var ops []string
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				ops = append(ops, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// TestOpenAPICoversRoutes checks that every route the shop's router serves
// is in openapi.json, and that every operation there is served: version 2
// paths by the route of the same pattern, version 1 paths by the version
// 2 route they are rewritten to.
func TestOpenAPICoversRoutes(t *testing.T) {
	s := newTestShop(t, nil)
	ops := documentedOperations(t)

	var routes []string
	for _, rt := range s.srv.routes() {
		routes = append(routes, rt.pattern)
		if !slices.Contains(ops, rt.pattern) {
			t.Errorf("route %q is not in openapi.json", rt.pattern)
		}
	}
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		served := path
		if rest, ok := strings.CutPrefix(path, "/api/v1/"); ok {
			served = "/api/v2/" + rest
			if !slices.Contains(ops, method+" "+served) {
				t.Errorf("%s is documented but its version 2 counterpart %s %s is not", op, method, served)
			}
		}
		req := httptest.NewRequest(method, strings.ReplaceAll(served, "{id}", "1"), nil)
		_, pattern := s.srv.mux.Handler(req)
		if pattern != method+" "+served {
			t.Errorf("%s is documented, but the router matches it to %q", op, pattern)
		}
		if !strings.HasPrefix(path, "/api/v1/") && !slices.Contains(routes, op) {
			t.Errorf("%s is documented but not a route", op)
		}
	}
}

// TestOpenAPISchemasMatchValidation checks that the request schemas of
// openapi.json are the ones the handlers validate with.
func TestOpenAPISchemasMatchValidation(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string][]byte{"OrderInput": orderSchemaJSON} {
		var want map[string]any
		json.Unmarshal(src, &want)
		got := doc.Components.Schemas[name]
		for _, k := range []string{"required", "properties", "additionalProperties"} {
			gb, _ := json.Marshal(stripDocs(got[k]))
			wb, _ := json.Marshal(stripDocs(want[k]))
			if string(gb) != string(wb) {
				t.Errorf("%s.%s: openapi.json %s, validation %s", name, k, gb, wb)
			}
		}
	}
	// ItemInput refers to Price; compare them resolved.
	item := doc.Components.Schemas["ItemInput"]
	props := item["properties"].(map[string]any)
	props["price"] = doc.Components.Schemas["Price"]
	var want map[string]any
	json.Unmarshal(itemSchemaJSON, &want)
	for _, k := range []string{"required", "properties", "additionalProperties"} {
		gb, _ := json.Marshal(stripDocs(item[k]))
		wb, _ := json.Marshal(stripDocs(want[k]))
		if string(gb) != string(wb) {
			t.Errorf("ItemInput.%s: openapi.json %s, validation %s", k, gb, wb)
		}
	}
}

// stripDocs removes the members that only document a schema, and the
// "type" a schema with an enum needs in neither.
func stripDocs(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			switch k {
			case "description", "examples", "title", "$schema":
				continue
			case "type":
				if _, ok := v["enum"]; ok {
					continue
				}
			}
			out[k] = stripDocs(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = stripDocs(e)
		}
		return out
	}
	return v
}

// TestOpenAPISecurity checks that openapi.json says of every operation
// what the shop does: operations under /api/ that need a key declare
// apiKey alone and answer 401 unauthenticated without one; the anonymous
// item reads declare the key optional ({} or apiKey) and answer without
// one; the rest declare no security. Every operation under /api/
// documents the 401.
func TestOpenAPISecurity(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Components.SecuritySchemes["apiKey"]; got["type"] != "http" || got["scheme"] != "bearer" || len(doc.Components.SecuritySchemes) != 1 {
		t.Errorf("securitySchemes %v, want apiKey alone, http bearer", doc.Components.SecuritySchemes)
	}
	s := newTestShop(t, nil)
	item, _ := s.createItem("mug", 1, "USD")
	for _, op := range documentedOperations(t) {
		method, path, _ := strings.Cut(op, " ")
		var o struct {
			Security  *[]map[string][]string `json:"security"`
			Responses map[string]struct {
				Ref string `json:"$ref"`
			} `json:"responses"`
		}
		if err := json.Unmarshal(doc.Paths[path][strings.ToLower(method)], &o); err != nil {
			t.Fatal(err)
		}
		if o.Security == nil {
			t.Errorf("%s: no security", op)
			continue
		}
		got, _ := json.Marshal(*o.Security)
		url := strings.ReplaceAll(path, "{id}", idOf(t, item))
		req := httptest.NewRequest(method, url, nil)
		var want string
		switch {
		case !strings.HasPrefix(path, "/api/"):
			want = `[]`
		case anonymousRead(req):
			want = `[{},{"apiKey":[]}]`
		default:
			want = `[{"apiKey":[]}]`
		}
		if string(got) != want {
			t.Errorf("%s: security %s, want %s", op, got, want)
		}
		if strings.HasPrefix(path, "/api/") && o.Responses["401"].Ref != "#/components/responses/Unauthenticated" {
			t.Errorf("%s: 401 %+v, want the Unauthenticated response", op, o.Responses["401"])
		}
		r := s.do(method, url, "", "Authorization", "")
		if needs := want == `[{"apiKey":[]}]`; needs != (r.status == 401) {
			t.Errorf("%s with no key: %d, but it needs a key: %v", op, r.status, needs)
		} else if needs {
			wantError(t, op, r, 401, "unauthenticated")
		}
	}
}
