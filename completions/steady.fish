# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_steady_global_optspecs
    string join \n json color= timeout= proc-root= h/help V/version
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
complete -c steady -n "__fish_steady_needs_command" -l proc-root -d 'Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)' -r -F
complete -c steady -n "__fish_steady_needs_command" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_needs_command" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_needs_command" -f -a "fds" -d 'Count open file descriptors by kind and group them so the pile-up stands out'
complete -c steady -n "__fish_steady_needs_command" -f -a "limits" -d 'Show RLIMIT_NOFILE (or every limit) and headroom; raise it on a live process on request'
complete -c steady -n "__fish_steady_needs_command" -f -a "generate" -d 'Write shell completions and man pages (for packaging)'
complete -c steady -n "__fish_steady_using_subcommand fds" -l top -d 'Show this many groups (0 for all)' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l over -d 'Scan twice, this long apart, and show growth per group (e.g. 30s, 5m)' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand fds" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand fds" -l proc-root -d 'Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)' -r -F
complete -c steady -n "__fish_steady_using_subcommand fds" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand fds" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand fds" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand limits" -l set-nofile -d 'Change RLIMIT_NOFILE of the live process to SOFT, or SOFT:HARD (prlimit)' -r
complete -c steady -n "__fish_steady_using_subcommand limits" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand limits" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand limits" -l proc-root -d 'Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)' -r -F
complete -c steady -n "__fish_steady_using_subcommand limits" -l all -d 'Show every resource limit, not only RLIMIT_NOFILE'
complete -c steady -n "__fish_steady_using_subcommand limits" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand limits" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c steady -n "__fish_steady_using_subcommand limits" -s V -l version -d 'Print version'
complete -c steady -n "__fish_steady_using_subcommand generate" -l out -d 'Directory to write completions/ and man/ into' -r -F
complete -c steady -n "__fish_steady_using_subcommand generate" -l color -d 'Colour the tables: auto colours only on a terminal and honours NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c steady -n "__fish_steady_using_subcommand generate" -l timeout -d 'Give up on any single fetch from the target after this long (e.g. 500ms, 10s)' -r
complete -c steady -n "__fish_steady_using_subcommand generate" -l proc-root -d 'Read processes from this procfs root instead of /proc (a host /proc mounted in a pod, or a test tree)' -r -F
complete -c steady -n "__fish_steady_using_subcommand generate" -l json -d 'Print one JSON document on stdout instead of tables (stable field names, with a schema_version)'
complete -c steady -n "__fish_steady_using_subcommand generate" -s h -l help -d 'Print help'
complete -c steady -n "__fish_steady_using_subcommand generate" -s V -l version -d 'Print version'
