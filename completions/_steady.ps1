
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'steady' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'steady'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $values = @{
        'steady;--color' = @('auto', 'always', 'never')
        'steady;fds;--color' = @('auto', 'always', 'never')
        'steady;limits;--color' = @('auto', 'always', 'never')
        'steady;heap;--color' = @('auto', 'always', 'never')
        'steady;heap;snapshot;--color' = @('auto', 'always', 'never')
        'steady;heap;top;--sample' = @('inuse_space', 'inuse_objects', 'alloc_space', 'alloc_objects')
        'steady;heap;top;--color' = @('auto', 'always', 'never')
        'steady;heap;diff;--sample' = @('inuse_space', 'inuse_objects', 'alloc_space', 'alloc_objects')
        'steady;heap;diff;--color' = @('auto', 'always', 'never')
        'steady;heap;list;--sample' = @('inuse_space', 'inuse_objects', 'alloc_space', 'alloc_objects')
        'steady;heap;list;--color' = @('auto', 'always', 'never')
        'steady;stacks;--color' = @('auto', 'always', 'never')
        'steady;triage;--color' = @('auto', 'always', 'never')
        'steady;runbook;--format' = @('text', 'markdown')
        'steady;runbook;--color' = @('auto', 'always', 'never')
        'steady;metrics;--color' = @('auto', 'always', 'never')
        'steady;serve;--color' = @('auto', 'always', 'never')
    }
    $last = $commandElements[$commandElements.Count - 1].ToString()
    $previous = if ($wordToComplete -ne '' -and $last -eq $wordToComplete -and $commandElements.Count -ge 2) {
        $commandElements[$commandElements.Count - 2].ToString()
    } else { $last }
    if ($values.ContainsKey("$command;$previous")) {
        $values["$command;$previous"] | Where-Object { $_ -like "$wordToComplete*" } |
            ForEach-Object { [CompletionResult]::new($_, $_, [CompletionResultType]::ParameterValue, $_) }
        return
    }

    $completions = @(switch ($command) {
        'steady' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('fds', 'fds', [CompletionResultType]::ParameterValue, 'Count open file descriptors by kind and group them so the pile-up stands out')
            [CompletionResult]::new('limits', 'limits', [CompletionResultType]::ParameterValue, 'Show RLIMIT_NOFILE (or every limit, as prlimit) and headroom; change limits of a live process on request')
            [CompletionResult]::new('heap', 'heap', [CompletionResultType]::ParameterValue, 'Snapshot, top, diff and flame-graph heap profiles of a live service (pprof), or its smaps')
            [CompletionResult]::new('stacks', 'stacks', [CompletionResultType]::ParameterValue, 'Goroutines and threads grouped by identical stack, stuck ones first; safe in production')
            [CompletionResult]::new('triage', 'triage', [CompletionResultType]::ParameterValue, 'Sample the process over a window, tell which kind of drift it is, and print the card that fits')
            [CompletionResult]::new('runbook', 'runbook', [CompletionResultType]::ParameterValue, 'Print the runbook cards: all of them listed, or one by kind')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Print one Prometheus/OpenMetrics exposition of the targets'' state now (for node_exporter''s textfile collector)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the `metrics` exposition on GET /metrics for Prometheus, re-reading the targets on every scrape')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'steady;fds' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Every process whose command name or executable path matches REGEX (one report each)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Show this many groups (0 for all)')
            [CompletionResult]::new('--over', '--over', [CompletionResultType]::ParameterName, 'Scan twice, this long apart, and show growth per group (e.g. 30s, 5m; at least 1s)')
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'With --list: only descriptors of these kinds, comma-separated (tcp,pipe; the names of the KIND column)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'With --list: only descriptors whose target (path, address, `pipe`…) matches REGEX')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'One row per descriptor, like lsfd: number, kind, target, inode, open flags, mode, position, bytes a deleted file pins')
            [CompletionResult]::new('--peers', '--peers', [CompletionResultType]::ParameterName, 'Who holds the other end of each pipe, unix socket, TCP connection within the network namespace and eventfd (lsfd''s ENDPOINTS): reads every process''s descriptor table once')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;limits' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Every process whose command name or executable path matches REGEX (one report each)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Change a limit of the live process, as prlimit: NOFILE=4096:8192, NOFILE=4096: (soft only), NOFILE=:8192 (hard only), CORE=unlimited (a single value sets both); repeat for several')
            [CompletionResult]::new('--set-nofile', '--set-nofile', [CompletionResultType]::ParameterName, 'Change RLIMIT_NOFILE to SOFT (the hard limit stays), or SOFT:HARD')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show every resource limit (prlimit''s table), not only RLIMIT_NOFILE')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;heap' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'The functions (or lines) holding the most memory in one profile')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'What grew between two profiles, or over a window of a live process')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'steady;heap;snapshot' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the profile (default heap-PID-YYYYMMDDTHHMMSS.pb.gz in local time; facts go to FILE.json)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the profile (default heap-PID-YYYYMMDDTHHMMSS.pb.gz in local time; facts go to FILE.json)')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The loopback port that serves /debug/pprof, instead of discovering it')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--gc', '--gc', [CompletionResultType]::ParameterName, 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;heap;top' {
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Which values to read (Go leaves the profile''s default unset)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Show this many entries (0 for all)')
            [CompletionResult]::new('--flame', '--flame', [CompletionResultType]::ParameterName, 'Write a flame graph (a differential one for diff) as SVG')
            [CompletionResult]::new('--focus', '--focus', [CompletionResultType]::ParameterName, 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus')
            [CompletionResult]::new('--ignore', '--ignore', [CompletionResultType]::ParameterName, 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The loopback port that serves /debug/pprof, instead of discovering it')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'Per file:line instead of per function')
            [CompletionResult]::new('--cum', '--cum', [CompletionResultType]::ParameterName, 'Sort by cumulative instead of flat values')
            [CompletionResult]::new('--folded', '--folded', [CompletionResultType]::ParameterName, 'Print folded stacks (`a;b;c value`, or `stack base new` for diff) instead of the table')
            [CompletionResult]::new('--gc', '--gc', [CompletionResultType]::ParameterName, 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;heap;diff' {
            [CompletionResult]::new('--over', '--over', [CompletionResultType]::ParameterName, 'Take both snapshots of the live PID, this long apart (e.g. 30m; at least 1s), and show growth per minute')
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Which values to read (Go leaves the profile''s default unset)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Show this many entries (0 for all)')
            [CompletionResult]::new('--flame', '--flame', [CompletionResultType]::ParameterName, 'Write a flame graph (a differential one for diff) as SVG')
            [CompletionResult]::new('--focus', '--focus', [CompletionResultType]::ParameterName, 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus')
            [CompletionResult]::new('--ignore', '--ignore', [CompletionResultType]::ParameterName, 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The loopback port that serves /debug/pprof, instead of discovering it')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'Per file:line instead of per function')
            [CompletionResult]::new('--cum', '--cum', [CompletionResultType]::ParameterName, 'Sort by cumulative instead of flat values')
            [CompletionResult]::new('--folded', '--folded', [CompletionResultType]::ParameterName, 'Print folded stacks (`a;b;c value`, or `stack base new` for diff) instead of the table')
            [CompletionResult]::new('--gc', '--gc', [CompletionResultType]::ParameterName, 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;heap;list' {
            [CompletionResult]::new('--sample', '--sample', [CompletionResultType]::ParameterName, 'Which values to read (Go leaves the profile''s default unset)')
            [CompletionResult]::new('--focus', '--focus', [CompletionResultType]::ParameterName, 'Keep only samples with a frame (function or file name) matching REGEX, as pprof -focus')
            [CompletionResult]::new('--ignore', '--ignore', [CompletionResultType]::ParameterName, 'Drop samples with a frame (function or file name) matching REGEX, as pprof -ignore')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The pprof handler to use instead of discovering it (e.g. http://127.0.0.1:6060/debug/pprof)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The loopback port that serves /debug/pprof, instead of discovering it')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Refuse profiles larger than this, downloaded or decompressed (e.g. 64MiB)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--gc', '--gc', [CompletionResultType]::ParameterName, 'Ask the runtime for a GC first (?gc=1), so the profile shows what is live now')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;heap;help' {
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'The functions (or lines) holding the most memory in one profile')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'What grew between two profiles, or over a window of a live process')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'steady;heap;help;snapshot' {
            break
        }
        'steady;heap;help;top' {
            break
        }
        'steady;heap;help;diff' {
            break
        }
        'steady;heap;help;list' {
            break
        }
        'steady;heap;help;help' {
            break
        }
        'steady;stacks' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read a goroutine dump from FILE (`-` for stdin): ?debug=2 or ?debug=1 output, or a SIGQUIT/panic dump from the logs')
            [CompletionResult]::new('--stuck-after', '--stuck-after', [CompletionResultType]::ParameterName, 'A group is stuck when all its members with an age waited this many minutes or more (and it holds 5+ goroutines or waits on a lock)')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Keep groups with a frame (function or file; for threads: name, syscall, wchan, kernel stack) matching REGEX')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Keep groups whose state contains STATE (e.g. "chan receive", "IO wait", "locked to thread"; for threads D, S, R or a syscall)')
            [CompletionResult]::new('--min-count', '--min-count', [CompletionResultType]::ParameterName, 'Keep groups with at least N members')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Show this many groups (0 for all)')
            [CompletionResult]::new('--max-full-dump', '--max-full-dump', [CompletionResultType]::ParameterName, 'Fetch the full ?debug=2 dump only below this many goroutines')
            [CompletionResult]::new('--over', '--over', [CompletionResultType]::ParameterName, 'Threads: sample CPU twice, this long apart, to tell spinning threads from blocked ones')
            [CompletionResult]::new('--flame', '--flame', [CompletionResultType]::ParameterName, 'Write a flame graph (SVG) of the groups that pass the filters: the goroutines, or the threads with --threads or when there are none')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The pprof handler to use instead of discovering it')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The loopback port that serves /debug/pprof')
            [CompletionResult]::new('--max-bytes', '--max-bytes', [CompletionResultType]::ParameterName, 'Refuse dumps larger than this')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--goroutines', '--goroutines', [CompletionResultType]::ParameterName, 'Only goroutines (needs a pprof endpoint or --file)')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Only OS threads')
            [CompletionResult]::new('--similar', '--similar', [CompletionResultType]::ParameterName, 'Also merge stacks that differ only in line numbers')
            [CompletionResult]::new('--allow-stw', '--allow-stw', [CompletionResultType]::ParameterName, 'Fetch ?debug=2 whatever the count, accepting its stop-the-world pause')
            [CompletionResult]::new('--folded', '--folded', [CompletionResultType]::ParameterName, 'Print folded stacks (`a;b;c count`) of the groups that pass the filters instead of the table: the goroutines, or the threads with --threads or when there are none')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;triage' {
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'How long to sample')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between samples')
            [CompletionResult]::new('--probe', '--probe', [CompletionResultType]::ParameterName, 'Time one GET of this loopback URL each interval, to measure latency drift')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Append each sample to FILE as a JSON line')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Judge a recording made with --record instead of sampling')
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The pprof handler to use instead of discovering it')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The loopback port that serves /debug/pprof')
            [CompletionResult]::new('--sliding', '--sliding', [CompletionResultType]::ParameterName, 'With --from: judge every window of this width along the recording, one line per offset')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--gc', '--gc', [CompletionResultType]::ParameterName, 'Force a GC before each Go sample, so memory is judged on exact live figures even when the target collects rarely (costs the target a full GC each time)')
            [CompletionResult]::new('--full-window', '--full-window', [CompletionResultType]::ParameterName, 'Sample the whole window even when a verdict is sure sooner')
            [CompletionResult]::new('--leak-profile', '--leak-profile', [CompletionResultType]::ParameterName, 'At the end, ask the runtime''s goroutine leak detector (/debug/pprof/goroutineleak, Go 1.26 built with GOEXPERIMENT=goroutineleakprofile, or 1.27): it runs a special GC whose cost can grow quadratically with the heap, and it never reports I/O waits')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;runbook' {
            [CompletionResult]::new('memory-drift', 'memory-drift', [CompletionResultType]::ParameterValue, 'memory-drift')
            [CompletionResult]::new('fd-exhaustion', 'fd-exhaustion', [CompletionResultType]::ParameterValue, 'fd-exhaustion')
            [CompletionResult]::new('goroutine-leak', 'goroutine-leak', [CompletionResultType]::ParameterValue, 'goroutine-leak')
            [CompletionResult]::new('thread-leak', 'thread-leak', [CompletionResultType]::ParameterValue, 'thread-leak')
            [CompletionResult]::new('allocator-fragmentation', 'allocator-fragmentation', [CompletionResultType]::ParameterValue, 'allocator-fragmentation')
            [CompletionResult]::new('deadline-drift', 'deadline-drift', [CompletionResultType]::ParameterValue, 'deadline-drift')
            [CompletionResult]::new('steady', 'steady', [CompletionResultType]::ParameterValue, 'steady')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'Fill the PID into the card''s commands')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'text for a terminal, markdown for an incident channel')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;metrics' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Every process whose command name (comm) or executable file name matches REGEX')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the exposition to FILE atomically (temp file + rename) instead of stdout')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the exposition to FILE atomically (temp file + rename) instead of stdout')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Descriptor groups per target in steady_fd_group_open (at most 20)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to serve /metrics on (loopback unless --allow-remote)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Follow every process whose command name (comm) or executable file name matches REGEX')
            [CompletionResult]::new('--pid', '--pid', [CompletionResultType]::ParameterName, 'Process IDs of the targets')
            [CompletionResult]::new('--go-interval', '--go-interval', [CompletionResultType]::ParameterName, 'Fetch Go runtime figures at most this often per target, and serve the last ones between')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Descriptor groups per target in steady_fd_group_open (at most 20)')
            [CompletionResult]::new('--max-scrapes', '--max-scrapes', [CompletionResultType]::ParameterName, 'Connections served at once; more are answered 503')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a --listen address other than loopback')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;help' {
            [CompletionResult]::new('fds', 'fds', [CompletionResultType]::ParameterValue, 'Count open file descriptors by kind and group them so the pile-up stands out')
            [CompletionResult]::new('limits', 'limits', [CompletionResultType]::ParameterValue, 'Show RLIMIT_NOFILE (or every limit, as prlimit) and headroom; change limits of a live process on request')
            [CompletionResult]::new('heap', 'heap', [CompletionResultType]::ParameterValue, 'Snapshot, top, diff and flame-graph heap profiles of a live service (pprof), or its smaps')
            [CompletionResult]::new('stacks', 'stacks', [CompletionResultType]::ParameterValue, 'Goroutines and threads grouped by identical stack, stuck ones first; safe in production')
            [CompletionResult]::new('triage', 'triage', [CompletionResultType]::ParameterValue, 'Sample the process over a window, tell which kind of drift it is, and print the card that fits')
            [CompletionResult]::new('runbook', 'runbook', [CompletionResultType]::ParameterValue, 'Print the runbook cards: all of them listed, or one by kind')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Print one Prometheus/OpenMetrics exposition of the targets'' state now (for node_exporter''s textfile collector)')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the `metrics` exposition on GET /metrics for Prometheus, re-reading the targets on every scrape')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'steady;help;fds' {
            break
        }
        'steady;help;limits' {
            break
        }
        'steady;help;heap' {
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save the heap profile exactly as served (go tool pprof reads it) with what was true then')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'The functions (or lines) holding the most memory in one profile')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'What grew between two profiles, or over a window of a live process')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Per-line figures of the functions matching REGEX (as go tool pprof -list; no source needed)')
            break
        }
        'steady;help;heap;snapshot' {
            break
        }
        'steady;help;heap;top' {
            break
        }
        'steady;help;heap;diff' {
            break
        }
        'steady;help;heap;list' {
            break
        }
        'steady;help;stacks' {
            break
        }
        'steady;help;triage' {
            break
        }
        'steady;help;runbook' {
            break
        }
        'steady;help;metrics' {
            break
        }
        'steady;help;serve' {
            break
        }
        'steady;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
