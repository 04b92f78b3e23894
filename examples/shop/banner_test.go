package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/restwell/restwell/internal/testenv"
)

// curlRequest turns one banner line (curl -i [-X METHOD] URL [-H 'K: V']...
// [-d 'BODY']) into the request it sends.
func curlRequest(t *testing.T, line string) *http.Request {
	t.Helper()
	var args []string
	for rest := strings.TrimSpace(line); rest != ""; rest = strings.TrimSpace(rest) {
		if rest[0] == '\'' {
			end := strings.IndexByte(rest[1:], '\'')
			if end < 0 {
				t.Fatalf("unbalanced quote in %q", line)
			}
			args = append(args, rest[1:end+1])
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

// TestBannerLinesWork starts the service twice on one database and sends
// every request the banner prints: each answers as the line promises, also
// on the second start, when the database holds the first start's items and
// orders.
func TestBannerLinesWork(t *testing.T) {
	db := filepath.Join(t.TempDir(), "banner.db")
	want := []int{200, 201, 200, 200, 304, 200, 201, 200, 200}
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
		var lines []string
		for _, l := range strings.Split(stdout.String(), "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "curl ") {
				lines = append(lines, l)
			}
		}
		if len(lines) != len(want) {
			cancel()
			t.Fatalf("start %d: %d curl lines, want %d:\n%s", start, len(lines), len(want), stdout.String())
		}
		for i, l := range lines {
			res, err := http.DefaultClient.Do(curlRequest(t, l))
			if err != nil {
				t.Fatalf("start %d: %s: %v", start, l, err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != want[i] {
				t.Errorf("start %d: %s\ngot %d %s, want %d", start, l, res.StatusCode, b, want[i])
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("start %d: run returned %v", start, err)
		}
	}
}
