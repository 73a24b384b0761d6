// SPDX-License-Identifier: MIT

// loadgen: the one load generator used for every echo server of the hub
// benchmark. It opens -conns TCP connections to -addr (loopback), waits
// until all are connected, then each connection sends a -size byte message
// and reads the echo back, over and over, for -duration. It prints one line:
//
//	conns=1000 duration=5.00s roundtrips=123456 rate=24691 errors=0 server_cpu=2.10s per_cpu_s=58788
//
// With -pid, it also reads the server's CPU time (user + system, from
// /proc/PID/stat) at the start and the end of the measured time, and
// reports the round trips per second of server CPU: a figure that holds
// even when other programs share the machine.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cpuSeconds is the user+system CPU time of process pid, or -1.
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	// After the command: state is field 3 of stat(5), utime 14, stime 15.
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "server address (loopback)")
	conns := flag.Int("conns", 1000, "concurrent connections")
	size := flag.Int("size", 64, "message size in bytes")
	duration := flag.Duration("duration", 5*time.Second, "measured time")
	pid := flag.Int("pid", 0, "server process id, to report its CPU time")
	flag.Parse()
	if *conns < 1 || *conns > 20000 || *size < 1 || *size > 65536 ||
		*duration <= 0 || *duration > 5*time.Minute {
		fmt.Fprintln(os.Stderr, "loadgen: arguments out of range")
		os.Exit(2)
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		fmt.Fprintln(os.Stderr, "loadgen: loopback addresses only")
		os.Exit(2)
	}

	cs := make([]net.Conn, *conns)
	for i := range cs {
		var c net.Conn
		for try := 0; ; try++ {
			c, err = net.DialTimeout("tcp", *addr, 5*time.Second)
			if err == nil || try == 50 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: connect:", err)
			os.Exit(1)
		}
		cs[i] = c
	}

	var total, errors atomic.Int64
	var stop atomic.Bool
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			msg := make([]byte, *size)
			for i := range msg {
				msg[i] = byte('a' + i%26)
			}
			back := make([]byte, *size)
			n := int64(0)
			<-start
			for !stop.Load() {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write(msg); err != nil {
					errors.Add(1)
					break
				}
				if _, err := io.ReadFull(c, back); err != nil {
					errors.Add(1)
					break
				}
				if back[0] != msg[0] || back[*size-1] != msg[*size-1] {
					errors.Add(1)
					break
				}
				n++
			}
			total.Add(n)
		}(c)
	}
	cpu0 := cpuSeconds(*pid)
	t0 := time.Now()
	close(start)
	time.Sleep(*duration)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0).Seconds()
	cpu1 := cpuSeconds(*pid)
	for _, c := range cs {
		c.Close()
	}
	fmt.Printf("conns=%d duration=%.2fs roundtrips=%d rate=%.0f errors=%d",
		*conns, elapsed, total.Load(), float64(total.Load())/elapsed, errors.Load())
	if cpu0 >= 0 && cpu1 > cpu0 {
		fmt.Printf(" server_cpu=%.2fs per_cpu_s=%.0f", cpu1-cpu0,
			float64(total.Load())/(cpu1-cpu0))
	}
	fmt.Println()
}
