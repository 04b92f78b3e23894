//go:build race

package errors

const raceEnabled = true
