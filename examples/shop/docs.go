package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strings"
)

// docsPage is the /docs page: a plain HTML rendering of openapi.json,
// made once when the server starts. It loads nothing else (no script, no
// stylesheet, no font), so it shows the whole API offline and without
// JavaScript.
type docsPage struct {
	Title       string
	Version     string
	Summary     string
	Description []string // paragraphs
	Servers     []docsServer
	Groups      []docsGroup
}

type docsServer struct{ URL, Description string }

// docsGroup is one tag of the document and its operations, in document
// order.
type docsGroup struct {
	Name, Description string
	Operations        []docsOperation
}

type docsOperation struct {
	ID          string // the HTML anchor
	Method      string // upper case
	Path        string
	Summary     string
	Description string
	Deprecated  bool
	Parameters  []docsParameter
	Body        *docsBody
	Responses   []docsResponse
}

type docsParameter struct {
	Name, In, Type, Description string
	Required                    bool
}

type docsBody struct {
	Required    bool
	ContentType string
	Schema      string // the schema's name, or its type
	Description string
	Properties  []docsParameter // the top-level members of an object schema
}

type docsResponse struct{ Status, Description string }

// openAPI is the part of an OpenAPI 3.1 document the page shows.
type openAPI struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Summary     string `json:"summary"`
		Description string `json:"description"`
	} `json:"info"`
	Servers []struct {
		URL         string `json:"url"`
		Description string `json:"description"`
	} `json:"servers"`
	Tags []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tags"`
	Paths      orderedPaths `json:"paths"`
	Components struct {
		Parameters map[string]oaParameter `json:"parameters"`
		Responses  map[string]oaResponse  `json:"responses"`
		Schemas    map[string]oaSchema    `json:"schemas"`
	} `json:"components"`
}

type oaParameter struct {
	Ref         string   `json:"$ref"`
	Name        string   `json:"name"`
	In          string   `json:"in"`
	Required    bool     `json:"required"`
	Description string   `json:"description"`
	Schema      oaSchema `json:"schema"`
}

type oaResponse struct {
	Ref         string `json:"$ref"`
	Description string `json:"description"`
}

type oaSchema struct {
	Ref         string              `json:"$ref"`
	Type        any                 `json:"type"` // a string or a list of them
	Description string              `json:"description"`
	Enum        []any               `json:"enum"`
	Required    []string            `json:"required"`
	Properties  map[string]oaSchema `json:"properties"`
	Items       *oaSchema           `json:"items"`
}

type oaOperation struct {
	OperationID string        `json:"operationId"`
	Tags        []string      `json:"tags"`
	Summary     string        `json:"summary"`
	Description string        `json:"description"`
	Deprecated  bool          `json:"deprecated"`
	Parameters  []oaParameter `json:"parameters"`
	RequestBody *struct {
		Required    bool               `json:"required"`
		Description string             `json:"description"`
		Content     map[string]oaMedia `json:"content"`
	} `json:"requestBody"`
	Responses map[string]oaResponse `json:"responses"`
}

type oaMedia struct {
	Schema oaSchema `json:"schema"`
}

// oaPath is one path item, its operations in document order.
type oaPath struct {
	Path       string
	Parameters []oaParameter
	Operations []struct {
		Method string
		oaOperation
	}
}

// orderedPaths keeps the paths and methods in the order of the document,
// which a map would lose.
type orderedPaths []oaPath

func (p *orderedPaths) UnmarshalJSON(b []byte) error {
	return eachMember(b, func(path string, raw json.RawMessage) error {
		item := oaPath{Path: path}
		err := eachMember(raw, func(key string, raw json.RawMessage) error {
			switch key {
			case "parameters":
				return json.Unmarshal(raw, &item.Parameters)
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				var op oaOperation
				if err := json.Unmarshal(raw, &op); err != nil {
					return fmt.Errorf("%s %s: %w", key, path, err)
				}
				item.Operations = append(item.Operations, struct {
					Method string
					oaOperation
				}{strings.ToUpper(key), op})
			}
			return nil
		})
		*p = append(*p, item)
		return err
	})
}

// eachMember calls f with every member of the JSON object b, in order.
func eachMember(b []byte, f func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("want a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := f(t.(string), raw); err != nil {
			return err
		}
	}
	return nil
}

