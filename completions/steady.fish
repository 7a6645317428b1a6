# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_steady_global_optspecs
    string join \n json color= timeout= h/help V/version
end

function __fish_steady_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_steady_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_steady_using_subcommand
    set -l cmd (__fish_steady_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c steady -n "__fish_steady_needs_command" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_needs_command" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_needs_command" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_needs_command" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_needs_command" -f -a "fds" -d 'Count open file descriptors by kind and group them so the pile-up stands out'
complete -c steady -n "__fish_steady_needs_command" -f -a "limits" -d 'Show RLIMIT_NOFILE (or every limit, as prlimit) and headroom; change limits of a live process on request'
complete -c steady -n "__fish_steady_needs_command" -f -a "heap" -d 'Snapshot, top, diff and flame-graph heap profiles of a live service (pprof), or its smaps'
complete -c steady -n "__fish_steady_needs_command" -f -a "stacks" -d 'Goroutines and threads grouped by identical stack, stuck ones first; safe in production'
complete -c steady -n "__fish_steady_needs_command" -f -a "triage" -d 'Sample the process over a window, tell which kind of drift it is, and print the card that fits'
complete -c steady -n "__fish_steady_needs_command" -f -a "runbook" -d 'Print the runbook cards: all of them listed, or one by kind'
complete -c steady -n "__fish_steady_needs_command" -f -a "metrics" -d 'Print one Prometheus/OpenMetrics exposition of the targets\' state now (for node_exporter\'s textfile collector)'
complete -c steady -n "__fish_steady_needs_command" -f -a "serve" -d 'Serve the `metrics` exposition on GET /metrics for Prometheus, re-reading the targets on every scrape'
complete -c steady -n "__fish_steady_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c steady -n "__fish_steady_using_subcommand fds" -l name -d 'Every process whose command name or executable path matches REGEX (one report each)' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l top -d 'Show this many groups (0 for all)' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l over -d 'Scan twice, this long apart, and show growth per group (e.g. 30s, 5m; at least 1s)' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l kind -d 'With --list: only descriptors of these kinds, comma-separated (tcp,pipe; the names of the KIND column)' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l match -d 'With --list: only descriptors whose target (path, address, `pipe`…) matches REGEX' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand fds" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l list -d 'One row per descriptor, like lsfd: number, kind, target, inode, open flags, mode, position, bytes a deleted file pins'
complete -c steady -n "__fish_steady_using_subcommand fds" -l peers -d 'Who holds the other end of each pipe, unix socket, TCP connection within the network namespace and eventfd (lsfd\'s ENDPOINTS): reads every process\'s descriptor table once'
complete -c steady -n "__fish_steady_using_subcommand fds" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand fds" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand fds" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand limits" -l name -d 'Every process whose command name or executable path matches REGEX (one report each)' -r
complete -c steady -n "__fish_steady_using_subcommand limits" -l set -d 'Change a limit of the live process, as prlimit: NOFILE=4096:8192, NOFILE=4096: (soft only), NOFILE=:8192 (hard only), CORE=unlimited (a single value sets both); repeat for several' -r
complete -c steady -n "__fish_steady_using_subcommand limits" -l set-nofile -d 'Change RLIMIT_NOFILE to SOFT (the hard limit stays), or SOFT:HARD' -r
complete -c steady -n "__fish_steady_using_subcommand limits" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand limits" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand limits" -l all -d 'Show every resource limit (prlimit\'s table), not only RLIMIT_NOFILE'
complete -c steady -n "__fish_steady_using_subcommand limits" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand limits" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand limits" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -f -a "snapshot" -d 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then'
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -f -a "top" -d 'The functions (or lines) holding the most memory in one profile'
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -f -a "diff" -d 'What grew between two profiles, or over a window of a live process'
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -f -a "list" -d 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)'
complete -c steady -n "__fish_steady_using_subcommand heap; and not __fish_seen_subcommand_from snapshot top diff list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -s o -l out -d 'Where to write the profile (default heap-PID-YYYYMMDDTHHMMSS.pb.gz in local time; facts go to FILE.json)' -r -F
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -l url -d 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -l port -d 'The loopback port that serves /debug/pprof, instead of discovering it' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -l max-bytes -d 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -l gc -d 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -s h -l help -d 'Print help'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from snapshot" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l sample -d 'Which values to read (Go leaves the profile\'s default unset)' -r -f -a "inuse_space\t''
inuse_objects\t''
alloc_space\t''
alloc_objects\t''"
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l top -d 'Show this many entries (0 for all)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l flame -d 'Write a flame graph (a differential one for diff) as SVG' -r -F
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l focus -d 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l ignore -d 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l url -d 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l port -d 'The loopback port that serves /debug/pprof, instead of discovering it' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l max-bytes -d 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l lines -d 'Per file:line instead of per function'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l cum -d 'Sort by cumulative instead of flat values'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l folded -d 'Print folded stacks (`a;b;c value`, or `stack base new` for diff) instead of the table'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l gc -d 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -s h -l help -d 'Print help'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from top" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l over -d 'Take both snapshots of the live PID, this long apart (e.g. 30m; at least 1s), and show growth per minute' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l sample -d 'Which values to read (Go leaves the profile\'s default unset)' -r -f -a "inuse_space\t''
inuse_objects\t''
alloc_space\t''
alloc_objects\t''"
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l top -d 'Show this many entries (0 for all)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l flame -d 'Write a flame graph (a differential one for diff) as SVG' -r -F
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l focus -d 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l ignore -d 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l url -d 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l port -d 'The loopback port that serves /debug/pprof, instead of discovering it' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l max-bytes -d 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l lines -d 'Per file:line instead of per function'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l cum -d 'Sort by cumulative instead of flat values'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l folded -d 'Print folded stacks (`a;b;c value`, or `stack base new` for diff) instead of the table'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l gc -d 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from diff" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l sample -d 'Which values to read (Go leaves the profile\'s default unset)' -r -f -a "inuse_space\t''
inuse_objects\t''
alloc_space\t''
alloc_objects\t''"
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l focus -d 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l ignore -d 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l url -d 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l port -d 'The loopback port that serves /debug/pprof, instead of discovering it' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l max-bytes -d 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l gc -d 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from help" -f -a "snapshot" -d 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from help" -f -a "top" -d 'The functions (or lines) holding the most memory in one profile'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from help" -f -a "diff" -d 'What grew between two profiles, or over a window of a live process'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from help" -f -a "list" -d 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)'
complete -c steady -n "__fish_steady_using_subcommand heap; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c steady -n "__fish_steady_using_subcommand stacks" -l file -d 'Read a goroutine dump from FILE (`-` for stdin): ?debug=2 or ?debug=1 output, or a SIGQUIT/panic dump from the logs' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l stuck-after -d 'A group is stuck when all its members with an age waited this many minutes or more (and it holds 5+ goroutines or waits on a lock)' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l match -d 'Keep groups with a frame (function or file; for threads: name, syscall, wchan, kernel stack) matching REGEX' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l state -d 'Keep groups whose state contains STATE (e.g. "chan receive", "IO wait", "locked to thread"; for threads D, S, R or a syscall)' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l min-count -d 'Keep groups with at least N members' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l top -d 'Show this many groups (0 for all)' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l max-full-dump -d 'Fetch the full ?debug=2 dump only below this many goroutines' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l over -d 'Threads: sample CPU twice, this long apart, to tell spinning threads from blocked ones' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l flame -d 'Write a flame graph (SVG) of the groups that pass the filters: the goroutines, or the threads with --threads or when there are none' -r -F
complete -c steady -n "__fish_steady_using_subcommand stacks" -l url -d 'The pprof handler to use instead of discovering it' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l port -d 'The loopback port that serves /debug/pprof' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l max-bytes -d 'Refuse dumps larger than this' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand stacks" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand stacks" -l goroutines -d 'Only goroutines (needs a pprof endpoint or --file)'
complete -c steady -n "__fish_steady_using_subcommand stacks" -l threads -d 'Only OS threads'
complete -c steady -n "__fish_steady_using_subcommand stacks" -l similar -d 'Also merge stacks that differ only in line numbers'
complete -c steady -n "__fish_steady_using_subcommand stacks" -l allow-stw -d 'Fetch ?debug=2 whatever the count, accepting its stop-the-world pause'
complete -c steady -n "__fish_steady_using_subcommand stacks" -l folded -d 'Print folded stacks (`a;b;c count`) of the groups that pass the filters instead of the table: the goroutines, or the threads with --threads or when there are none'
complete -c steady -n "__fish_steady_using_subcommand stacks" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand stacks" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand stacks" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand triage" -l window -d 'How long to sample' -r
complete -c steady -n "__fish_steady_using_subcommand triage" -l interval -d 'Time between samples' -r
complete -c steady -n "__fish_steady_using_subcommand triage" -l probe -d 'Time one GET of this loopback URL each interval, to measure latency drift' -r
complete -c steady -n "__fish_steady_using_subcommand triage" -l record -d 'Append each sample to FILE as a JSON line' -r -F
complete -c steady -n "__fish_steady_using_subcommand triage" -l from -d 'Judge a recording made with --record instead of sampling' -r -F
complete -c steady -n "__fish_steady_using_subcommand triage" -l url -d 'The pprof handler to use instead of discovering it' -r
complete -c steady -n "__fish_steady_using_subcommand triage" -l port -d 'The loopback port that serves /debug/pprof' -r
complete -c steady -n "__fish_steady_using_subcommand triage" -l sliding -d 'With --from: judge every window of this width along the recording, one line per offset' -r
complete -c steady -n "__fish_steady_using_subcommand triage" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand triage" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand triage" -l gc -d 'Force a GC before each Go sample, so memory is judged on exact live figures even when the target collects rarely (costs the target a full GC each time)'
complete -c steady -n "__fish_steady_using_subcommand triage" -l full-window -d 'Sample the whole window even when a verdict is sure sooner'
complete -c steady -n "__fish_steady_using_subcommand triage" -l leak-profile -d 'At the end, ask the runtime\'s goroutine leak detector (/debug/pprof/goroutineleak, Go 1.26 built with GOEXPERIMENT=goroutineleakprofile, or 1.27): it runs a special GC whose cost can grow quadratically with the heap, and it never reports I/O waits'
complete -c steady -n "__fish_steady_using_subcommand triage" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand triage" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand triage" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand runbook" -l pid -d 'Fill the PID into the card\'s commands' -r
complete -c steady -n "__fish_steady_using_subcommand runbook" -l format -d 'text for a terminal, markdown for an incident channel' -r -f -a "text\t''
markdown\t''"
complete -c steady -n "__fish_steady_using_subcommand runbook" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand runbook" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand runbook" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand runbook" -s h -l help -d 'Print help'
complete -c steady -n "__fish_steady_using_subcommand runbook" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand metrics" -l name -d 'Every process whose command name (comm) or executable file name matches REGEX' -r
complete -c steady -n "__fish_steady_using_subcommand metrics" -s o -l out -d 'Write the exposition to FILE atomically (temp file + rename) instead of stdout' -r -F
complete -c steady -n "__fish_steady_using_subcommand metrics" -l top -d 'Descriptor groups per target in steady_fd_group_open (at most 20)' -r
complete -c steady -n "__fish_steady_using_subcommand metrics" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand metrics" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand metrics" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand metrics" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand metrics" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand serve" -l listen -d 'Address to serve /metrics on (loopback unless --allow-remote)' -r
complete -c steady -n "__fish_steady_using_subcommand serve" -l name -d 'Follow every process whose command name (comm) or executable file name matches REGEX' -r
complete -c steady -n "__fish_steady_using_subcommand serve" -l pid -d 'Process IDs of the targets' -r
complete -c steady -n "__fish_steady_using_subcommand serve" -l go-interval -d 'Fetch Go runtime figures at most this often per target, and serve the last ones between' -r
complete -c steady -n "__fish_steady_using_subcommand serve" -l top -d 'Descriptor groups per target in steady_fd_group_open (at most 20)' -r
complete -c steady -n "__fish_steady_using_subcommand serve" -l max-scrapes -d 'Connections served at once; more are answered 503' -r
complete -c steady -n "__fish_steady_using_subcommand serve" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand serve" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand serve" -l allow-remote -d 'Allow a --listen address other than loopback'
complete -c steady -n "__fish_steady_using_subcommand serve" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand serve" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "fds" -d 'Count open file descriptors by kind and group them so the pile-up stands out'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "limits" -d 'Show RLIMIT_NOFILE (or every limit, as prlimit) and headroom; change limits of a live process on request'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "heap" -d 'Snapshot, top, diff and flame-graph heap profiles of a live service (pprof), or its smaps'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "stacks" -d 'Goroutines and threads grouped by identical stack, stuck ones first; safe in production'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "triage" -d 'Sample the process over a window, tell which kind of drift it is, and print the card that fits'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "runbook" -d 'Print the runbook cards: all of them listed, or one by kind'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "metrics" -d 'Print one Prometheus/OpenMetrics exposition of the targets\' state now (for node_exporter\'s textfile collector)'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "serve" -d 'Serve the `metrics` exposition on GET /metrics for Prometheus, re-reading the targets on every scrape'
complete -c steady -n "__fish_steady_using_subcommand help; and not __fish_seen_subcommand_from fds limits heap stacks triage runbook metrics serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c steady -n "__fish_steady_using_subcommand help; and __fish_seen_subcommand_from heap" -f -a "snapshot" -d 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then'
complete -c steady -n "__fish_steady_using_subcommand help; and __fish_seen_subcommand_from heap" -f -a "top" -d 'The functions (or lines) holding the most memory in one profile'
complete -c steady -n "__fish_steady_using_subcommand help; and __fish_seen_subcommand_from heap" -f -a "diff" -d 'What grew between two profiles, or over a window of a live process'
complete -c steady -n "__fish_steady_using_subcommand help; and __fish_seen_subcommand_from heap" -f -a "list" -d 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)'
complete -c steady -n "__fish_steady_using_subcommand runbook" -f -a "memory-drift fd-exhaustion goroutine-leak thread-leak allocator-fragmentation deadline-drift steady"
