// SPDX-License-Identifier: MIT

package green

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"runtime"
	"sync"
)

// ErrThreadClosed is returned by Thread.Do once the Thread has ended.
var ErrThreadClosed = errors.New("green: thread closed")

// ErrGoexit is returned by Thread.Do when the function called
// runtime.Goexit: that ends the goroutine locked to the thread, and with
// it the thread.
var ErrGoexit = errors.New("green: function called runtime.Goexit; the thread ended")

// A Thread is one dedicated, locked OS thread on which functions run one
// at a time. Greenlets created in a function given to Do belong to it and
// may be used in any later Do on the same Thread.
type Thread struct {
	work chan func()
	done chan struct{}
	id   C.uintptr_t
	rec  *C.struct_gg_thread // the thread's record, held until it ends
	mu   sync.Mutex
	shut bool
	end  sync.Once
}

// NewThread starts a Thread.
func NewThread() *Thread {
	t := &Thread{work: make(chan func()), done: make(chan struct{})}
	ready := make(chan C.uintptr_t)
	go t.loop(ready)
	t.id = <-ready
	return t
}

// waitEnd waits until the OS thread has ended: the goroutine's end (done)
// comes a little before the thread's, whose exit work (releasing queued
// handles, libgreen freeing the thread's greenlets) is what callers of
// Close wait for.
func (t *Thread) waitEnd() {
	<-t.done
	t.end.Do(func() {
		if t.rec != nil {
			// Bounded, in case the runtime keeps the thread after all.
			C.gg_thread_wait_end(t.rec, 10000)
			C.gg_thread_put(t.rec)
		}
	})
}

// onMainThread reports whether the caller runs on the process's main
// thread. A variable so that the tests can take the hand-over path.
var onMainThread = func() bool { return C.gg_on_main_thread() != 0 }

func (t *Thread) loop(ready chan<- C.uintptr_t) {
	// Never unlocked: when the loop ends, the goroutine exits locked and
	// the OS thread ends with it, so no other goroutine ever runs on a
	// thread whose greenlets could still be used. Locked twice, so that a
	// function that unlocks once does not set it free either.
	runtime.LockOSThread()
	runtime.LockOSThread()
	if onMainThread() {
		// The runtime never ends the main thread: a goroutine that exits
		// locked to it leaves it parked for good, and with it its
		// greenlets and the releases queued for it. Hand over to a new
		// goroutine, which cannot run on this thread while it is
		// locked here, and let this thread go once that one holds its
		// own.
		hand := make(chan C.uintptr_t)
		go t.loop(hand)
		ready <- <-hand
		runtime.UnlockOSThread()
		runtime.UnlockOSThread()
		return
	}
	defer close(t.done)
	t.rec = C.gg_thread_hold()
	ready <- C.gg_thread_id()
	for f := range t.work {
		f()
	}
	C.gg_reap()
}

// onThread reports whether the caller runs on t's OS thread.
func (t *Thread) onThread() bool {
	id := C.gg_thread_id()
	return id != 0 && id == t.id
}

// Do runs f on the thread and returns its error; a panic in f is
// re-raised in the caller. Releases handed to the thread are done first.
// Called from inside a function running on the same Thread, Do runs f
// directly. After Close, Do returns ErrThreadClosed.
func (t *Thread) Do(f func() error) error {
	if t.onThread() {
		return f()
	}
	var err error
	var panicked any
	returned := false
	ch := make(chan struct{})
	job := func() {
		defer close(ch)
		defer func() {
			if !returned {
				panicked = recover()
			}
		}()
		C.gg_reap()
		err = f()
		returned = true
	}
	t.mu.Lock()
	if t.shut {
		t.mu.Unlock()
		return ErrThreadClosed
	}
	select {
	case t.work <- job:
	case <-t.done:
		t.mu.Unlock()
		return ErrThreadClosed
	}
	t.mu.Unlock()
	<-ch
	if panicked != nil {
		panic(panicked)
	}
	if !returned {
		return ErrGoexit
	}
	return err
}

// Close ends the thread once the function running on it returns. The
// thread's suspended greenlets are then freed without running (libgreen's
// rule for a thread that ends): kill them first, with ThrowExit or by
// closing their last handle, if their cleanup code must run. Close waits
// for the OS thread to end (up to 10 seconds), unless it is called on the
// thread itself; a second Close does nothing. A Thread never runs on the
// process's main thread, which the runtime never ends.
func (t *Thread) Close() error {
	t.mu.Lock()
	if !t.shut {
		t.shut = true
		close(t.work)
	}
	t.mu.Unlock()
	if !t.onThread() {
		t.waitEnd()
	}
	return nil
}
