package main

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/pagination"
)

// itemInput is the body of POST and PUT, and an item after a merge patch,
// once it has passed schema/item.json.
type itemInput struct {
	Name  string `json:"name"`
	Price Price  `json:"price"`
}

var (
	errNoItem = apierrors.NotFound("no item with that id")
	// errItemChanged answers a write whose If-Match held when the etag
	// middleware checked it but whose item changed before the write could
	// be made: the compare-and-set in the store refused it, as If-Match
	// checked then would have, and the client gets the same 412.
	errItemChanged       = etag.Result{Status: http.StatusPreconditionFailed, Header: "If-Match"}.Err()
	errHasOrdersConflict = &apierrors.Error{
		Status:  http.StatusConflict,
		Code:    "item_has_orders",
		Message: "the item has orders and cannot be deleted",
	}
)

// itemTag is the strong entity tag of an item's current state: it changes
// with every write (the revision) and differs between items (the id).
func itemTag(it Item) string {
	var b [48]byte
	o := strconv.AppendInt(b[:0], it.ID, 10)
	o = append(o, '.')
	o = strconv.AppendInt(o, it.Revision, 10)
	return etag.Strong(string(o))
}

// itemURL is the path of item id in the client's API version.
func itemURL(r *http.Request, id int64) string {
	return versionPath(r, "/items/"+strconv.FormatInt(id, 10))
}

// heldItem returns the item the etag middleware's Validators read for
// the request: one read per request, and the revision that the request's
// precondition was checked against, which the write must still find.
func heldItem(r *http.Request) (Item, bool) { return etag.Resource[Item](r.Context()) }

// itemValidators is the etag middleware's Validators: the item's ETag and
// Last-Modified, and the item itself for the handler. PUT and PATCH call
// it always (they must carry If-Match, which only protects an update
// reliably: dates have one-second granularity), DELETE only when it
// carries a condition.
func (s *Server) itemValidators(r *http.Request) (etag.Validators, error) {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return etag.Validators{}, errNoItem
	}
	it, err := s.store.GetItem(r.Context(), id)
	if apierrors.Is(err, errNotFound) {
		return etag.Validators{}, errNoItem
	}
	if err != nil {
		return etag.Validators{}, err
	}
	return etag.Validators{ETag: itemTag(it), LastModified: it.UpdatedAt, Resource: it}, nil
}

// loadItem returns the item the request names: the one the Validators
// read, or else from the store.
func (s *Server) loadItem(r *http.Request) (Item, error) {
	if it, ok := heldItem(r); ok {
		return it, nil
	}
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return Item{}, errNoItem
	}
	it, err := s.store.GetItem(r.Context(), id)
	if apierrors.Is(err, errNotFound) {
		return Item{}, errNoItem
	}
	return it, err
}

// listItems serves GET /api/v2/items: one keyset page.
func (s *Server) listItems(w http.ResponseWriter, r *http.Request) error {
	req, err := s.items.Parse(r)
	if err != nil {
		return err // 400 invalid_parameter or invalid_cursor
	}
	q := req.Query(pagination.SQLite)
	list, err := s.store.ListItems(r.Context(), q.Where(), q.Tail(), q.Args)
	if err != nil {
		return err
	}
	page, err := s.items.Page(req, list)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", etag.PrivateNoCache)
	return page.Write(w)
}

// createItem serves POST /api/v2/items.
func (s *Server) createItem(w http.ResponseWriter, r *http.Request) error {
	var in itemInput
	if err := apierrors.DecodeJSON(r, &in, apierrors.WithValidator(s.itemSchema)); err != nil {
		return err // 400, 413, 415 or 422 with every failing field
	}
	ctx, cancel := writeCtx(r)
	defer cancel()
	it, err := s.store.CreateItem(ctx, in.Name, in.Price)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Location", itemURL(r, it.ID))
	h.Set("ETag", itemTag(it))
	return writeJSON(w, http.StatusCreated, it)
}

