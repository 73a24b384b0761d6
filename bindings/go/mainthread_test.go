// SPDX-License-Identifier: MIT

package green_test

import (
	"syscall"
	"testing"

	"libgreen.dev/green"
)

// The runtime never ends the main thread, so a Thread that finds itself
// there hands over to a goroutine on another thread. Real starts on the
// main thread cannot be forced, so the check is made to answer "main"
// for the first goroutine.
func TestThreadHandsOverFromMainThread(t *testing.T) {
	restore := green.PretendMainThread(1)
	th := green.NewThread()
	if calls := restore(); calls != 2 {
		t.Errorf("%d main-thread checks, want 2 (the first goroutine, then the one it handed over to)", calls)
	}
	var tid int
	if err := th.Do(func() error { tid = syscall.Gettid(); return nil }); err != nil {
		t.Fatal(err)
	}
	if tid == syscall.Getpid() {
		t.Error("Do ran on the main thread")
	}
	th.Close()
	if err := th.Do(func() error { return nil }); err != green.ErrThreadClosed {
		t.Errorf("Do after Close = %v", err)
	}

	// And for real: no Thread runs on the main thread.
	for range 20 {
		th := green.NewThread()
		th.Do(func() error {
			if green.OnMainThread() {
				t.Error("a Thread ran on the main thread")
			}
			return nil
		})
		th.Close()
	}
}
