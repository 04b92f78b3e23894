//go:build !go1.26

package errors

import stderrors "errors"

// AsType finds the first error in err's tree that matches the type E and,
// if one is found, returns that error value and true, as the standard
// errors.AsType of Go 1.26. Otherwise it returns the zero value of E and
// false.
//
//	if e, ok := errors.AsType[*errors.Error](err); ok {
//		log.Print(e.Code)
//	}
func AsType[E error](err error) (E, bool) {
	var e E
	ok := stderrors.As(err, &e)
	return e, ok
}
