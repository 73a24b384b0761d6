// SPDX-License-Identifier: MIT

// gospawn: the Go anchor of the spawn+join benchmark: start a goroutine
// that returns a value over a channel, and receive it.
package main

import (
	"fmt"
	"runtime"
	"sort"
	"time"
)

func main() {
	const n = 200000
	ch := make(chan int)
	f := func(v int) { ch <- v }
	for i := 0; i < 10000; i++ { // warm up
		go f(i)
		<-ch
	}
	runtime.GC()
	// The median of 5 runs, as the C side reports.
	var runs []float64
	for r := 0; r < 5; r++ {
		t0 := time.Now()
		sum := 0
		for i := 0; i < n; i++ {
			go f(i)
			sum += <-ch
		}
		runs = append(runs, float64(time.Since(t0).Nanoseconds())/n)
		if sum != n*(n-1)/2 {
			panic("lost results")
		}
	}
	sort.Float64s(runs)
	fmt.Printf("spawn+join ns=%.1f\n", runs[2])
}
