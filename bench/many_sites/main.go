// many_sites writes heap profiles with a very large number of distinct allocation stacks,
// for benchmarking profile decoding and diffing (bench/heap.sh). Standard library only.
//
//	many_sites -out base.pb.gz -stacks 120000 -seed 1
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

var keep [][]byte

// Eight near-identical functions: a path through them (three bits per level) makes each
// call stack distinct, so every allocation lands in its own profile bucket.
func f0(d, i int, n int) { step(d, i, n) }
func f1(d, i int, n int) { step(d, i, n) }
func f2(d, i int, n int) { step(d, i, n) }
func f3(d, i int, n int) { step(d, i, n) }
func f4(d, i int, n int) { step(d, i, n) }
func f5(d, i int, n int) { step(d, i, n) }
func f6(d, i int, n int) { step(d, i, n) }
func f7(d, i int, n int) { step(d, i, n) }

var table []func(int, int, int)

func init() { table = []func(int, int, int){f0, f1, f2, f3, f4, f5, f6, f7} }

//go:noinline
func step(d, i, n int) {
	if d == 0 {
		keep = append(keep, make([]byte, n))
		return
	}
	table[i&7](d-1, i>>3, n)
}

func main() {
	out := flag.String("out", "heap.pb.gz", "where to write the profile")
	stacks := flag.Int("stacks", 120000, "distinct allocation stacks")
	size := flag.Int("size", 64, "bytes per allocation")
	flag.Parse()
	runtime.MemProfileRate = 1
	for i := 0; i < *stacks; i++ {
		step(7, i, *size)
	}
	runtime.GC()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
}
