package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/restwell/restwell/ratelimit"
)

// options are the command line settings, each also read from an
// environment variable (the flag wins).
type options struct {
	addr           string
	db             string
	redis          string
	rate           ratelimit.Policy
	orderRate      ratelimit.Policy
	trustedProxies []string
	cursorKeys     [][]byte
	cursorRandom   bool // no secret given: a random one for this process
	corsOrigins    []string
	logJSON        bool
	metrics        bool   // OpenTelemetry, /metrics
	otlpEndpoint   string // OTEL_EXPORTER_OTLP_ENDPOINT: OTLP instead of /metrics
}

// envFlag describes one flag and the environment variable that sets its
// default.
type envFlag struct {
	name, env, def, usage string
}

var flagSet = []envFlag{
	{"addr", "SHOP_ADDR", "127.0.0.1:8080", "address to listen on"},
	{"db", "SHOP_DB", "shop.db", `SQLite database file (":memory:" for a throwaway one)`},
	{"redis", "SHOP_REDIS_ADDR", "", "Redis address (host:port) for rate limits and idempotency records shared between replicas; empty keeps them in memory"},
	{"rate", "SHOP_RATE", "100/m", "requests per client, written N/s, N/m or N/h"},
	{"order-rate", "SHOP_ORDER_RATE", "10/m", "orders per client (POST /api/v2/orders), on top of -rate, written N/s, N/m or N/h"},
	{"trusted-proxies", "SHOP_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is believed; empty believes none"},
	{"cursor-secret", "SHOP_CURSOR_SECRET", "", "comma-separated secrets (32+ bytes each; the first signs) for pagination cursors, the same on every replica; empty means random per process"},
	{"cors-origins", "SHOP_CORS_ORIGINS", "", "comma-separated origins browsers may call the API from (https://app.example.com); empty allows none"},
	{"log-format", "SHOP_LOG_FORMAT", "text", `log format, "text" or "json"`},
}

// boolFlags are the boolean flags.
var boolFlags = []envFlag{
	{"metrics", "SHOP_METRICS", "false", "export OpenTelemetry metrics and traces: every middleware decision (restwell_decisions_total: limited, replayed, " +
		"precondition_failed, not_modified, deprecated_version, ...), store call durations and request durations (http_server_request_duration_seconds) " +
		"as Prometheus text at GET /metrics, unauthenticated (firewall it), or by OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT when that is set; " +
		"a server span per request (W3C traceparent) whose trace_id and span_id every log record about the request carries"},
}

// parseOptions reads args, with defaults from getenv.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vals := make(map[string]*string, len(flagSet))
	for _, f := range flagSet {
		def := f.def
		if v := getenv(f.env); v != "" {
			def = v
		}
		vals[f.name] = fs.String(f.name, def, f.usage+" (env "+f.env+")")
	}
	bools := make(map[string]*bool, len(boolFlags))
	for _, f := range boolFlags {
		def := false
		if v := getenv(f.env); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return options{}, fmt.Errorf("%s: %q is not a boolean", f.env, v)
			}
			def = b
		}
		bools[f.name] = fs.Bool(f.name, def, f.usage+" (env "+f.env+")")
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: shop [flags]\n       shop keys add|list|revoke [-db FILE] [ACCOUNT]\n\n"+
			"The example service of restwell; \"keys add\" prints a new API key for ACCOUNT (shop keys -h). Flags:\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var o options
	var err error
	o.addr = *vals["addr"]
	o.db = *vals["db"]
	o.redis = *vals["redis"]
	if o.rate, err = parseRate("default", *vals["rate"]); err != nil {
		return o, fmt.Errorf("-rate: %w", err)
	}
	if o.orderRate, err = parseRate("orders", *vals["order-rate"]); err != nil {
		return o, fmt.Errorf("-order-rate: %w", err)
	}
	o.trustedProxies = splitList(*vals["trusted-proxies"])
	for _, s := range splitList(*vals["cursor-secret"]) {
		if len(s) < 32 {
			return o, errors.New("-cursor-secret: each secret must be at least 32 bytes")
		}
		o.cursorKeys = append(o.cursorKeys, []byte(s))
	}
	if len(o.cursorKeys) == 0 {
		key := make([]byte, 32)
		rand.Read(key)
		o.cursorKeys, o.cursorRandom = [][]byte{key}, true
	}
	o.corsOrigins = splitList(*vals["cors-origins"])
	switch *vals["log-format"] {
	case "text":
	case "json":
		o.logJSON = true
	default:
		return o, fmt.Errorf("-log-format: %q is neither text nor json", *vals["log-format"])
	}
	o.metrics = *bools["metrics"]
	o.otlpEndpoint = getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	return o, nil
}

// parseRate parses a rate written N/s, N/m or N/h (N a positive integer)
// into a policy of that name.
func parseRate(name, s string) (ratelimit.Policy, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return ratelimit.Policy{}, fmt.Errorf("%q is not written N/s, N/m or N/h", s)
	}
	var window time.Duration
	switch unit {
	case "s":
		window = time.Second
	case "m":
		window = time.Minute
	case "h":
		window = time.Hour
	default:
		return ratelimit.Policy{}, fmt.Errorf("%q: the unit must be s, m or h", s)
	}
	limit, err := strconv.ParseInt(n, 10, 64)
	if err != nil || limit < 1 || n[0] == '+' {
		return ratelimit.Policy{}, fmt.Errorf("%q: the count must be a positive integer", s)
	}
	p := ratelimit.Policy{Name: name, Limit: limit, Window: window}
	if err := p.Validate(); err != nil {
		return ratelimit.Policy{}, fmt.Errorf("%q: %w", s, err)
	}
	return p, nil
}

// splitList splits a comma-separated list, dropping empty elements and
// surrounding spaces.
func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
