//go:build race

package requestid

const raceEnabled = true
