package sqlstore

import (
	"testing"

	"github.com/restwell/restwell/pagination"
)

// TestDialectMatchesPagination keeps the dialects of the two packages one
// vocabulary: a database is named, numbered and printed alike in both.
func TestDialectMatchesPagination(t *testing.T) {
	tests := []struct {
		got  Dialect
		want pagination.Dialect
	}{
		{PostgreSQL, pagination.PostgreSQL},
		{SQLite, pagination.SQLite},
		{0, 0},
	}
	for _, tt := range tests {
		if uint8(tt.got) != uint8(tt.want) || tt.got.String() != tt.want.String() {
			t.Errorf("sqlstore %d %q, want pagination's %d %q", tt.got, tt.got, tt.want, tt.want)
		}
	}
}
