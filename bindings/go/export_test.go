// SPDX-License-Identifier: MIT

package green

import "sync/atomic"

// DroppedHandles exposes the number of handles cleanups released to the
// tests.
func DroppedHandles() int { return droppedHandles() }

// CgoNoop exposes cgoNoop to the benchmarks.
func CgoNoop() int { return cgoNoop() }

// OnMainThread exposes onMainThread to the tests.
func OnMainThread() bool { return onMainThread() }

// PretendMainThread makes the next n main-thread checks of Thread answer
// true, so that the tests take the hand-over path; the returned func
// restores the real check and reports how many checks were made.
func PretendMainThread(n int32) (restore func() int32) {
	real := onMainThread
	var calls atomic.Int32
	onMainThread = func() bool { return calls.Add(1) <= n || real() }
	return func() int32 { onMainThread = real; return calls.Load() }
}
