
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

    $completions = @(switch ($command) {
        'steady' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('fds', 'fds', [CompletionResultType]::ParameterValue, 'Count open file descriptors by kind and group them so the pile-up stands out')
            [CompletionResult]::new('limits', 'limits', [CompletionResultType]::ParameterValue, 'Show RLIMIT_NOFILE (or every limit) and headroom; raise it on a live process on request')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (for packaging)')
            break
        }
        'steady;fds' {
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Show this many groups (0 for all)')
            [CompletionResult]::new('--over', '--over', [CompletionResultType]::ParameterName, 'Scan twice, this long apart, and show growth per group (e.g. 30s, 5m)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;limits' {
            [CompletionResult]::new('--set-nofile', '--set-nofile', [CompletionResultType]::ParameterName, 'Change RLIMIT_NOFILE of the live process to SOFT, or SOFT:HARD (prlimit)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Show every resource limit, not only RLIMIT_NOFILE')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'steady;generate' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Directory to write completions/ and man/ into')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'Colour the tables: auto colours only on a terminal and honours NO_COLOR')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)')
            [CompletionResult]::new('--proc-root', '--proc-root', [CompletionResultType]::ParameterName, 'Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
