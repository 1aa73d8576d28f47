// nsutil::watcher: kernel events (root) and rescans (anyone). Each test makes its namespaces
// itself and matches the events by inode or by the creator's PID, as other processes on the
// machine make namespaces of their own meanwhile.
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <nsutil/error.hpp>
#include <nsutil/unique_fd.hpp>
#include <nsutil/watch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

using nsutil::ns_origin;
using nsutil::ns_type;
using nsutil::watch_event;
using nsutil::watch_event_kind;
using nsutil::watch_options;
using nsutil::watch_source;
using nsutil::watcher;
using nsutil::test::inode_of;
using namespace std::chrono_literals;

namespace {

// Root in the initial PID namespace (the bpf source reports global PIDs), or the test is skipped.
// Whether the kernel refuses the light skeleton's loader (before Linux 5.17: E2BIG).
bool loader_refused() {
  static const bool refused = [] {
    try {
      watch_options o;
      o.types = nsutil::ns_set{ns_type::uts};
      o.source = watch_source::bpf;
      o.present = false;
      watcher probe(o);
      return false;
    } catch (const nsutil::error& e) {
      return e.reason() == nsutil::error_reason::no_bpf && e.errno_value() == E2BIG;
    }
  }();
  return refused;
}

#define NSUTIL_REQUIRE_BPF_HERE()                    \
  NSUTIL_REQUIRE_ROOT();                             \
  if (inode_of("/proc/self/ns/pid") != 0xEFFFFFFCU)  \
    NSUTIL_SKIP("not in the initial PID namespace"); \
  if (loader_refused())                              \
  NSUTIL_SKIP_KERNEL("bpf_lskel", "the kernel refuses the light skeleton's loader")

watch_options bpf_options(nsutil::ns_set types) {
  watch_options o;
  o.types = types;
  o.source = watch_source::bpf;
  o.present = false;
  return o;
}

// Polls `w` until `done` says so or `limit` passes; every event goes to `seen`.
template <class Done>
void poll_until(watcher& w, std::vector<watch_event>& seen, Done&& done,
                std::chrono::seconds limit = 30s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end)
    w.poll([&](const watch_event& e) { seen.push_back(e); }, 100ms);
}

// Runs `argv` and waits for it; returns its PID.
pid_t run(const std::vector<const char*>& argv) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execvp(argv[0], const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return pid;
}

// The raw tracepoint programs, used where the kernel refuses BPF trampolines, do not see every
// release (watcher::sees_all_releases): the tests of releases stop there, with a skip that
// NSUTIL_TESTS_MUST_WORK=1 turns into a failure (no kernel of the matrix refuses them).
#define NSUTIL_REQUIRE_ALL_RELEASES(w)                                                       \
  if (!(w).sees_all_releases())                                                              \
  NSUTIL_SKIP_KERNEL("bpf_trampolines",                                                      \
                     "the kernel refuses fentry/fexit programs; the tracepoint programs do " \
                     "not see this release")

const watch_event* find_event(const std::vector<watch_event>& seen, watch_event_kind kind,
                              std::uint64_t ino) {
  for (const auto& e : seen)
    if (e.kind == kind && e.inode == ino)
      return &e;
  return nullptr;
}

// Runs `make` in a forked child, which then exits: its PID, and the inode of its namespace of
// `type` as `make` left it.
std::pair<pid_t, std::uint64_t> made_in_child(const std::string& type,
                                              const std::function<void()>& make) {
  std::string made = nsutil::test::in_child([&] {
    make();
    return std::to_string(::getpid()) + " " + std::to_string(inode_of("/proc/self/ns/" + type));
  });
  return {std::stoi(made.substr(0, made.find(' '))), std::stoull(made.substr(made.find(' ') + 1))};
}

// Polls until the appeared event of inode `ino` comes, and returns it (the test fails without).
const watch_event* wait_appeared(watcher& w, std::vector<watch_event>& seen, std::uint64_t ino) {
  poll_until(w, seen, [&] { return find_event(seen, watch_event_kind::appeared, ino); });
  const auto* appeared = find_event(seen, watch_event_kind::appeared, ino);
  REQUIRE(appeared);
  return appeared;
}

