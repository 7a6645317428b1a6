// heap_shapes is a test target for `steady triage`'s memory and stuck verdicts: a busy Go
// service whose heap has a known shape, with an independent truth written beside it so a test
// can check steady's numbers without asking steady. Standard library only; loopback only;
// bounded; it exits on its own after -lifetime.
//
//	-mode healthy         a big live set (-live-mib, kept forever) and garbage churn
//	                      (-garbage-mib-per-sec) from short-lived "request" goroutines
//	-mode leak            the same, plus -leak-kib-per-sec kept forever in 4 KiB objects, at a
//	                      100 Hz grain, up to -max-leak-mib (default rate here: 1024 KiB/s)
//	-mode step            the same as healthy, plus -step-mib added to the live set at once,
//	                      -step-at after ready (a cache warming), then flat again
//	-mode stuck           -stuck-goroutines parked on one sync.Mutex whose holder is blocked on
//	                      an unbuffered send nobody receives; no live set, no load
//	-mode goroutine-leak  the same as healthy, plus -leak-goroutines-per-sec goroutines blocked
//	                      in a channel receive, up to -max-leak-goroutines
//
// The truth: with --dir DIR, fd 2 is moved onto DIR/gctrace.log before any load starts, so
// under GODEBUG=gctrace=1 the runtime's one line per GC lands there, and DIR/truth.json holds
// the mode, the parameters and the process start time in unix seconds (gctrace's `@3.456s` is
// seconds since that start).
//
// It prints one line when ready: READY pid=<pid> port=<pprof port>, and nothing after it on
// stdout (the harness stops reading, and a write to a closed pipe would kill the process).
// Before ready it builds the live set and forces one GC, so the first gctrace point after
// ready_unix is the steady live set.
//
// Measured with go1.19.8 and go1.26.8 on 2 shared cores, GODEBUG=gctrace=1, MemStats polled
// every 5 s (gctrace MB are MiB, rounded down):
//
//	healthy, defaults (150 MiB, 2 MiB/s; 2.02 MiB/s really allocated): post-GC live 152 MiB,
//	    flat; GC every 53-72 s, not 75: the pacer starts a cycle between 0.7 and 0.95 of the
//	    way to the goal (305 MiB), and at this mark cost it swings between the two ends.
//	healthy -garbage-mib-per-sec 30: GC every 3.7-5.2 s; live 152-156 MiB (165 once: what
//	    requests allocate during a mark counts as live), so a fitted slope of 1-2 MiB/min.
//	leak, defaults (1 MiB/s): live 155 MiB at ready, slope 60.0-60.1 MiB/min (told 60, within
//	    0.2%); GC every 41-82 s, longer as the goal (2x live) grows.
//	step, defaults: live 152 -> 192-193 MiB once (the first GC after -step-at), then flat.
//	GOGC=off GOMEMLIMIT=256MiB with leak -live-mib 64 -garbage-mib-per-sec 16 -max-leak-mib 96:
//	    GC every 9.9 s shrinking to 4 s (6-15 a minute), slope within 1% of the told rate.
//	    With the defaults instead (150 MiB live) the first GCs come 25, 17, 12, 8 s apart, and
//	    from ~80 s the live set meets the limit and the GC runs back to back (1,000+ cycles in
//	    150 s, the slope still right).
//	stuck: no GC at all (nothing allocates); until one runs, goroutine dumps show no wait ages.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// started is set during package initialisation, which runs right after the runtime takes the
// clock origin that gctrace's `@Ns` counts from (well under a millisecond apart).
var started = time.Now()

const (
	mib       = 1 << 20
	kib       = 1 << 10
	leakChunk = 4 * kib // one leaked object: a 4 KiB size class, so the leak is exact
)

// entry is one cached record of the live set: pointer-rich (a name, a payload, a link to
// another entry) so the collector has real marking to do, not one big noscan block.
type entry struct {
	id   int
	name string
	val  []byte
	next *entry
}

var (
	live      map[int]*entry // the live set, kept forever
	liveBytes int            // what the live set accounts for (entries, names, payloads)
	liveMu    sync.RWMutex   // requests read the live set while step mode grows it

	leaked [][]byte // what the leak keeps; capacity reserved up front so it grows by leakChunk only

	stuckMu sync.Mutex    // stuck mode: held forever
	nobody  chan struct{} // stuck mode: nobody ever receives from it
	never   chan struct{} // goroutine-leak mode: nobody ever sends on or closes it
)

// seconds is a duration flag that also takes a bare number of seconds ("60" as well as "1m").
type seconds struct{ d time.Duration }

func (s *seconds) String() string { return s.d.String() }

