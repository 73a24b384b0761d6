// SPDX-License-Identifier: MIT

package green_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"libgreen.dev/green"
	"libgreen.dev/green/bodies"
)

func vmSize() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmSize")
}

// A stack that cannot be mapped gives ErrNoStack and changes nothing. The
// address space is limited in a child process, so that nothing else is
// disturbed.
func TestNoStack(t *testing.T) {
	if os.Getenv("GREEN_TEST_NOSTACK_CHILD") == "1" {
		runtime.LockOSThread()
		small, err := green.NewGreenlet(bodies.Echo, &green.Options{StackMode: green.GuardedStack})
		if err != nil {
			t.Fatal(err)
		}
		big, err := green.NewGreenlet(bodies.Echo, &green.Options{StackSize: 1 << 30, StackMode: green.GuardedStack})
		if err != nil {
			t.Fatal(err)
		}
		vm, err := vmSize()
		if err != nil {
			t.Skip(err)
		}
		lim := &syscall.Rlimit{Cur: vm + 256<<20, Max: vm + 256<<20}
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, lim); err != nil {
			t.Skip(err)
		}
		_, err = big.Switch(1)
		st, _ := big.State()
		v, err2 := small.Switch(2)
		fmt.Printf("big: %v %v; small: %d %v\n", err == green.ErrNoStack, st, v, err2)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoStack$", "-test.v")
	cmd.Env = append(os.Environ(), "GREEN_TEST_NOSTACK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), "--- SKIP") {
		t.Skipf("cannot limit the address space:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "big: true new; small: 2 <nil>") {
		t.Fatalf("child (%v):\n%s", err, out)
	}
}
