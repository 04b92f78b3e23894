package idempotency_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/restwell/restwell/idempotency"
)

// A retried POST is answered from the record: the handler runs once.
func Example() {
	idem, err := idempotency.New(idempotency.Config{})
	if err != nil {
		panic(err)
	}
	orders := 0
	create := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orders++
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"order":%d}`, orders)
	})
	h := idem.Require(create)

	for i := 0; i < 2; i++ {
		r := httptest.NewRequest("POST", "/orders", strings.NewReader(`{"item":"mug"}`))
		r.Header.Set("Idempotency-Key", `"8e03978e-40d5-43e8-bc93-6894a57f9324"`)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Printf("%d %s replayed=%q\n", w.Code, w.Body, w.Header().Get("Idempotent-Replayed"))
	}
	fmt.Println("orders created:", orders)
	// Output:
	// 201 {"order":1} replayed=""
	// 201 {"order":1} replayed="true"
	// orders created: 1
}

// The same key with another body is refused with 422.
func Example_reused() {
	idem, _ := idempotency.New(idempotency.Config{})
	h := idem.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	for _, body := range []string{`{"amount":100}`, `{"amount":999}`} {
		r := httptest.NewRequest("POST", "/payments", strings.NewReader(body))
		r.Header.Set("Idempotency-Key", "pay-1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.Len() > 0)
		if w.Code != http.StatusCreated {
			fmt.Println(w.Body.String())
		}
	}
	// Output:
	// 201 false
	// 422 true
	// {"error":{"code":"idempotency_key_reused","message":"this Idempotency-Key was already used for a different request"}}
}

// Scope records by the authenticated account, so that two accounts using
// the same key never see each other's responses.
func ExampleConfig_scope() {
	idem, _ := idempotency.New(idempotency.Config{
		Scope: func(r *http.Request) (string, error) { return "account:" + r.Header.Get("X-Account"), nil },
	})
	h := idem.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.Header.Get("X-Account"))
	}))
	for _, account := range []string{"alice", "bob"} {
		r := httptest.NewRequest("POST", "/greetings", nil)
		r.Header.Set("Idempotency-Key", "same-key")
		r.Header.Set("X-Account", account)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Body.String())
	}
	// Output:
	// hello alice
	// hello bob
}

// FromContext gives a handler the record's identity, for example to store
// it in a unique column next to the order it creates.
func ExampleFromContext() {
	idem, _ := idempotency.New(idempotency.Config{Scope: idempotency.Global})
	h := idem.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok := idempotency.FromContext(r.Context())
		fmt.Println(ok, info.Scope == "", info.ID, len(info.Fingerprint), info.Token > 0)
	}))
	r := httptest.NewRequest("POST", "/orders", nil)
	r.Header.Set("Idempotency-Key", "order-42")
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// true true order-42 43 true
}

// Do processes a queue message at most once per message id.
func ExampleMiddleware_Do() {
	idem, _ := idempotency.New(idempotency.Config{})
	charge := func(ctx context.Context) (*idempotency.Response, error) {
		fmt.Println("charging the card")
		return &idempotency.Response{Body: []byte("charged")}, nil
	}
	k := idempotency.Key{Scope: "payments", ID: "msg-7"}
	for i := 0; i < 2; i++ {
		res, replayed, err := idem.Do(context.Background(), k, "charge:100", charge)
		fmt.Println(string(res.Body), replayed, err)
	}
	// Output:
	// charging the card
	// charged false <nil>
	// charged true <nil>
}
