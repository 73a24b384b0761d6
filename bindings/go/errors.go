// SPDX-License-Identifier: MIT

package green

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
)

// Error is a libgreen error code. For every code green.h defines, the
// package returns the matching Err* value itself, so errors.Is(err,
// ErrDead) and plain comparison both work.
type Error struct {
	code int
	name string
	text string
}

// Code is libgreen's return code (a negative GREEN_E* value).
func (e *Error) Code() int { return e.code }

// Error implements error.
func (e *Error) Error() string { return "green: " + e.text + " (" + e.name + ")" }

// newError is the error of a libgreen return code, named and described
// by libgreen itself (green_error_name, green_strerror).
func newError(code C.int) *Error {
	return &Error{int(code), C.GoString(C.green_error_name(code)), C.GoString(C.green_strerror(code))}
}

// The libgreen error codes.
var (
	// ErrInvalid: an invalid argument (nil handle, nil run function,
	// stack size out of range). GREEN_EINVAL.
	ErrInvalid = newError(C.GREEN_EINVAL)
	// ErrNoMem: out of memory. GREEN_ENOMEM.
	ErrNoMem = newError(C.GREEN_ENOMEM)
	// ErrDead: the target greenlet is dead. GREEN_EDEAD.
	ErrDead = newError(C.GREEN_EDEAD)
	// ErrThread: the greenlet belongs to another OS thread than the
	// caller. GREEN_ETHREAD.
	ErrThread = newError(C.GREEN_ETHREAD)
	// ErrCycle: the new parent would make the parent chain a cycle.
	// GREEN_ECYCLE.
	ErrCycle = newError(C.GREEN_ECYCLE)
	// ErrMain: not allowed on a main greenlet. GREEN_EMAIN.
	ErrMain = newError(C.GREEN_EMAIN)
	// ErrNoStack: no stack could be mapped. GREEN_ENOSTACK.
	ErrNoStack = newError(C.GREEN_ENOSTACK)
	// ErrBusy: not allowed now (a switch, throw or hook change inside a
	// hook). GREEN_EBUSY.
	ErrBusy = newError(C.GREEN_EBUSY)
)

// ErrClosed is returned for a handle that was closed. It matches
// ErrInvalid too: errors.Is(ErrClosed, ErrInvalid) is true.
var ErrClosed error = closedError{}

type closedError struct{}

func (closedError) Error() string        { return "green: use of a closed greenlet handle" }
func (closedError) Is(target error) bool { return target == ErrInvalid }

// ErrThrown matches (errors.Is) a *ThrownError carrying an ordinary
// error payload; ErrExit matches one carrying the exit error.
var (
	ErrThrown = errors.New("green: an error payload was thrown")
	ErrExit   = errors.New("green: the exit error was thrown")
)

// ThrownError is what a switch or throw returns when an error arrives
// instead of a value: a payload thrown with Throw (or returned by a run
// function with GREEN_THROWN), or the exit error (ThrowExit, or the
// release of the last reference to the caller).
type ThrownError struct {
	// Payload is the opaque payload, as at the C level.
	Payload uintptr
	// Exit is true for the exit error (GREEN_EXIT), false for an
	// ordinary error payload (GREEN_THROWN).
	Exit bool
}

func (e *ThrownError) Error() string {
	if e.Exit {
		return fmt.Sprintf("green: exit thrown (payload %#x)", e.Payload)
	}
	return fmt.Sprintf("green: error thrown (payload %#x)", e.Payload)
}

// Is makes errors.Is(err, ErrThrown) and errors.Is(err, ErrExit) work.
func (e *ThrownError) Is(target error) bool {
	return (target == ErrThrown && !e.Exit) || (target == ErrExit && e.Exit)
}

var codes = []*Error{ErrInvalid, ErrNoMem, ErrDead, ErrThread, ErrCycle, ErrMain, ErrNoStack, ErrBusy}

// errOf maps a negative return code to its error, nil for the others.
func errOf(rc C.int) error {
	if rc >= 0 {
		return nil
	}
	if rc == C.GG_ECLOSED {
		return ErrClosed
	}
	for _, e := range codes {
		if C.int(e.code) == rc {
			return e
		}
	}
	return newError(rc)
}

// transfer turns a switch/throw outcome into (value, error).
func transfer(rc C.int, v uintptr) (uintptr, error) {
	switch rc {
	case C.GREEN_OK:
		return v, nil
	case C.GREEN_THROWN:
		return v, &ThrownError{Payload: v}
	case C.GREEN_EXIT:
		return v, &ThrownError{Payload: v, Exit: true}
	}
	return 0, errOf(rc)
}
