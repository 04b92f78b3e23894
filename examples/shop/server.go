package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/cors"

	apierrors "github.com/restwell/restwell/errors"
	"github.com/restwell/restwell/etag"
	"github.com/restwell/restwell/idempotency"
	"github.com/restwell/restwell/pagination"
	"github.com/restwell/restwell/ratelimit"
	"github.com/restwell/restwell/redisstore"
	"github.com/restwell/restwell/requestid"
	"github.com/restwell/restwell/schema"
	"github.com/restwell/restwell/versioning"
	"github.com/restwell/restwell/versioning/convert"
)

// Config configures a Server. DB, Rate, OrderRate and CursorKeys are
// required; every other field documents its default.
type Config struct {
	// DB is the SQLite database file, or ":memory:".
	DB string
	// Redis, when set, keeps rate limits and idempotency records in Redis,
	// so that several replicas behave as one service. Nil keeps them in
	// this process's memory. The Server does not close it.
	Redis redis.UniversalClient
	// RedisPrefix starts every Redis key the Server writes. Empty means
	// "shop:".
	RedisPrefix string
	// Rate is the policy every request of a client is held to, named
	// "default".
	Rate ratelimit.Policy
	// OrderRate is the stricter policy POST /api/v2/orders is also held
	// to, named "orders".
	OrderRate ratelimit.Policy
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// when identifying a client that sends no API key (the rate limit of
	// anonymous reads). Empty means none: the client is the peer.
	TrustedProxies []string
	// CursorKeys sign pagination cursors; the first signs, all verify.
	// Each at least 32 bytes, the same on every replica.
	CursorKeys [][]byte
	// CORSOrigins are the origins browsers may call the API from. Empty
	// means no cross-origin access (no CORS middleware at all).
	CORSOrigins []string
	// Logger receives the access log and errors. Nil means slog.Default().
	// The Server adds "request_id" (requestid.LogHandler) to every record
	// about a request, and with Telemetry "trace_id" and "span_id".
	Logger *slog.Logger
	// Telemetry, when set, receives every middleware's decisions, opens a
	// server span per request and serves GET /metrics (see Telemetry).
	// Nil means none, at no cost.
	Telemetry *Telemetry
	// Now is the clock cursors are issued and expired by. Nil means
	// time.Now.
	Now func() time.Time
}

// Server is the shop: its store, its middleware and its routes. It is
// safe for concurrent use once built.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    *Store
	clientIP *ratelimit.ClientIP

	itemSchema, orderSchema *schema.Schema
	items                   *pagination.Pager[Item]
	orders                  *pagination.Pager[Order]
	tags                    *etag.Middleware
	idem                    *idempotency.Middleware
	limiter, orderLimiter   *ratelimit.Limiter
	versions                *versioning.Versioner
	converter               *convert.Converter

	mux        *http.ServeMux
	handler    http.Handler
	docs       []byte // the /docs page
	docsTag    string
	catalog    []byte // the API catalog, RFC 9727
	catalogTag string

	hooks hooks
}

// hooks let tests stand in for slow, interrupted or failing requests.
// They are nil outside tests.
type hooks struct {
	beforeOrderCommit func(r *http.Request) // in the order's transaction
	beforeItemWrite   func(r *http.Request) // after the precondition, before the write
	onGetItem         func(r *http.Request)
}

var (
	//go:embed schema/item.json
	itemSchemaJSON []byte
	//go:embed schema/order.json
	orderSchemaJSON []byte
)

// Version 1 of the API is deprecated from 2026-01-01 and goes away at the
// end of June 2027.
var (
	v1Deprecated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v1Sunset     = time.Date(2027, 6, 30, 23, 59, 59, 0, time.UTC)
)

// writeTimeout bounds a write to the database once a request has been
// accepted. Writes are detached from the client's connection, so that a
// client that goes away mid-request never leaves a half-done change.
const writeTimeout = 10 * time.Second

