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

// ErrThreadClosed is returned by Thread.Do after Thread.Close.
var ErrThreadClosed = errors.New("green: thread closed")

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
	// thread whose greenlets could still be used.
	runtime.LockOSThread()
	ready <- C.gg_thread_id()
	for f := range t.work {
		f()
	}
	C.gg_reap()
	close(t.done)
}

// Do runs f on the thread and returns its error. Releases handed to the
// thread are done first. Called from inside a function running on the
// same Thread, Do runs f directly.
func (t *Thread) Do(f func() error) error {
	if C.gg_thread_id() == t.id {
		return f()
	}
	t.mu.Lock()
	if t.shut {
		t.mu.Unlock()
		return ErrThreadClosed
	}
	var err error
	var panicked any
	ch := make(chan struct{})
	t.work <- func() {
		defer close(ch)
		defer func() { panicked = recover() }()
		C.gg_reap()
		err = f()
	}
	t.mu.Unlock()
	<-ch
	if panicked != nil {
		panic(panicked)
	}
	return err
}

// Close ends the thread once the function running on it returns. The
// thread's suspended greenlets are then freed without running (libgreen's
// rule for a thread that ends): kill them first, with ThrowExit or by
// closing their last handle, if their cleanup code must run. Close waits
// for the thread to end; a second Close does nothing.
func (t *Thread) Close() error {
	t.mu.Lock()
	if !t.shut {
		t.shut = true
		close(t.work)
	}
	t.mu.Unlock()
	<-t.done
	return nil
}
