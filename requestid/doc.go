// Package requestid gives every request an identifier that follows it
// through logs, error bodies and downstream calls.
//
// The middleware accepts an incoming X-Request-ID only when it is safe to
// repeat (1 to 128 bytes of visible ASCII, no spaces or control
// characters); otherwise, or when there is none, it generates a UUIDv7
// with NewID. Generated identifiers increase strictly within a process, so
// they sort in the order they were made.
// The identifier is set on the response header and stored in the request
// context, where FromContext finds it. The errors package puts it in every
// error body.
//
// Basic use:
//
//	http.ListenAndServe(addr, requestid.Handler(mux))
//
// and in a handler or a log call:
//
//	id := requestid.FromContext(r.Context())
//
// To use another header, or not to trust identifiers sent by clients:
//
//	m, err := requestid.New(requestid.Config{Header: "Request-Id", IgnoreIncoming: true})
//	if err != nil { ... }
//	handler := m.Handler(mux)
//
// The middleware works alone around any handler. Used with the other
// middleware of this module it shares one per-request value with them,
// so that the whole stack copies each request once; the order of the
// middleware does not change what FromContext returns.
//
// # Logging
//
// LogAttr gives the identifier as a slog attribute "request_id", and
// LogHandler wraps a slog.Handler to add it to every record logged with a
// request's context. The errors package already puts "request_id" on the
// records it logs; LogHandler leaves those as they are, so the attribute
// appears once.
package requestid
