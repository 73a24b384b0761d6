// SPDX-License-Identifier: MIT

// Package callsgo holds a greenlet body that breaks the binding's one
// rule on purpose: it calls Go while running on its greenlet stack. The
// tests use it to show that the runtime stops the program with a clear
// panic instead of running Go code there.
package callsgo

/*
#cgo pkg-config: green
#include <green.h>
int cg_body(green_t *self, void *in, void **out);
*/
import "C"

import (
	"unsafe"

	"libgreen.dev/green"
)

// Called is set by the Go callback, should it ever run.
var Called bool

//export cgGoCallback
func cgGoCallback() { Called = true }

// Body calls cgGoCallback from its greenlet stack, then returns.
var Body = green.RunFuncOf(unsafe.Pointer(C.cg_body))
