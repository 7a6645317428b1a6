// heap_leak is a test target for `steady heap`: a service whose memory grows at a known rate,
// in one of three shapes. Standard library only; loopback only; bounded; exits on its own.
//
//	-mode heap      main.leakIntoCache keeps -leak-bytes-per-sec of live objects each second
//	-mode fragment  live objects stay flat while in-use spans grow by 2 MiB/s for 30 s (allocator
//	                fragmentation)
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
	spans   [][]byte // what fragment keeps: one small object per span it pins
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

// fragment pins in-use spans while keeping almost nothing live: each second it takes the next
// size class, fills 256 fresh 8 KiB spans with objects of that class and keeps one object per
// span, so HeapInuse grows by 2 MiB a second and live objects by at most 1/9 of that. A size
// class is never visited twice: the holes of its pinned spans would be refilled, and the
// survivors would pack densely instead of pinning new spans. After the last class it holds.
func fragment(second int) {
	classes := []int{16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240,
		256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896} // churn uses 1024
	if second >= len(classes) {
		return
	}
	size := classes[second]
	perSpan := 8192 / size
	objs := make([][]byte, 256*perSpan)
	for i := range objs {
		objs[i] = make([]byte, size)
		objs[i][0] = 1 // resident: fresh spans are not zeroed, so untouched pages stay unmapped
	}
	for i := 0; i < len(objs); i += perSpan {
		spans = append(spans, objs[i])
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
			if round%16 == 0 {
				fragment(round / 16)
			}
		case "steady":
		default:
			fmt.Fprintln(os.Stderr, "unknown mode", *mode)
			os.Exit(2)
		}
	}
}