// The IDs of the BPF programs, maps and links this process holds a descriptor of, from
// /proc/self/fdinfo ("prog_id:", "map_id:", "link_id:").
std::map<std::string, std::set<unsigned>> bpf_ids() {
  std::map<std::string, std::set<unsigned>> ids;
  DIR* dir = ::opendir("/proc/self/fdinfo");
  REQUIRE(dir != nullptr);
  while (dirent* d = ::readdir(dir)) {
    if (d->d_name[0] == '.')
      continue;
    std::string text;
    try {
      text = nsutil::read_file(std::string("/proc/self/fdinfo/") + d->d_name);
    } catch (const nsutil::error&) {
      continue;  // the directory's own descriptor, closed by now
    }
    for (const char* key : {"prog_id:", "map_id:", "link_id:"}) {
      // A link's fdinfo names its program too: count the link alone.
      if (std::strcmp(key, "prog_id:") == 0 && text.find("link_id:") != std::string::npos)
        continue;
      if (auto at = text.find(key); at != std::string::npos && (at == 0 || text[at - 1] == '\n'))
        ids[key].insert(static_cast<unsigned>(std::stoul(text.substr(at + std::strlen(key)))));
    }
  }
  ::closedir(dir);
  return ids;
}

// Whether the kernel still has the object of that ID (BPF_*_GET_FD_BY_ID: ENOENT once freed).
bool bpf_object_exists(const std::string& key, unsigned id) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  int cmd = BPF_PROG_GET_FD_BY_ID;
  if (key == "prog_id:") {
    attr.prog_id = id;
  } else if (key == "map_id:") {
    cmd = BPF_MAP_GET_FD_BY_ID;
    attr.map_id = id;
  } else {
    cmd = BPF_LINK_GET_FD_BY_ID;
    attr.link_id = id;
  }
  int fd = static_cast<int>(::syscall(SYS_bpf, cmd, &attr, sizeof attr));
  if (fd >= 0) {
    ::close(fd);
    return true;
  }
  return errno != ENOENT;
}

}  // namespace

TEST_CASE("the bpf watcher sees each `unshare -n true` appear and vanish", "[watch]") {
  NSUTIL_REQUIRE_BPF_HERE();
  watcher w(bpf_options({ns_type::net}));
  REQUIRE(w.source() == watch_source::bpf);
  constexpr int runs = 100;
  std::set<pid_t> pids;
  for (int i = 0; i < runs; ++i)
    pids.insert(run({"unshare", "-n", "true", nullptr}));

  // Inode numbers are reused as soon as they are free: an appeared event is matched with the
  // next vanished event of its namespace, in the order the events came, by its NSID where the
  // kernel has one (never reused; the tracepoint programs see a network namespace's structure
  // freed after its number), else by its inode.
  std::vector<watch_event> seen;
  std::map<pid_t, watch_event> made;     // creator PID -> its appeared event
  std::map<std::uint64_t, pid_t> alive;  // key -> creator PID, appeared and not vanished
  auto key = [](const watch_event& e) { return e.id ? *e.id : e.inode; };
  std::set<pid_t> gone;  // creators whose namespace vanished
  std::size_t given = 0;
  auto account = [&] {
    for (; given < seen.size(); ++given) {
      const auto& e = seen[given];
      if (e.kind == watch_event_kind::appeared && pids.count(e.pid) != 0) {
        made.emplace(e.pid, e);
        alive[key(e)] = e.pid;
      } else if (e.kind == watch_event_kind::vanished) {
        if (auto it = alive.find(key(e)); it != alive.end()) {
          if (e.lifetime)
            gone.insert(it->second);
          alive.erase(it);
        }
      }
    }
    return made.size() == runs && gone.size() == runs;
  };
  // The tracepoint programs see a network namespace go when the kernel frees its structure,
  // which Linux 6.18 defers to the next network namespace's cleanup: one more, made and let go,
  // frees those of the burst, so waiting long for them first is waiting in vain.
  poll_until(w, seen, account, w.sees_all_releases() ? 30s : 5s);
  for (int flush = 0; flush < 3 && !w.sees_all_releases() && gone.size() < runs; ++flush) {
    run({"unshare", "-n", "true", nullptr});
    poll_until(w, seen, account, 5s);
  }
  CHECK(made.size() == runs);
  CHECK(gone.size() == runs);
  for (const auto& [pid, e] : made) {
    CHECK(e.type == ns_type::net);
    CHECK(e.command == "unshare");
    CHECK(e.how == ns_origin::unshare);
    CHECK(e.uid == 0U);
    CHECK(e.tid == e.pid);
  }
  w.stop();
}

