package schema

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// jsonSchemaModule is the JSON Schema implementation this package wraps.
const jsonSchemaModule = "github.com/santhosh-tekuri/jsonschema/v5"

// TestOnlySchemaLinksJSONSchema lists the dependencies of every package
// of the module with the go command and checks that only this package
// (and what imports it) pulls in the JSON Schema implementation: a
// program that imports ratelimit, errors or any other middleware does
// not link it.
func TestOnlySchemaLinksJSONSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.Command(gocmd, "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...")
	cmd.Dir = ".." // the module's root
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	const self = "github.com/restwell/restwell/schema"
	seen := map[string]bool{}
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		seen[pkg] = true
		links := slices.ContainsFunc(deps, func(d string) bool { return strings.HasPrefix(d, jsonSchemaModule) })
		wantLinks := pkg == self || slices.Contains(deps, self)
		if links != wantLinks {
			t.Errorf("%s links %s: %v, want %v", pkg, jsonSchemaModule, links, wantLinks)
		}
	}
	for _, pkg := range []string{self, "github.com/restwell/restwell/errors", "github.com/restwell/restwell/ratelimit"} {
		if !seen[pkg] {
			t.Errorf("go list did not list %s", pkg)
		}
	}
}
