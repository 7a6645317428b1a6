// many_goroutines parks a large number of goroutines in a few dozen distinct stacks and
// serves /debug/pprof on loopback, for benchmarking goroutine dump parsing (bench/stacks.sh).
//
// It prints one line when ready: READY pid=<pid> port=<port>
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
	"time"
)

var (
	mu    sync.Mutex
	block = make(chan struct{})
)

func a(depth, shape int) { descend(depth, shape) }
func b(depth, shape int) { descend(depth, shape) }
func c(depth, shape int) { descend(depth, shape) }

//go:noinline
func descend(depth, shape int) {
	if depth == 0 {
		park(shape)
		return
	}
	switch (shape + depth) % 3 {
	case 0:
		a(depth-1, shape)
	case 1:
		b(depth-1, shape)
	default:
		c(depth-1, shape)
	}
}

func park(shape int) {
	switch shape % 4 {
	case 0:
		<-block
	case 1:
		select {
		case <-block:
		case <-time.After(time.Hour):
		}
	case 2:
		mu.Lock()
		mu.Unlock()
	default:
		time.Sleep(time.Hour)
	}
}

func main() {
	count := flag.Int("count", 100000, "goroutines to park")
	shapes := flag.Int("shapes", 40, "distinct stacks")
	lifetime := flag.Int("lifetime", 300, "seconds before exiting on its own")
	flag.Parse()
	mu.Lock()
	for i := 0; i < *count; i++ {
		shape := i % *shapes
		go descend(3+shape%12, shape)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, nil)
	time.Sleep(time.Second)
	fmt.Printf("READY pid=%d port=%d\n", os.Getpid(), ln.Addr().(*net.TCPAddr).Port)
	time.Sleep(time.Duration(*lifetime) * time.Second)
}