// getItem serves GET and HEAD /api/v2/items/{id}: the item with its ETag
// and Last-Modified, or 304 when If-None-Match holds the current ETag.
// It answers the conditions itself with the etag middleware's Respond,
// from the same validators the middleware checks writes against, which
// spares the hottest route the middleware's per-request work; its 304s
// and 412s still reach the middleware's Observer.
func (s *Server) getItem(w http.ResponseWriter, r *http.Request) error {
	if s.hooks.onGetItem != nil {
		s.hooks.onGetItem(r)
	}
	it, err := s.loadItem(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", etag.PrivateNoCache) // on the 304 too
	v := etag.Validators{ETag: itemTag(it), LastModified: it.UpdatedAt}
	if s.tags.Respond(w, r, v) {
		return nil
	}
	return writeJSON(w, http.StatusOK, it)
}

// putItem serves PUT /api/v2/items/{id}: a full replacement, under
// If-Match.
func (s *Server) putItem(w http.ResponseWriter, r *http.Request) error {
	it, ok := heldItem(r)
	if !ok {
		return errNoItem
	}
	var in itemInput
	if err := apierrors.DecodeJSON(r, &in, apierrors.WithValidator(s.itemSchema)); err != nil {
		return err
	}
	return s.writeItem(w, r, it, in)
}

// mergePatchType is the media type of a JSON merge patch (RFC 7396).
const mergePatchType = "application/merge-patch+json"

// patchCapture is a DecodeJSON Validator that keeps the decoded patch
// (numbers as json.Number); the patch is validated after it is merged.
type patchCapture struct{ v any }

func (p *patchCapture) Validate(v any) ([]apierrors.FieldError, error) {
	p.v = v
	return nil, nil
}

// patchItem serves PATCH /api/v2/items/{id}: a JSON merge patch (RFC
// 7396), sent as application/merge-patch+json or application/json, under
// If-Match. The patched item must pass the same schema as a new one.
func (s *Server) patchItem(w http.ResponseWriter, r *http.Request) error {
	it, ok := heldItem(r)
	if !ok {
		return errNoItem
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != mergePatchType && mt != "application/json") {
		w.Header().Set("Accept-Patch", mergePatchType+", application/json")
		return apierrors.UnsupportedMediaType("send the patch as " + mergePatchType + " (RFC 7396) or application/json")
	}
	var raw json.RawMessage
	var patch patchCapture
	if err := apierrors.DecodeJSON(r, &raw, apierrors.WithValidator(&patch)); err != nil {
		return err
	}
	doc := mergePatch(map[string]any{
		"name": it.Name,
		"price": map[string]any{
			"amount":   json.Number(strconv.FormatInt(it.Price.Amount, 10)),
			"currency": it.Price.Currency,
		},
	}, patch.v)
	fields, err := s.itemSchema.Validate(doc)
	if err != nil {
		return apierrors.Internal(err)
	}
	if len(fields) > 0 {
		return apierrors.Validation("the patched item does not pass validation", fields...)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return apierrors.Internal(err)
	}
	var in itemInput
	if err := json.Unmarshal(b, &in); err != nil {
		// The schema's integers include 1e2 and 100.0, which int64 does
		// not take: refused as POST and PUT refuse them.
		var te *json.UnmarshalTypeError
		if apierrors.As(err, &te) {
			return apierrors.Validation("the patched item does not pass validation",
				apierrors.BodyField(apierrors.Pointer(strings.Split(te.Field, ".")...), "must be an integer"))
		}
		return apierrors.Internal(err)
	}
	return s.writeItem(w, r, it, in)
}

// writeItem stores in as the new state of it, provided it is still at the
// revision the precondition was checked against, and answers 200 with the
// new state and its ETag.
func (s *Server) writeItem(w http.ResponseWriter, r *http.Request, it Item, in itemInput) error {
	if s.hooks.beforeItemWrite != nil {
		s.hooks.beforeItemWrite(r)
	}
	ctx, cancel := writeCtx(r)
	defer cancel()
	updated, err := s.store.UpdateItem(ctx, it.ID, it.Revision, in.Name, in.Price)
	if apierrors.Is(err, errConflict) {
		return errItemChanged
	}
	if err != nil {
		return err
	}
	h := w.Header()
	// The body is the item's representation as GET now returns it
	// (Content-Location says so), and the ETag is that representation's.
	h.Set("ETag", itemTag(updated))
	h.Set("Content-Location", itemURL(r, updated.ID))
	return writeJSON(w, http.StatusOK, updated)
}

// deleteItem serves DELETE /api/v2/items/{id}. An If-Match, when sent, is
// honoured (the etag middleware checks it, the store deletes only the
// revision it was checked against); it is not required.
func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request) error {
	id, ok := parseID(r.PathValue("id"))
	if !ok {
		return errNoItem
	}
	var rev int64
	if it, ok := heldItem(r); ok {
		rev = it.Revision
	}
	if s.hooks.beforeItemWrite != nil {
		s.hooks.beforeItemWrite(r)
	}
	ctx, cancel := writeCtx(r)
	defer cancel()
	switch err := s.store.DeleteItem(ctx, id, rev); {
	case apierrors.Is(err, errNotFound):
		return errNoItem
	case apierrors.Is(err, errConflict):
		return errItemChanged
	case apierrors.Is(err, errHasOrders):
		return errHasOrdersConflict
	case err != nil:
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