// renderDocs renders the OpenAPI document spec as the /docs page.
func renderDocs(spec []byte) ([]byte, error) {
	var doc openAPI
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	page := docsPage{
		Title:       doc.Info.Title,
		Version:     doc.Info.Version,
		Summary:     doc.Info.Summary,
		Description: paragraphs(doc.Info.Description),
	}
	for _, s := range doc.Servers {
		page.Servers = append(page.Servers, docsServer{s.URL, s.Description})
	}
	groups := map[string]int{}
	for _, t := range doc.Tags {
		groups[t.Name] = len(page.Groups)
		page.Groups = append(page.Groups, docsGroup{Name: t.Name, Description: t.Description})
	}
	ids := map[string]bool{}
	for _, item := range doc.Paths {
		for _, op := range item.Operations {
			o, err := doc.operation(item, op.Method, op.oaOperation)
			if err != nil {
				return nil, err
			}
			if ids[o.ID] {
				return nil, fmt.Errorf("docs: two operations have the anchor %q", o.ID)
			}
			ids[o.ID] = true
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			i, ok := groups[tag]
			if !ok {
				i = len(page.Groups)
				groups[tag] = i
				page.Groups = append(page.Groups, docsGroup{Name: tag})
			}
			page.Groups[i].Operations = append(page.Groups[i].Operations, o)
		}
	}
	page.Groups = slices.DeleteFunc(page.Groups, func(g docsGroup) bool { return len(g.Operations) == 0 })
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, page); err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	return buf.Bytes(), nil
}

// operation resolves one operation of the document for the page.
func (doc *openAPI) operation(item oaPath, method string, op oaOperation) (docsOperation, error) {
	o := docsOperation{
		ID:          op.OperationID,
		Method:      method,
		Path:        item.Path,
		Summary:     op.Summary,
		Description: op.Description,
		Deprecated:  op.Deprecated,
	}
	if o.ID == "" {
		o.ID = strings.ToLower(method) + "-" + strings.Trim(nonAnchor.ReplaceAllString(item.Path, "-"), "-")
	}
	// Operation parameters override path-level ones of the same name and place.
	var params []oaParameter
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		p, err := doc.parameter(p)
		if err != nil {
			return o, err
		}
		params = slices.DeleteFunc(params, func(q oaParameter) bool { return q.Name == p.Name && q.In == p.In })
		params = append(params, p)
	}
	for _, p := range params {
		o.Parameters = append(o.Parameters, docsParameter{
			Name: p.Name, In: p.In, Required: p.Required, Description: p.Description, Type: doc.schemaName(p.Schema),
		})
	}
	if rb := op.RequestBody; rb != nil {
		// The shop's operations take one media type; show the first.
		if cts := sortedKeys(rb.Content); len(cts) > 0 {
			ct := cts[0]
			s := rb.Content[ct].Schema
			b := &docsBody{Required: rb.Required, ContentType: ct, Schema: doc.schemaName(s), Description: rb.Description}
			r := doc.resolve(s)
			if b.Description == "" {
				b.Description = r.Description
			}
			for _, name := range sortedKeys(r.Properties) {
				ps := r.Properties[name]
				desc := ps.Description
				if desc == "" {
					desc = doc.resolve(ps).Description
				}
				b.Properties = append(b.Properties, docsParameter{
					Name: name, Type: doc.schemaName(ps), Required: slices.Contains(r.Required, name), Description: desc,
				})
			}
			o.Body = b
		}
	}
	for _, status := range sortedKeys(op.Responses) {
		r := op.Responses[status]
		if r.Ref != "" {
			name, ok := strings.CutPrefix(r.Ref, "#/components/responses/")
			rr, found := doc.Components.Responses[name]
			if !ok || !found {
				return o, fmt.Errorf("docs: %s %s: unresolved %s", method, item.Path, r.Ref)
			}
			r = rr
		}
		o.Responses = append(o.Responses, docsResponse{status, r.Description})
	}
	return o, nil
}

func (doc *openAPI) parameter(p oaParameter) (oaParameter, error) {
	if p.Ref == "" {
		return p, nil
	}
	name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
	q, found := doc.Components.Parameters[name]
	if !ok || !found {
		return p, fmt.Errorf("docs: unresolved %s", p.Ref)
	}
	return q, nil
}

