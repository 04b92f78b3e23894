package main

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// TestBothConfigurationsServe builds the shop and its bare test binary as
// a load test does, starts both on one seeded database (the full one with
// -metrics), and checks that they serve the same item reads, the full one
// through the middleware and the bare one without: everything of a run
// but wrk.
func TestBothConfigurationsServe(t *testing.T) {
	dir := t.TempDir()
	bins, err := build(dir)
	if err != nil {
		t.Fatal(err)
	}
	db := dir + "/load.db"
	out, err := exec.Command(bins.full, "keys", "add", "-db", db, "loadtest").Output()
	if err != nil {
		t.Fatalf("making an API key: %v", err)
	}
	key := strings.TrimSpace(string(out))
	stop, base, _, err := start(bins, db, dir, false, false, true)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tag, err := seed(base, key, 3)
	if err != nil {
		t.Fatal(err)
	}
	stopBare, bareBase, _, err := start(bins, db, dir, true, false, false)
	if err != nil {
		t.Fatal(err)
	}
	defer stopBare()

	get := func(url, inm string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	if code, _, body := get(base+"/metrics", ""); code != 200 || !strings.Contains(body, "restwell_decisions_total") {
		t.Errorf("full with -metrics: GET /metrics %d %.200s", code, body)
	}
	for _, tc := range []struct {
		path, inm string
		status    int
	}{
		{"/api/v2/items/1", "", 200},
		{"/api/v2/items/1", tag, 304},
		{"/api/v2/items", "", 200},
	} {
		fullStatus, fullHeader, fullBody := get(base+tc.path, tc.inm)
		bareStatus, bareHeader, bareBody := get(bareBase+tc.path, tc.inm)
		if fullStatus != tc.status || bareStatus != tc.status {
			t.Errorf("%s (If-None-Match %q): full %d, bare %d, want %d", tc.path, tc.inm, fullStatus, bareStatus, tc.status)
		}
		if fullBody != bareBody {
			t.Errorf("%s: full body %s, bare body %s", tc.path, fullBody, bareBody)
		}
		if fullHeader.Get("RateLimit") == "" || bareHeader.Get("RateLimit") != "" {
			t.Errorf("%s: RateLimit full %q, bare %q: want the middleware only on the full one", tc.path,
				fullHeader.Get("RateLimit"), bareHeader.Get("RateLimit"))
		}
	}
}
