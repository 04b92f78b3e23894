package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client is a small typed layer over a Transport for a JSON API at one
// base URL: it encodes request bodies, decodes answers and turns error
// answers into *errors.Error values. A Client is safe for concurrent use
// by multiple goroutines.
type Client struct {
	base *url.URL
	hc   *http.Client
	tr   *Transport
}

// New returns a Client for the API at baseURL (such as
// "https://api.example.com"), sending through a Transport built from cfg.
func New(baseURL string, cfg Config) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q is not an absolute http or https URL", baseURL)
	}
	tr, err := NewTransport(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{base: u, hc: &http.Client{Transport: tr}, tr: tr}, nil
}

// HTTPClient returns the *http.Client the Client sends with, for calls
// the typed methods do not cover.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Transport returns the Client's Transport.
func (c *Client) Transport() *Transport { return c.tr }

// URL resolves ref (a path such as "/api/v2/items?limit=5", or an
// absolute URL) against the base URL.
func (c *Client) URL(ref string) (*url.URL, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return c.base.ResolveReference(r), nil
}

// Do sends a request and decodes its answer. in, when not nil, is sent
// as the JSON body; out, when not nil, receives the JSON body of a 2xx
// answer. header adds fields to the request (an If-Match, an
// Idempotency-Key of the caller's own).
//
// An answer of 400 or more returns the response (its body read and
// closed) and an *errors.Error, as DecodeError gives it. Any other answer
// returns the response with its body read and closed.
func (c *Client) Do(ctx context.Context, method, ref string, header http.Header, in, out any) (*http.Response, error) {
	u, err := c.URL(ref)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("client: encoding the request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	for k, v := range header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	if in != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json, application/problem+json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if resp.StatusCode >= 400 {
		return resp, DecodeError(resp)
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent || method == http.MethodHead {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return resp, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp, fmt.Errorf("client: decoding the %d answer to %s %s: %w", resp.StatusCode, method, u.Redacted(), err)
	}
	return resp, nil
}

// unwrapURLError returns the WaitError inside the *url.Error
// http.Client wraps errors in, so its message reads first; any other
// error is returned as it is.
func unwrapURLError(err error) error {
	var ue *url.Error
	var we *WaitError
	if errors.As(err, &ue) && errors.As(err, &we) {
		return fmt.Errorf("%s %s: %w", strings.ToUpper(ue.Op[:1])+ue.Op[1:], ue.URL, we)
	}
	return err
}
