//go:build !race

package errors

const raceEnabled = false
