package convert

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestChangelog(t *testing.T) {
	v := mustNew(t, testConfig{
		Versions: []Version{
			{Name: "1", Deprecated: t0, Sunset: time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), Successor: "3"},
			{Name: "2", Deprecated: t0},
			{Name: "3"},
			{Name: "4"},
		},
		Changes: []Change{
			{Version: "3", Description: "price is an object with amount and currency", Edits: []Edit{Rename("a", "b")}},
			{Version: "2", Description: "cost renamed to price", Edits: []Edit{Rename("cost", "price")}},
			{Version: "3", Description: "legacy removed", Edits: []Edit{Remove("legacy", nil)}},
		},
	})
	got := v.Changelog()
	want := []Entry{
		{Version: "4"},
		{Version: "3", Changes: []string{"price is an object with amount and currency", "legacy removed"}},
		{Version: "2", Changes: []string{"cost renamed to price"}, Deprecated: t0},
		{Version: "1", Deprecated: t0, Sunset: time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), Successor: "3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Changelog\n%+v\nwant\n%+v", got, want)
	}
	var b strings.Builder
	if err := v.WriteChangelog(&b); err != nil {
		t.Fatal(err)
	}
	wantMD := `## 4

- No changes to request or response bodies.

## 3

- price is an object with amount and currency
- legacy removed

## 2 (deprecated 2025-01-01)

- cost renamed to price

## 1 (deprecated 2025-01-01, sunset 2026-12-31, successor 3)

- Initial version.
`
	if b.String() != wantMD {
		t.Errorf("WriteChangelog:\n%s\nwant\n%s", b.String(), wantMD)
	}
	if err := v.WriteChangelog(failWriter{}); err == nil {
		t.Error("write error lost")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken") }
