package main

import (
	"html"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	docsOperationRe = regexp.MustCompile(`(?s)<article class="op" id="([^"]+)">\s*<h3>(.*?)</h3>`)
	docsTagRe       = regexp.MustCompile(`<[^>]*>`)
)

// shownOperations returns "METHOD /path" for every operation the /docs
// page shows, by its heading text, and checks that the page links to
// each one's anchor.
func shownOperations(t *testing.T, page string) []string {
	t.Helper()
	var ops []string
	for _, m := range docsOperationRe.FindAllStringSubmatch(page, -1) {
		id, heading := m[1], m[2]
		text := strings.Join(strings.Fields(html.UnescapeString(docsTagRe.ReplaceAllString(heading, ""))), " ")
		ops = append(ops, text)
		if !strings.Contains(page, `href="#`+id+`"`) {
			t.Errorf("operation %q (#%s) has no link to its anchor", text, id)
		}
	}
	slices.Sort(ops)
	return ops
}

// checkDocsShowsEveryOperation fails t unless the page shows exactly the
// operations of openapi.json.
func checkDocsShowsEveryOperation(t *testing.T, page string) {
	t.Helper()
	want := documentedOperations(t)
	got := shownOperations(t, page)
	for _, op := range want {
		if !slices.Contains(got, op) {
			t.Errorf("/docs does not show %s", op)
		}
	}
	for _, op := range got {
		if !slices.Contains(want, op) {
			t.Errorf("/docs shows %q, which is not an operation of openapi.json", op)
		}
	}
	if len(got) != len(want) {
		t.Errorf("/docs shows %d operations, openapi.json has %d", len(got), len(want))
	}
}

func TestDocsPage(t *testing.T) {
	s := newTestShop(t, nil)
	res, err := s.client.Get(s.ts.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", res.StatusCode)
	}
	if got, want := res.Header.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
		t.Errorf("Content-Type %q, want %q", got, want)
	}
	page := string(body)
	checkDocsShowsEveryOperation(t, page)

	for _, want := range []string{
		"<title>restwell shop 2.0.0</title>",
		"<code>http://127.0.0.1:8080</code>",    // the server
		"<strong>Create an item</strong>",       // a summary
		"<code>ItemInput</code> (required)",     // a request body
		"<td><code>Idempotency-Key</code></td>", // a header parameter
		"<td>412</td>",                          // a response
		`<span class="deprecated">Deprecated.</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("/docs lacks %q", want)
		}
	}
	// Nothing is loaded from elsewhere: the page works offline.
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", " src=", "@import", "url("} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("/docs contains %q: it must load no other resource", bad)
		}
	}
}

// TestDocsOperationRenders checks the rendering of one operation against a
// small document: parameters from the path and the operation, references
// resolved, responses in status order.
func TestDocsOperationRenders(t *testing.T) {
	spec := `{"openapi":"3.1.0","info":{"title":"T","version":"1","description":"a\n\nb <x>"},
	"paths":{"/z/{id}":{"parameters":[{"$ref":"#/components/parameters/Id"}],
	  "delete":{"summary":"Del","deprecated":true,"responses":{"404":{"$ref":"#/components/responses/NF"},"204":{"description":"gone"}}},
	  "get":{"operationId":"getZ","parameters":[{"name":"q","in":"query","schema":{"type":"string","enum":["a","b"]}}],
	    "requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/In"}}}},
	    "responses":{"200":{"description":"ok"}}}}},
	"components":{"parameters":{"Id":{"name":"id","in":"path","required":true,"schema":{"type":"integer"}}},
	  "responses":{"NF":{"description":"not found"}},
	  "schemas":{"In":{"type":"object","required":["n"],"properties":{"n":{"type":"string","description":"the n"}}}}}}`
	b, err := renderDocs([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if got, want := shownOperations(t, page), []string{"DELETE /z/{id}", "GET /z/{id}"}; !slices.Equal(got, want) {
		t.Errorf("operations %q, want %q", got, want)
	}
	for _, want := range []string{
		`id="delete-z-id"`, `id="getZ"`, // anchors: operationId, else method and path
		"<p>a</p>", "<p>b &lt;x&gt;</p>", // paragraphs, escaped
		"<td><code>id</code></td><td>path</td><td>integer</td><td>yes</td>",
		"<td><code>q</code></td><td>query</td><td>string (one of a, b)</td><td>no</td>",
		"<td><code>n</code></td><td>string</td><td>yes</td><td>the n</td>",
		"<td>204</td><td>gone</td></tr>\n<tr><td>404</td><td>not found</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	for name, bad := range map[string]string{
		"not JSON":         `{`,
		"unresolved":       `{"paths":{"/a":{"get":{"parameters":[{"$ref":"#/components/parameters/X"}]}}}}`,
		"duplicate anchor": `{"paths":{"/a":{"get":{"operationId":"x"}},"/b":{"get":{"operationId":"x"}}}}`,
	} {
		if _, err := renderDocs([]byte(bad)); err == nil {
			t.Errorf("%s: renderDocs succeeded, want an error", name)
		}
	}
}