// NewServer opens the database and builds the middleware and routes.
// Close releases what it opened.
func NewServer(ctx context.Context, cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = slog.New(cfg.Telemetry.logHandler(requestid.NewLogHandler(s.log.Handler())))
	var err error
	if s.itemSchema, err = schema.Compile(itemSchemaJSON); err != nil {
		return nil, fmt.Errorf("item schema: %w", err)
	}
	if s.orderSchema, err = schema.Compile(orderSchemaJSON); err != nil {
		return nil, fmt.Errorf("order schema: %w", err)
	}
	if s.clientIP, err = ratelimit.NewClientIP(ratelimit.ClientIPConfig{TrustedProxies: cfg.TrustedProxies}); err != nil {
		return nil, err
	}
	if s.items, err = pagination.New(pagination.Config[Item]{
		Keys: cfg.CursorKeys,
		ID:   pagination.Column[Item]{Name: "id", Value: func(it Item) any { return it.ID }},
		Columns: []pagination.Column[Item]{
			// Values as stored: created_at is Unix nanoseconds.
			{Name: "created_at", Value: func(it Item) any { return it.CreatedAt.UnixNano() }},
			{Name: "price", Expr: "price_amount", Value: func(it Item) any { return it.Price.Amount }},
			{Name: "name", Value: func(it Item) any { return it.Name }},
		},
		Sorts: []string{"created_at", "-created_at", "price", "-price", "name"},
		Now:   cfg.Now,
	}); err != nil {
		return nil, err
	}
	if s.orders, err = pagination.New(pagination.Config[Order]{
		Keys: cfg.CursorKeys,
		ID:   pagination.Column[Order]{Name: "id", Value: func(o Order) any { return o.ID }},
		Columns: []pagination.Column[Order]{
			{Name: "created_at", Value: func(o Order) any { return o.CreatedAt.UnixNano() }},
		},
		Sorts: []string{"-created_at", "created_at"},
		Now:   cfg.Now,
	}); err != nil {
		return nil, err
	}
	if s.tags, err = etag.New(etag.Config{
		Validators:     s.itemValidators,
		RequireIfMatch: etag.RequireMethods(http.MethodPut, http.MethodPatch),
		Observer:       cfg.Telemetry.Observer(),
	}); err != nil {
		return nil, err
	}

	prefix := cfg.RedisPrefix
	if prefix == "" {
		prefix = "shop:"
	}
	var idemStore idempotency.Store
	var limitStore, orderLimitStore ratelimit.Store
	failure := ratelimit.FailOpen
	if cfg.Redis != nil {
		rs, err := redisstore.NewRateLimitStore(cfg.Redis, redisstore.RateLimitConfig{Prefix: prefix + "rl:"})
		if err != nil {
			return nil, err
		}
		limitStore, orderLimitStore = rs, rs // policies are told apart by name
		// While Redis is away, each replica enforces the limits alone.
		failure = ratelimit.FailLocal
		if idemStore, err = redisstore.NewIdempotencyStore(cfg.Redis, redisstore.IdempotencyConfig{Prefix: prefix + "idem:"}); err != nil {
			return nil, err
		}
	}
	if s.limiter, err = ratelimit.New(ratelimit.Config{
		Policies:     []ratelimit.Policy{cfg.Rate},
		Key:          s.clientKey,
		Store:        limitStore,
		StoreFailure: failure,
		Logger:       s.log,
		Observer:     cfg.Telemetry.Observer(),
	}); err != nil {
		return nil, err
	}
	if s.orderLimiter, err = ratelimit.New(ratelimit.Config{
		Policies:     []ratelimit.Policy{cfg.OrderRate},
		Key:          s.clientKey,
		Store:        orderLimitStore,
		StoreFailure: failure,
		Logger:       s.log,
		Observer:     cfg.Telemetry.Observer(),
	}); err != nil {
		return nil, err
	}
	if s.idem, err = idempotency.New(idempotency.Config{
		Store:    idemStore,
		Scope:    s.caller,
		Logger:   s.log,
		Observer: cfg.Telemetry.Observer(),
	}); err != nil {
		return nil, err
	}
	versions := []versioning.Version{
		{Name: "1", Deprecated: v1Deprecated, Sunset: v1Sunset, Successor: "2", Doc: "/docs"},
		{Name: "2"},
	}
	if s.versions, err = versioning.New(versioning.Config{
		Versions:     versions,
		Sources:      []versioning.Source{versioning.SourcePath},
		PathTemplate: "/api/v{version}",
		PathMode:     versioning.RewritePath,
		ClientKey:    func(r *http.Request) string { c, _ := s.clientKey(r); return c },
		Observer:     cfg.Telemetry.Observer(),
		Logger:       s.log,
	}); err != nil {
		return nil, err
	}
	if s.converter, err = convert.New(convert.Config{
		Versioner: s.versions,
		Changes: []convert.Change{{
			Version:     "2",
			Description: "price is an object with amount (in minor units) and currency; the top-level currency field is gone",
			Match:       func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/v2/items") },
			Edits: []convert.Edit{
				convert.Nest("price", map[string]string{"amount": "price", "currency": "currency"}),
			},
		}},
		Logger: s.log,
	}); err != nil {
		return nil, err
	}

	if s.store, err = OpenStore(ctx, cfg.DB); err != nil {
		return nil, err
	}
	if s.docs, err = renderDocs(openapiJSON); err != nil {
		return nil, err
	}
	s.docsTag = etag.Of(s.docs)
	if s.catalog, err = apiCatalog(versions); err != nil {
		return nil, err
	}
	s.catalogTag = etag.Of(s.catalog)
	s.mux = http.NewServeMux()
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, cfg.Telemetry.route(rt.pattern, rt.handler))
	}
	s.handler = cfg.Telemetry.serve(s.stack(s.mux))
	return s, nil
}

