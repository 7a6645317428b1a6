// heap_leak is a test target for `steady heap`: a service whose memory grows at a known rate,
// in one of three shapes. Standard library only; loopback only; bounded; exits on its own.
//
//	-mode heap      main.leakIntoCache keeps -leak-bytes-per-sec of live objects each second
//	-mode fragment  live objects stay flat while in-use spans grow by 2 MiB/s for 30 s (allocator
//	                fragmentation)
//	-mode steady    the same churn, nothing kept (the healthy twin)
//	-mode native    the same churn, and 2 MiB/s of anonymous memory mapped outside the Go heap
//	                (syscall.Mmap, touched; up to 128 MiB): RSS the runtime does not account for
//	-mode release   the same churn; 64 MiB kept from the start with only one page in two
//	                touched, dropped after -release-after seconds and handed back to the OS
//	                (debug.FreeOSMemory): RSS falls by less than the runtime's figures do
//
//	-ballast-mib N  keeps N MiB live from the start (touched) and waits for a background GC
//	                before the ready line, like a service with a large long-lived heap: GCs
//	                become as rare as N MiB of churn (about N seconds apart), so a short
//	                window holds none
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
	"runtime/debug"
	"syscall"
	"time"
)

const chunk = 64 << 10

var (
	cache   [][]byte // what leakIntoCache keeps
	warm    []byte   // one bounded allocation at start
	spans   [][]byte // what fragment keeps: one small object per span it pins
	sink    []byte
	maxKeep = 256 << 20
	ballast [][]byte // -ballast-mib
	held    [][]byte // what release holds until it lets go
	mapped  int      // bytes native has mapped
)

// touched allocates n bytes in chunks, writing one byte in every `stride` bytes.
func touched(n, stride int) [][]byte {
	var out [][]byte
	for kept := 0; kept < n; kept += chunk {
		b := make([]byte, chunk)
		for i := 0; i < len(b); i += stride {
			b[i] = 1
		}
		out = append(out, b)
	}
	return out
}

// awaitBackgroundGC allocates garbage until the runtime starts a GC of its own and it ends, so
// the heap is past its ballast's growth and the next GC is a whole cycle away. A forced GC
// (runtime.GC) would do the same but publish its own profile cycle, unlike a service's GCs.
func awaitBackgroundGC() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	for start := m.NumGC; m.NumGC == start; runtime.ReadMemStats(&m) {
		for i := 0; i < 16; i++ {
			sink = make([]byte, chunk)
		}
	}
}

// mapNative maps n bytes of anonymous memory outside the Go heap and touches every page.
func mapNative(n int) {
	if mapped+n > 128<<20 {
		return
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return
	}
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	mapped += n
}

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
	mode := flag.String("mode", "heap", "heap | fragment | steady | native | release")
	rate := flag.Int("leak-bytes-per-sec", 1<<20, "bytes kept per second in heap mode")
	lifetime := flag.Int("lifetime", 60, "seconds before exiting on its own")
	ballastMiB := flag.Int("ballast-mib", 0, "MiB kept live from the start (0: none)")
	releaseAfter := flag.Int("release-after", 5, "seconds before release mode lets go")
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
	if *ballastMiB > 0 {
		ballast = touched(*ballastMiB<<20, 4096)
		awaitBackgroundGC()
	}
	if *mode == "release" {
		held = touched(64<<20, 8192)
	}
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
		case "native":
			if round%16 == 0 {
				mapNative(2 << 20)
			}
		case "release":
			if round == *releaseAfter*16 {
				held = nil
				debug.FreeOSMemory()
			}
		default:
			fmt.Fprintln(os.Stderr, "unknown mode", *mode)
			os.Exit(2)
		}
	}
}
