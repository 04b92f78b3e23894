package main

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// TestDocsInBrowser opens /docs in headless Chromium, with the network
// features that would reach outside the machine turned off, and checks
// from the DOM it renders that every operation of openapi.json is shown.
// It skips when Chromium is not installed, unless
// RESTWELL_REQUIRE_CHROMIUM=1, when it fails.
func TestDocsInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("RESTWELL_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("RESTWELL_REQUIRE_CHROMIUM=1 but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("%s is missing (apt-get install chromium); set RESTWELL_REQUIRE_CHROMIUM=1 to fail instead", chromiumPath)
	}
	s := newTestShop(t, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(),
		"--dump-dom", s.ts.URL+"/docs")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("chromium: %v\n%s", err, stderr)
	}
	checkDocsShowsEveryOperation(t, string(out))
}
