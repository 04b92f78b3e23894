package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/restwell/restwell/internal/testenv"
)

// curlRequest turns one banner line (curl -i [-X METHOD] URL [-H 'K: V']...
// [-d 'BODY']) into the request it sends. Words in double quotes have
// $KEY replaced by key, as the shell would.
func curlRequest(t *testing.T, line, key string) *http.Request {
	t.Helper()
	var args []string
	for rest := strings.TrimSpace(line); rest != ""; rest = strings.TrimSpace(rest) {
		if q := rest[0]; q == '\'' || q == '"' {
			end := strings.IndexByte(rest[1:], q)
			if end < 0 {
				t.Fatalf("unbalanced quote in %q", line)
			}
			word := rest[1 : end+1]
			if q == '"' {
				word = strings.ReplaceAll(word, "$KEY", key)
			}
			args = append(args, word)
			rest = rest[end+2:]
			continue
		}
		end := strings.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		args = append(args, rest[:end])
		rest = rest[end:]
	}
	method, url, body := http.MethodGet, "", ""
	header := http.Header{}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "-i":
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			header.Add(k, strings.TrimSpace(v))
		case "-d":
			i++
			body = args[i]
		default:
			url = args[i]
		}
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	req.Header = header
	return req
}

// demoKeyLine is how the banner shows the demo key it made.
var demoKeyLine = regexp.MustCompile(`(?m)^API key of account demo: (shop_[A-Za-z0-9_-]{43})$`)

// bannerKey returns the demo key a first start's banner shows.
func bannerKey(t *testing.T, banner string) string {
	t.Helper()
	m := demoKeyLine.FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("banner shows no demo key:\n%s", banner)
	}
	return m[1]
}

// keysAddLine is the command a later start's banner gives for a key.
var keysAddLine = regexp.MustCompile(`(?m)^\s*KEY=\$\(go run \./examples/shop (keys add -db \S+ demo)\)$`)

// TestBannerLinesWork starts the service twice on one database and sends
// every request the banner prints: each answers as the line promises, also
// on the second start, when the database holds the first start's items,
// orders and key. The first start makes the demo account's key and puts
// it in the lines; the second shows no key, and its lines work with the
// key the command it prints makes (run here as the shell would, with
// run's arguments).
func TestBannerLinesWork(t *testing.T) {
	db := filepath.Join(t.TempDir(), "banner.db")
	want := []int{200, 201, 200, 200, 304, 200, 201, 200, 200}
	// Which lines send the key: the writes and the orders.
	keyed := []bool{false, true, false, false, false, true, true, true, false}
	var firstKey string
	for start := 1; start <= 2; start++ {
		ctx, cancel := context.WithCancel(context.Background())
		var stdout, stderr testenv.Buffer
		addrc := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db}, func(string) string { return "" }, &stdout, &stderr,
				func(addr string) { addrc <- addr })
		}()
		select {
		case <-addrc:
		case err := <-done:
			cancel()
			t.Fatalf("start %d: run: %v; %s", start, err, stderr.String())
		}
		banner := stdout.String()
		var key string
		if start == 1 {
			key = bannerKey(t, banner)
			firstKey = key
			if !strings.Contains(banner, "only on this first start") || !strings.Contains(banner, "keys add -db "+db+" ACCOUNT") {
				t.Errorf("start 1: the banner does not say the key is shown once and how to make more:\n%s", banner)
			}
		} else {
			if strings.Contains(banner, firstKey) || demoKeyLine.MatchString(banner) {
				t.Errorf("start 2 shows a key:\n%s", banner)
			}
			m := keysAddLine.FindStringSubmatch(banner)
			if m == nil {
				cancel()
				t.Fatalf("start 2: the banner does not say how to make a key:\n%s", banner)
			}
			var out, errb bytes.Buffer
			if err := run(ctx, strings.Fields(m[1]), func(string) string { return "" }, &out, &errb, nil); err != nil {
				cancel()
				t.Fatalf("start 2: %s: %v %s", m[1], err, errb.String())
			}
			key = strings.TrimSuffix(out.String(), "\n")
		}
		var lines []string
		for _, l := range strings.Split(banner, "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "curl ") {
				lines = append(lines, l)
			}
		}
		if len(lines) != len(want) {
			cancel()
			t.Fatalf("start %d: %d curl lines, want %d:\n%s", start, len(lines), len(want), banner)
		}
		for i, l := range lines {
			req := curlRequest(t, l, key)
			if got := req.Header.Get("Authorization"); (got == "Bearer "+key) != keyed[i] {
				t.Errorf("start %d: %s\nAuthorization %q, want the key: %v", start, l, got, keyed[i])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("start %d: %s: %v", start, l, err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != want[i] {
				t.Errorf("start %d: %s\ngot %d %s, want %d", start, l, res.StatusCode, b, want[i])
			}
		}
		if start == 2 {
			// The first start's key still works: it was kept (hashed).
			req := curlRequest(t, lines[7], firstKey)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("start 2: the first start's key: %d, want 200", res.StatusCode)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("start %d: run returned %v", start, err)
		}
	}
}
