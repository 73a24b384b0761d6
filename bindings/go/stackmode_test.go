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
