// Package convert lets handlers be written for the newest version of an
// API only: it converts the JSON bodies of clients of older versions, as
// negotiated by a versioning.Versioner, to and from the newest version.
//
// Changes describe, per version, what changed in the bodies: with the
// helpers Rename, Remove, Add, Move, Nest and Reshape, or functions. A
// client of an older version has its request body upgraded before the
// handler reads it and its response downgraded after the handler wrote
// it, change by change; Changelog and WriteChangelog list the changes,
// and Request and Response convert bodies sent outside a request, such as
// webhook payloads.
//
// A converted response is another representation of the resource, so its
// entity tag names the version: a handler's ETag "abc" reaches a version 1
// client as "abc-v1", on 200s and 304s alike. Tags with that suffix in the
// client's If-Match, If-None-Match and If-Range are given back to the
// handler without it, so conditional GETs and optimistic-concurrency
// writes work in every version with strong comparison intact.
//
// # Usage
//
//	v, err := versioning.New(versioning.Config{
//		Versions:     []versioning.Version{{Name: "1"}, {Name: "2"}},
//		PathTemplate: "/api/v{version}",
//		PathMode:     versioning.RewritePath,
//	})
//	if err != nil { ... }
//	c, err := convert.New(convert.Config{Versioner: v, Changes: []convert.Change{{
//		Version:     "2",
//		Description: "price is an object with amount and currency",
//		Edits: []convert.Edit{
//			convert.Nest("price", map[string]string{"amount": "price", "currency": "currency"}),
//		},
//	}}})
//	if err != nil { ... }
//	http.ListenAndServe(addr, v.Handler(c.Handler(mux)))
//
// The Converter reads the version from the request context
// (versioning.FromContext), so its Handler goes inside the Versioner's; a
// request without a version, or of the newest, passes through untouched.
// It copies a request it converts, never changing the caller's.
package convert
