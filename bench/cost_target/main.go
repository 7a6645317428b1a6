// cost_target is a small HTTP service for bench/target_cost.sh: what watching it with
// `steady triage` costs it. GET /work hashes a buffer and allocates a little (so the GC runs
// as in a real service); /debug/pprof is served on the same loopback port, where steady finds
// it. With -workers N it also parks N idle pool workers on one channel, a goroutine group large
// enough (>= 50) that triage takes a ?debug=2 dump every 10 s; with -workers 0 no group is that
// large. GET /pprof-requests returns (and resets) how many times each /debug/pprof page was
// fetched, so the bench can show which fetches triage made. Standard library only.
//
// It prints one line when ready: READY pid=<pid> port=<port>
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	mu      sync.Mutex
	fetched = map[string]int{}
)

// count notes each /debug/pprof fetch (page and query) before the standard handlers serve it.
func count(w http.ResponseWriter, r *http.Request) {
	if page := strings.TrimPrefix(r.URL.Path, "/debug/pprof/"); page != r.URL.Path {
		mu.Lock()
		fetched[page+"?"+r.URL.RawQuery]++
		mu.Unlock()
	}
	http.DefaultServeMux.ServeHTTP(w, r)
}

func pprofRequests(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	defer mu.Unlock()
	json.NewEncoder(w).Encode(fetched)
	fetched = map[string]int{}
}

var jobs = make(chan []byte)

// worker waits for work that never comes, as an idle pool does between bursts.
func worker() {
	for b := range jobs {
		_ = sha256.Sum256(b)
	}
}

func work(w http.ResponseWriter, r *http.Request) {
	rounds, _ := strconv.Atoi(r.URL.Query().Get("rounds"))
	if rounds <= 0 {
		rounds = 40
	}
	buf := make([]byte, 16<<10)
	for i := range buf {
		buf[i] = byte(i)
	}
	sum := sha256.Sum256(buf)
	for i := 1; i < rounds; i++ {
		sum = sha256.Sum256(append(buf[:len(buf)-32], sum[:]...))
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintln(w, hex.EncodeToString(sum[:]))
}

func main() {
	workers := flag.Int("workers", 64, "idle pool workers parked on one channel")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "exit on its own after this long")
	flag.Parse()
	for i := 0; i < *workers; i++ {
		go worker()
	}
	http.HandleFunc("/work", work)
	http.HandleFunc("/pprof-requests", pprofRequests)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { time.Sleep(*lifetime); os.Exit(0) }()
	fmt.Printf("READY pid=%d port=%d\n", os.Getpid(), ln.Addr().(*net.TCPAddr).Port)
	if err := http.Serve(ln, http.HandlerFunc(count)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
