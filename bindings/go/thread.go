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
	mu   sync.Mutex
	shut bool
}

// NewThread starts a Thread.
func NewThread() *Thread {
	t := &Thread{work: make(chan func()), done: make(chan struct{})}
	ready := make(chan C.uintptr_t)
	go t.loop(ready)
	t.id = <-ready
	return t
}

func (t *Thread) loop(ready chan<- C.uintptr_t) {
	// Never unlocked: when the loop ends, the goroutine exits locked and
	// the OS thread ends with it, so no other goroutine ever runs on a
	// thread whose greenlets could still be used. Locked twice, so that a
	// function that unlocks once does not set it free either.
	runtime.LockOSThread()
	runtime.LockOSThread()
	defer close(t.done)
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
// for the thread to end, unless it is called on the thread itself; a
// second Close does nothing.
func (t *Thread) Close() error {
	t.mu.Lock()
	if !t.shut {
		t.shut = true
		close(t.work)
	}
	t.mu.Unlock()
	if !t.onThread() {
		<-t.done
	}
	return nil
}
