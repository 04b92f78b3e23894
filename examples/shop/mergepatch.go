package main

// mergePatch applies the JSON merge patch patch to target (RFC 7396 §2)
// and returns the result. Both hold what encoding/json decodes into an
// any. A patch that is not an object replaces the target; in an object
// patch, null removes a member and any other value is merged in
// recursively. target may be modified in place.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = make(map[string]any, len(p))
	}
	for name, value := range p {
		if value == nil {
			delete(t, name)
			continue
		}
		t[name] = mergePatch(t[name], value)
	}
	return t
}
