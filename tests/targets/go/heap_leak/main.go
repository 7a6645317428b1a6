// heap_leak is a test target for `steady heap`: a service whose memory grows at a known rate,
// in one of three shapes. Standard library only; loopback only; bounded; exits on its own.
//
//	-mode heap      main.leakIntoCache keeps -leak-bytes-per-sec of live objects each second
//	-mode fragment  live objects stay flat while in-use spans grow (allocator fragmentation)
//	-mode steady    the same churn, nothing kept (the healthy twin)
//
// It prints one line when ready: READY pid=<pid> port=<pprof port>
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"time"
)

const chunk = 64 << 10

var (
	cache   [][]byte // what leakIntoCache keeps
	warm    []byte   // one bounded allocation at start
	spans   [][]byte // what fragment keeps: one small object per span
	sink    []byte
	maxKeep = 256 << 20
)

// leakIntoCache keeps n bytes more, touched so they are resident.
func leakIntoCache(n int) {
	for kept := 0; kept < n && len(cache)*chunk < maxKeep; kept += chunk {
		b := make([]byte, chunk)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		cache = append(cache, b)
	}
}

// warmCache is a one-off, long-lived allocation: it must not look like growth.
func warmCache() {
	warm = make([]byte, 4<<20)
	for i := 0; i < len(warm); i += 4096 {
		warm[i] = 1
	}
}

// churn allocates garbage that dies at once, so the profile has more than the leak in it.
func churn() {
	for i := 0; i < 64; i++ {
		sink = make([]byte, 1024)
	}
}

// fragment allocates a few thousand objects of one size class and keeps only one of them:
// the span that holds the survivor stays in use while live bytes barely move. Each round
// uses a new size class so freed spans cannot be reused for the next survivors.
func fragment(round int) {
	size := 512 + (round%24)*64
	objs := make([][]byte, 2048)
	for i := range objs {
		objs[i] = make([]byte, size)
		objs[i][0] = 1
	}
	for i := 0; i < len(objs); i += 64 {
		spans = append(spans, objs[i])
	}
	if len(spans) > 1<<16 {
		spans = spans[len(spans)/2:]
	}
}

func main() {
	mode := flag.String("mode", "heap", "heap | fragment | steady")
	rate := flag.Int("leak-bytes-per-sec", 1<<20, "bytes kept per second in heap mode")
	lifetime := flag.Int("lifetime", 60, "seconds before exiting on its own")
	flag.String("dir", "", "ignored (the test harness passes a scratch directory)")
	flag.Parse()
	// Sample every allocation: a diff of a few seconds must show the leak at its real size.
	runtime.MemProfileRate = 1

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go http.Serve(ln, nil)
	warmCache()
	fmt.Printf("READY pid=%d port=%d\n", os.Getpid(), ln.Addr().(*net.TCPAddr).Port)

	tick := time.NewTicker(62500 * time.Microsecond) // 16 ticks a second
	defer tick.Stop()
	deadline := time.Now().Add(time.Duration(*lifetime) * time.Second)
	for round := 0; time.Now().Before(deadline); round++ {
		<-tick.C
		churn()
		switch *mode {
		case "heap":
			leakIntoCache(*rate / 16)
		case "fragment":
			fragment(round)
		case "steady":
		default:
			fmt.Fprintln(os.Stderr, "unknown mode", *mode)
			os.Exit(2)
		}
	}
}
