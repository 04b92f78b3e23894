//go:build race

package etag

// raceEnabled is true under the race detector, which makes sync.Pool drop
// items at random, so pooled code allocates.
const raceEnabled = true
