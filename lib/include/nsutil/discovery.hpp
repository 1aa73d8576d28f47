/// @file
/// Finding every namespace on the system: through processes, threads, open descriptors,
/// sockets, bind mounts in every mount namespace, and the parent/owner ancestors of those.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nsutil/export.hpp>
#include <nsutil/ns_handle.hpp>
#include <nsutil/ns_type.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nsutil {

/// What keeps a namespace alive; a namespace may have several holders at once.
enum class ns_holder : std::uint8_t {
  process,     ///< a process is in it (its /proc/PID/ns entry)
  thread,      ///< a thread is in it that its process's main thread is not
  descriptor,  ///< a process holds an open descriptor of its nsfs file
  socket,      ///< a socket of some process belongs to it (network namespaces only)
  bind_mount,  ///< its nsfs file is bind-mounted, in any mount namespace
  child,       ///< it is the parent or owner of another namespace found
};

/// The name of a holder as xlsns prints it ("process", "thread", "fd", "socket",
/// "mount", "child").
NSUTIL_API std::string_view to_string(ns_holder holder) noexcept;

/// A set of holders.
struct ns_holders {
  /// Bit N for the holder whose ns_holder value is N.
  std::uint8_t bits = 0;
  /// Adds `h`.
  void add(ns_holder h) noexcept { bits |= static_cast<std::uint8_t>(1U << static_cast<int>(h)); }
  /// Whether `h` is among them.
  [[nodiscard]] bool contains(ns_holder h) const noexcept {
    return (bits & (1U << static_cast<int>(h))) != 0;
  }
};

/// One process seen by the scan.
struct scanned_process {
  /// Its PID, in the caller's PID namespace.
  pid_t pid = 0;
  /// Its parent's PID; 0 until read (see `detailed`).
  pid_t ppid = 0;
  /// The owner of /proc/PID (the effective UID of the process, as lsns reports it).
  uid_t uid = 0;
  /// Whether uid (and ppid, when asked for) were read (see discovery_options::details).
  bool detailed = false;
};

/// Which processes get their UID (one stat of /proc/PID each) and PPID (one read of
/// /proc/PID/stat each, see discovery_options::ppids) read.
enum class process_details {
  none,             ///< none
  representatives,  ///< the lowest PID of each namespace (what lsns prints)
  all,              ///< every process
};

/// Reads the UID of `proc` (by its pid), its PPID when `ppid`, and sets `detailed`. Returns
/// false when the process has gone or cannot be read. Never throws.
NSUTIL_API bool read_details(scanned_process& proc, bool ppid = true) noexcept;

/// One namespace found by discover().
struct found_namespace {
  ns_type type = ns_type::mnt;
  /// Device and inode of its nsfs file (lsns's NS column is the inode).
  ns_inode inode;
  /// The 64-bit ID from NS_GET_ID (Linux 6.18), with discovery_options::ids or where the source
  /// gave it; nullopt on older kernels or when it could not be opened (a bind mount seen only
  /// inside another mount namespace without processes).
  std::optional<std::uint64_t> id;
  /// PIDs of the processes in it (by /proc/PID/ns, i.e. their main thread), ascending.
  std::vector<pid_t> pids;
  /// The lowest PID whose process has some thread in it (the representative for a namespace
  /// that only a thread is in), or 0.
  pid_t thread_pid = 0;
  /// How many threads (tasks) are in it; counted only when discovery_options::threads is set.
  std::size_t nthreads = 0;
  ns_holders holders;
  /// Where it is bind-mounted in the caller's mount namespace (lsns's NSFS), in mount order.
  std::vector<std::string> mounts;
  /// Bind mounts inside other mount namespaces, as "mnt:[INODE]:/path".
  std::vector<std::string> foreign_mounts;
  /// A path that opens it now ("/proc/PID/ns/net", a bind mount, "/proc/PID/fd/N"), or empty.
  std::string path;
  /// With discovery_options::relations: the inode of the parent (pid and user namespaces) and
  /// of the owning user namespace; 0 when there is none or it is out of reach.
  std::uint64_t parent_ino = 0;
  std::uint64_t owner_ino = 0;
  /// With discovery_options::relations, or owner_uids for a namespace no process or thread is
  /// in: the creator of its owning user namespace (NS_GET_OWNER_UID; for a user namespace, its
  /// own creator).
  std::optional<uid_t> owner_uid;
  /// With discovery_options::netnsids, for a network namespace: its peer ID as the caller's
  /// network namespace sees it (netnsid_query; -1 when none is assigned); nullopt when it could
  /// not be asked (no descriptor, the process has gone, or the kernel refused).
  std::optional<int> netnsid;
};

/// Where discover() reads processes, threads and descriptors from.
enum class discovery_source : std::uint8_t {
  /// The BPF iterators where they can be used and either pay off (the system runs at least
  /// 150 threads, as /proc/loadavg counts them: loading them costs a few milliseconds, about
  /// what the /proc walk of 130 threads does) or see more (/proc/1/ns cannot be read), else
  /// /proc, without saying why.
  automatic,
  /// The BPF task and task_file iterators of libnsutil's own BPF programs (lib/src/discovery/bpf),
  /// in one read
  /// each: needs kernel BTF (/sys/kernel/btf/vmlinux), CAP_BPF (or CAP_SYS_ADMIN) and
  /// CAP_PERFMON, bpf(2) not refused by seccomp, and the initial PID namespace (the iterators
  /// report global PIDs). discover() throws error_reason::no_bpf where they cannot be used.
  bpf,
  /// /proc/PID/ns, /proc/PID/task/TID/ns and /proc/PID/fd of every process.
  proc,
};

/// The name of a source: "auto", "bpf" or "proc".
NSUTIL_API std::string_view to_string(discovery_source source) noexcept;

