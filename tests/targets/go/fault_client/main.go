// fault_client induces a fault in a real service from outside, the way a misbehaving client
// or scrape target would, for the real-service tests (tests/e2e/real_services.rs). Standard
// library only; loopback only (it refuses any other address); bounded: at most -max
// connections, and it exits on its own after -lifetime seconds.
//
//	-mode slowloris -addr 127.0.0.1:PORT: opens -rate connections a second, each sending a
//	  request head it never finishes, and holds them.
//	-mode watch -addr 127.0.0.1:PORT: opens -rate etcd watch streams a second
//	  (POST /v3/watch through etcd's gRPC gateway) and holds them, reading what comes.
//	-mode series: serves /metrics on a free loopback port; every scrape answers -series
//	  series whose label values never repeat.
//
// It prints one line when ready: READY pid=<pid> port=<port it serves, or 0>
package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	dir := flag.String("dir", "", "scratch directory (unused; every test target takes one)")
	mode := flag.String("mode", "", "slowloris, watch or series")
	addr := flag.String("addr", "", "the service's loopback address (slowloris, watch)")
	rate := flag.Int("rate", 10, "connections opened per second (slowloris, watch)")
	max := flag.Int("max", 2000, "connections held at most (slowloris, watch)")
	series := flag.Int("series", 500, "new series per scrape (series)")
	lifetime := flag.Int("lifetime", 180, "seconds until it exits on its own")
	flag.Parse()
	_ = dir

	time.AfterFunc(time.Duration(*lifetime)*time.Second, func() { os.Exit(0) })
	switch *mode {
	case "slowloris", "watch":
		host, _, err := net.SplitHostPort(*addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			fmt.Fprintf(os.Stderr, "fault_client: -addr %q is not a loopback address\n", *addr)
			os.Exit(2)
		}
		fmt.Printf("READY pid=%d port=0\n", os.Getpid())
		hold(*mode, *addr, *rate, *max)
	case "series":
		serveSeries(*series)
	default:
		fmt.Fprintf(os.Stderr, "fault_client: unknown -mode %q\n", *mode)
		os.Exit(2)
	}
}

// hold opens `rate` connections a second on a fixed schedule (so the truth is a straight
// line) until `max` are open, then keeps them until the process exits.
func hold(mode, addr string, rate, max int) {
	var opened int64
	var mu sync.Mutex
	var conns []net.Conn
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for range tick.C {
		if atomic.LoadInt64(&opened) >= int64(max) {
			select {}
		}
		atomic.AddInt64(&opened, 1)
		go func() {
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			switch mode {
			case "slowloris":
				// A request head with no blank line after it: the server waits for the rest.
				fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nX-Slow: ", addr)
			case "watch":
				key := base64.StdEncoding.EncodeToString([]byte("steady-watch"))
				body := fmt.Sprintf(`{"create_request":{"key":%q}}`, key)
				fmt.Fprintf(c, "POST /v3/watch HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body)
			}
			// Read whatever comes (watch events, or nothing) so the server never blocks on us.
			io.Copy(io.Discard, c)
		}()
	}
}

// serveSeries answers every scrape with `n` series no scrape has had before.
func serveSeries(n int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fault_client:", err)
		os.Exit(2)
	}
	var scrape int64
	http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		s := atomic.AddInt64(&scrape, 1)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintln(w, "# TYPE churn_requests gauge")
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "churn_requests{request_id=\"%d-%d\"} %d\n", s, i, i)
		}
	})
	fmt.Printf("READY pid=%d port=%d\n", os.Getpid(), ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second}
	srv.Serve(ln)
}
