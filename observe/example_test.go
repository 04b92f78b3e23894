package observe_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/restwell/restwell/observe"
	"github.com/restwell/restwell/ratelimit"
)

// An Observer is usually a small function. This one prints the decisions
// of a limiter that admits one request an hour.
func ExampleFunc() {
	print := observe.Func(func(_ context.Context, e observe.Event) {
		fmt.Println(e.Package, e.Outcome, e.Policy, e.Status)
	})
	lim, err := ratelimit.New(ratelimit.Config{
		Policies: []ratelimit.Policy{{Name: "hourly", Limit: 1, Window: time.Hour}},
		Observer: print,
	})
	if err != nil {
		panic(err)
	}
	h := lim.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	// Output:
	// ratelimit allowed hourly 0
	// ratelimit limited hourly 429
}
