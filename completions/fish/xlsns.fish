# fish completion for xlsns(8)

function __xlsns_columns
    set -l cols NS TYPE PATH NPROCS PID PPID COMMAND UID USER NETNSID NSFS PNS ONS NSID NTHREADS HOLDERS CONTAINER CONTAINERID ENGINE
    set -l tok (commandline -ct)
    set -l prefix (string match -r '^\+?(?:[^,]*,)*' -- $tok)
    for c in $cols
        echo $prefix$c
    end
end

function __xlsns_pids
    for p in /proc/[0-9]*
        string replace /proc/ '' -- $p
    end
end

complete -c xlsns -f
complete -c xlsns -s J -l json -d 'use JSON output format'
complete -c xlsns -s l -l list -d 'use list format output'
complete -c xlsns -s n -l noheadings -d "don't print headings"
complete -c xlsns -s o -l output -x -a '(__xlsns_columns)' -d 'define which output columns to use'
complete -c xlsns -l output-all -d 'output all columns'
complete -c xlsns -s P -l persistent -d 'namespaces without processes'
complete -c xlsns -s p -l task -x -a '(__xlsns_pids)' -d 'print process namespaces'
complete -c xlsns -s r -l raw -d 'use the raw output format'
complete -c xlsns -s u -l notruncate -d "don't truncate text in columns"
complete -c xlsns -s W -l nowrap -d "don't use multi-line representation"
complete -c xlsns -s t -l type -x -a 'mnt net ipc user pid uts cgroup time' -d 'namespace type'
complete -c xlsns -s T -l tree -f -a 'process parent owner' -d 'use tree format'
complete -c xlsns -s Q -l filter -x -d 'print only the namespaces that match'
complete -c xlsns -l source -x -a 'auto bpf proc' -d 'where processes are read from'
complete -c xlsns -l watch -d 'print namespaces as they appear and vanish'
complete -c xlsns -l interval -x -d 'how often --watch rescans without BPF'
complete -c xlsns -s H -l list-columns -d 'list the available columns'
complete -c xlsns -s h -l help -d 'display this help'
complete -c xlsns -s V -l version -d 'display version'
complete -c xlsns -n 'not string match -q -- "-*" (commandline -ct)' -a '(xlsns -n -r -o NS 2>/dev/null)' -d namespace
