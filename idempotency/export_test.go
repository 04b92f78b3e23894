package idempotency

// ClearMemoryStore drops every record of s, as if all had expired and
// been evicted, keeping the capacity its map has grown to. Benchmarks use
// it to measure a store in its steady state.
func ClearMemoryStore(s *MemoryStore) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.m)
	s.bytes = 0
}
