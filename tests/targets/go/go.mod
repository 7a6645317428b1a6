// One module for every Go test target (tests/targets/go/NAME, each a main package): a new
// directory here builds with no change elsewhere. Standard library only, and `go 1.19` so that
// the oldest toolchain the tests run (Debian's Go 1.19) builds it as well as the newest.
module steady.test/targets

go 1.19
