// SPDX-License-Identifier: MIT

package green_test

import (
	"testing"

	"libgreen.dev/green"
	"libgreen.dev/green/bodies"
)

func TestStackModes(t *testing.T) {
	locked(func() {
		for _, m := range []green.StackMode{green.GuardedStack, green.CopyStack, green.AutoStack} {
			g := mk(t, bodies.Accumulator, &green.Options{StackMode: m})
			if got, err := g.StackMode(); err != nil || got != m {
				t.Errorf("%v before start: %v, %v", m, got, err)
			}
			if v, err := g.Switch(3); err != nil || v != 3 {
				t.Errorf("%v: %d, %v", m, v, err)
			}
			want := m
			if m == green.AutoStack {
				want = green.GuardedStack // a guarded stack can be mapped here
			}
			if got, _ := g.StackMode(); got != want {
				t.Errorf("%v after start: %v, want %v", m, got, want)
			}
			g.Close()
		}
		_, err := green.NewGreenlet(bodies.Echo, &green.Options{StackMode: 7})
		wantErr(t, "unknown mode", err, green.ErrInvalid)
		wantErr(t, "SetStackMode(7)", green.SetStackMode(7, green.ThreadScope), green.ErrInvalid)
		wantErr(t, "scope 9", green.SetStackMode(green.CopyStack, 9), green.ErrInvalid)

		// The thread's default.
		g := mk(t, bodies.Echo, nil)
		g.Switch(0)
		processDefault, _ := g.StackMode()
		g.Close()
		if err := green.SetStackMode(green.CopyStack, green.ThreadScope); err != nil {
			t.Fatal(err)
		}
		g = mk(t, bodies.Echo, nil)
		g.Switch(0)
		if m, _ := g.StackMode(); m != green.CopyStack {
			t.Errorf("with the thread default set to copy: %v", m)
		}
		g.Close()
		if err := green.SetStackMode(green.DefaultStack, green.ThreadScope); err != nil {
			t.Fatal(err)
		}
		g = mk(t, bodies.Echo, nil)
		g.Switch(0)
		if m, _ := g.StackMode(); m != processDefault {
			t.Errorf("after clearing the thread default: %v, want %v", m, processDefault)
		}
		g.Close()
	})
}

// Only a copy-mode greenlet displaced from the shared stack has bytes
// saved, and only its live stack.
func TestStackSaved(t *testing.T) {
	locked(func() {
		copyOpts := &green.Options{StackMode: green.CopyStack}
		a := mk(t, bodies.Accumulator, copyOpts)
		b := mk(t, bodies.Accumulator, copyOpts)
		guarded := mk(t, bodies.Accumulator, &green.Options{StackMode: green.GuardedStack})
		defer a.Close()
		defer b.Close()
		defer guarded.Close()
		saved := func(g *green.Greenlet) int {
			n, err := g.StackSaved()
			if err != nil {
				t.Fatalf("StackSaved: %v", err)
			}
			return n
		}
		for _, g := range []*green.Greenlet{a, guarded} {
			if _, err := g.Switch(1); err != nil {
				t.Fatal(err)
			}
		}
		if n := saved(a); n != 0 {
			t.Errorf("a still on the shared stack: %d bytes saved", n)
		}
		if _, err := b.Switch(1); err != nil {
			t.Fatal(err)
		}
		if n := saved(a); n <= 0 || n > 4096 {
			t.Errorf("a displaced by b: %d bytes saved, want its live stack", n)
		}
		if n := saved(b); n != 0 {
			t.Errorf("b on the shared stack: %d bytes saved", n)
		}
		if n := saved(guarded); n != 0 {
			t.Errorf("guarded: %d bytes saved", n)
		}
		// a resumes with its value intact
		if v, err := a.Switch(2); err != nil || v != 3 {
			t.Errorf("a resumed: %d, %v, want 3", v, err)
		}
		if n := saved(b); n <= 0 {
			t.Errorf("b displaced by a: %d bytes saved", n)
		}
	})
	var nilG *green.Greenlet
	_, err := nilG.StackSaved()
	wantErr(t, "StackSaved of nil", err, green.ErrInvalid)
}

// Many copy-mode generators suspended at once, advanced in turn: each
// one's stack is copied out and back on every step.
func TestCopyStackGenerators(t *testing.T) {
	locked(func() {
		const n, steps = 1000, 20
		gens := make([]*green.Generator, n)
		for i := range gens {
			gen, err := green.NewGenerator(bodies.Counter, uintptr(steps+i), &green.Options{StackMode: green.CopyStack})
			if err != nil {
				t.Fatal(err)
			}
			gens[i] = gen
		}
		for step := uintptr(1); step <= steps; step++ {
			for i, gen := range gens {
				v, ok := gen.Next(0)
				if !ok || v != step {
					t.Fatalf("generator %d step %d: %d, %v (%v)", i, step, v, ok, gen.Err())
				}
			}
		}
		before := bodies.Cleanups()
		for _, gen := range gens {
			if err := gen.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if got := bodies.Cleanups() - before; got != n {
			t.Errorf("closing %d suspended copy-mode generators ran %d cleanups", n, got)
		}
	})
}