// resolve follows a schema's $ref within the components.
func (doc *openAPI) resolve(s oaSchema) oaSchema {
	for range 8 { // bounded, in case of a cycle
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		if !ok {
			break
		}
		s = doc.Components.Schemas[name]
	}
	return s
}

// schemaName is a short description of a schema's type: its component
// name, its type, an array's item type, or its enumerated values.
func (doc *openAPI) schemaName(s oaSchema) string {
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		return name
	}
	var t string
	switch v := s.Type.(type) {
	case string:
		t = v
	case []any:
		var ts []string
		for _, e := range v {
			ts = append(ts, fmt.Sprint(e))
		}
		t = strings.Join(ts, " | ")
	}
	if t == "array" && s.Items != nil {
		return "array of " + doc.schemaName(*s.Items)
	}
	if len(s.Enum) > 0 {
		var vs []string
		for _, e := range s.Enum {
			vs = append(vs, fmt.Sprint(e))
		}
		return t + " (one of " + strings.Join(vs, ", ") + ")"
	}
	return t
}

var nonAnchor = regexp.MustCompile(`[^A-Za-z0-9]+`)

func paragraphs(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var docsTemplate = template.Must(template.New("docs").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} {{.Version}}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; color: #222; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem 4rem; }
code, .path { font-family: ui-monospace, monospace; }
h1 { margin-bottom: 0; }
h2 { border-bottom: 2px solid #ddd; margin-top: 2.5rem; }
.op { border: 1px solid #ddd; border-radius: 6px; margin: 1.5rem 0; padding: 0 1rem 0.5rem; }
.op h3 { font-size: 1.1rem; }
.op h3 a { color: inherit; text-decoration: none; }
.method { display: inline-block; min-width: 4.5rem; padding: 0 .4rem; border-radius: 4px; color: #fff; background: #555; text-align: center; }
.GET { background: #2b6cb0; } .POST { background: #2f855a; } .PUT { background: #b7791f; } .PATCH { background: #6b46c1; } .DELETE { background: #c53030; }
.deprecated { color: #c53030; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border-bottom: 1px solid #eee; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f7f7f7; }
nav ul { columns: 2; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p>Version {{.Version}}{{with .Summary}}: {{.}}{{end}}</p>
</header>
{{range .Description}}<p>{{.}}</p>
{{end}}
{{with .Servers}}<h2 id="servers">Servers</h2>
<ul>{{range .}}<li><code>{{.URL}}</code>{{with .Description}}: {{.}}{{end}}</li>{{end}}</ul>
{{end}}
<nav aria-label="Operations"><h2 id="operations">Operations</h2>
<ul>{{range .Groups}}{{range .Operations}}<li><a href="#{{.ID}}">{{.Method}} {{.Path}}</a>{{with .Summary}}: {{.}}{{end}}</li>{{end}}{{end}}</ul>
</nav>
<p>The machine-readable description is <a href="/openapi.json">/openapi.json</a>.</p>
<main>
{{range .Groups}}<section>
<h2>{{.Name}}</h2>
{{with .Description}}<p>{{.}}</p>{{end}}
{{range .Operations}}<article class="op" id="{{.ID}}">
<h3><a href="#{{.ID}}"><span class="method {{.Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></a></h3>
<p>{{with .Summary}}<strong>{{.}}</strong>{{end}}{{if .Deprecated}} <span class="deprecated">Deprecated.</span>{{end}}</p>
{{with .Description}}<p>{{.}}</p>{{end}}
{{with .Parameters}}<h4>Parameters</h4>
<table><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr>
{{range .}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{.Type}}</td><td>{{if .Required}}yes{{else}}no{{end}}</td><td>{{.Description}}</td></tr>
{{end}}</table>
{{end}}
{{with .Body}}<h4>Request body</h4>
<p><code>{{.ContentType}}</code>, schema <code>{{.Schema}}</code>{{if .Required}} (required){{end}}{{with .Description}}: {{.}}{{end}}</p>
{{with .Properties}}<table><tr><th>Member</th><th>Type</th><th>Required</th><th>Description</th></tr>
{{range .}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{if .Required}}yes{{else}}no{{end}}</td><td>{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{end}}
<h4>Responses</h4>
<table><tr><th>Status</th><th>Description</th></tr>
{{range .Responses}}<tr><td>{{.Status}}</td><td>{{.Description}}</td></tr>
{{end}}</table>
</article>
{{end}}</section>
{{end}}</main>
</body>
</html>
`))
