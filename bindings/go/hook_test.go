// SPDX-License-Identifier: MIT

package green_test

import (
	"testing"

	"libgreen.dev/green"
	"libgreen.dev/green/bodies"
)

func TestHooks(t *testing.T) {
	locked(func() {
		data, start := bodies.HookCounter(0)
		if err := green.AddHook(bodies.CountingHook, data); err != nil {
			t.Fatal(err)
		}
		g := mk(t, bodies.Echo, nil)
		defer g.Close()
		for i := range 3 {
			g.Switch(uintptr(i)) // there and back: two switches
		}
		if _, n := bodies.HookCounter(0); n-start != 6 {
			t.Errorf("hook saw %d switches, want 6", n-start)
		}
		if err := green.RemoveHook(bodies.CountingHook, data); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "second RemoveHook", green.RemoveHook(bodies.CountingHook, data), green.ErrInvalid)
		g.Switch(9)
		if _, n := bodies.HookCounter(0); n-start != 6 {
			t.Errorf("a removed hook still counts: %d", n-start)
		}
		wantErr(t, "nil hook", green.AddHook(green.HookFuncOf(nil), 0), green.ErrInvalid)
	})
	// Hooks are per thread: one added here does not see another thread.
	data, start := bodies.HookCounter(1)
	locked(func() {
		if err := green.AddHook(bodies.CountingHook, data); err != nil {
			t.Fatal(err)
		}
	})
	locked(func() {
		g := mk(t, bodies.Echo, nil)
		defer g.Close()
		g.Switch(1)
	})
	if _, n := bodies.HookCounter(1); n != start {
		t.Errorf("a hook of another thread counted %d", n-start)
	}
}
