// SPDX-License-Identifier: MIT

package green

// #include "shim.h"
import "C"

import "iter"

// A Generator drives a C greenlet written as a generator: its body
// receives the start value as `in`, yields each value by switching it to
// its parent, and finally returns (its result). All consumes it as a Go
// iterator. Like every Greenlet, a Generator must be used on the thread
// that created it.
type Generator struct {
	g       *Greenlet
	start   uintptr
	started bool
	err     error
	result  uintptr
	done    bool
}

// NewGenerator creates a generator running body, which will receive
// start as its input. opts may be nil.
func NewGenerator(body RunFunc, start uintptr, opts *Options) (*Generator, error) {
	g, err := NewGreenlet(body, opts)
	if err != nil {
		return nil, err
	}
	return &Generator{g: g, start: start}, nil
}

// Greenlet returns the generator's greenlet.
func (gen *Generator) Greenlet() *Greenlet { return gen.g }

// Next resumes the generator, sending it send (the first call sends the
// start value instead), and returns the next value it yields. ok is false
// once it has finished (see Result) or failed (see Err).
func (gen *Generator) Next(send uintptr) (v uintptr, ok bool) {
	if gen.done {
		return 0, false
	}
	gen.err = nil
	if !gen.started {
		send = gen.start
	}
	v, st, err := gen.g.xferState(C.GG_SWITCH, send)
	if err != nil {
		gen.fail(err)
		return 0, false
	}
	gen.started = true
	if st == Dead {
		gen.done, gen.result = true, v
		return 0, false
	}
	return v, true
}

// fail records err. A call from the wrong thread changed nothing, so the
// generator can go on from its own thread; any other error ends it.
func (gen *Generator) fail(err error) {
	gen.err = err
	if err != ErrThread {
		gen.done = true
	}
}

// All returns an iterator over the values the generator yields. Breaking
// out of the loop leaves the generator suspended: a later All or Next
// goes on where it stopped, and Close kills it.
func (gen *Generator) All() iter.Seq[uintptr] {
	return func(yield func(uintptr) bool) {
		for {
			v, ok := gen.Next(0)
			if !ok || !yield(v) {
				return
			}
		}
	}
}

// Err returns the error that ended the last Next, if any: a *ThrownError
// if the body returned GREEN_THROWN, ErrThread for a call from another
// thread (which changes nothing: the generator goes on when called from
// its own thread), or another misuse error, which ends it.
func (gen *Generator) Err() error { return gen.err }

// Result returns the value the generator's body returned, once Next has
// reported the end.
func (gen *Generator) Result() (uintptr, bool) { return gen.result, gen.done && gen.err == nil }

// Close closes the generator's handle, killing a suspended generator so
// that its body can clean up.
func (gen *Generator) Close() error {
	gen.done = true
	return gen.g.Close()
}
