package main

import (
	"net/http"
	"strconv"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/pagination"
)

// orderInput is the body of POST /api/v2/orders, once it has passed
// schema/order.json.
type orderInput struct {
	ItemID   int64 `json:"item_id"`
	Quantity int64 `json:"quantity"`
}

var errNoOrder = apierrors.NotFound("no order with that id")

// orderURL is the path of order id in the client's API version.
func orderURL(r *http.Request, id int64) string {
	return versionPath(r, "/orders/"+strconv.FormatInt(id, 10))
}

// createOrder serves POST /api/v2/orders, behind the idempotency
// middleware (Idempotency-Key required) and the orders rate limit.
//
// The order row records the caller and the Idempotency-Key under a unique
// constraint, in the same transaction as the order. Should the order
// commit and its response never be recorded (the process dies in
// between, Redis loses the record), the retry that runs this handler again
// finds the order instead of creating a second one.
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) error {
	info, ok := idempotency.FromContext(r.Context())
	if !ok {
		return apierrors.Internal(apierrors.New("shop: createOrder served without the idempotency middleware"))
	}
	var in orderInput
	if err := apierrors.DecodeJSON(r, &in, apierrors.WithValidator(s.orderSchema)); err != nil {
		return err
	}
	var beforeCommit func()
	if s.hooks.beforeOrderCommit != nil {
		beforeCommit = func() { s.hooks.beforeOrderCommit(r) }
	}
	ctx, cancel := writeCtx(r)
	defer cancel()
	o, err := s.store.CreateOrder(ctx, info.Scope, info.ID, in.ItemID, in.Quantity, beforeCommit)
	switch {
	case apierrors.Is(err, errNotFound):
		return apierrors.Validation("the order does not pass validation",
			apierrors.BodyField("/item_id", "no item with this id"))
	case apierrors.Is(err, errDuplicateOrder):
		if o.ItemID != in.ItemID || o.Quantity != in.Quantity {
			return &apierrors.Error{
				Status:  http.StatusUnprocessableEntity,
				Code:    "idempotency_key_reused",
				Message: "this Idempotency-Key was used for a different order; use a new key for a new order",
				Err:     idempotency.ErrKeyReused,
			}
		}
		// The same order, made before: answer as the first time.
	case err != nil:
		return err
	}
	w.Header().Set("Location", orderURL(r, o.ID))
	return writeJSON(w, http.StatusCreated, o)
}

// getOrder serves GET /api/v2/orders/{id}: only the caller's own orders
// exist for it.
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.caller(r)
	if err != nil {
		return err
	}
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return errNoOrder
	}
	o, err := s.store.GetOrder(r.Context(), caller, id)
	if apierrors.Is(err, errNotFound) {
		return errNoOrder
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", etag.PrivateNoCache)
	return writeJSON(w, http.StatusOK, o)
}

// listOrders serves GET /api/v2/orders: the caller's orders, one keyset
// page, newest first unless sort=created_at. Cursors are bound to the
// caller.
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) error {
	caller, err := s.caller(r)
	if err != nil {
		return err
	}
	req, err := s.orders.Parse(r, caller)
	if err != nil {
		return err
	}
	q := req.Query(pagination.SQLite, caller)
	list, err := s.store.ListOrders(r.Context(), q.And(), q.Tail(), q.Args)
	if err != nil {
		return err
	}
	page, err := s.orders.Page(req, list)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", etag.PrivateNoCache)
	return page.Write(w)
}
