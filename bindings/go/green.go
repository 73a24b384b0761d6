// SPDX-License-Identifier: MIT

// Package green lets Go programs drive greenlets of libgreen: C functions
// running on their own stacks that suspend by switching to one another.
//
// # Greenlet bodies are C functions
//
// Go code never runs on a greenlet stack. cgo assumes that a thread's C
// stack is one contiguous region and that calls from C into Go nest last
// in, first out; a greenlet switch under a Go callback breaks both and
// corrupts the goroutine (the runtime dies with "morestack on g0"). So the
// body of a greenlet is always a C function of type green_run_fn, given to
// this package as a RunFunc built from a C function pointer. There is no
// way to make a RunFunc from a Go func; hooks (AddHook) are C functions
// too, and the package installs none of its own that could call Go while
// a greenlet runs. A C body must not call Go (an //export function)
// either: every call of this package that can run a body is marked
// "#cgo nocallback", so if a body does, the runtime stops the program at
// the callback's entry (a panic, or "fatal error: morestack on g0")
// before any Go code runs on the greenlet stack.
//
// When Go code runs, the thread is always on its main greenlet: every
// switch from Go returns only when some greenlet switches back to main.
//
// # Writing a body
//
// A body lives in the cgo preamble of a Go file (or a .c file of the same
// package) and is handed over with RunFuncOf. It must not be static: Go
// takes its address through the linker. This one yields 1, 2, ..., n to
// its parent for a start value n, then returns n; a kill or a throw ends
// it:
//
//	package mybodies
//
//	/*
//	#cgo pkg-config: green
//	#include <stdint.h>
//	#include <green.h>
//
//	int mybodies_count_up(green_t *self, void *in, void **out)
//	{
//	    green_t *parent;
//	    int rc = green_get_parent(self, &parent);
//	    if (rc != GREEN_OK)
//	        return rc;
//	    uintptr_t n = (uintptr_t)in;
//	    for (uintptr_t i = 1; i <= n; i++) {
//	        rc = green_switch(parent, (void *)i, NULL);
//	        if (rc == GREEN_EXIT)
//	            return GREEN_EXIT;   // killed: clean up, then give up
//	        if (rc != GREEN_OK)
//	            return rc;           // thrown into: pass the error on
//	    }
//	    *out = in;                   // the result goes to the parent
//	    return GREEN_OK;
//	}
//	*/
//	import "C"
//
//	import (
//		"unsafe"
//
//		"libgreen.dev/green"
//	)
//
//	var CountUp = green.RunFuncOf(unsafe.Pointer(C.mybodies_count_up))
//
// Then, on a goroutine that holds runtime.LockOSThread:
//
//	g, err := green.NewGreenlet(mybodies.CountUp, nil)
//	v, err := g.Switch(3) // 1
//
// The body may call any C code, but no Go function (see above). Package
// bodies holds more examples.
//
// # Linking: finding libgreen.so.1
//
// The package links libgreen with "#cgo pkg-config: green". A libgreen
// installed in a system directory (Debian's libgreen-dev) needs nothing
// more. For one installed elsewhere, point PKG_CONFIG_PATH at its
// lib/pkgconfig; Go then links the program against it, but the program
// gets no runpath and does not find libgreen.so.1 when run. Record one at
// build time:
//
//	P=$HOME/opt/libgreen
//	PKG_CONFIG_PATH=$P/lib/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$P/lib" go build
//
// (or run the program with LD_LIBRARY_PATH=$P/lib). A build tree's
// green-uninstalled.pc, which pkg-config prefers when PKG_CONFIG_PATH
// names <build>/libgreen, carries the runpath itself.
//
// # Greenlets belong to an OS thread
//
// A greenlet belongs to the OS thread that created it, and only that
// thread may switch to it, throw into it, re-parent it, query it or close
// it. Goroutines move between threads, so a goroutine that uses greenlets
// must hold runtime.LockOSThread for as long as it uses them, or run its
// work on a Thread, which owns one locked OS thread. A call from another
// thread changes nothing and returns ErrThread: the check is made in C,
// in the same cgo call that does the work.
//
// # Values
//
// Values and payloads are opaque words, as at the C level: uintptr
// (Switch, Throw) or unsafe.Pointer (SwitchPointer). The cgo rules apply:
// a C body must not keep a Go pointer after the call that passed it
// returns, so pass C memory, integers, or a runtime/cgo.Handle.
//
// # Releasing
//
// A Greenlet holds one reference to its greenlet. Close releases it (on
// the owning thread). A Greenlet that becomes unreachable without Close
// is released by a cleanup, which never runs libgreen code that could
// switch off the owning thread: it queues the handle, and the owning
// thread releases it on its next call into this package (or in Reap, or
// when it ends). Releasing the last reference to a suspended greenlet
// kills it: the exit error is thrown into it so that its C body can
// clean up.
package green

