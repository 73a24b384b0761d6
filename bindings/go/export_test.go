package green

// PendingReleases exposes the number of handles queued for their owner
// threads to the tests.
func PendingReleases() int { return pendingReleases() }