TEST_CASE("the bpf watcher sees a uts namespace kept by a bind mount until it is unmounted",
          "[watch]") {
  NSUTIL_REQUIRE_BPF_HERE();
  nsutil::test::scratch_dir dir;
  std::string target = dir / "uts";
  nsutil::open_fd(target, O_WRONLY | O_CREAT | O_EXCL, 0600);
  watcher w(bpf_options({ns_type::uts}));

  // Named members, not a structured binding: clang 14 cannot capture one in a lambda.
  const auto made = made_in_child("uts", [&] {
    if (::unshare(CLONE_NEWUTS) < 0)
      nsutil::throw_errno("unshare");
    if (::mount("/proc/self/ns/uts", target.c_str(), nullptr, MS_BIND, nullptr) < 0)
      nsutil::throw_errno("mount", target);
  });
  const pid_t pid = made.first;
  const std::uint64_t ino = made.second;
  REQUIRE(inode_of(target) == ino);

  std::vector<watch_event> seen;
  const auto* appeared = wait_appeared(w, seen, ino);
  CHECK(appeared->type == ns_type::uts);
  CHECK(appeared->pid == pid);
  CHECK(appeared->how == ns_origin::unshare);
  // Its NSID, as NS_GET_ID gives it (Linux 6.18), or none where the kernel has none.
  {
    std::uint64_t id = 0;
    auto fd = nsutil::open_fd(target, O_RDONLY);  // closed here, before the unmount below
    if (::ioctl(fd.get(), _IOR(0xb7, 13, std::uint64_t), &id) == 0)
      CHECK(appeared->id == id);
    else
      CHECK_FALSE(appeared->id);
  }
  // The child is gone; the bind mount alone holds it.
  poll_until(
      w, seen, [] { return false; }, 1s);
  CHECK_FALSE(find_event(seen, watch_event_kind::vanished, ino));

  REQUIRE(::umount2(target.c_str(), MNT_DETACH) == 0);
  NSUTIL_REQUIRE_ALL_RELEASES(w);
  poll_until(w, seen, [&] { return find_event(seen, watch_event_kind::vanished, ino); });
  const auto* vanished = find_event(seen, watch_event_kind::vanished, ino);
  REQUIRE(vanished);
  CHECK(vanished->type == ns_type::uts);
  REQUIRE(vanished->lifetime);
  CHECK(*vanished->lifetime >= 1s);
  CHECK(vanished->id == appeared->id);
}

TEST_CASE("the bpf watcher sees a user namespace that nobody makes", "[watch]") {
  NSUTIL_REQUIRE_BPF_HERE();
  if (!nsutil::test::can_create_userns())
    NSUTIL_SKIP("unprivileged user namespaces are not allowed here");
  watcher w(bpf_options({ns_type::user}));
  // Named members, not a structured binding: clang 14 cannot capture one in a lambda.
  const auto made = made_in_child("user", [] {
    nsutil::test::drop_to_nobody();
    if (::unshare(CLONE_NEWUSER) < 0)
      nsutil::throw_errno("unshare");
  });
  const pid_t pid = made.first;
  const std::uint64_t ino = made.second;

  std::vector<watch_event> seen;
  const auto* appeared = wait_appeared(w, seen, ino);
  CHECK(appeared->type == ns_type::user);
  CHECK(appeared->pid == pid);
  CHECK(appeared->uid == 65534U);
  CHECK(appeared->how == ns_origin::unshare);
  NSUTIL_REQUIRE_ALL_RELEASES(w);
  poll_until(w, seen, [&] { return find_event(seen, watch_event_kind::vanished, ino); });
  CHECK(find_event(seen, watch_event_kind::vanished, ino));
}