/*
#cgo pkg-config: green
// Every call that can run a greenlet body, directly or by releasing a
// handle (which may kill a suspended greenlet), is marked nocallback: a C
// body that calls back into Go then makes the runtime panic ("function
// marked with #cgo nocallback called back into Go", which then dies with
// "morestack on g0") instead of running Go code on a greenlet stack. noescape: the pointers passed to them do not
// outlive the call, so Go keeps the variables they point to on its stack.
#cgo nocallback gg_new
#cgo nocallback gg_xfer
#cgo nocallback gg_xferp
#cgo nocallback gg_state
#cgo nocallback gg_is_main
#cgo nocallback gg_stack_mode
#cgo nocallback gg_set_stack_mode
#cgo nocallback gg_parent
#cgo nocallback gg_set_parent
#cgo nocallback gg_current
#cgo nocallback gg_main
#cgo nocallback gg_same
#cgo nocallback gg_close
#cgo nocallback gg_reap
#cgo nocallback gg_hook
#cgo nocallback gg_owned_here
#cgo noescape gg_new
#cgo noescape gg_xferp
#cgo noescape gg_parent
#cgo noescape gg_current
#cgo noescape gg_main
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// RunFunc is the body of a greenlet: a pointer to a C function of type
//
//	int run(green_t *self, void *in, void **out);
//
// (green_run_fn in green.h). It can only be made from a C function
// pointer, never from a Go func.
type RunFunc struct {
	fn unsafe.Pointer
}

// RunFuncOf wraps a pointer to a C green_run_fn, typically
// unsafe.Pointer(C.my_body) in a cgo file (see "Writing a body" in the
// package documentation). A nil pointer gives a RunFunc that NewGreenlet
// and NewGenerator reject with ErrInvalid.
func RunFuncOf(cfn unsafe.Pointer) RunFunc { return RunFunc{cfn} }

// Pointer returns the C function pointer.
func (r RunFunc) Pointer() unsafe.Pointer { return r.fn }

// States of a greenlet (GREEN_STATE_* in green.h).
type State int

const (
	New       State = C.GREEN_STATE_NEW       // created, never started
	Running   State = C.GREEN_STATE_RUNNING   // the current greenlet of its thread
	Suspended State = C.GREEN_STATE_SUSPENDED // started, switched away, resumable
	Dead      State = C.GREEN_STATE_DEAD      // finished, killed, or its thread ended
)

func (s State) String() string {
	switch s {
	case New:
		return "new"
	case Running:
		return "running"
	case Suspended:
		return "suspended"
	case Dead:
		return "dead"
	}
	return "State(?)"
}

// Started reports whether the greenlet has started (not New).
func (s State) Started() bool { return s != New }

// Active reports whether the greenlet is running or suspended.
func (s State) Active() bool { return s == Running || s == Suspended }

// Options are the creation options of NewGreenlet and NewGenerator. The
// zero value (or nil) means
// the defaults.
type Options struct {
	// Parent is the new greenlet's parent; nil means the current greenlet
	// of the calling thread (its main greenlet, when called from Go).
	Parent *Greenlet
	// StackSize is the usable stack size in bytes; 0 means libgreen's
	// default (256 KiB). Otherwise it must be within [16 KiB, 4 GiB].
	// Copy-mode greenlets ignore it.
	StackSize int
	// StackMode is how the greenlet gets its stack; 0 (DefaultStack)
	// means the thread's or process's default (see SetStackMode).
	StackMode StackMode
}

// StackMode is how a greenlet gets its stack (GREEN_STACK_* in green.h).
type StackMode int

const (
	// DefaultStack: the calling thread's default mode, which is the
	// process's unless the thread set its own, which is GuardedStack
	// unless set by SetStackMode or the GREEN_STACK_MODE environment
	// variable.
	DefaultStack StackMode = C.GREEN_STACK_MODE_DEFAULT
	// GuardedStack: a stack of its own, with a guard page below; no copy
	// on a switch, two memory mappings per greenlet.
	GuardedStack StackMode = C.GREEN_STACK_GUARDED
	// CopyStack: runs on its thread's shared stack; its live bytes are
	// copied out when another copy greenlet needs the stack. No mapping
	// per greenlet, so millions can be suspended.
	CopyStack StackMode = C.GREEN_STACK_COPY
	// AutoStack: guarded, or copy if a guarded stack cannot be mapped.
	AutoStack StackMode = C.GREEN_STACK_AUTO
)

func (m StackMode) String() string {
	switch m {
	case DefaultStack:
		return "default"
	case GuardedStack:
		return "guarded"
	case CopyStack:
		return "copy"
	case AutoStack:
		return "auto"
	}
	return "StackMode(?)"
}

// Scope of SetStackMode.
type Scope int

const (
	ThreadScope  Scope = C.GREEN_SCOPE_THREAD  // the calling OS thread
	ProcessScope Scope = C.GREEN_SCOPE_PROCESS // threads that set none
)

// SetStackMode sets the default stack mode of greenlets created without
// one, for the calling OS thread or for the process. DefaultStack clears
// the thread's own choice. ErrInvalid for an unknown mode or scope.
func SetStackMode(mode StackMode, scope Scope) error {
	return errOf(C.gg_set_stack_mode(C.int(mode), C.int(scope)))
}

// A Greenlet is a handle holding one reference to a greenlet. Its methods
// must be called on the OS thread that owns the greenlet; they return
// ErrThread from any other thread and ErrClosed after Close. A nil
// *Greenlet, a zero Greenlet and a copy of a Greenlet value give
// ErrInvalid: share the *Greenlet, or take another handle with Parent,
// Current or Main.
type Greenlet struct {
	h *C.gg_handle
	// self points to the Greenlet itself. A copy of a Greenlet value
	// fails the check in handle(), so it cannot outlive the original and
	// use a handle its cleanup released. The field also keeps a Greenlet
	// off the tiny allocator: a cgo pointer to an incomplete C struct is
	// not a pointer for Go's GC, so without it a Greenlet would be a tiny
	// pointer-free object, and a cleanup attached to one may never run.
	self *Greenlet
}

func wrap(h *C.gg_handle) *Greenlet {
	g := &Greenlet{h: h}
	g.self = g
	runtime.AddCleanup(g, func(h *C.gg_handle) { C.gg_drop(h) }, h)
	return g
}

// handle returns g's C handle, nil for a nil, zero or copied Greenlet.
func handle(g *Greenlet) *C.gg_handle {
	if g == nil || g.self != g {
		return nil
	}
	return g.h
}

// NewGreenlet creates a greenlet that will run body, owned by the calling
// thread. It does not start it: the first Switch into it does, passing
// the switched value as the body's `in`.
func NewGreenlet(body RunFunc, opts *Options) (*Greenlet, error) {
	var parent *Greenlet
	var stack C.size_t
	var mode C.int
	if opts != nil {
		if opts.StackSize < 0 || opts.StackMode < DefaultStack || opts.StackMode > AutoStack {
			return nil, ErrInvalid
		}
		parent, stack, mode = opts.Parent, C.size_t(opts.StackSize), C.int(opts.StackMode)
		if opts.Parent != nil && handle(opts.Parent) == nil {
			return nil, ErrInvalid
		}
	}
	var h *C.gg_handle
	rc := C.gg_new(&h, body.fn, handle(parent), stack, mode)
	runtime.KeepAlive(parent)
	if rc != C.GREEN_OK {
		return nil, errOf(rc)
	}
	return wrap(h), nil
}

// Current returns a handle to the calling thread's current greenlet,
// which, from Go, is always its main greenlet.
func Current() (*Greenlet, error) {
	var h *C.gg_handle
	if rc := C.gg_current(&h); rc != C.GREEN_OK {
		return nil, errOf(rc)
	}
	return wrap(h), nil
}

// Main returns a handle to the calling thread's main greenlet (the
// thread's own stack), creating it on the thread's first use.
func Main() (*Greenlet, error) {
	var h *C.gg_handle
	if rc := C.gg_main(&h); rc != C.GREEN_OK {
		return nil, errOf(rc)
	}
	return wrap(h), nil
}

func (g *Greenlet) xfer(kind C.int, v uintptr) (uintptr, error) {
	v, _, err := g.xferState(kind, v)
	return v, err
}

// xferState is xfer that also returns g's state afterwards.
func (g *Greenlet) xferState(kind C.int, v uintptr) (uintptr, State, error) {
	// The handle goes as an integer: it is C memory, and a pointer
	// argument would cost a cgo pointer check on every switch.
	r := C.gg_xfer(kind, C.uintptr_t(uintptr(unsafe.Pointer(handle(g)))), C.uintptr_t(v))
	runtime.KeepAlive(g)
	res, err := transfer(r.rc, uintptr(r.value))
	return res, State(r.state), err
}

// Switch switches to g, passing v, and returns what arrives when the
// calling (main) greenlet is resumed. If g never started, it starts with
// v as its input. An ordinary value returns (value, nil): a switch back,
// or the result of a greenlet that finished. An error payload returns
// (payload, *ThrownError). Misuse returns (0, ErrDead, ErrThread,
// ErrClosed, ErrNoStack...) with nothing switched.
func (g *Greenlet) Switch(v uintptr) (uintptr, error) {
	// The cgo call is made here rather than through xfer: every Go frame
	// between the caller and the stack switch costs a mispredicted return
	// on the way back, since the switch leaves the CPU's return-address
	// predictor holding the greenlet's calls.
	r := C.gg_xfer(C.GG_SWITCH, C.uintptr_t(uintptr(unsafe.Pointer(handle(g)))), C.uintptr_t(v))
	runtime.KeepAlive(g)
	if r.rc == C.GREEN_OK {
		return uintptr(r.value), nil
	}
	return transfer(r.rc, uintptr(r.value))
}

// SwitchInt is Switch for integer values.
func (g *Greenlet) SwitchInt(v int) (int, error) {
	r, err := g.xfer(C.GG_SWITCH, uintptr(v))
	return int(r), err
}

// SwitchPointer is Switch for pointer values. The pointer must point to
// C memory, or the body must not keep it past the switch (cgo rules).
func (g *Greenlet) SwitchPointer(p unsafe.Pointer) (unsafe.Pointer, error) {
	var res unsafe.Pointer
	rc := C.gg_xferp(C.GG_SWITCH, handle(g), p, &res)
	runtime.KeepAlive(g)
	switch rc {
	case C.GREEN_OK:
		return res, nil
	case C.GREEN_THROWN, C.GREEN_EXIT:
		return res, &ThrownError{Payload: uintptr(res), Exit: rc == C.GREEN_EXIT}
	}
	return nil, errOf(rc)
}

// Throw throws an error payload into g: its pending switch returns
// GREEN_THROWN with the payload. The caller is suspended as by Switch and
// returns what arrives when it is resumed. A g that never started dies
// without running and the error goes to its parent; a dead g passes it to
// its first live ancestor. If that is the caller, Throw returns the
// payload as a *ThrownError at once.
func (g *Greenlet) Throw(payload uintptr) (uintptr, error) { return g.xfer(C.GG_THROW, payload) }

// ThrowExit kills g: it throws the exit error (greenlet's GreenletExit)
// carrying payload; g's pending switch returns GREEN_EXIT. A body that
// lets it reach its top finishes normally, and its parent receives its
// result as an ordinary value. ErrMain for a main greenlet.
func (g *Greenlet) ThrowExit(payload uintptr) (uintptr, error) {
	return g.xfer(C.GG_THROW_EXIT, payload)
}

// State returns g's state.
func (g *Greenlet) State() (State, error) {
	rc := C.gg_state(handle(g))
	runtime.KeepAlive(g)
	if rc < 0 {
		return 0, errOf(rc)
	}
	return State(rc), nil
}

// StackMode returns g's stack mode: GuardedStack or CopyStack once it has
// started (an AutoStack greenlet reports the mode it got), the requested
// mode before.
func (g *Greenlet) StackMode() (StackMode, error) {
	rc := C.gg_stack_mode(handle(g))
	runtime.KeepAlive(g)
	if rc < 0 {
		return 0, errOf(rc)
	}
	return StackMode(rc), nil
}

// StackSaved returns how many bytes of g's stack libgreen holds on the
// heap: the live stack of a suspended CopyStack greenlet that another one
// displaced from the thread's shared stack, 0 for any other greenlet.
// ErrThread from a thread that does not own g.
func (g *Greenlet) StackSaved() (int, error) {
	rc := C.gg_stack_saved(handle(g))
	runtime.KeepAlive(g)
	if rc < 0 {
		return 0, errOf(C.int(rc))
	}
	return int(rc), nil
}

// OwnedHere reports whether the calling OS thread owns g (false for a nil
// or copied Greenlet). The answer holds while the goroutine stays on the
// thread: lock it with runtime.LockOSThread, or ask from a Thread.
func (g *Greenlet) OwnedHere() bool {
	ok := C.gg_owned_here(handle(g)) != 0
	runtime.KeepAlive(g)
	return ok
}

// IsMain reports whether g is a main greenlet.
func (g *Greenlet) IsMain() (bool, error) {
	rc := C.gg_is_main(handle(g))
	runtime.KeepAlive(g)
	if rc < 0 {
		return false, errOf(rc)
	}
	return rc != 0, nil
}

// Parent returns a new handle to g's parent, or (nil, nil) for a main
// greenlet.
func (g *Greenlet) Parent() (*Greenlet, error) {
	var h *C.gg_handle
	rc := C.gg_parent(handle(g), &h)
	runtime.KeepAlive(g)
	if rc != C.GREEN_OK {
		return nil, errOf(rc)
	}
	if h == nil {
		return nil, nil
	}
	return wrap(h), nil
}

// SetParent makes parent g's parent: where g's result goes when it
// finishes. Both must belong to the calling thread (ErrThread), parent
// must not be g or have g among its ancestors (ErrCycle), and g must not
// be a main greenlet (ErrMain).
func (g *Greenlet) SetParent(parent *Greenlet) error {
	rc := C.gg_set_parent(handle(g), handle(parent))
	runtime.KeepAlive(g)
	runtime.KeepAlive(parent)
	return errOf(rc)
}

// Same reports whether g and o are handles to the same greenlet.
func (g *Greenlet) Same(o *Greenlet) (bool, error) {
	rc := C.gg_same(handle(g), handle(o))
	runtime.KeepAlive(g)
	runtime.KeepAlive(o)
	if rc < 0 {
		return false, errOf(rc)
	}
	return rc != 0, nil
}

// Close releases the handle's reference. If it was the last one and the
// greenlet is suspended, the greenlet is killed first (the exit error is
// thrown into its body, which runs its cleanup now, on this thread). A
// second Close returns ErrClosed; a Close from another thread returns
// ErrThread and changes nothing.
func (g *Greenlet) Close() error {
	rc := C.gg_close(handle(g))
	runtime.KeepAlive(g)
	return errOf(rc)
}

// Reap releases, on the calling thread, the greenlets whose handles
// became unreachable without Close and were handed to this thread, and
// returns how many. Every call into this package from the thread does
// the same first, so Reap is only needed by a thread that wants its
// garbage killed without making another call.
func Reap() (int, error) {
	rc := C.gg_reap()
	if rc < 0 {
		return 0, errOf(rc)
	}
	return int(rc), nil
}

// HookFunc is a libgreen hook: a pointer to a C function of type
//
//	void hook(void *data, int event, int phase, green_t *origin, green_t *target);
//
// (green_hook_fn in green.h). Hooks run on greenlet stacks, in the middle
// of switches, so like bodies they can only be C functions; a hook must
// not call Go.
type HookFunc struct {
	fn unsafe.Pointer
}

// HookFuncOf wraps a pointer to a C green_hook_fn.
func HookFuncOf(cfn unsafe.Pointer) HookFunc { return HookFunc{cfn} }

// AddHook adds a hook to the calling OS thread (hooks are per thread):
// it is called with data before and after every switch and throw that
// changes the thread's running greenlet. ErrInvalid for a nil function,
// ErrNoMem when the thread has GREEN_HOOKS_MAX hooks.
func AddHook(hook HookFunc, data uintptr) error {
	return errOf(C.gg_hook(1, hook.fn, C.uintptr_t(data)))
}

// RemoveHook removes the calling thread's first hook equal to (hook,
// data). ErrInvalid if there is none.
func RemoveHook(hook HookFunc, data uintptr) error {
	return errOf(C.gg_hook(0, hook.fn, C.uintptr_t(data)))
}

// droppedHandles is the number of handles that cleanups released (handed
// to their owner threads), all threads together, since the start.
func droppedHandles() int { return int(C.gg_dropped()) }

// Version returns the version of the libgreen loaded at run time.
func Version() string { return C.GoString(C.green_version_string()) }

// cgoNoop is one cgo call into libgreen that does nothing: the floor under
// every call of the binding, measured beside the switch benchmark.
func cgoNoop() int { return int(C.green_version()) }
