// SPDX-License-Identifier: MIT

package green_test

import (
	"bytes"
	"runtime/pprof"
	"sync"
	"testing"

	"libgreen.dev/green"
	"libgreen.dev/green/bodies"
)

// Go's profiling signal lands on threads that are running C code on a
// greenlet stack; the handler must cope (it runs on the signal stack).
func TestProfilingSignalsOnGreenletStacks(t *testing.T) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		t.Skip("CPU profiling unavailable:", err)
	}
	defer pprof.StopCPUProfile()
	locked(func() {
		g := mk(t, bodies.Accumulator, nil)
		defer g.Close()
		var want uintptr
		for i := uintptr(0); i < 1000000; i++ {
			want += i
			got, err := g.Switch(i)
			if err != nil || got != want {
				t.Fatalf("step %d: %d, %v", i, got, err)
			}
		}
	})
}

// Several threads switching at once keep to their own greenlets.
func TestThreadsAreIndependent(t *testing.T) {
	const workers, steps = 4, 20000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th := green.NewThread()
			defer th.Close()
			err := th.Do(func() error {
				g, err := green.NewGreenlet(bodies.Accumulator, nil)
				if err != nil {
					return err
				}
				defer g.Close()
				sum := uintptr(w)
				if _, err := g.Switch(sum); err != nil {
					return err
				}
				for i := uintptr(1); i <= steps; i++ {
					sum += i
					got, err := g.Switch(i)
					if err != nil {
						return err
					}
					if got != sum {
						t.Errorf("worker %d step %d: %d, want %d", w, i, got, sum)
						return nil
					}
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
