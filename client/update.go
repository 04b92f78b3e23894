package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apierrors "github.com/restwell/restwell/errors"
)

// DefaultUpdateTries is how many times Update applies a change when
// UpdateOptions.Tries is zero.
const DefaultUpdateTries = 3

// UpdateOptions configures Update. The zero value sends PUT and tries
// DefaultUpdateTries times.
type UpdateOptions struct {
	// Method is http.MethodPut (the zero value) or http.MethodPatch, which
	// sends the changed value as a JSON merge patch (RFC 7396).
	Method string
	// Tries bounds how many times the change is applied when others
	// change the resource in between. Zero means DefaultUpdateTries.
	Tries int
}

// ErrNoETag is returned by Update when the resource's GET answer carries
// no ETag, so the write cannot be made conditional.
var ErrNoETag = errors.New("client: the resource has no ETag; a conditional update is not possible")

// Update changes the resource at ref without losing anyone else's
// change: it reads it (GET), lets change modify the value, and writes it
// back with If-Match set to the ETag it read. When the resource changed
// in between (412 Precondition Failed), it reads it again and re-applies
// change, up to opts.Tries times in all. change may be called several
// times and must depend only on the value it is given; an error from it
// stops Update and is returned.
//
// It returns the value the write answered with, or, for an answer with
// no body, the changed value. After the last try, the 412's
// *errors.Error is returned.
func Update[T any](ctx context.Context, c *Client, ref string, opts UpdateOptions, change func(*T) error) (T, error) {
	var zero T
	method := opts.Method
	contentType := "application/json"
	switch method {
	case "", http.MethodPut:
		method = http.MethodPut
	case http.MethodPatch:
		contentType = "application/merge-patch+json"
	default:
		return zero, fmt.Errorf("client: Update: method %q is neither PUT nor PATCH", method)
	}
	tries := opts.Tries
	if tries <= 0 {
		tries = DefaultUpdateTries
	}
	var lastErr error
	for range tries {
		var v T
		resp, err := c.Do(ctx, http.MethodGet, ref, nil, nil, &v)
		if err != nil {
			return zero, err
		}
		tag := resp.Header.Get("ETag")
		if tag == "" {
			return zero, ErrNoETag
		}
		if err := change(&v); err != nil {
			return zero, err
		}
		h := http.Header{"If-Match": {tag}, "Content-Type": {contentType}}
		var out T
		resp, err = c.Do(ctx, method, ref, h, v, &out)
		var ae *apierrors.Error
		if errors.As(err, &ae) && ae.Status == http.StatusPreconditionFailed {
			lastErr = err
			continue
		}
		if err != nil {
			return zero, err
		}
		if resp.StatusCode == http.StatusNoContent || resp.ContentLength == 0 {
			return v, nil
		}
		return out, nil
	}
	return zero, lastErr
}
