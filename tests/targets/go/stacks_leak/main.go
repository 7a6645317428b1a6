// stacks_leak is a test target for `steady stacks` and `steady triage`: goroutines that never
// return, in one of three shapes, or drift that grows at -rate per second (goroutines,
// threads, connections, latency: -mode slow serves /work ever slower under its own load of
// ten requests a second), beside a little healthy churn. Standard library only;
// loopback only; bounded; it exits on its own after -lifetime seconds.
//
// It prints one line when ready: READY pid=<pid> port=<pprof port>
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"
)

var held sync.Mutex

// leakOnChannel blocks forever on a receive nobody will ever send to.
func leakOnChannel(ch chan struct{}) {
	<-ch
}

// waitOnMutex piles up behind a lock that is never released.
func waitOnMutex() {
	held.Lock()
	defer held.Unlock()
}

// blockInSyscall pins an OS thread and parks it in read(2) on a pipe nobody writes to.
func blockInSyscall(fd int) {
	runtime.LockOSThread()
	buf := make([]byte, 1)
	syscall.Read(fd, buf)
}

// churn is the healthy load: short-lived goroutines that finish.
func churn(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(10 * time.Millisecond):
			var wg sync.WaitGroup
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() { defer wg.Done(); time.Sleep(time.Millisecond) }()
			}
			wg.Wait()
		}
	}
}

// leakConnection dials the service's own listener and keeps the connection, with a goroutine
// reading it forever: descriptors grow, and goroutines with them (a consequence).
func leakConnection(addr string, keep *[]net.Conn) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	*keep = append(*keep, c)
	go func() {
		buf := make([]byte, 1)
		c.Read(buf)
	}()
}

var started = time.Now()

// slowHandler answers after a delay that grows with the service's age: deadline drift.
func slowHandler(w http.ResponseWriter, r *http.Request) {
	time.Sleep(time.Duration(time.Since(started).Seconds()*8) * time.Millisecond)
	w.Write([]byte("ok\n"))
}

// selfLoad is the service's own bounded traffic: ten requests a second to its slow handler,
// each with a timeout, over loopback, for the service's lifetime.
func selfLoad(url string, lifetime time.Duration) {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(lifetime); time.Now().Before(end); {
		<-tick.C
		go func() {
			if resp, err := client.Get(url); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
}

func main() {
	mode := flag.String("mode", "chan", "chan | mutex | locked | healthy | grow-goroutines | grow-threads | grow-conns | slow")
	rate := flag.Int("rate", 20, "growth per second for the grow-* modes")
	limit := flag.Int("limit", 5000, "stop growing after this many")
	count := flag.Int("count", 200, "how many goroutines to leave stuck")
	lifetime := flag.Int("lifetime", 60, "seconds before exiting on its own")
	labels := flag.Bool("labels", false, "give the goroutines started from main a pprof label mode=<mode>")
	flag.String("dir", "", "ignored (the test harness passes a scratch directory)")
	flag.Parse()
	if *labels {
		// Inherited by every goroutine main starts from here on; Go ≥1.27 (or GODEBUG=tracebacklabels=1
		// on 1.26) prints them in the goroutine headers of ?debug=2.
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("mode", *mode)))
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/work", slowHandler)
	go http.Serve(ln, nil)
	var conns []net.Conn
	grow := func(step func()) {
		go func() {
			tick := time.NewTicker(time.Second / time.Duration(*rate))
			defer tick.Stop()
			for i := 0; i < *limit; i++ {
				<-tick.C
				step()
			}
		}()
	}
	var pipe [2]int

	switch *mode {
	case "chan":
		for i := 0; i < *count; i++ {
			go leakOnChannel(make(chan struct{}))
		}
	case "mutex":
		held.Lock()
		for i := 0; i < *count; i++ {
			go waitOnMutex()
		}
	case "locked":
		var fds [2]int
		if err := syscall.Pipe(fds[:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for i := 0; i < *count; i++ {
			go blockInSyscall(fds[0])
		}
	case "healthy":
	case "slow":
		go selfLoad("http://"+ln.Addr().String()+"/work", time.Duration(*lifetime)*time.Second)
	case "grow-goroutines":
		grow(func() { go leakOnChannel(make(chan struct{})) })
	case "grow-threads":
		if err := syscall.Pipe(pipe[:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		grow(func() { go blockInSyscall(pipe[0]) })
	case "grow-conns":
		var mu sync.Mutex
		grow(func() { mu.Lock(); leakConnection(ln.Addr().String(), &conns); mu.Unlock() })
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
	stop := make(chan struct{})
	go churn(stop)
	// Let the stuck goroutines reach their blocking point before announcing readiness.
	time.Sleep(300 * time.Millisecond)
	fmt.Printf("READY pid=%d port=%d\n", os.Getpid(), ln.Addr().(*net.TCPAddr).Port)
	time.Sleep(time.Duration(*lifetime) * time.Second)
	close(stop)
}