TEST_CASE("the bpf watcher tells a namespace made by clone from one made by unshare", "[watch]") {
  NSUTIL_REQUIRE_BPF_HERE();
  watcher w(bpf_options({ns_type::ipc}));
  // The raw syscall: the child is made in a new IPC namespace, by this process.
  long child = ::syscall(SYS_clone, CLONE_NEWIPC | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  REQUIRE(child >= 0);
  if (child == 0)
    ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(static_cast<pid_t>(child), &status, 0) == child);

  std::vector<watch_event> seen;
  auto mine = [&]() -> const watch_event* {
    for (const auto& e : seen)
      if (e.kind == watch_event_kind::appeared && e.pid == ::getpid())
        return &e;
    return nullptr;
  };
  poll_until(w, seen, [&] { return mine() != nullptr; });
  REQUIRE(mine());
  CHECK(mine()->type == ns_type::ipc);
  CHECK(mine()->how == ns_origin::clone);
}

TEST_CASE("the bpf watcher reports the namespaces alive at the start as present", "[watch]") {
  NSUTIL_REQUIRE_BPF_HERE();
  auto o = bpf_options(nsutil::ns_set::all());
  o.present = true;
  watcher w(o);
  std::vector<watch_event> seen;
  w.poll([&](const watch_event& e) { seen.push_back(e); }, 0ms);
  for (const char* type : {"mnt", "net", "pid", "uts", "ipc", "user", "cgroup", "time"}) {
    INFO(type);
    const auto* e =
        find_event(seen, watch_event_kind::present, inode_of(std::string("/proc/self/ns/") + type));
    REQUIRE(e);
    CHECK(e->pid == 0);
  }
  // Without `present`, none.
  watcher quiet(bpf_options(nsutil::ns_set::all()));
  std::size_t present = 0;
  quiet.poll([&](const watch_event& e) { present += e.kind == watch_event_kind::present ? 1 : 0; },
             0ms);
  CHECK(present == 0);
}

TEST_CASE("a stopped bpf watcher leaves no BPF program, link or map behind", "[watch]") {
  NSUTIL_REQUIRE_BPF_HERE();
  auto before = bpf_ids();
  std::map<std::string, std::set<unsigned>> ours;
  {
    watcher w(bpf_options(nsutil::ns_set::all()));
    auto during = bpf_ids();
    for (const auto& [key, ids] : during)
      for (unsigned id : ids)
        if (before.count(key) == 0 || before.at(key).count(id) == 0)
          ours[key].insert(id);
    REQUIRE(ours["prog_id:"].size() >= 3);  // the release and unshare programs at least
    REQUIRE(ours["map_id:"].size() >= 3);   // the ring buffer, live, unsharing
    REQUIRE(ours["link_id:"].size() == ours["prog_id:"].size());
    w.stop();
    CHECK(w.fd() == -1);
    CHECK(w.poll([](const watch_event&) {}, 0ms) == 0);
  }
  CHECK(bpf_ids() == before);
  // Freed by the kernel, not only closed here: none can be opened by its ID.
  auto end = std::chrono::steady_clock::now() + 5s;
  bool left = true;
  while (left && std::chrono::steady_clock::now() < end) {
    left = false;
    for (const auto& [key, ids] : ours)
      for (unsigned id : ids)
        left = left || bpf_object_exists(key, id);
    if (left)
      std::this_thread::sleep_for(10ms);
  }
  for (const auto& [key, ids] : ours)
    for (unsigned id : ids) {
      INFO(key << " " << id);
      CHECK_FALSE(bpf_object_exists(key, id));
    }
}

