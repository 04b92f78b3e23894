package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	apierrors "github.com/restwell/restwell/errors"
)

// API keys.
//
// A key is "shop_" and 32 random bytes in unpadded base64url, 48 bytes in
// all, sent as "Authorization: Bearer <key>". The database keeps only its
// SHA-256 and the account it belongs to: a copy of the database gives no
// one a working key, and a lost key cannot be shown again, only replaced
// (go run ./examples/shop keys add -db FILE ACCOUNT).
//
// Every request under /api/ needs a key, except GET and HEAD of items
// (/api/v{N}/items and /api/v{N}/items/{id}), which anyone may read. A key
// that is sent is checked on those too: a wrong one is refused, not
// ignored. Paths outside /api/ (/healthz, /openapi.json, /docs, the API
// catalog) never look at Authorization.
const (
	keyPrefix = "shop_"
	// keyLen is the length of a key: the prefix and 43 base64url
	// characters for 32 bytes.
	keyLen = len(keyPrefix) + 43
	// maxAuthorization bounds the Authorization field value examined:
	// anything longer is refused before any other work.
	maxAuthorization = 256
	// maxAccount bounds an account name.
	maxAccount = 32
)

var (
	// errUnauthenticated answers a request that needs a key and sent
	// none (RFC 6750, section 3: no error attribute).
	errUnauthenticated = apierrors.Unauthorized("this request needs an API key: send Authorization: Bearer <key>").
				WithCode("unauthenticated").
				WithHeader("Www-Authenticate", `Bearer realm="shop"`)
	// errInvalidKey answers a request whose Authorization is not a key
	// of this shop: malformed, another scheme, or unknown.
	errInvalidKey = apierrors.Unauthorized("the API key is malformed or unknown").
			WithCode("invalid_api_key").
			WithHeader("Www-Authenticate", `Bearer realm="shop", error="invalid_token"`)
)

// newAPIKey returns a new random key and its SHA-256.
func newAPIKey() (key string, sum [sha256.Size]byte) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	key = keyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, sha256.Sum256([]byte(key))
}

// validAccount reports whether name can name an account: 1 to 32
// characters of a-z, 0-9, '-' and '_', starting with a letter.
func validAccount(name string) bool {
	if name == "" || len(name) > maxAccount || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// credential is what a request's Authorization fields say.
type credential int

const (
	credMissing   credential = iota // no Authorization field, an empty one, or one of another scheme
	credMalformed                   // a Bearer field but not "Bearer <shop key>", or two fields
	credKey                         // a key in the shop's format, not yet looked up
)

// bearerKey parses the Authorization field values of a request. It
// accepts exactly one field holding "Bearer", one space and a token68
// (RFC 9110, section 11.4; the scheme is case-insensitive) of at most
// maxAuthorization bytes in all, and then only a token in the format of
// the shop's keys. Nothing of the value is kept or logged but the key it
// returns with credKey.
func bearerKey(values []string) (string, credential) {
	switch {
	case len(values) == 0 || len(values) == 1 && values[0] == "":
		return "", credMissing
	case len(values) > 1, len(values[0]) > maxAuthorization:
		return "", credMalformed
	}
	const scheme = "Bearer "
	v := values[0]
	if !bearerAttempt(v) {
		// Another scheme (Basic, say) carries no bearer credentials: as
		// RFC 6750, section 3.1 asks, the answer then names no error.
		return "", credMissing
	}
	if len(v) <= len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", credMalformed
	}
	tok := v[len(scheme):]
	if !isToken68(tok) || len(tok) != keyLen || !strings.HasPrefix(tok, keyPrefix) {
		return "", credMalformed
	}
	for i := len(keyPrefix); i < len(tok); i++ {
		if c := tok[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "", credMalformed
		}
	}
	return tok, credKey
}

// bearerAttempt reports whether an Authorization value tries the Bearer
// scheme: it names it, whatever follows, or it is a shop key sent
// without a scheme.
func bearerAttempt(v string) bool {
	name := v
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		name = v[:i]
	}
	return strings.EqualFold(name, "Bearer") || strings.HasPrefix(v, keyPrefix)
}

// isToken68 reports whether s is a token68 (RFC 9110, section 11.2):
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	n := len(s)
	for n > 0 && s[n-1] == '=' {
		n--
	}
	if n == 0 {
		return false
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// anonymousRead reports whether r may be served without a key: GET or
// HEAD of /api/v{N}/items or /api/v{N}/items/{id}, in any version the
// versioning middleware later accepts or refuses.
func anonymousRead(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v")
	if !ok {
		return false
	}
	version, rest, ok := strings.Cut(rest, "/")
	if !ok || version == "" || strings.Trim(version, "0123456789") != "" {
		return false
	}
	rest, ok = strings.CutPrefix(rest, "items")
	return ok && (rest == "" || rest[0] == '/' && len(rest) > 1 && !strings.Contains(rest[1:], "/"))
}

type callerKey struct{}

// authenticate checks the API key of every request under /api/ and puts
// its caller, "acct:" and the account, in the request's context, for
// the rate limiter, the idempotency scope and the orders. A request with
// no key passes on without a caller when it is an anonymous read
// (anonymousRead); any other gets 401 unauthenticated. A key that is
// malformed or unknown gets 401 invalid_api_key, on every route. Each
// key costs one read of the api_keys table by its primary key.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		key, cred := bearerKey(r.Header["Authorization"])
		switch cred {
		case credMissing:
			if anonymousRead(r) {
				next.ServeHTTP(w, r)
			} else {
				apierrors.Write(w, r, errUnauthenticated)
			}
			return
		case credMalformed:
			apierrors.Write(w, r, errInvalidKey)
			return
		}
		account, err := s.store.APIKeyAccount(r.Context(), sha256.Sum256([]byte(key)))
		if apierrors.Is(err, errNotFound) {
			apierrors.Write(w, r, errInvalidKey)
			return
		}
		if err != nil {
			apierrors.Write(w, r, apierrors.Unavailable("the API key could not be checked; retry").WithCause(err))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, "acct:"+account)))
	})
}

// caller returns who sent r, "acct:" and its account, for the
// idempotency scope, the ownership of orders and the binding of their
// cursors. A request authenticate let through without a key has none
// and gets 401.
func (s *Server) caller(r *http.Request) (string, error) {
	if c, ok := r.Context().Value(callerKey{}).(string); ok {
		return c, nil
	}
	return "", errUnauthenticated
}

// clientKey is the rate limit key of r: its caller when it sent a key,
// else its address as ratelimit.ClientIP finds it through the trusted
// proxies (anonymous reads).
func (s *Server) clientKey(r *http.Request) (string, error) {
	if c, ok := r.Context().Value(callerKey{}).(string); ok {
		return c, nil
	}
	return s.clientIP.Key(r)
}
