package errors

import (
	"encoding/json"
	"testing"
)

// Extension members written without encoding/json read exactly as
// encoding/json writes them.
func TestAppendMemberMatchesJSON(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"string", "default"},
		{"string with escapes", "a\"b\\c\n\u2028\x01"},
		{"string with HTML", "<a&b>"},
		{"invalid UTF-8", "a\xffb"},
		{"list", []string{"burst", "default"}},
		{"empty list", []string{}},
		{"nil list", []string(nil)},
		{"list with HTML", []string{"ok", "<x>"}},
		{"other", map[string]int{"b": 2, "a": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			want := `,"k":` + string(j)
			if got := string(appendMember(nil, "k", tt.v)); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestAppendExtensionsOrder(t *testing.T) {
	ext := map[string]any{"zeta": "z", "alpha": []string{"a"}, "code": "reserved", "mid": 1}
	want := `,"alpha":["a"],"mid":1,"zeta":"z"`
	if got := string(appendExtensions(nil, ext)); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := string(appendExtensions(nil, map[string]any{"status": 1})); got != "" {
		t.Errorf("a reserved member alone: got %s, want nothing", got)
	}
}
