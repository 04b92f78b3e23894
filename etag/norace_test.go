//go:build !race

package etag

const raceEnabled = false
