package convert

import (
	"io"
	"strings"
	"time"
)

// Entry is the changelog of one version.
type Entry struct {
	// Version is the version's name.
	Version string
	// Changes are the descriptions of the Changes this version introduced,
	// in the order they were given.
	Changes []string
	// Deprecated, Sunset and Successor are copied from the
	// versioning.Version.
	Deprecated, Sunset time.Time
	Successor          string
}

// Changelog returns one entry per version, newest first, generated from
// the Change descriptions and the versions' deprecation times.
func (c *Converter) Changelog() []Entry {
	out := make([]Entry, 0, len(c.versions))
	for i := len(c.versions) - 1; i >= 0; i-- {
		ver := c.versions[i]
		e := Entry{Version: ver.Name, Deprecated: ver.Deprecated, Sunset: ver.Sunset, Successor: ver.Successor}
		for _, ch := range c.changes {
			if ch.ver == i {
				e.Changes = append(e.Changes, ch.Description)
			}
		}
		out = append(out, e)
	}
	return out
}

// WriteChangelog writes the changelog as Markdown, newest version first:
//
//	## 2
//
//	- price is an object with amount and currency
//
//	## 1 (deprecated 2025-01-01, sunset 2026-12-31, successor 2)
//
//	- Initial version.
func (c *Converter) WriteChangelog(w io.Writer) error {
	var b strings.Builder
	for i, e := range c.Changelog() {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("## ")
		b.WriteString(e.Version)
		var notes []string
		if !e.Deprecated.IsZero() {
			notes = append(notes, "deprecated "+e.Deprecated.UTC().Format(time.DateOnly))
		}
		if !e.Sunset.IsZero() {
			notes = append(notes, "sunset "+e.Sunset.UTC().Format(time.DateOnly))
		}
		if e.Successor != "" {
			notes = append(notes, "successor "+e.Successor)
		}
		if len(notes) > 0 {
			b.WriteString(" (" + strings.Join(notes, ", ") + ")")
		}
		b.WriteString("\n\n")
		if len(e.Changes) == 0 {
			if i == len(c.versions)-1 {
				b.WriteString("- Initial version.\n")
			} else {
				b.WriteString("- No changes to request or response bodies.\n")
			}
		}
		for _, c := range e.Changes {
			b.WriteString("- " + c + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
