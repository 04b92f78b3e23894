// Package logsafe bounds client-supplied values before they go into a log
// record. log/slog quotes and escapes what it writes, so a value cannot
// forge a record; Clip keeps a hostile one from flooding it.
package logsafe

import "unicode/utf8"

// MaxLen is the longest value Clip leaves whole.
const MaxLen = 256

// Clip returns s cut to at most MaxLen bytes, on a UTF-8 boundary, with
// "..." appended when anything was cut.
func Clip(s string) string {
	if len(s) <= MaxLen {
		return s
	}
	i := MaxLen
	for i > MaxLen-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
