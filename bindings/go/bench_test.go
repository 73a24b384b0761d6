// SPDX-License-Identifier: MIT

package green_test

import (
	"iter"
	"runtime"
	"testing"

	"libgreen.dev/green"
	"libgreen.dev/green/bodies"
)

var sink uintptr

// BenchmarkSwitchRoundTrip: Go switches a value into a C echo greenlet,
// which switches it straight back: two stack switches and one cgo call
// per iteration.
func BenchmarkSwitchRoundTrip(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g, err := green.NewGreenlet(bodies.Echo, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	if _, err := g.Switch(0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, err := g.Switch(uintptr(i))
		if err != nil || v != uintptr(i) {
			b.Fatalf("echo returned %d, %v", v, err)
		}
		sink += v
	}
	b.StopTimer()
	g.ThrowExit(0)
}

// BenchmarkIterPullRoundTrip: the same ping-pong with Go's own
// coroutines: next() resumes an iter.Seq that yields the value it was
// given.
func BenchmarkIterPullRoundTrip(b *testing.B) {
	var in uintptr
	seq := func(yield func(uintptr) bool) {
		for yield(in) {
		}
	}
	next, stop := iter.Pull(iter.Seq[uintptr](seq))
	defer stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in = uintptr(i)
		v, ok := next()
		if !ok || v != uintptr(i) {
			b.Fatalf("pull returned %d, %v", v, ok)
		}
		sink += v
	}
}

// BenchmarkCgoCall: one cgo call to a libgreen function that does
// nothing, the floor under every call of the binding.
func BenchmarkCgoCall(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink += uintptr(green.CgoNoop())
	}
}
