// SPDX-License-Identifier: MIT

package green_test

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"weak"

	"libgreen.dev/green"
	"libgreen.dev/green/bodies"
)

// locked runs f on a fresh goroutine locked to its OS thread; the thread
// ends with the goroutine.
func locked(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		f()
	}()
	<-done
}

func mk(t *testing.T, body green.RunFunc, opts *green.Options) *green.Greenlet {
	t.Helper()
	g, err := green.NewGreenlet(body, opts)
	if err != nil {
		t.Fatalf("NewGreenlet: %v", err)
	}
	return g
}

func state(t *testing.T, g *green.Greenlet) green.State {
	t.Helper()
	s, err := g.State()
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return s
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func TestValuesInAndOut(t *testing.T) {
	locked(func() {
		g := mk(t, bodies.Accumulator, nil)
		defer g.Close()
		if s := state(t, g); s != green.New {
			t.Errorf("state before start = %v", s)
		}
		steps := []struct{ send, want uintptr }{{10, 10}, {5, 15}, {0, 15}, {100, 115}}
		for _, st := range steps {
			got, err := g.Switch(st.send)
			if err != nil || got != st.want {
				t.Fatalf("Switch(%d) = %d, %v; want %d", st.send, got, err, st.want)
			}
			if s := state(t, g); s != green.Suspended {
				t.Errorf("state after a yield = %v", s)
			}
		}
		n, err := g.SwitchInt(-15)
		if err != nil || n != 100 {
			t.Errorf("SwitchInt(-15) = %d, %v; want 100", n, err)
		}

		e := mk(t, bodies.Echo, nil)
		defer e.Close()
		cell := bodies.Cell()
		p, err := e.SwitchPointer(cell)
		if err != nil || p != cell {
			t.Errorf("SwitchPointer echoed %p, %v; want %p", p, err, cell)
		}
		p, err = e.SwitchPointer(nil)
		if err != nil || p != nil {
			t.Errorf("SwitchPointer(nil) = %p, %v", p, err)
		}
	})
}

func TestGeneratorIterator(t *testing.T) {
	locked(func() {
		gen, err := green.NewGenerator(bodies.Counter, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := slices.Collect(gen.All())
		if !slices.Equal(got, []uintptr{1, 2, 3, 4, 5}) {
			t.Errorf("yielded %v", got)
		}
		if r, ok := gen.Result(); !ok || r != 5 || gen.Err() != nil {
			t.Errorf("Result = %d, %v; Err = %v", r, ok, gen.Err())
		}
		if s := state(t, gen.Greenlet()); s != green.Dead {
			t.Errorf("state after the end = %v", s)
		}
		if _, ok := gen.Next(0); ok {
			t.Error("Next after the end reported a value")
		}
		gen.Close()

		// Breaking out leaves it suspended; a second range goes on; Close
		// kills it and its cleanup runs.
		before := bodies.Cleanups()
		gen, _ = green.NewGenerator(bodies.Counter, 100, nil)
		var first []uintptr
		for v := range gen.All() {
			first = append(first, v)
			if v == 3 {
				break
			}
		}
		next, _ := gen.Next(0)
		if !slices.Equal(first, []uintptr{1, 2, 3}) || next != 4 {
			t.Errorf("first %v then %d", first, next)
		}
		if err := gen.Close(); err != nil {
			t.Fatal(err)
		}
		if bodies.Cleanups() != before+1 {
			t.Errorf("closing a suspended generator ran %d cleanups", bodies.Cleanups()-before)
		}

		// A generator whose body fails reports it through Err.
		gen, _ = green.NewGenerator(bodies.Thrower, 77, nil)
		defer gen.Close()
		if vals := slices.Collect(gen.All()); len(vals) != 0 {
			t.Errorf("thrower yielded %v", vals)
		}
		var te *green.ThrownError
		if !errors.As(gen.Err(), &te) || te.Payload != 77 || te.Exit {
			t.Errorf("Err = %v", gen.Err())
		}
		if _, ok := gen.Result(); ok {
			t.Error("a failed generator has a result")
		}
	})
}

func TestThrow(t *testing.T) {
	locked(func() {
		before := bodies.Cleanups()
		c := mk(t, bodies.Catcher, nil)
		defer c.Close()
		if v, err := c.Switch(0); err != nil || v != 1 {
			t.Fatalf("start: %d, %v", v, err)
		}
		if v, err := c.Throw(7); err != nil || v != 1007 {
			t.Errorf("Throw(7) into the catcher = %d, %v; want 1007", v, err)
		}
		if v, err := c.Switch(1); err != nil || v != 2 {
			t.Errorf("Switch after the catch = %d, %v", v, err)
		}
		// Exit reaching the top is an ordinary result for the parent.
		if v, err := c.ThrowExit(3); err != nil || v != 3 {
			t.Errorf("ThrowExit(3) = %d, %v; want 3, nil", v, err)
		}
		if s := state(t, c); s != green.Dead {
			t.Errorf("state after the kill = %v", s)
		}
		if bodies.Cleanups() != before+1 {
			t.Error("the kill ran no cleanup")
		}

		// A body that does not catch passes the error on to its parent.
		e := mk(t, bodies.Echo, nil)
		defer e.Close()
		e.Switch(0)
		v, err := e.Throw(9)
		var te *green.ThrownError
		if !errors.As(err, &te) || te.Payload != 9 || te.Exit || v != 9 {
			t.Errorf("Throw through the echo = %d, %v", v, err)
		}
		wantErr(t, "thrown payload", err, green.ErrThrown)
		if errors.Is(err, green.ErrExit) {
			t.Error("an ordinary payload matches ErrExit")
		}

		// Into a greenlet that never started: it dies unstarted and the
		// error comes straight back to the caller, its parent.
		n := mk(t, bodies.Counter, nil)
		defer n.Close()
		if _, err := n.Throw(5); !errors.As(err, &te) || te.Payload != 5 {
			t.Errorf("Throw into a new greenlet = %v", err)
		}
		if s := state(t, n); s != green.Dead {
			t.Errorf("state = %v", s)
		}
		n2 := mk(t, bodies.Counter, nil)
		defer n2.Close()
		if v, err := n2.ThrowExit(6); err != nil || v != 6 {
			t.Errorf("ThrowExit into a new greenlet = %d, %v", v, err)
		}

		// A body returning GREEN_THROWN.
		th := mk(t, bodies.Thrower, nil)
		defer th.Close()
		if _, err := th.Switch(12); !errors.As(err, &te) || te.Payload != 12 {
			t.Errorf("Thrower = %v", err)
		}

		// The exit error can be caught and reported as ErrExit: release
		// of an echo's own parent is not reachable from Go, so check
		// the error value directly.
		wantErr(t, "exit", &green.ThrownError{Exit: true}, green.ErrExit)
	})
}

func TestParents(t *testing.T) {
	locked(func() {
		main, err := green.Main()
		if err != nil {
			t.Fatal(err)
		}
		defer main.Close()
		cur, _ := green.Current()
		defer cur.Close()
		if same, err := cur.Same(main); err != nil || !same {
			t.Errorf("Current is not Main from Go: %v, %v", same, err)
		}
		if m, err := main.IsMain(); err != nil || !m {
			t.Errorf("IsMain(main) = %v, %v", m, err)
		}
		if p, err := main.Parent(); err != nil || p != nil {
			t.Errorf("main's parent = %v, %v", p, err)
		}
		wantErr(t, "ThrowExit(main)", func() error { _, err := main.ThrowExit(0); return err }(), green.ErrMain)

		a := mk(t, bodies.Echo, nil)
		defer a.Close()
		pa, err := a.Parent()
		if err != nil {
			t.Fatal(err)
		}
		if same, _ := pa.Same(main); !same {
			t.Error("default parent is not the main greenlet")
		}
		pa.Close()
		if m, _ := a.IsMain(); m {
			t.Error("IsMain of a created greenlet")
		}

		// b's result goes to its parent a, which echoes it to main.
		a.Switch(0)
		b := mk(t, bodies.Doubler, &green.Options{Parent: a})
		defer b.Close()
		if v, err := b.Switch(21); err != nil || v != 42 {
			t.Errorf("result through parent = %d, %v; want 42", v, err)
		}
		if s := state(t, b); s != green.Dead {
			t.Errorf("b = %v", s)
		}

		// SetParent to a: the same route.
		c := mk(t, bodies.Doubler, nil)
		defer c.Close()
		if err := c.SetParent(a); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Switch(50); err != nil || v != 100 {
			t.Errorf("after SetParent = %d, %v", v, err)
		}

		// A cycle is refused and changes nothing.
		d := mk(t, bodies.Echo, nil)
		defer d.Close()
		e := mk(t, bodies.Echo, &green.Options{Parent: d})
		defer e.Close()
		wantErr(t, "cycle", d.SetParent(e), green.ErrCycle)
		wantErr(t, "self parent", d.SetParent(d), green.ErrCycle)
		pd, _ := d.Parent()
		if same, _ := pd.Same(main); !same {
			t.Error("a refused SetParent changed the parent")
		}
		pd.Close()
		wantErr(t, "SetParent(main)", main.SetParent(d), green.ErrMain)
		wantErr(t, "SetParent(nil)", d.SetParent(nil), green.ErrInvalid)

		// A dead parent: the result goes to the first live ancestor.
		f := mk(t, bodies.Doubler, &green.Options{Parent: b}) // b is dead, its parent a lives
		defer f.Close()
		if v, err := f.Switch(4); err != nil || v != 8 {
			t.Errorf("via dead parent = %d, %v", v, err)
		}
	})
}

func TestDead(t *testing.T) {
	locked(func() {
		g := mk(t, bodies.Doubler, nil)
		defer g.Close()
		if v, err := g.Switch(3); err != nil || v != 6 {
			t.Fatalf("Doubler = %d, %v", v, err)
		}
		_, err := g.Switch(1)
		wantErr(t, "Switch to dead", err, green.ErrDead)
		if s := state(t, g); s != green.Dead {
			t.Errorf("state = %v", s)
		}
		// A throw into a dead greenlet goes to its first live ancestor,
		// the caller here: it comes back at once.
		var te *green.ThrownError
		if _, err := g.Throw(8); !errors.As(err, &te) || te.Payload != 8 {
			t.Errorf("Throw into dead = %v", err)
		}
		// Exit would reach main, the first live ancestor: a main greenlet
		// cannot be killed, so nothing happens.
		_, err = g.ThrowExit(4)
		wantErr(t, "exit into dead child of main", err, green.ErrMain)
	})
}

func TestWrongThread(t *testing.T) {
	a, b := green.NewThread(), green.NewThread()
	defer a.Close()
	defer b.Close()
	var g, started *green.Greenlet
	err := a.Do(func() (err error) {
		if g, err = green.NewGreenlet(bodies.Accumulator, nil); err != nil {
			return err
		}
		if started, err = green.NewGreenlet(bodies.Accumulator, nil); err != nil {
			return err
		}
		_, err = started.Switch(10)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Do(func() error {
		if g.OwnedHere() {
			t.Error("OwnedHere on another thread")
		}
		calls := map[string]error{}
		_, calls["Switch"] = g.Switch(1)
		_, calls["SwitchInt"] = g.SwitchInt(1)
		_, calls["SwitchPointer"] = g.SwitchPointer(nil)
		_, calls["Throw"] = started.Throw(1)
		_, calls["ThrowExit"] = started.ThrowExit(1)
		_, calls["State"] = g.State()
		_, calls["IsMain"] = g.IsMain()
		_, calls["Parent"] = g.Parent()
		calls["SetParent"] = g.SetParent(started)
		_, calls["Same"] = g.Same(started)
		calls["Close"] = started.Close()
		_, calls["NewGreenlet(parent elsewhere)"] = green.NewGreenlet(bodies.Echo, &green.Options{Parent: g})
		local, err := green.NewGreenlet(bodies.Echo, nil)
		if err != nil {
			return err
		}
		calls["SetParent(parent elsewhere)"] = local.SetParent(g)
		local.Close()
		for name, err := range calls {
			wantErr(t, name+" from another thread", err, green.ErrThread)
		}
		return nil
	})
	// The test goroutine is a third thread (or a random one): same answer.
	if _, err := g.State(); !errors.Is(err, green.ErrThread) {
		t.Errorf("State from an unlocked goroutine: %v", err)
	}
	// Nothing changed: on its own thread g is still new, started is still
	// suspended with its total, and both handles are open.
	err = a.Do(func() error {
		if !g.OwnedHere() || !started.OwnedHere() {
			t.Error("not OwnedHere on the owner thread")
		}
		if s := state(t, g); s != green.New {
			t.Errorf("g = %v", s)
		}
		if v, err := started.Switch(5); err != nil || v != 15 {
			t.Errorf("started continues with %d, %v; want 15", v, err)
		}
		if err := g.Close(); err != nil {
			return err
		}
		return started.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGeneratorWrongThread(t *testing.T) {
	a := green.NewThread()
	defer a.Close()
	var gen *green.Generator
	a.Do(func() (err error) {
		gen, err = green.NewGenerator(bodies.Counter, 3, nil)
		gen.Next(0)
		return err
	})
	locked(func() {
		if _, ok := gen.Next(0); ok || gen.Err() != green.ErrThread {
			t.Errorf("Next from another thread: ok %v, err %v", ok, gen.Err())
		}
	})
	a.Do(func() error {
		got := slices.Collect(gen.All())
		if !slices.Equal(got, []uintptr{2, 3}) {
			t.Errorf("after a refused call the generator goes on with %v", got)
		}
		return gen.Close()
	})
}

func TestMisuse(t *testing.T) {
	locked(func() {
		var nilG *green.Greenlet
		_, err := nilG.Switch(1)
		wantErr(t, "nil Switch", err, green.ErrInvalid)
		_, err = nilG.State()
		wantErr(t, "nil State", err, green.ErrInvalid)
		wantErr(t, "nil Close", nilG.Close(), green.ErrInvalid)
		_, err = green.NewGreenlet(green.RunFuncOf(nil), nil)
		wantErr(t, "nil body", err, green.ErrInvalid)
		_, err = green.NewGreenlet(bodies.Echo, &green.Options{StackSize: 1})
		wantErr(t, "tiny stack", err, green.ErrInvalid)
		_, err = green.NewGreenlet(bodies.Echo, &green.Options{StackSize: -1})
		wantErr(t, "negative stack", err, green.ErrInvalid)
		_, err = green.NewGreenlet(bodies.Echo, &green.Options{Parent: &green.Greenlet{}})
		wantErr(t, "zero parent", err, green.ErrInvalid)

		orig := mk(t, bodies.Echo, nil)
		cp := *orig
		_, err = cp.Switch(1)
		wantErr(t, "copied Greenlet", err, green.ErrInvalid)
		wantErr(t, "Close of a copy", cp.Close(), green.ErrInvalid)
		if s := state(t, orig); s != green.New {
			t.Errorf("the original changed: %v", s)
		}
		orig.Close()

		big := mk(t, bodies.Echo, &green.Options{StackSize: 1 << 20})
		if v, err := big.Switch(4); err != nil || v != 4 {
			t.Errorf("1 MiB stack: %d, %v", v, err)
		}
		big.Close()

		g := mk(t, bodies.Echo, nil)
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"Close":     g.Close(),
			"Switch":    func() error { _, err := g.Switch(1); return err }(),
			"Throw":     func() error { _, err := g.Throw(1); return err }(),
			"State":     func() error { _, err := g.State(); return err }(),
			"Parent":    func() error { _, err := g.Parent(); return err }(),
			"SetParent": g.SetParent(nil),
		} {
			wantErr(t, name+" after Close", err, green.ErrClosed)
			wantErr(t, name+" after Close", err, green.ErrInvalid)
		}
		p := mk(t, bodies.Echo, nil)
		_, err = green.NewGreenlet(bodies.Echo, &green.Options{Parent: g})
		wantErr(t, "closed parent", err, green.ErrClosed)
		wantErr(t, "closed new parent", p.SetParent(g), green.ErrClosed)
		p.Close()
	})
}

func TestErrors(t *testing.T) {
	want := map[*green.Error]int{
		green.ErrInvalid: -1, green.ErrNoMem: -2, green.ErrDead: -3, green.ErrThread: -4,
		green.ErrCycle: -5, green.ErrMain: -6, green.ErrNoStack: -7, green.ErrBusy: -8,
	}
	names := map[int]string{
		-1: "GREEN_EINVAL", -2: "GREEN_ENOMEM", -3: "GREEN_EDEAD", -4: "GREEN_ETHREAD",
		-5: "GREEN_ECYCLE", -6: "GREEN_EMAIN", -7: "GREEN_ENOSTACK", -8: "GREEN_EBUSY",
	}
	seen := map[string]bool{}
	for e, code := range want {
		if e.Code() != code {
			t.Errorf("%v: code %d, want %d", e, e.Code(), code)
		}
		// Names and messages come from libgreen (green_error_name).
		if name := names[code]; !strings.HasSuffix(e.Error(), "("+name+")") {
			t.Errorf("%v: message does not end with (%s)", e, name)
		}
		if seen[e.Error()] {
			t.Errorf("duplicate message %q", e.Error())
		}
		seen[e.Error()] = true
		if errors.Is(e, green.ErrClosed) {
			t.Errorf("%v matches ErrClosed", e)
		}
	}
	if green.Version() == "" {
		t.Error("no version")
	}
}

func TestCloseKills(t *testing.T) {
	locked(func() {
		before := bodies.Cleanups()
		g := mk(t, bodies.Accumulator, nil)
		g.Switch(1)
		other, _ := g.Parent() // a second handle to main, unrelated
		defer other.Close()
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
		if bodies.Cleanups() != before+1 {
			t.Error("closing the last handle of a suspended greenlet ran no cleanup")
		}
		if bodies.CleanupThread() != syscall.Gettid() {
			t.Error("the cleanup ran on another thread")
		}
		// Two handles: the greenlet dies with the last one.
		g = mk(t, bodies.Catcher, nil)
		g.Switch(0)
		h, _ := green.Current()
		defer h.Close()
		p := mk(t, bodies.Echo, &green.Options{Parent: g})
		g2, _ := p.Parent() // a second handle to g
		p.Close()
		g.Close()
		if bodies.Cleanups() != before+1 {
			t.Error("killed while a handle remains")
		}
		if s := state(t, g2); s != green.Suspended {
			t.Errorf("state through the second handle = %v", s)
		}
		g2.Close()
		if bodies.Cleanups() != before+2 {
			t.Error("not killed with the last handle")
		}
		// A child holds a reference to its parent: the parent dies when
		// the child goes.
		a := mk(t, bodies.Accumulator, nil)
		a.Switch(0)
		b := mk(t, bodies.Doubler, &green.Options{Parent: a})
		a.Close()
		if bodies.Cleanups() != before+2 {
			t.Error("killed while its child refers to it")
		}
		b.Close()
		if bodies.Cleanups() != before+3 {
			t.Error("not killed when its last child went")
		}
	})
}

// waitDropped runs GC until cleanups have released at least n handles
// (handed them to their owner threads), or fails after a while.
func waitDropped(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for green.DroppedHandles() < n {
		if time.Now().After(deadline) {
			t.Fatalf("cleanups released %d handles, want %d", green.DroppedHandles(), n)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

func TestCleanupHandsReleaseToOwner(t *testing.T) {
	th := green.NewThread()
	defer th.Close()
	var tid int
	before := bodies.Cleanups()
	base := green.DroppedHandles()
	th.Do(func() error {
		tid = syscall.Gettid()
		g := mk(t, bodies.Catcher, nil)
		_, err := g.Switch(0) // suspended, then dropped without Close
		return err
	})
	waitDropped(t, base+1)
	time.Sleep(20 * time.Millisecond)
	if bodies.Cleanups() != before {
		t.Fatal("the kill ran before the owner thread called in")
	}
	th.Do(func() error { return nil }) // Do releases first
	if bodies.Cleanups() != before+1 {
		t.Errorf("Do released %d", bodies.Cleanups()-before)
	}
	if bodies.CleanupThread() != tid {
		t.Errorf("cleanup on thread %d, owner is %d", bodies.CleanupThread(), tid)
	}

	// Without Reap: any call from the owner thread releases first.
	th.Do(func() error {
		g := mk(t, bodies.Accumulator, nil)
		_, err := g.Switch(0)
		return err
	})
	waitDropped(t, base+2)
	locked(func() {
		// Another thread's calls do not release it.
		g := mk(t, bodies.Echo, nil)
		g.Switch(1)
		g.Close()
	})
	if bodies.Cleanups() != before+1 {
		t.Fatal("released by a call from another thread")
	}
	th.Do(func() error {
		g := mk(t, bodies.Echo, nil) // any call
		return g.Close()
	})
	if bodies.Cleanups() != before+2 || bodies.CleanupThread() != tid {
		t.Errorf("the next call did not release on the owner: cleanups %d", bodies.Cleanups()-before)
	}
}

func TestReap(t *testing.T) {
	locked(func() {
		before := bodies.Cleanups()
		base := green.DroppedHandles()
		func() {
			g := mk(t, bodies.Counter, nil)
			g.Switch(10)
		}()
		waitDropped(t, base+1)
		if bodies.Cleanups() != before {
			t.Fatal("killed before Reap")
		}
		n, err := green.Reap()
		if err != nil || n != 1 || bodies.Cleanups() != before+1 {
			t.Errorf("Reap = %d, %v; cleanups %d", n, err, bodies.Cleanups()-before)
		}
		if n, _ := green.Reap(); n != 0 {
			t.Errorf("second Reap = %d", n)
		}
	})
}

func TestThreadEnd(t *testing.T) {
	th := green.NewThread()
	var g, n *green.Greenlet
	before := bodies.Cleanups()
	th.Do(func() (err error) {
		if n, err = green.NewGreenlet(bodies.Echo, nil); err != nil {
			return err
		}
		g, err = green.NewGreenlet(bodies.Accumulator, nil)
		g.Switch(1)
		return err
	})
	th.Close()
	if err := th.Do(func() error { return nil }); err != green.ErrThreadClosed {
		t.Errorf("Do after Close = %v", err)
	}
	th.Close()
	if bodies.Cleanups() != before {
		t.Error("a greenlet ran when its thread ended")
	}
	// The handles outlive the thread; using them is a wrong-thread call.
	locked(func() {
		_, err := g.Switch(1)
		wantErr(t, "Switch after the owner ended", err, green.ErrThread)
		wantErr(t, "Close after the owner ended", n.Close(), green.ErrThread)
	})
	// Dropping them frees them at once, unrun: no thread is left to hand
	// them to.
	base := green.DroppedHandles()
	wg, wn := weak.Make(g), weak.Make(n)
	g, n = nil, nil
	deadline := time.Now().Add(10 * time.Second)
	for wg.Value() != nil || wn.Value() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the handles were never collected")
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	waitDropped(t, base+2)
	if bodies.Cleanups() != before {
		t.Error("a greenlet of an ended thread ran when its handle was dropped")
	}
}

func TestThreadDo(t *testing.T) {
	th := green.NewThread()
	defer th.Close()
	var outer, inner int
	err := th.Do(func() error {
		outer = syscall.Gettid()
		return th.Do(func() error {
			inner = syscall.Gettid()
			return errors.New("inner")
		})
	})
	if err == nil || err.Error() != "inner" || outer != inner {
		t.Errorf("nested Do: %v, threads %d %d", err, outer, inner)
	}
	var first, second int
	th.Do(func() error { first = syscall.Gettid(); return nil })
	th.Do(func() error { second = syscall.Gettid(); return nil })
	if first != second || first != outer {
		t.Error("Do ran on different threads")
	}
	if first == syscall.Getpid() {
		t.Error("a Thread runs on the main thread, which never ends")
	}
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("panic in Do: recovered %v", r)
		}
	}()
	th.Do(func() error { panic("boom") })
}

// A handle handed to a thread that then ends is released when it ends:
// the greenlet is killed there, its body's cleanup runs on that thread.
func TestQueuedReleaseAtThreadEnd(t *testing.T) {
	th := green.NewThread()
	base := green.DroppedHandles()
	before := bodies.Cleanups()
	var tid int
	th.Do(func() error {
		tid = syscall.Gettid()
		g := mk(t, bodies.Catcher, nil)
		_, err := g.Switch(1)
		return err
	})
	waitDropped(t, base+1)
	if bodies.Cleanups() != before {
		t.Fatal("killed before its thread called in or ended")
	}
	th.Close()
	if bodies.Cleanups() != before+1 || bodies.CleanupThread() != tid {
		t.Errorf("at thread end: cleanups %d, on thread %d (owner %d)",
			bodies.Cleanups()-before, bodies.CleanupThread(), tid)
	}
}

func TestThreadGoexitAndCloseInside(t *testing.T) {
	th := green.NewThread()
	if err := th.Do(func() error { runtime.Goexit(); return nil }); err != green.ErrGoexit {
		t.Errorf("Do with Goexit = %v", err)
	}
	if err := th.Do(func() error { return nil }); err != green.ErrThreadClosed {
		t.Errorf("Do after the thread ended = %v", err)
	}
	th.Close() // returns: the thread has ended

	th = green.NewThread()
	ran := false
	if err := th.Do(th.Close); err != nil {
		t.Errorf("Close from the thread = %v", err)
	}
	th.Close()
	if err := th.Do(func() error { ran = true; return nil }); err != green.ErrThreadClosed || ran {
		t.Errorf("Do after Close = %v (ran %v)", err, ran)
	}

	th = green.NewThread()
	defer th.Close()
	th.Do(func() error { runtime.UnlockOSThread(); return nil })
	var a, b int
	th.Do(func() error { a = syscall.Gettid(); return nil })
	runtime.Gosched()
	th.Do(func() error { b = syscall.Gettid(); return nil })
	if a != b {
		t.Error("one UnlockOSThread in a function set the thread free")
	}
}
