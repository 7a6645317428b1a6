# Sourced by the bench scripts: installs the Go peer tools, as Go modules at pinned versions,
# into a bench-local GOBIN (bench/out/gobin, gitignored) and fails loudly when it cannot.
# After `need_peer NAME`, $NAME_bin (pp_bin, gops_bin, pprof_bin) is the binary's path.
# Set PEERS_GO to pick the go that builds them (default: go on PATH, GOTOOLCHAIN=local).

peers_gobin=$PWD/bench/out/gobin
declare -A peer_module=(
    [pp]=github.com/maruel/panicparse/v2/cmd/pp@v2.5.0
    [gops]=github.com/google/gops@v0.3.28
    [pprof]=github.com/google/pprof@v0.0.0-20261105003125-4bf881d7fb0b
)

need_peer() { # name
    local name=$1 module=${peer_module[$1]} bin=$peers_gobin/$1
    local want=${module##*@}
    # Reinstall when the binary is missing or was built from another version.
    if ! [ -x "$bin" ] || ! "${PEERS_GO:-go}" version -m "$bin" 2>/dev/null | grep -q "[[:space:]]$want[[:space:]]"; then
        mkdir -p "$peers_gobin"
        if ! GOBIN=$peers_gobin GOTOOLCHAIN=local GOFLAGS= GO111MODULE=on "${PEERS_GO:-go}" install "$module" >&2; then
            echo "bench: cannot install $module into $peers_gobin (is the Go module proxy reachable?)" >&2
            exit 1
        fi
    fi
    printf -v "${name}_bin" '%s' "$bin"
    printf -v "${name}_version" '%s' "$want"
}
