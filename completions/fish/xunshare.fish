# fish completion for xunshare(1)
# Long options: --boottime --cgroup --clear-env --fork --forward-signals --help --init --ipc --keep-caps --kill-child
#   --load-interp --map-auto --map-current-user --map-group --map-groups --map-root-user
#   --map-subids --map-user --map-users --monotonic --mount --mount-binfmt --mount-proc --net
#   --owner --pid --propagation --root --setgid --setgroups --setuid --time --user --uts
#   --version --wd --whitelist-env

# Options end at the program name; from there on complete the program's own arguments.
# Prints how many words come before the program (nothing while still in the options).
function __fish_xunshare_before_program
    set -l tokens (commandline -opc)
    set -l takes_value -R --root -w --wd -S --setuid -G --setgid --propagation --setgroups \
        --map-user --map-group --map-users --map-groups --owner --monotonic --boottime -l --load-interp \
        --whitelist-env
    set -l i 2
    while test $i -le (count $tokens)
        switch $tokens[$i]
            case --
                math $i
                return 0
            case '-*'
                contains -- $tokens[$i] $takes_value; and set i (math $i + 1)
            case '*'
                math $i - 1
                return 0
        end
        set i (math $i + 1)
    end
    return 1
end

function __fish_xunshare_no_program
    not __fish_xunshare_before_program >/dev/null
end

set -l cond __fish_xunshare_no_program
function __fish_xunshare_complete_program
    set -l n (__fish_xunshare_before_program); or return
    set -l tokens (commandline -opc)
    __fish_complete_subcommand --commandline $tokens[(math $n + 1)..-1] (commandline -ct)
end

complete -c xunshare -n "not $cond" -x -a '(__fish_xunshare_complete_program)'

complete -c xunshare -n $cond -s m -l mount -r -F -d 'New mount namespace [=FILE persists it]'
complete -c xunshare -n $cond -s u -l uts -r -F -d 'New UTS namespace [=FILE]'
complete -c xunshare -n $cond -s i -l ipc -r -F -d 'New IPC namespace [=FILE]'
complete -c xunshare -n $cond -s n -l net -r -F -d 'New network namespace [=FILE]'
complete -c xunshare -n $cond -s p -l pid -r -F -d 'New PID namespace (forks) [=FILE]'
complete -c xunshare -n $cond -s U -l user -r -F -d 'New user namespace [=FILE]'
complete -c xunshare -n $cond -s C -l cgroup -r -F -d 'New cgroup namespace [=FILE]'
complete -c xunshare -n $cond -s T -l time -r -F -d 'New time namespace [=FILE]'
complete -c xunshare -n $cond -s f -l fork -d 'Run the program as a child'
complete -c xunshare -n $cond -l init -d 'Minimal init as PID 1, the program as PID 2'
complete -c xunshare -n $cond -l kill-child -x -a 'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS IOT CLD POLL RTMIN RTMIN+1 RTMAX-1 RTMAX' -d 'Signal the child when xunshare dies'
complete -c xunshare -n $cond -l forward-signals -d 'Pass SIGTERM and SIGINT to the child'
complete -c xunshare -n $cond -l mount-proc -x -a '(__fish_complete_directories)' -d 'Mount a new proc'
complete -c xunshare -n $cond -l mount-binfmt -x -a '(__fish_complete_directories)' -d 'Mount binfmt_misc'
complete -c xunshare -n $cond -s l -l load-interp -x -d 'Register a binfmt_misc interpreter'
complete -c xunshare -n $cond -l propagation -x -a 'slave shared private unchanged' -d 'Mount propagation'
complete -c xunshare -n $cond -l setgroups -x -a 'allow deny' -d 'Control setgroups in the user namespace'
complete -c xunshare -n $cond -l keep-caps -d 'Keep capabilities across exec'
complete -c xunshare -n $cond -l clear-env -d 'Clear the environment of the program'
complete -c xunshare -n $cond -l whitelist-env -x -a '(set -n)' -d 'Clear the environment except these variables'
complete -c xunshare -n $cond -s R -l root -x -a '(__fish_complete_directories)' -d 'Change the root directory'
complete -c xunshare -n $cond -s w -l wd -x -a '(__fish_complete_directories)' -d 'Change the working directory'
complete -c xunshare -n $cond -s S -l setuid -x -d 'User ID to run as'
complete -c xunshare -n $cond -s G -l setgid -x -d 'Group ID to run as'
complete -c xunshare -n $cond -l map-user -x -a '(__fish_complete_users)' -d 'Map the current user to a uid'
complete -c xunshare -n $cond -l map-group -x -a '(__fish_complete_groups)' -d 'Map the current group to a gid'
complete -c xunshare -n $cond -s r -l map-root-user -d 'Map the current user to root'
complete -c xunshare -n $cond -s c -l map-current-user -d 'Map the current user to itself'
complete -c xunshare -n $cond -l map-users -x -a 'auto subids all' -d 'Map a range of user IDs'
complete -c xunshare -n $cond -l map-groups -x -a 'auto subids all' -d 'Map a range of group IDs'
complete -c xunshare -n $cond -l map-auto -d 'Map the first block of subordinate IDs'
complete -c xunshare -n $cond -l map-subids -d 'Map the subordinate IDs onto themselves'
complete -c xunshare -n $cond -l owner -x -d 'UID:GID that own the new user namespace'
complete -c xunshare -n $cond -l monotonic -x -d 'CLOCK_MONOTONIC offset (seconds)'
complete -c xunshare -n $cond -l boottime -x -d 'CLOCK_BOOTTIME offset (seconds)'
complete -c xunshare -n $cond -s h -l help -d 'Show help'
complete -c xunshare -n $cond -s V -l version -d 'Show version'
complete -c xunshare -n $cond -x -a '(__fish_complete_command)'
