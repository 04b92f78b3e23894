package versioning

import (
	"context"

	"github.com/restwell/restwell/observe"
)

// observe reports an outcome for version (a configured name, or "") and
// route (a configured name or pattern, or "").
func (v *Versioner) observe(ctx context.Context, outcome, version, route string, status int) {
	if v.observer != nil {
		v.observer.Observe(ctx, observe.Event{Package: "versioning", Outcome: outcome, Version: version, Route: route, Status: status})
	}
}

// observeDeprecated reports a call to a deprecated version or route: past
// its sunset ("sunset", with 410 when gone) or not.
func (v *Versioner) observeDeprecated(ctx context.Context, version, route string, d *deprecation) {
	if v.observer == nil {
		return
	}
	retired, gone := d.retired(v.now()), v.afterSunset == Gone
	switch {
	case retired && gone:
		v.observe(ctx, observe.Sunset, version, route, 410)
	case retired:
		v.observe(ctx, observe.Sunset, version, route, 0)
	case route != "":
		v.observe(ctx, observe.DeprecatedRoute, version, route, 0)
	default:
		v.observe(ctx, observe.DeprecatedVersion, version, route, 0)
	}
}
