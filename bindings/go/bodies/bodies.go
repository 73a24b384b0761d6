// SPDX-License-Identifier: MIT

// Package bodies holds small greenlet bodies written in C, ready to use
// with package green: a generator counting up, an echo, an accumulator,
// one that catches thrown payloads, and two that finish at once. They are
// what the tests, the examples and the benchmark run, and models for
// writing your own: a body is C code, and so is everything it calls.
package bodies

/*
#cgo pkg-config: green
#include "bodies.h"
*/
import "C"

import (
	"unsafe"

	"libgreen.dev/green"
)

var (
	// Counter yields 1, 2, ..., n for a start value n, then returns n.
	// Killed, it counts a cleanup and returns the last count it yielded.
	// A thrown payload ends it, thrown on to its parent.
	Counter = green.RunFuncOf(unsafe.Pointer(C.gb_counter))
	// Echo switches every value it receives back to its parent. A thrown
	// payload ends it, thrown on; exit ends it with the exit payload as
	// its result.
	Echo = green.RunFuncOf(unsafe.Pointer(C.gb_echo))
	// Accumulator switches back the running total of the start value and
	// every value sent to it. Killed, it counts a cleanup and returns the
	// total.
	Accumulator = green.RunFuncOf(unsafe.Pointer(C.gb_accumulator))
	// Catcher answers a value v with v+1 and a thrown payload p with
	// p+1000, and goes on. Killed, it counts a cleanup and returns the
	// exit payload.
	Catcher = green.RunFuncOf(unsafe.Pointer(C.gb_catcher))
	// Doubler returns twice its start value at once.
	Doubler = green.RunFuncOf(unsafe.Pointer(C.gb_doubler))
	// Thrower returns its start value at once as an error payload.
	Thrower = green.RunFuncOf(unsafe.Pointer(C.gb_thrower))
	// Words is a tokenizer written as a generator: its start value is a
	// NUL-terminated C string (see CString); it yields each
	// space-separated word as offset<<32 | length and returns the number
	// of words.
	Words = green.RunFuncOf(unsafe.Pointer(C.gb_words))
)

// Cleanups is how many times a body (Counter, Accumulator, Catcher) ran
// its cleanup after being killed, in the whole process.
func Cleanups() int { return int(C.gb_cleanups()) }

// CleanupThread is the OS thread id (gettid) of the last cleanup.
func CleanupThread() int { return int(C.gb_cleanup_tid()) }

// Cell returns the address of a word of static C memory: a pointer that
// may be passed through greenlets without breaking the cgo rules.
func Cell() unsafe.Pointer { return C.gb_cell() }

// CountingHook is a C hook that counts the switches and throws it sees
// complete, in the C long its data points to (see HookCounter).
var CountingHook = green.HookFuncOf(unsafe.Pointer(C.gb_counting_hook))

// HookCounter returns the address of counter i (0 to 3), in C memory, to
// pass as the data of CountingHook, and its current value.
func HookCounter(i int) (data uintptr, count int) {
	p := C.gb_hook_counter(C.int(i))
	return uintptr(p), int(*(*C.long)(p))
}

// CString copies s into C memory, for Words. Free it with Free.
func CString(s string) unsafe.Pointer { return unsafe.Pointer(C.CString(s)) }

// Free frees C memory from CString.
func Free(p unsafe.Pointer) { C.free(p) }
