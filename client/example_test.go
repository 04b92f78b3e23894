package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/restwell/restwell/client"
	apierrors "github.com/restwell/restwell/errors"
)

// A POST is retried with the same Idempotency-Key the transport added,
// after the wait the server asked for.
func ExampleTransport() {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Println("key sent:", len(r.Header.Get("Idempotency-Key")) == 38)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	tr, err := client.NewTransport(client.Config{IdempotencyKeys: true, OnRetry: func(r client.Retry) {
		fmt.Println("retry after attempt", r.Attempt, "status", r.Status, "wait >= announced:", r.Wait >= r.Announced)
	}})
	if err != nil {
		panic(err)
	}
	resp, err := (&http.Client{Transport: tr}).Post(srv.URL+"/orders", "application/json", nil)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, "after", calls.Load(), "attempts")
	// Output:
	// retry after attempt 1 status 503 wait >= announced: true
	// key sent: true
	// 201 after 2 attempts
}

// Error answers decode into *errors.Error, as on the server.
func ExampleClient_Do() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apierrors.Write(w, r, apierrors.Validation("the order is not valid",
			apierrors.BodyField("/quantity", "must be at least 1")))
	}))
	defer srv.Close()

	c, err := client.New(srv.URL, client.Config{})
	if err != nil {
		panic(err)
	}
	_, err = c.Do(context.Background(), "POST", "/orders", nil, map[string]int{"quantity": 0}, nil)
	var e *apierrors.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code, e.Details())
	}
	// Output:
	// 422 validation_failed map[quantity:[must be at least 1]]
}