/// What discover() looks at. Each source costs time; leave off what is not needed.
struct discovery_options {
  /// sizeof(discovery_options) in the caller's build; leave it as it is. The library refuses
  /// another size (EINVAL), so that a program built against other headers is not misread.
  std::uint32_t struct_size = sizeof(discovery_options);
  /// Only namespaces of these types are looked for (and only their /proc entries read).
  ns_set types = ns_set::all();
  /// Where processes, threads and descriptors are read from: by default the BPF iterators
  /// where they can be used, else /proc (see discovery_source). discovery::source says which.
  discovery_source source = discovery_source::automatic;
  /// The namespaces of threads other than the main one, and thread counts.
  bool threads = true;
  /// Open namespace descriptors of every process.
  bool descriptors = true;
  /// The network namespaces of every process's sockets (pidfd_getfd + SIOCGSKNS, Linux 5.6;
  /// needs ptrace rights over the process).
  bool sockets = true;
  /// nsfs bind mounts: in every mount namespace through NS_MNT_GET_NEXT and listmount/statmount
  /// (Linux 6.12), else through /proc/PID/mountinfo of one process per mount namespace, and for
  /// a mount namespace that no process is in but a bind mount holds, from inside it: a
  /// short-lived thread of the caller enters it (unshare(CLONE_FS), setns) and reads its
  /// mountinfo. The calling thread's namespaces do not change.
  bool bind_mounts = true;
  /// Parent and owner links, and the ancestors that nothing else holds (NS_GET_PARENT,
  /// NS_GET_USERNS, Linux 4.9), and owner_uid.
  bool relations = false;
  /// owner_uid of the namespaces that no process or thread is in (one open, when no source
  /// gave a descriptor, and NS_GET_USERNS + NS_GET_OWNER_UID each), without `relations`.
  bool owner_uids = false;
  /// netnsid of every network namespace: by the PID of a process (or thread) in it, the
  /// rtnetlink requests sent in batches; for one that no process or thread is in, through a
  /// descriptor (one open, when no source gave one, and one request each), since a namespace
  /// that only a socket holds has no path to open later.
  bool netnsids = false;
  /// With `relations`: add the owning user namespaces even when user is not in `types` (as
  /// lsns's parent and owner trees do).
  bool owners_of_any_type = false;
  /// NS_GET_ID for every namespace whose ID no source gave (one open each). Namespaces are
  /// keyed by their ID where the source knows it (the BPF task iterator on Linux 6.18, listns),
  /// else by inode, which no two live namespaces share: only an inode the kernel reuses during
  /// the scan could merge two.
  bool ids = true;
  /// listns(2) (Linux 6.19, probed): adds namespaces no other source found.
  bool listns = true;
  /// Which processes get their PPID and UID.
  process_details details = process_details::representatives;
  /// Whether their PPID is read too (not needed for lsns's default columns).
  bool ppids = true;
};

/// The result of discover().
struct NSUTIL_API discovery {
  /// Every namespace found, ascending by inode.
  std::vector<found_namespace> namespaces;
  /// Every process seen, ascending by PID.
  std::vector<scanned_process> processes;
  /// Processes (and mount namespaces) that could not be read for lack of privilege (EACCES,
  /// EPERM), whoever the caller is (root inside a user namespace reads no process outside it):
  /// when non-zero, the list is incomplete.
  std::size_t denied = 0;
  /// With discovery_options::relations: the first relation ioctl the kernel did not know
  /// (ENOTTY: "NS_GET_PARENT" and "NS_GET_USERNS" need Linux 4.9, "NS_GET_OWNER_UID" 4.11), or
  /// empty. The parent and owner links are then incomplete.
  std::string_view unsupported_ioctl;
  /// Where processes, threads and descriptors were read from: bpf or proc, never automatic.
  discovery_source source = discovery_source::proc;
  /// The index in `processes` of `pid`, or nullopt.
  [[nodiscard]] std::optional<std::size_t> find_process(pid_t pid) const noexcept;
};

/// Scans the system for namespaces. Processes that exit during the scan, and entries that
/// cannot be read (EACCES, ENOENT, ESRCH), are skipped; unreadable ones are counted in `denied`.
/// Needs no privilege: an unprivileged caller gets what it may see (its own processes). Throws
/// nsutil::error only when /proc itself cannot be read; with error_reason::no_bpf when
/// discovery_options::source is bpf and the BPF iterators cannot be used here (op() "bpf", the
/// errno of the failure; EXDEV outside the initial PID namespace); EINVAL ("discovery_options")
/// when the options' struct_size is not this library's. With the BPF iterators, needs what
/// discovery_source::bpf says; they are loaded and unloaded within the call. Does not change the
/// calling process.
NSUTIL_API discovery discover(const discovery_options& opts = {});

/// The command line of process `pid` as lsns prints it (arguments joined by spaces), falling
/// back to its name (/proc/PID/comm) when the command line is empty. Empty when unreadable.
NSUTIL_API std::string process_command(pid_t pid);

/// The namespace whose 64-bit ID is `id`, on every kernel that opens namespaces by ID: where
/// the kernel takes the ID alone (Linux 6.19), as ns_handle::open_by_id(id, expected); on
/// Linux 6.18, which also wants the type and inode, after a discover() that looks for the ID
/// among every process, thread, descriptor, socket and bind mount the caller can see, and their
/// parents and owners (a namespace that nothing visible holds is not found).
///
/// Privilege and errors: as ns_handle::open_by_id; on Linux 6.18 ENOENT says how many places
/// could not be read when some could not, and a namespace that is still there but refused is
/// EPERM. Does not change the calling process.
NSUTIL_API ns_handle open_namespace_by_id(std::uint64_t id, std::optional<ns_type> expected = {});

}  // namespace nsutil
