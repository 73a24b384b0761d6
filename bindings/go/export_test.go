package green

// PendingReleases exposes the number of handles queued for their owner
// threads to the tests.
func PendingReleases() int { return pendingReleases() }

// CgoNoop exposes cgoNoop to the benchmarks.
func CgoNoop() int { return cgoNoop() }