// Close closes the database.
func (s *Server) Close() error { return s.store.Close() }

// Handler returns the shop's HTTP handler: the routes in their middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// stack wraps the router in the service-wide middleware. Outermost first:
//
//   - requestid: every response, even a panic's, carries X-Request-ID, and
//     everything inside can log it;
//   - with Telemetry, the server span: it continues the caller's trace
//     (traceparent), and every log record below carries its trace id;
//   - the errors Renderer: every error below is written in one format;
//   - the access log: one record per request, with the final status;
//   - Recover: a panic becomes a logged 500 the access log sees;
//   - CORS: browsers can read every answer below, 401s and 429s
//     included; preflights are answered here, before the key check;
//   - authenticate: the API key of a request under /api/ names its
//     account, or the request gets 401 (GET and HEAD of items need no
//     key);
//   - ratelimit: every response below, 404s and 405s included, carries
//     RateLimit-Policy and RateLimit; a client is its account, or its
//     address when it sent no key;
//   - versioning: /api/v1/... is rewritten to /api/v2/..., /api/v9/...
//     refused; inside it, convert converts the bodies of v1;
//   - errors.WrapMux: the router's 404 and 405 become error bodies.
//
// Route-specific middleware (etag, idempotency, the orders limit) sits
// inside the router, where r.PathValue and r.Pattern are known.
func (s *Server) stack(mux *http.ServeMux) http.Handler {
	h := apierrors.WrapMux(mux)
	h = s.converter.Handler(h)
	h = s.versions.Handler(h)
	h = s.limiter.Handler(h)
	h = s.authenticate(h)
	if len(s.cfg.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: s.cfg.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowedHeaders: []string{"Accept", "Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "X-Request-ID"},
			ExposedHeaders: []string{"ETag", "WWW-Authenticate", "RateLimit", "RateLimit-Policy", "Retry-After", "Deprecation", "Sunset", "Link",
				"X-Request-ID", "Location", "Idempotent-Replayed", "Api-Version"},
			MaxAge: 600,
		}).Handler(h)
	}
	h = apierrors.Recover(h)
	h = accessLog(s.log, h)
	h = (&apierrors.Renderer{Logger: s.log}).Handler(h)
	h = s.cfg.Telemetry.traced(h)
	return requestid.Handler(h)
}

// route is one pattern of the router and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// routes lists every route the shop serves. The OpenAPI document
// describes exactly these (TestOpenAPICoversRoutes).
func (s *Server) routes() []route {
	h := func(f func(http.ResponseWriter, *http.Request) error) http.Handler { return apierrors.Handler(f) }
	// Writes to an item go through the etag middleware, which checks
	// If-Match against itemValidators before the handler runs.
	write := func(f func(http.ResponseWriter, *http.Request) error) http.Handler {
		return s.tags.Handler(h(f))
	}
	return []route{
		{"GET /healthz", h(s.healthz)},
		{"GET /openapi.json", h(s.serveOpenAPI)},
		{"GET /docs", h(s.serveDocs)},
		{"GET " + apiCatalogPath, h(s.serveAPICatalog)},

		{"GET /api/v2/items", h(s.listItems)},
		{"POST /api/v2/items", h(s.createItem)},
		{"GET /api/v2/items/{id}", h(s.getItem)},
		{"PUT /api/v2/items/{id}", write(s.putItem)},
		{"PATCH /api/v2/items/{id}", write(s.patchItem)},
		{"DELETE /api/v2/items/{id}", write(s.deleteItem)},

		{"GET /api/v2/orders", h(s.listOrders)},
		{"POST /api/v2/orders", s.limitOrders(s.idem.Require(h(s.createOrder)))},
		{"GET /api/v2/orders/{id}", h(s.getOrder)},
	}
}

// healthz answers 200 when the database (and Redis, when used) answer.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Cache-Control", "no-store")
	if err := s.store.Ping(ctx); err != nil {
		return apierrors.Unavailable("the database does not answer").WithCause(err)
	}
	if s.cfg.Redis != nil {
		if err := s.cfg.Redis.Ping(ctx).Err(); err != nil {
			return apierrors.Unavailable("redis does not answer").WithCause(err)
		}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// writeCtx returns the context for a database write made for r: detached
// from r's cancellation (a client that hangs up does not interrupt a
// write half-way), bounded by writeTimeout.
func writeCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), writeTimeout)
}

// writeJSON sends v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// versionPath returns the path of a resource in the API version the
// client used: "/api/v1/items/7" for a version 1 request. The handlers see
// every request as version 2 (RewritePath); versioning.Path puts the
// client's own version back.
func versionPath(r *http.Request, rest string) string {
	return versioning.Path(r.Context(), "/api/v2"+rest)
}

// parseID parses a resource id from the path; ok is false for anything
// but a positive decimal integer.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && s[0] != '+'
}
