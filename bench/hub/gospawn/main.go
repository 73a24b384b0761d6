// gospawn: the Go anchor of the spawn+join benchmark: start a goroutine
// that returns a value over a channel, and receive it.
package main

import (
	"fmt"
	"runtime"
	"time"
)

func main() {
	const n = 1000000
	ch := make(chan int)
	f := func(v int) { ch <- v }
	for i := 0; i < 10000; i++ { // warm up
		go f(i)
		<-ch
	}
	runtime.GC()
	t0 := time.Now()
	sum := 0
	for i := 0; i < n; i++ {
		go f(i)
		sum += <-ch
	}
	ns := float64(time.Since(t0).Nanoseconds()) / n
	if sum != n*(n-1)/2 {
		panic("lost results")
	}
	fmt.Printf("spawn+join ns=%.1f\n", ns)
}