func (s *seconds) Set(v string) error {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		s.d = time.Duration(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return err
	}
	s.d = d
	return nil
}

// truth is written once to DIR/truth.json; every field is always present (zero when the mode
// does not use it), byte rates and sizes in bytes, times in unix seconds.
type truth struct {
	Mode                   string  `json:"mode"`
	GoVersion              string  `json:"go_version"`
	Pid                    int     `json:"pid"`
	StartUnix              float64 `json:"start_unix"` // gctrace's @0s
	ReadyUnix              float64 `json:"ready_unix"` // load starts here
	ExitUnix               float64 `json:"exit_unix"`  // planned: ready + lifetime
	LifetimeSec            float64 `json:"lifetime_sec"`
	LiveBytes              int     `json:"live_bytes"` // told: -live-mib
	LiveAccountedBytes     int     `json:"live_accounted_bytes"`
	LiveObjects            int     `json:"live_objects"` // entries in the live map
	GarbageBytesPerSec     int     `json:"garbage_bytes_per_sec"`
	Workers                int     `json:"workers"`
	LeakBytesPerSec        int     `json:"leak_bytes_per_sec"`
	LeakObjectBytes        int     `json:"leak_object_bytes"`
	MaxLeakBytes           int     `json:"max_leak_bytes"`
	LeakStartUnix          float64 `json:"leak_start_unix"`
	LeakEndUnix            float64 `json:"leak_end_unix"` // when -max-leak-mib is reached
	StepBytes              int     `json:"step_bytes"`
	StepAtUnix             float64 `json:"step_at_unix"`
	StuckGoroutines        int     `json:"stuck_goroutines"`
	StuckSinceUnix         float64 `json:"stuck_since_unix"`
	LeakGoroutinesPerSec   int     `json:"leak_goroutines_per_sec"`
	MaxLeakGoroutines      int     `json:"max_leak_goroutines"`
	GOGC                   string  `json:"gogc"`
	GOMEMLIMIT             string  `json:"gomemlimit"`
	GODEBUG                string  `json:"godebug"`
	MemoryLimitBytes       int64   `json:"memory_limit_bytes"` // math.MaxInt64 when none
	GCCyclesBeforeRedirect uint32  `json:"gc_cycles_before_redirect"`
	GCCyclesAtReady        uint32  `json:"gc_cycles_at_ready"`
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// redirectStderr moves fd 2 onto DIR/gctrace.log: the runtime writes gctrace there directly.
// Dup3, not Dup2: both exist on linux/amd64 in Go 1.19 and 1.26, but only Dup3 on every Linux
// architecture.
func redirectStderr(dir string) (uint32, error) {
	f, err := os.OpenFile(filepath.Join(dir, "gctrace.log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms) // a GC before this point would have gone to the old stderr
	if err := syscall.Dup3(int(f.Fd()), 2, 0); err != nil {
		return 0, err
	}
	return ms.NumGC, nil
}

func writeTruth(dir string, t *truth) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "truth.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "truth.json")) // a reader never sees half a file
}

// payloadSizes are exact size classes, so what the live set accounts for is what it occupies.
var payloadSizes = [...]int{512, 1024, 2048, 4096}

// growLive adds entries to the live set until it accounts for n more bytes, each payload
// written so its pages are resident, each entry linked to an older one.
func growLive(n int) {
	liveMu.Lock()
	defer liveMu.Unlock()
	if live == nil {
		live = make(map[int]*entry)
	}
	for added := 0; added < n; {
		id := len(live)
		size := payloadSizes[id%len(payloadSizes)]
		e := &entry{id: id, name: fmt.Sprintf("k%014d", id), val: make([]byte, size)}
		for i := range e.val {
			e.val[i] = byte(id + i)
		}
		if id > 0 {
			e.next = live[(id*7919)%id]
		}
		live[id] = e
		added += size + 64 + 16 // payload, entry (64-byte class), name (16-byte class)
	}
	liveBytes += n
}

// xorshift is a tiny allocation-free random source: math/rand sources are 5 KiB of garbage each.
type xorshift uint64

func (x *xorshift) next() uint64 {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return uint64(*x)
}

// serveRequest is one request: it allocates at least budget bytes of buffers (whole size
// classes, 256 B to 8 KiB, so the count is what the heap sees) that die when it returns,
// fills and hashes them, and looks a few entries up in the live set. It returns what it
// allocated.
func serveRequest(budget int, seed uint64) (int, byte) {
	rng := xorshift(seed | 1)
	var parts [64][]byte // on the stack: the buffers are the request's only garbage
	var acc byte
	used := 0
	for i := 0; used < budget; i++ {
		b := make([]byte, 256<<(rng.next()%6))
		for j := range b {
			b[j] = byte(uint64(j) * rng.next())
		}
		sum := sha256.Sum256(b)
		acc ^= sum[0]
		parts[i%len(parts)] = b
		used += len(b)
	}
	liveMu.RLock()
	for i := 0; i < 8 && len(live) > 0; i++ {
		if e := live[int(rng.next()%uint64(len(live)))]; e != nil {
			acc ^= e.val[0]
		}
	}
	liveMu.RUnlock()
	return used, acc ^ byte(len(parts[0]))
}

// churn issues -garbage-mib-per-sec of requests, 50 rounds a second, each round fanned out to
// `workers` fresh goroutines that finish: goroutines come and go, the live set stays. The
// budget follows the clock and what the requests really allocated, so neither a late tick
// nor a request's overshoot changes the rate.
func churn(rate, workers int) {
	if rate <= 0 {
		return
	}
	sem := make(chan struct{}, 16*workers) // bounded: a stalled round drops, never piles up
	var allocated, pending int64           // atomic: what finished requests allocated, budgets still running
	begin := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seed uint64 = 88172645463325252
	for range tick.C {
		due := int64(time.Since(begin).Seconds()*float64(rate)) - atomic.LoadInt64(&allocated) - atomic.LoadInt64(&pending)
		if due < int64(workers)*256 {
			continue
		}
		budget := due / int64(workers)
		for w := 0; w < workers; w++ {
			select {
			case sem <- struct{}{}:
				seed++
				atomic.AddInt64(&pending, budget)
				go func(budget int64, seed uint64) {
					defer func() { <-sem }()
					used, _ := serveRequest(int(budget), seed)
					atomic.AddInt64(&allocated, int64(used))
					atomic.AddInt64(&pending, -budget)
				}(budget, seed*2654435761)
			default:
			}
		}
	}
}

// leak keeps rate bytes a second in 4 KiB objects, at a 100 Hz grain and following the clock,
// until max bytes are kept.
func leak(rate, max int) {
	begin := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		due := int(time.Since(begin).Seconds() * float64(rate) / leakChunk)
		for len(leaked) < due && len(leaked) < cap(leaked) {
			b := make([]byte, leakChunk)
			for i := 0; i < len(b); i += 64 {
				b[i] = byte(len(leaked))
			}
			leaked = append(leaked, b)
		}
		if len(leaked) >= cap(leaked) {
			return
		}
	}
}

// holdLockForever takes the lock and then blocks on a send nobody will ever receive.
func holdLockForever(locked chan<- struct{}) {
	stuckMu.Lock()
	close(locked)
	nobody <- struct{}{}
	stuckMu.Unlock()
}

// waitForLock piles up behind the lock that is never released.
func waitForLock() {
	stuckMu.Lock()
	stuckMu.Unlock()
}

// leakedWorker is a goroutine that waits for work that never comes.
func leakedWorker() {
	<-never
}

// leakGoroutines starts rate goroutines a second that never return, up to max.
func leakGoroutines(rate, max int) {
	begin := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for n := 0; n < max; {
		<-tick.C
		for due := int(time.Since(begin).Seconds() * float64(rate)); n < due && n < max; n++ {
			go leakedWorker()
		}
	}
}

func fail(msg string, err error) {
	fmt.Fprintf(os.Stderr, "heap_shapes: %s: %v\n", msg, err)
	os.Exit(1)
}

func main() {
	dir := flag.String("dir", "", "scratch directory from the harness: gctrace.log and truth.json go there")
	mode := flag.String("mode", "healthy", "healthy | leak | step | stuck | goroutine-leak")
	liveMiB := flag.Int("live-mib", 150, "live set kept forever, MiB (not in stuck mode)")
	garbageMiB := flag.Float64("garbage-mib-per-sec", 2, "short-lived garbage churned by requests, MiB/s")
	workers := flag.Int("workers", 4, "request goroutines started per 20 ms round")
	leakKiB := flag.Int("leak-kib-per-sec", 0, "kept forever, KiB/s, in 4 KiB objects (leak mode: 1024 unless given)")
	maxLeakMiB := flag.Int("max-leak-mib", 512, "the leak stops growing here")
	stepMiB := flag.Int("step-mib", 40, "step mode: live set growth at once, MiB")
	stepAt := &seconds{10 * time.Second}
	flag.Var(stepAt, "step-at", "step mode: when the step happens, after ready (10s, or seconds)")
	stuckN := flag.Int("stuck-goroutines", 1000, "stuck mode: goroutines parked on the held mutex")
	leakG := flag.Int("leak-goroutines-per-sec", 20, "goroutine-leak mode: goroutines leaked per second")
	maxLeakG := flag.Int("max-leak-goroutines", 10000, "goroutine-leak mode: stop leaking here")
	lifetime := &seconds{10 * time.Minute}
	flag.Var(lifetime, "lifetime", "exit after this long (10m, or seconds)")
	flag.Parse()

	leakSet := false
	flag.Visit(func(f *flag.Flag) { leakSet = leakSet || f.Name == "leak-kib-per-sec" })
	switch *mode {
	case "healthy", "step", "goroutine-leak":
	case "leak":
		if !leakSet {
			*leakKiB = 1024
		}
	case "stuck":
		*liveMiB, *garbageMiB, *leakKiB = 0, 0, 0
	default:
		fmt.Fprintln(os.Stderr, "heap_shapes: unknown mode", *mode)
		os.Exit(2)
	}

	t := truth{
		Mode:            *mode,
		GoVersion:       runtime.Version(),
		Pid:             os.Getpid(),
		StartUnix:       unix(started),
		LifetimeSec:     lifetime.d.Seconds(),
		LiveBytes:       *liveMiB * mib,
		Workers:         *workers,
		LeakObjectBytes: leakChunk,
		GOGC:            os.Getenv("GOGC"),
		GOMEMLIMIT:      os.Getenv("GOMEMLIMIT"),
		GODEBUG:         os.Getenv("GODEBUG"),
		// SetMemoryLimit with a negative value only reads it (Go 1.19+).
		MemoryLimitBytes: debug.SetMemoryLimit(-1),
	}
	t.GarbageBytesPerSec = int(*garbageMiB * mib)
	t.LeakBytesPerSec = *leakKiB * kib
	if t.LeakBytesPerSec > 0 {
		t.MaxLeakBytes = *maxLeakMiB * mib
	}

	// Before any load: every GC from here on writes its gctrace line into the file.
	if *dir != "" {
		n, err := redirectStderr(*dir)
		if err != nil {
			fail("redirecting stderr", err)
		}
		t.GCCyclesBeforeRedirect = n
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listening", err)
	}
	go http.Serve(ln, nil)

	nobody, never = make(chan struct{}), make(chan struct{})
	if t.LiveBytes > 0 {
		growLive(t.LiveBytes)
		t.LiveObjects = len(live)
	}
	if t.MaxLeakBytes > 0 {
		leaked = make([][]byte, 0, t.MaxLeakBytes/leakChunk)
	}
	if *mode == "stuck" {
		locked := make(chan struct{})
		go holdLockForever(locked)
		<-locked
		for i := 0; i < *stuckN; i++ {
			go waitForLock()
		}
		// Let every waiter reach the lock; from here on nothing completes.
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
			if runtime.NumGoroutine() >= *stuckN+2 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		t.StuckGoroutines = *stuckN
		t.StuckSinceUnix = unix(time.Now())
	} else {
		// One GC after the build, so the first post-GC point is the steady live set at ready.
		runtime.GC()
	}

	ready := time.Now()
	t.ReadyUnix = unix(ready)
	t.ExitUnix = unix(ready.Add(lifetime.d))
	t.LiveAccountedBytes = liveBytes
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.GCCyclesAtReady = ms.NumGC
	if t.LeakBytesPerSec > 0 {
		t.LeakStartUnix = t.ReadyUnix
		t.LeakEndUnix = t.ReadyUnix + float64(t.MaxLeakBytes)/float64(t.LeakBytesPerSec)
	}
	if *mode == "step" {
		t.StepBytes = *stepMiB * mib
		t.StepAtUnix = unix(ready.Add(stepAt.d))
	}
	if *mode == "goroutine-leak" {
		t.LeakGoroutinesPerSec = *leakG
		t.MaxLeakGoroutines = *maxLeakG
	}
	if *dir != "" {
		if err := writeTruth(*dir, &t); err != nil {
			fail("writing truth.json", err)
		}
	}

	go churn(t.GarbageBytesPerSec, *workers)
	if t.LeakBytesPerSec > 0 {
		go leak(t.LeakBytesPerSec, t.MaxLeakBytes)
	}
	if *mode == "step" {
		time.AfterFunc(stepAt.d, func() { growLive(t.StepBytes) })
	}
	if *mode == "goroutine-leak" {
		go leakGoroutines(*leakG, *maxLeakG)
	}
	fmt.Printf("READY pid=%d port=%d\n", os.Getpid(), ln.Addr().(*net.TCPAddr).Port)
	time.Sleep(time.Until(ready.Add(lifetime.d)))
}
