
use builtin;
use str;

set edit:completion:arg-completer[steady] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'steady'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var values = [
        &'steady;--color'= ['auto' 'always' 'never']
        &'steady;fds;--color'= ['auto' 'always' 'never']
        &'steady;limits;--color'= ['auto' 'always' 'never']
        &'steady;heap;--color'= ['auto' 'always' 'never']
        &'steady;heap;snapshot;--color'= ['auto' 'always' 'never']
        &'steady;heap;top;--sample'= ['inuse_space' 'inuse_objects' 'alloc_space' 'alloc_objects']
        &'steady;heap;top;--color'= ['auto' 'always' 'never']
        &'steady;heap;diff;--sample'= ['inuse_space' 'inuse_objects' 'alloc_space' 'alloc_objects']
        &'steady;heap;diff;--color'= ['auto' 'always' 'never']
        &'steady;heap;list;--sample'= ['inuse_space' 'inuse_objects' 'alloc_space' 'alloc_objects']
        &'steady;heap;list;--color'= ['auto' 'always' 'never']
        &'steady;stacks;--color'= ['auto' 'always' 'never']
        &'steady;triage;--color'= ['auto' 'always' 'never']
        &'steady;runbook;--format'= ['text' 'markdown']
        &'steady;runbook;--color'= ['auto' 'always' 'never']
        &'steady;metrics;--color'= ['auto' 'always' 'never']
        &'steady;serve;--color'= ['auto' 'always' 'never']
    ]
    var completions = [
        &'steady'= {
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand fds 'Count open file descriptors by kind and group them so the pile-up stands out'
            cand limits 'Show RLIMIT_NOFILE (or every limit, as prlimit) and headroom; change limits of a live process on request'
            cand heap 'Snapshot, top, diff and flame-graph heap profiles of a live service (pprof), or its smaps'
            cand stacks 'Goroutines and threads grouped by identical stack, stuck ones first; safe in production'
            cand triage 'Sample the process over a window, tell which kind of drift it is, and print the card that fits'
            cand runbook 'Print the runbook cards: all of them listed, or one by kind'
            cand metrics 'Print one Prometheus/OpenMetrics exposition of the targets'' state now (for node_exporter''s textfile collector)'
            cand serve 'Serve the `metrics` exposition on GET /metrics for Prometheus, re-reading the targets on every scrape'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'steady;fds'= {
            cand --name 'Every process whose command name or executable path matches REGEX (one report each)'
            cand --top 'Show this many groups (0 for all)'
            cand --over 'Scan twice, this long apart, and show growth per group (e.g. 30s, 5m; at least 1s)'
            cand --kind 'With --list: only descriptors of these kinds, comma-separated (tcp,pipe; the names of the KIND column)'
            cand --match 'With --list: only descriptors whose target (path, address, `pipe`…) matches REGEX'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --list 'One row per descriptor, like lsfd: number, kind, target, inode, open flags, mode, position, bytes a deleted file pins'
            cand --peers 'Who holds the other end of each pipe, unix socket, TCP connection within the network namespace and eventfd (lsfd''s ENDPOINTS): reads every process''s descriptor table once'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;limits'= {
            cand --name 'Every process whose command name or executable path matches REGEX (one report each)'
            cand --set 'Change a limit of the live process, as prlimit: NOFILE=4096:8192, NOFILE=4096: (soft only), NOFILE=:8192 (hard only), CORE=unlimited (a single value sets both); repeat for several'
            cand --set-nofile 'Change RLIMIT_NOFILE to SOFT (the hard limit stays), or SOFT:HARD'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --all 'Show every resource limit (prlimit''s table), not only RLIMIT_NOFILE'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;heap'= {
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand snapshot 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then'
            cand top 'The functions (or lines) holding the most memory in one profile'
            cand diff 'What grew between two profiles, or over a window of a live process'
            cand list 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'steady;heap;snapshot'= {
            cand -o 'Where to write the profile (default heap-PID-YYYYMMDDTHHMMSS.pb.gz in local time; facts go to FILE.json)'
            cand --out 'Where to write the profile (default heap-PID-YYYYMMDDTHHMMSS.pb.gz in local time; facts go to FILE.json)'
            cand --url 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)'
            cand --port 'The loopback port that serves /debug/pprof, instead of discovering it'
            cand --max-bytes 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --gc 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;heap;top'= {
            cand --sample 'Which values to read (Go leaves the profile''s default unset)'
            cand --top 'Show this many entries (0 for all)'
            cand --flame 'Write a flame graph (a differential one for diff) as SVG'
            cand --focus 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus'
            cand --ignore 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore'
            cand --url 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)'
            cand --port 'The loopback port that serves /debug/pprof, instead of discovering it'
            cand --max-bytes 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --lines 'Per file:line instead of per function'
            cand --cum 'Sort by cumulative instead of flat values'
            cand --folded 'Print folded stacks (`a;b;c value`, or `stack base new` for diff) instead of the table'
            cand --gc 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;heap;diff'= {
            cand --over 'Take both snapshots of the live PID, this long apart (e.g. 30m; at least 1s), and show growth per minute'
            cand --sample 'Which values to read (Go leaves the profile''s default unset)'
            cand --top 'Show this many entries (0 for all)'
            cand --flame 'Write a flame graph (a differential one for diff) as SVG'
            cand --focus 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus'
            cand --ignore 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore'
            cand --url 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)'
            cand --port 'The loopback port that serves /debug/pprof, instead of discovering it'
            cand --max-bytes 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --lines 'Per file:line instead of per function'
            cand --cum 'Sort by cumulative instead of flat values'
            cand --folded 'Print folded stacks (`a;b;c value`, or `stack base new` for diff) instead of the table'
            cand --gc 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;heap;list'= {
            cand --sample 'Which values to read (Go leaves the profile''s default unset)'
            cand --focus 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus'
            cand --ignore 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore'
            cand --url 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)'
            cand --port 'The loopback port that serves /debug/pprof, instead of discovering it'
            cand --max-bytes 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --gc 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;heap;help'= {
            cand snapshot 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then'
            cand top 'The functions (or lines) holding the most memory in one profile'
            cand diff 'What grew between two profiles, or over a window of a live process'
            cand list 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'steady;heap;help;snapshot'= {
        }
        &'steady;heap;help;top'= {
        }
        &'steady;heap;help;diff'= {
        }
        &'steady;heap;help;list'= {
        }
        &'steady;heap;help;help'= {
        }
        &'steady;stacks'= {
            cand --file 'Read a goroutine dump from FILE (`-` for stdin): ?debug=2 or ?debug=1 output, or a SIGQUIT/panic dump from the logs'
            cand --stuck-after 'A group is stuck when all its members with an age waited this many minutes or more (and it holds 5+ goroutines or waits on a lock)'
            cand --match 'Keep groups with a frame (function or file; for threads: name, syscall, wchan, kernel stack) matching REGEX'
            cand --state 'Keep groups whose state contains STATE (e.g. "chan receive", "IO wait", "locked to thread"; for threads D, S, R or a syscall)'
            cand --min-count 'Keep groups with at least N members'
            cand --top 'Show this many groups (0 for all)'
            cand --max-full-dump 'Fetch the full ?debug=2 dump only below this many goroutines'
            cand --over 'Threads: sample CPU twice, this long apart, to tell spinning threads from blocked ones'
            cand --flame 'Write a flame graph (SVG) of the groups that pass the filters: the goroutines, or the threads with --threads or when there are none'
            cand --url 'The pprof handler to use instead of discovering it'
            cand --port 'The loopback port that serves /debug/pprof'
            cand --max-bytes 'Refuse dumps larger than this'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --goroutines 'Only goroutines (needs a pprof endpoint or --file)'
            cand --threads 'Only OS threads'
            cand --similar 'Also merge stacks that differ only in line numbers'
            cand --allow-stw 'Fetch ?debug=2 whatever the count, accepting its stop-the-world pause'
            cand --folded 'Print folded stacks (`a;b;c count`) of the groups that pass the filters instead of the table: the goroutines, or the threads with --threads or when there are none'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;triage'= {
            cand --window 'How long to sample'
            cand --interval 'Time between samples'
            cand --probe 'Time one GET of this loopback URL each interval, to measure latency drift'
            cand --record 'Append each sample to FILE as a JSON line'
            cand --from 'Judge a recording made with --record instead of sampling'
            cand --url 'The pprof handler to use instead of discovering it'
            cand --port 'The loopback port that serves /debug/pprof'
            cand --sliding 'With --from: judge every window of this width along the recording, one line per offset'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --gc 'Force a GC before each Go sample, so memory is judged on exact live figures even when the target collects rarely (costs the target a full GC each time)'
            cand --full-window 'Sample the whole window even when a verdict is sure sooner'
            cand --leak-profile 'At the end, ask the runtime''s goroutine leak detector (/debug/pprof/goroutineleak, Go 1.26 built with GOEXPERIMENT=goroutineleakprofile, or 1.27): it runs a special GC whose cost can grow quadratically with the heap, and it never reports I/O waits'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;runbook'= {
            cand memory-drift ''
            cand fd-exhaustion ''
            cand goroutine-leak ''
            cand thread-leak ''
            cand allocator-fragmentation ''
            cand deadline-drift ''
            cand steady ''
            cand --pid 'Fill the PID into the card''s commands'
            cand --format 'text for a terminal, markdown for an incident channel'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;metrics'= {
            cand --name 'Every process whose command name (comm) or executable file name matches REGEX'
            cand -o 'Write the exposition to FILE atomically (temp file + rename) instead of stdout'
            cand --out 'Write the exposition to FILE atomically (temp file + rename) instead of stdout'
            cand --top 'Descriptor groups per target in steady_fd_group_open (at most 20)'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;serve'= {
            cand --listen 'Address to serve /metrics on (loopback unless --allow-remote)'
            cand --name 'Follow every process whose command name (comm) or executable file name matches REGEX'
            cand --pid 'Process IDs of the targets'
            cand --go-interval 'Fetch Go runtime figures at most this often per target, and serve the last ones between'
            cand --top 'Descriptor groups per target in steady_fd_group_open (at most 20)'
            cand --max-scrapes 'Connections served at once; more are answered 503'
            cand --color 'Colour the tables: auto colours only on a terminal and honours NO_COLOR'
            cand --timeout 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)'
            cand --allow-remote 'Allow a --listen address other than loopback'
            cand --json 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'steady;help'= {
            cand fds 'Count open file descriptors by kind and group them so the pile-up stands out'
            cand limits 'Show RLIMIT_NOFILE (or every limit, as prlimit) and headroom; change limits of a live process on request'
            cand heap 'Snapshot, top, diff and flame-graph heap profiles of a live service (pprof), or its smaps'
            cand stacks 'Goroutines and threads grouped by identical stack, stuck ones first; safe in production'
            cand triage 'Sample the process over a window, tell which kind of drift it is, and print the card that fits'
            cand runbook 'Print the runbook cards: all of them listed, or one by kind'
            cand metrics 'Print one Prometheus/OpenMetrics exposition of the targets'' state now (for node_exporter''s textfile collector)'
            cand serve 'Serve the `metrics` exposition on GET /metrics for Prometheus, re-reading the targets on every scrape'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'steady;help;fds'= {
        }
        &'steady;help;limits'= {
        }
        &'steady;help;heap'= {
            cand snapshot 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then'
            cand top 'The functions (or lines) holding the most memory in one profile'
            cand diff 'What grew between two profiles, or over a window of a live process'
            cand list 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)'
        }
        &'steady;help;heap;snapshot'= {
        }
        &'steady;help;heap;top'= {
        }
        &'steady;help;heap;diff'= {
        }
        &'steady;help;heap;list'= {
        }
        &'steady;help;stacks'= {
        }
        &'steady;help;triage'= {
        }
        &'steady;help;runbook'= {
        }
        &'steady;help;metrics'= {
        }
        &'steady;help;serve'= {
        }
        &'steady;help;help'= {
        }
    ]
    if (and (> (count $words) 2) (has-key $values $command';'$words[-2])) {
        for value $values[$command';'$words[-2]] {
            cand $value ''
        }
    } else {
        $completions[$command]
    }
}
