package etag

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func collect(lines ...string) []string {
	var out []string
	for m := range Members(lines) {
		out = append(out, m)
	}
	return out
}

func TestMembers(t *testing.T) {
	tests := []struct {
		lines []string
		want  []string
	}{
		{[]string{`"a", "b"`}, []string{`"a"`, `"b"`}},
		{[]string{`"a"`, `W/"b"`}, []string{`"a"`, `W/"b"`}},
		{[]string{`*`}, []string{`*`}},
		{[]string{` * `}, []string{`*`}},
		{[]string{`"a", *`}, []string{`"a"`, `*`}},
		{[]string{`,, "a" ,,`}, []string{`"a"`}},
		{[]string{"\t\"a\"\t,\t\"b\""}, []string{`"a"`, `"b"`}},
		{[]string{`"a,b", "c"`}, []string{`"a,b"`, `"c"`}},
		{[]string{`junk, "a"`}, []string{`"a"`}},
		{[]string{`"a" junk, "b"`}, []string{`"b"`}},
		{[]string{`"a b", "c"`}, []string{`"c"`}},
		{[]string{`w/"a", "b"`}, []string{`"b"`}},
		{[]string{`**, "b"`}, []string{`"b"`}},
		{[]string{`"a"`, `junk`, `"b"`}, []string{`"a"`, `"b"`}},
		{[]string{`"unterminated, "b"`}, []string{`"b"`}},
		{[]string{`"unterminated`}, nil},
		{[]string{``}, nil},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := collect(tt.lines...); !slices.Equal(got, tt.want) {
			t.Errorf("Members(%q) = %q, want %q", tt.lines, got, tt.want)
		}
	}
	// Stopping early.
	for m := range Members([]string{`"a", "b"`}) {
		if m != `"a"` {
			t.Errorf("first member %q", m)
		}
		break
	}
}

func TestMembersAllocatesNothing(t *testing.T) {
	lines := []string{`"x", W/"y", junk, *`, `"z"`}
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		for m := range Members(lines) {
			n += len(m)
		}
	})
	if allocs != 0 {
		t.Errorf("ranging over Members allocates %.0f times", allocs)
	}
}

// oracleMember matches one list element at the start of the text: a tag,
// a star, or nothing, then the comma or the end. It is the list grammar of
// RFC 9110 §5.6.1 and §8.8.3 written independently of the parser. Bytes
// 0x80-0xFF are mapped to '~' before matching, since regexp works on
// runes.
var oracleMember = regexp.MustCompile(`^[ \t]*(?:((?:W/)?"[\x21\x23-\x7e]*")|(\*))?[ \t]*(?:,|$)`)

// oracleMembers lists the members the way Members documents it.
func oracleMembers(lines []string) []string {
	var out []string
	for _, line := range lines {
		mapped := []byte(line)
		for i, c := range mapped {
			if c >= 0x80 {
				mapped[i] = '~'
			}
		}
		for p := 0; p < len(line); {
			loc := oracleMember.FindSubmatchIndex(mapped[p:])
			switch {
			case loc == nil:
				i := strings.IndexByte(line[p:], ',')
				if i < 0 {
					p = len(line)
				} else {
					p += i + 1
				}
				continue
			case loc[2] >= 0:
				out = append(out, line[p+loc[2]:p+loc[3]])
			case loc[4] >= 0:
				out = append(out, "*")
			}
			p += loc[1]
		}
	}
	return out
}

// FuzzMembers checks the list parser against the regular-expression
// oracle, and that every member it yields is a valid tag or "*".
//
//	go test ./etag -run '^$' -fuzz FuzzMembers -fuzztime 60s
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`"a", W/"b"`, `*`, `junk, "a,b" x, "c"`, "\"\xff\", \t*\n\"d\"", `,,,`, `W/"`, `"a"junk`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(s, "\n") // several lines of one field
		got := collect(lines...)
		want := oracleMembers(lines)
		if !slices.Equal(got, want) {
			t.Fatalf("Members(%q) = %q, oracle %q", lines, got, want)
		}
		for _, m := range got {
			if m != "*" && !Valid(m) {
				t.Fatalf("Members(%q) yielded invalid %q", lines, m)
			}
		}
		// Members written back as one list read the same.
		if again := collect(strings.Join(got, ", ")); !slices.Equal(again, got) {
			t.Fatalf("rejoined %q reads %q", got, again)
		}
	})
}
