package requestid_test

import (
	"fmt"

	"github.com/restwell/restwell/requestid"
)

// Identifiers made one after the other sort in that order, even within
// the same quarter microsecond.
func ExampleNewID() {
	a := requestid.NewID()
	b := requestid.NewID()
	fmt.Println(len(a), a[14:15], a < b)
	// Output: 36 7 true
}