TEST_CASE("the rescan watcher sees a namespace that lives longer than two intervals",
          "[userns][watch]") {
  std::string out = nsutil::test::in_child([] {
    nsutil::test::drop_to_nobody();
    watch_options o;
    o.types = {ns_type::uts};
    o.source = watch_source::rescan;
    o.interval = 100ms;
    watcher w(o);
    if (w.source() != watch_source::rescan)
      return std::string("source ") + std::string(to_string(w.source()));
    std::vector<watch_event> seen;
    w.poll([&](const watch_event& e) { seen.push_back(e); }, 0ms);
    if (!find_event(seen, watch_event_kind::present, inode_of("/proc/self/ns/uts")))
      return std::string("no present event for this process's uts namespace");

    // A process in uts (and user) namespaces of its own, for 500 ms: five intervals.
    auto ends = nsutil::test::open_pipe();
    pid_t pid = ::fork();
    if (pid < 0)
      nsutil::throw_errno("fork");
    if (pid == 0) {
      char c = 0;
      bool ok = ::unshare(CLONE_NEWUSER | CLONE_NEWUTS) == 0;
      std::string ino = ok ? std::to_string(inode_of("/proc/self/ns/uts")) : "0";
      (void)!::write(ends.write.get(), ino.data(), ino.size());
      ends.write.reset();
      ::usleep(500000);
      (void)c;
      ::_exit(ok ? 0 : 1);
    }
    ends.write.reset();
    std::string text = nsutil::read_all(ends.read, "pipe");
    std::uint64_t ino = std::stoull(text.empty() ? "0" : text);
    auto end = std::chrono::steady_clock::now() + 10s;
    bool reaped = false;
    while (!find_event(seen, watch_event_kind::vanished, ino) &&
           std::chrono::steady_clock::now() < end) {
      w.poll([&](const watch_event& e) { seen.push_back(e); }, 100ms);
      if (!reaped && ::waitpid(pid, nullptr, WNOHANG) == pid)
        reaped = true;
    }
    if (!reaped)
      ::waitpid(pid, nullptr, 0);
    if (ino == 0)
      return std::string("the child could not make its namespaces");
    const auto* appeared = find_event(seen, watch_event_kind::appeared, ino);
    const auto* vanished = find_event(seen, watch_event_kind::vanished, ino);
    if (!appeared || !vanished)
      return std::string("appeared ") + (appeared ? "yes" : "no") + ", vanished " +
             (vanished ? "yes" : "no");
    if (appeared->type != ns_type::uts || !vanished->lifetime || *vanished->lifetime < 200ms ||
        appeared->how != ns_origin::unknown || appeared->pid != 0)
      return std::string("wrong details");
    return std::string("ok");
  });
  CHECK(out == "ok");
}

TEST_CASE("a watcher refuses an interval under a millisecond", "[userns][watch]") {
  watch_options o;
  o.source = watch_source::rescan;
  o.interval = 0ms;
  auto e = nsutil::test::caught([&] { watcher w(o); });
  CHECK(e.errno_value() == EINVAL);
}

TEST_CASE("the bpf watcher reports events its ring buffer had no room for as lost", "[watch]") {
  NSUTIL_REQUIRE_BPF_HERE();
  watcher w(bpf_options({ns_type::uts}));
  // 10,000 uts namespaces, each released by the next, while nothing reads the ring buffer
  // (256 KiB: about 3,300 events).
  constexpr int made = 10000;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    for (int i = 0; i < made; ++i)
      if (::unshare(CLONE_NEWUTS) < 0)
        ::_exit(1);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(status == 0);
  std::uint64_t appeared = 0;
  std::uint64_t lost = 0;
  std::size_t lost_events = 0;
  while (w.poll(
             [&](const watch_event& e) {
               appeared += e.kind == watch_event_kind::appeared && e.pid == child ? 1 : 0;
               if (e.kind == watch_event_kind::lost) {
                 lost += e.lost;
                 ++lost_events;
               }
             },
             200ms) > 0) {
  }
  CHECK(lost_events >= 1);
  CHECK(lost > 0);
  // Every appearing is either given or counted lost (the count also holds lost vanishings).
  CHECK(appeared + lost >= made);
  CHECK(appeared < made);
}
