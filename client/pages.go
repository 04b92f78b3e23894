package client

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
)

// page is the JSON shape of a page: {"items": [...], "meta":
// {"next_cursor": ...}, "links": {"next": ...}}.
type page[T any] struct {
	Items []T `json:"items"`
	Meta  struct {
		HasNext    *bool  `json:"has_next"`
		NextCursor string `json:"next_cursor"`
	} `json:"meta"`
	Links struct {
		Next string `json:"next"`
	} `json:"links"`
}

// ErrPageLoop is returned by Pages when a server's next link leads back
// to a page already read.
var ErrPageLoop = errors.New("client: the next page is one already read")

// Pages returns every item of the list at ref, page after page: it reads
// a page's "items", then follows the response's Link rel="next", or else
// the body's links.next, or else meta.next_cursor (as the cursor query
// parameter), until a page has none. Items are yielded in the server's
// order, each once, as the server's cursors guarantee; a next link that
// leads back to a page already read ends the sequence with ErrPageLoop
// rather than repeating items.
//
// An error (a failed request, an undecodable page) is yielded once, with
// the zero T, and ends the sequence. Breaking out of the loop stops the
// requests.
func Pages[T any](ctx context.Context, c *Client, ref string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		seen := make(map[string]struct{})
		next := ref
		for next != "" {
			u, err := c.URL(next)
			if err != nil {
				yield(zero, err)
				return
			}
			if _, ok := seen[u.String()]; ok {
				yield(zero, fmt.Errorf("%w: %s", ErrPageLoop, u.Redacted()))
				return
			}
			seen[u.String()] = struct{}{}
			var p page[T]
			resp, err := c.Do(ctx, "GET", u.String(), nil, nil, &p)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
			next = ""
			for _, l := range ParseLinks(resp.Header["Link"], u) {
				if l.HasRel("next") {
					next = l.URL.String()
					break
				}
			}
			if next == "" && p.Links.Next != "" {
				if r, err := url.Parse(p.Links.Next); err == nil {
					next = u.ResolveReference(r).String()
				}
			}
			if next == "" && p.Meta.NextCursor != "" && (p.Meta.HasNext == nil || *p.Meta.HasNext) {
				n := *u
				q := n.Query()
				q.Set("cursor", p.Meta.NextCursor)
				n.RawQuery = q.Encode()
				next = n.String()
			}
			if next != "" && len(p.Items) == 0 && p.Meta.HasNext != nil && !*p.Meta.HasNext {
				next = ""
			}
		}
	}
}
