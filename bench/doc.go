// Package bench compares restwell with the libraries a team would pick
// instead. It holds only benchmarks and the tests that keep them honest.
package bench
