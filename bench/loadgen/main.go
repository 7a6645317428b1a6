// loadgen sends a fixed, bounded loopback load for bench/target_cost.sh: -rate requests a
// second for -duration over -conns kept-alive connections, on a schedule fixed in advance
// (open loop), and measures each request's latency from the moment it was due, so a stall in
// the target shows in the tail instead of silently slowing the load. Standard library only.
//
// It prints one JSON line: requests, errors, late (due but not started within 100 ms) and
// the latency percentiles in milliseconds.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "URL to GET")
	rate := flag.Int("rate", 200, "requests per second")
	duration := flag.Duration("duration", 60*time.Second, "how long to send")
	conns := flag.Int("conns", 8, "concurrent connections")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url is required")
		os.Exit(2)
	}
	total := int(duration.Seconds() * float64(*rate))
	period := time.Second / time.Duration(*rate)
	due := make(chan time.Time, total)
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns},
		Timeout:   10 * time.Second,
	}
	var mu sync.Mutex
	latencies := make([]time.Duration, 0, total)
	errors, late := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for at := range due {
				started := time.Now()
				resp, err := client.Get(*url)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				took := time.Since(at)
				mu.Lock()
				if err != nil {
					errors++
				} else {
					latencies = append(latencies, took)
				}
				if started.Sub(at) > 100*time.Millisecond {
					late++
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	for i := 0; i < total; i++ {
		at := start.Add(time.Duration(i) * period)
		time.Sleep(time.Until(at))
		due <- at
	}
	close(due)
	wg.Wait()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		i := int(p * float64(len(latencies)-1))
		return float64(latencies[i].Microseconds()) / 1000
	}
	out := map[string]any{
		"requests": len(latencies) + errors, "errors": errors, "late": late,
		"p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "p999_ms": pct(0.999),
		"max_ms": pct(1.0), "seconds": time.Since(start).Seconds(),
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
