package errors

import stderrors "errors"

// The functions below are the standard library's, re-exported so that a
// file can import this package in place of the standard "errors".

// ErrUnsupported is the standard library's errors.ErrUnsupported.
var ErrUnsupported = stderrors.ErrUnsupported

// New returns an error whose text is text, as the standard errors.New.
func New(text string) error { return stderrors.New(text) }

// Is reports whether any error in err's tree matches target, as the
// standard errors.Is.
func Is(err, target error) bool { return stderrors.Is(err, target) }

// As finds the first error in err's tree that matches target, and if one
// is found, sets target to that error value and returns true, as the
// standard errors.As.
func As(err error, target any) bool { return stderrors.As(err, target) }

// Join returns an error that wraps the given errors, as the standard
// errors.Join.
func Join(errs ...error) error { return stderrors.Join(errs...) }

// Unwrap returns the result of calling the Unwrap method on err, as the
// standard errors.Unwrap.
func Unwrap(err error) error { return stderrors.Unwrap(err) }
