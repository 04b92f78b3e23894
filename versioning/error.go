package versioning

import "errors"

// Sentinel errors, the Err of the *errors.Error values the middleware
// hands to Config.ErrorHandler; test for them with errors.Is.
var (
	// ErrUnsupportedVersion: the request asked for a version the registry
	// does not have (404 from the path, 400 from a header or media type,
	// code "unsupported_version"). The Err is an *UnsupportedError, which
	// matches it.
	ErrUnsupportedVersion = errors.New("versioning: unsupported version")
	// ErrNotAcceptable: in strict mode, the Accept header allows no JSON
	// response of the chosen version (406, code "not_acceptable").
	ErrNotAcceptable = errors.New("versioning: not acceptable")
	// ErrSunset: the version or route is past its sunset time and
	// AfterSunset is Gone (410, code "sunset").
	ErrSunset = errors.New("versioning: past sunset")
)

// UnsupportedError tells which version was refused and what is supported.
type UnsupportedError struct {
	// Source is where the version came from.
	Source Source
	// Requested is the version asked for; "" when it is not a valid version
	// name (it is then not repeated anywhere).
	Requested string
	// Supported lists the versions that may be asked for.
	Supported []string
}

// Error describes the refusal.
func (e *UnsupportedError) Error() string {
	if e.Requested == "" {
		return "versioning: unsupported version in " + e.Source.String()
	}
	return "versioning: unsupported version " + e.Requested + " in " + e.Source.String()
}

// Is reports whether target is ErrUnsupportedVersion.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupportedVersion }
