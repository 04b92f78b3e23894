package etag

import apierrors "github.com/restwell/restwell/errors"

var (
	// ErrPreconditionFailed is wrapped by every 412 the package renders:
	// a condition of the request did not hold (RFC 9110 §13).
	ErrPreconditionFailed = apierrors.New("etag: precondition failed")
	// ErrPreconditionRequired is wrapped by every 428 the middleware
	// renders: a write that must be conditional was not (RFC 6585 §3).
	ErrPreconditionRequired = apierrors.New("etag: precondition required")
)
