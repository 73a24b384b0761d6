// SPDX-License-Identifier: MIT

package green_test

import (
	"errors"
	"fmt"
	"runtime"

	"libgreen.dev/green"
	"libgreen.dev/green/bodies"
)

// A C generator consumed from Go as an iterator. bodies.Counter is a C
// function that switches 1, 2, ..., n to its parent, then returns n.
func ExampleGenerator_All() {
	// Greenlets belong to an OS thread: stay on this one while using them.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	gen, err := green.NewGenerator(bodies.Counter, 4, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer gen.Close()
	for v := range gen.All() {
		fmt.Println("yielded", v)
	}
	result, _ := gen.Result()
	fmt.Println("returned", result)
	// Output:
	// yielded 1
	// yielded 2
	// yielded 3
	// yielded 4
	// returned 4
}

// A tokenizer written in C as a generator, consumed as a Go iterator of
// words.
func ExampleGenerator_All_tokenizer() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	text := "  greenlets   in C, driven from Go "
	cstr := bodies.CString(text)
	defer bodies.Free(cstr)
	gen, err := green.NewGenerator(bodies.Words, uintptr(cstr), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer gen.Close()
	words := func(yield func(string) bool) {
		for tok := range gen.All() {
			off, n := tok>>32, tok&(1<<32-1)
			if !yield(text[off : off+n]) {
				return
			}
		}
	}
	for w := range words {
		fmt.Printf("%q\n", w)
	}
	count, _ := gen.Result()
	fmt.Println(count, "words")
	// Output:
	// "greenlets"
	// "in"
	// "C,"
	// "driven"
	// "from"
	// "Go"
	// 6 words
}

// Values in and out of a C accumulator, on a dedicated thread.
func ExampleThread() {
	th := green.NewThread()
	defer th.Close()

	var acc *green.Greenlet
	err := th.Do(func() (err error) {
		acc, err = green.NewGreenlet(bodies.Accumulator, nil)
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range []int{10, 20, 12} {
		th.Do(func() error {
			total, err := acc.SwitchInt(v)
			fmt.Println("total", total, err)
			return err
		})
	}
	// From any other thread the greenlet refuses, and nothing changes.
	_, err = acc.SwitchInt(1)
	fmt.Println(errors.Is(err, green.ErrThread))
	th.Do(acc.Close)
	// Output:
	// total 10 <nil>
	// total 30 <nil>
	// total 42 <nil>
	// true
}

// Throwing into a C greenlet that catches, then killing it.
func ExampleGreenlet_Throw() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	c, _ := green.NewGreenlet(bodies.Catcher, nil)
	defer c.Close()
	v, _ := c.Switch(0)
	fmt.Println("started:", v)
	v, err := c.Throw(5) // caught: answers 5+1000
	fmt.Println("after throw:", v, err)
	v, err = c.ThrowExit(9) // exit reaching the top is a normal result
	st, _ := c.State()
	fmt.Println("after exit:", v, err, st)
	_, err = c.Switch(1)
	fmt.Println(err == green.ErrDead)
	// Output:
	// started: 1
	// after throw: 1005 <nil>
	// after exit: 9 <nil> dead
	// true
}
