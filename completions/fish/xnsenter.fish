# fish completion for xnsenter(1)

function __fish_xnsenter_netns
    path basename /run/netns/* 2>/dev/null
end

# The names xlsns shows, OWNER/NAME for another user's; one of unknown owner (?/NAME) names nothing.
function __fish_xnsenter_containers
    xlsns -n -r -o CONTAINER 2>/dev/null | string match -v -- '?/*' | sort -u
end

complete -c xnsenter -f
complete -c xnsenter -s a -l all -d 'enter every namespace of the target'
complete -c xnsenter -s t -l target -x -a '(__fish_complete_pids)' -d 'target process'
complete -c xnsenter -l container -x -a '(__fish_xnsenter_containers)' -d 'the main process of a running container'
complete -c xnsenter -l keep-userns -d 'with --container, stay in your user namespace'
complete -c xnsenter -s m -l mount -d 'enter the mount namespace (=FILE)'
complete -c xnsenter -s u -l uts -d 'enter the UTS namespace (=FILE)'
complete -c xnsenter -s i -l ipc -d 'enter the IPC namespace (=FILE)'
complete -c xnsenter -s n -l net -d 'enter the network namespace (=FILE)'
complete -c xnsenter -s N -l net-socket -x -d 'enter the network namespace of a socket of the target'
complete -c xnsenter -l netns -x -a '(__fish_xnsenter_netns)' -d 'enter a network namespace of ip netns'
complete -c xnsenter -s p -l pid -d 'enter the PID namespace (=FILE)'
complete -c xnsenter -s C -l cgroup -d 'enter the cgroup namespace (=FILE)'
complete -c xnsenter -s U -l user -d 'enter the user namespace (=FILE)'
complete -c xnsenter -l user-parent -d 'enter the parent of the user namespace'
complete -c xnsenter -s T -l time -d 'enter the time namespace (=FILE)'
complete -c xnsenter -s S -l setuid -x -a 'follow' -d 'user ID to run as'
complete -c xnsenter -s G -l setgid -x -a 'follow' -d 'group ID to run as'
complete -c xnsenter -l preserve-credentials -d 'keep user and group IDs'
complete -c xnsenter -l keep-caps -d 'keep capabilities in the user namespace'
complete -c xnsenter -s r -l root -d 'change the root directory (=DIR)'
complete -c xnsenter -s w -l wd -d 'change the working directory (=DIR)'
complete -c xnsenter -s W -l wdns -d 'change the working directory, looked up inside (=DIR)'
complete -c xnsenter -s e -l env -d 'take the environment of the target'
complete -c xnsenter -s F -l no-fork -d 'do not fork before running the program'
complete -c xnsenter -s c -l join-cgroup -d 'join the cgroup of the target'
complete -c xnsenter -s Z -l follow-context -d 'take the SELinux context of the target'
complete -c xnsenter -s h -l help -d 'display help'
complete -c xnsenter -s V -l version -d 'display version'
complete -c xnsenter -x -a '(__fish_complete_subcommand -- -t --target --container -N --net-socket --netns -S --setuid -G --setgid)'
