package errors

import (
	stderrors "errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// exportedNames returns the exported top-level functions, variables and
// constants declared in the non-test Go files of dir whose build
// constraints the running toolchain satisfies.
func exportedNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	filter := func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}
	//lint:ignore SA1019 the standard errors package has no build-constrained files, so ParseDir sees exactly its API; x/tools/go/packages would be a new dependency
	pkgs, err := parser.ParseDir(fset, dir, filter, parser.ParseComments)
	if err != nil {
		t.Fatalf("parse %s: %v", dir, err)
	}
	names := map[string]bool{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			if !buildable(f) {
				continue
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv == nil && d.Name.IsExported() {
						names[d.Name.Name] = true
					}
				case *ast.GenDecl:
					if d.Tok != token.VAR && d.Tok != token.CONST {
						continue
					}
					for _, s := range d.Specs {
						for _, n := range s.(*ast.ValueSpec).Names {
							if n.IsExported() {
								names[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return names
}

// buildable reports whether f's //go:build line, if any, names only
// release tags the running toolchain has, which is all the constraints
// the two packages compared here use.
func buildable(f *ast.File) bool {
	for _, g := range f.Comments {
		for _, c := range g.List {
			expr, ok := strings.CutPrefix(c.Text, "//go:build ")
			if !ok {
				continue
			}
			neg := strings.HasPrefix(expr, "!")
			tag := strings.TrimPrefix(expr, "!")
			have := false
			for _, rt := range releaseTags() {
				if rt == tag {
					have = true
				}
			}
			return have != neg
		}
	}
	return true
}

func releaseTags() []string {
	var minor int
	fmt.Sscanf(runtime.Version(), "go1.%d", &minor)
	tags := make([]string, 0, minor)
	for i := 1; i <= minor; i++ {
		tags = append(tags, fmt.Sprintf("go1.%d", i))
	}
	return tags
}

// TestStdlibSurface keeps this package a drop-in for the standard errors
// package: every exported function and variable of the standard package
// of the running toolchain must exist here too.
func TestStdlibSurface(t *testing.T) {
	//lint:ignore SA1019 the test binary runs where it was built: its GOROOT is the toolchain under test
	std := exportedNames(t, filepath.Join(runtime.GOROOT(), "src", "errors"))
	if len(std) == 0 {
		t.Fatal("found no exported names in the standard errors package")
	}
	ours := exportedNames(t, ".")
	for name := range std {
		if !ours[name] {
			t.Errorf("standard errors.%s has no counterpart in this package", name)
		}
	}
}

type codeErr struct{ code string }

func (e codeErr) Error() string { return e.code }

func TestAsType(t *testing.T) {
	inner := NotFound("no such item")
	tests := []struct {
		name     string
		err      error
		wantOK   bool
		wantCode string
	}{
		{"nil", nil, false, ""},
		{"direct", inner, true, "not_found"},
		{"wrapped", fmt.Errorf("load: %w", inner), true, "not_found"},
		{"joined", Join(stderrors.New("x"), inner), true, "not_found"},
		{"other", stderrors.New("plain"), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AsType[*Error](tt.err)
			if ok != tt.wantOK {
				t.Fatalf("AsType ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && got.Code != tt.wantCode {
				t.Errorf("AsType code = %q, want %q", got.Code, tt.wantCode)
			}
			if !ok && got != nil {
				t.Errorf("AsType value = %v, want nil", got)
			}
		})
	}
	if got, ok := AsType[codeErr](fmt.Errorf("w: %w", codeErr{"x"})); !ok || got.code != "x" {
		t.Errorf("AsType[codeErr] = %v, %v; want x, true", got, ok)
	}
}
