// SPDX-License-Identifier: MIT

package green_test

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"libgreen.dev/green"
	"libgreen.dev/green/internal/callsgo"
)

// A C body that calls Go does not get to run Go code on its greenlet
// stack: every call of the binding that can run a body is marked
// nocallback, so the runtime panics at the callback's entry, before the
// Go function runs. Unwinding that panic needs the thread's system
// stack, which the greenlet switch moved, so the runtime then dies with
// "fatal error: morestack on g0": either way the process stops, loudly,
// without running the callback. The test runs in a child process.
func TestCallbackIntoGoIsRefused(t *testing.T) {
	if os.Getenv("GREEN_TEST_CALLBACK_CHILD") == "1" {
		runtime.LockOSThread()
		g, err := green.NewGreenlet(callsgo.Body, nil)
		if err != nil {
			t.Fatal(err)
		}
		g.Switch(1)
		if callsgo.Called {
			t.Log("callback ran on a greenlet stack")
		}
		return // reached only if the callback was let through
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCallbackIntoGoIsRefused$")
	cmd.Env = append(os.Environ(), "GREEN_TEST_CALLBACK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child exited normally:\n%s", out)
	}
	if !strings.Contains(string(out), "nocallback called back into Go") &&
		!strings.Contains(string(out), "fatal error: morestack on g0") {
		t.Fatalf("the child failed another way (%v):\n%s", err, out)
	}
	if strings.Contains(string(out), "callback ran") {
		t.Fatal("the Go callback ran")
	}
}
