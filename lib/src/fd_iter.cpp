#include "fd_iter.hpp"

#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <nsutil/ns_type.hpp>
#include <nsutil/unique_fd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "btf.hpp"
#include "compat.hpp"

namespace nsutil::detail {
namespace {

constexpr bpf_insn insn(std::uint8_t code, int dst, int src, int off, int imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = static_cast<std::uint8_t>(dst) & 0xf;
  i.src_reg = static_cast<std::uint8_t>(src) & 0xf;
  i.off = static_cast<std::int16_t>(off);
  i.imm = imm;
  return i;
}
constexpr bpf_insn ldx(int size, int dst, int src, int off) {
  return insn(BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}
constexpr bpf_insn stx(int size, int dst, int src, int off) {
  return insn(BPF_STX | BPF_MEM | size, dst, src, off, 0);
}
constexpr bpf_insn mov_reg(int dst, int src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
constexpr bpf_insn mov_imm(int dst, int imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
constexpr bpf_insn kfunc_call(std::uint32_t btf_id) {
  return insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, static_cast<int>(btf_id));
}
constexpr bpf_insn jeq_imm(int dst, int imm, int off) {
  return insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm);
}

long bpf(int cmd, bpf_attr& attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

// The records the programs write.
struct task_record {
  std::uint32_t tgid;
  std::uint32_t tid;
  std::uint32_t ppid;  // the thread group of real_parent, as /proc/PID/stat
  std::uint32_t pad;
  std::uint64_t id[8];   // by ns_type: mnt, net, pid, uts, ipc, user, cgroup, time
  std::uint32_t ino[8];  // the same order
};
struct file_record {
  std::uint32_t kind;  // 1 nsfs, 2 socket
  std::uint32_t pad;
  std::uint32_t tgid;
  std::uint32_t fd;
  std::uint64_t ino;
};

// Loads `prog` as an iterator program for the kernel function `target` (a bpf_iter_* BTF ID)
// and returns the descriptor to read its output from.
unique_fd start_iterator(std::uint32_t target, const bpf_insn* prog, std::size_t count) {
  static const char license[] = "GPL";  // bpf_seq_write is for GPL programs only
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_TRACING;
  attr.expected_attach_type = BPF_TRACE_ITER;
  attr.attach_btf_id = target;
  attr.insns = reinterpret_cast<std::uintptr_t>(prog);
  attr.insn_cnt = static_cast<std::uint32_t>(count);
  attr.license = reinterpret_cast<std::uintptr_t>(license);
  unique_fd prog_fd(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  if (!prog_fd)
    return {};
  attr = {};
  attr.link_create.prog_fd = static_cast<std::uint32_t>(prog_fd.get());
  attr.link_create.attach_type = BPF_TRACE_ITER;
  unique_fd link(static_cast<int>(bpf(BPF_LINK_CREATE, attr)));
  if (!link)
    return {};
  attr = {};
  attr.iter_create.link_fd = static_cast<std::uint32_t>(link.get());
  unique_fd iter(static_cast<int>(bpf(BPF_ITER_CREATE, attr)));
  if (iter)
    ::fcntl(iter.get(), F_SETFD, FD_CLOEXEC);
  return iter;
}

// Reads every fixed-size record an iterator writes; false on a read error.
template <class Record, class Add>
bool read_records(const unique_fd& iter, Add&& add) {
  Record buf[512];
  for (;;) {
    ssize_t n = ::read(iter.get(), buf, sizeof buf);
    if (n < 0)
      return false;
    if (n == 0)
      return true;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(Record); ++i)
      add(buf[i]);
  }
}

}  // namespace

std::optional<task_listing> iterate_tasks(bool descriptors) noexcept {
  try {
    // Global PIDs are what the iterators report: use them only where they are ours.
    struct stat pidns {};
    if (::stat("/proc/self/ns/pid", &pidns) < 0 || pidns.st_ino != 0xEFFFFFFCU)
      return std::nullopt;
    std::vector<kernel_btf::func_query> funcs{
        {"bpf_iter_task_file"}, {"bpf_iter_task"}, {"bpf_rdonly_cast"}};
    std::vector<kernel_btf::member_query> q{{"file", "f_inode"},
                                            {"inode", "i_sb"},
                                            {"inode", "i_ino"},
                                            {"inode", "i_mode"},
                                            {"super_block", "s_magic"},
                                            {"task_struct", "tgid"},
                                            {"task_struct", "pid"},
                                            {"task_struct", "nsproxy"},
                                            {"task_struct", "real_cred"},
                                            {"task_struct", "thread_pid"},
                                            {"task_struct", "real_parent"},
                                            {"nsproxy", "mnt_ns"},
                                            {"nsproxy", "net_ns"},
                                            {"nsproxy", "uts_ns"},
                                            {"nsproxy", "ipc_ns"},
                                            {"nsproxy", "cgroup_ns"},
                                            {"nsproxy", "time_ns"},
                                            {"mnt_namespace", "ns"},
                                            {"net", "ns"},
                                            {"uts_namespace", "ns"},
                                            {"ipc_namespace", "ns"},
                                            {"cgroup_namespace", "ns"},
                                            {"time_namespace", "ns"},
                                            {"cred", "user_ns"},
                                            {"user_namespace", "ns"},
                                            {"pid", "level"},
                                            {"pid", "numbers"},
                                            {"upid", "ns"},
                                            {"pid_namespace", "ns"},
                                            {"ns_common", "inum"},
                                            {"ns_common", "ns_id"}};
    kernel_btf btf;
    if (!btf.map() || !btf.resolve(funcs, q))
      return std::nullopt;
    // Every offset is needed but the last: ns_common.ns_id, the NS_GET_ID value (Linux 6.18).
    if (std::any_of(funcs.begin(), funcs.end(), [](const auto& f) { return f.id == 0; }) ||
        !std::all_of(q.begin(), q.end() - 1, [](const auto& one) { return one.offset >= 0; }))
      return std::nullopt;
    const bool has_id = q.back().offset >= 0;
    auto off = [&](std::size_t i) { return static_cast<int>(q[i].offset); };
    enum {
      f_inode,
      i_sb,
      i_ino,
      i_mode,
      s_magic,
      tgid,
      pid,
      nsproxy,
      real_cred,
      thread_pid,
      real_parent,
      nsproxy_mnt,
      nsproxy_net,
      nsproxy_uts,
      nsproxy_ipc,
      nsproxy_cgroup,
      nsproxy_time,
      mnt_ns,
      net_ns,
      uts_ns,
      ipc_ns,
      cgroup_ns,
      time_ns,
      cred_user_ns,
      user_ns,
      pid_level,
      pid_numbers,
      upid_ns,
      pid_ns,
      inum,
      ns_id
    };

    // Both programs first turn the context's trusted pointer into an untrusted one
    // (bpf_rdonly_cast, Linux 6.2): every pointer the verifier loads through a trusted one costs
    // it a search of the whole kernel BTF by name (btf_nested_type_is_trusted), which took
    // longer than the rest of -t net together; untrusted loads are checked by offset alone and
    // read the same memory.
    //
    // Per descriptor (ctx bpf_iter__task_file: meta 0, task 8, fd 16, file 24): nsfs files
    // and sockets only, as {kind, 0, tgid, fd, inode}.
    const bpf_insn files[] = {
        mov_reg(6, 1),
        ldx(BPF_DW, 7, 6, 0),
        ldx(BPF_DW, 8, 6, 8),
        ldx(BPF_DW, 9, 6, 24),
        mov_reg(1, 9),
        mov_imm(2, static_cast<int>(q[f_inode].type_id)),
        kfunc_call(funcs[2].id),  // bpf_rdonly_cast: see below
        mov_reg(9, 0),
        jeq_imm(8, 0, 27),  // no task: done
        jeq_imm(9, 0, 26),  // no file
        ldx(BPF_DW, 2, 9, off(f_inode)),
        jeq_imm(2, 0, 24),
        ldx(BPF_DW, 3, 2, off(i_sb)),
        jeq_imm(3, 0, 22),
        ldx(BPF_DW, 4, 3, off(s_magic)),
        ldx(BPF_H, 5, 2, off(i_mode)),
        insn(BPF_ALU64 | BPF_AND | BPF_K, 5, 0, 0, S_IFMT),
        mov_imm(0, 1),
        jeq_imm(4, NSFS_MAGIC, 3),
        mov_imm(0, 2),
        jeq_imm(5, S_IFSOCK, 1),
        insn(BPF_JMP | BPF_JA, 0, 0, 14, 0),  // neither: skip
        ldx(BPF_DW, 1, 2, off(i_ino)),
        stx(BPF_DW, 10, 1, -8),
        ldx(BPF_W, 1, 8, off(tgid)),
        stx(BPF_W, 10, 1, -16),
        ldx(BPF_W, 1, 6, 16),
        stx(BPF_W, 10, 1, -12),
        stx(BPF_W, 10, 0, -24),
        mov_imm(1, 0),
        stx(BPF_W, 10, 1, -20),
        ldx(BPF_DW, 1, 7, 0),  // meta->seq
        mov_reg(2, 10),
        insn(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -24),
        mov_imm(3, sizeof(file_record)),
        insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_seq_write),
        mov_imm(0, 0),
        insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    // Per task (ctx bpf_iter__task: meta 0, task 8): {tgid, tid, ID and inode of each
    // namespace}, the namespaces /proc/PID/task/TID/ns shows: nsproxy's for five types (none once
    // the task exits), the real credentials' user namespace, and the PID namespace the task's PID
    // lives in.
    constexpr int rec = -120;      // the record on the stack: 112 bytes
    constexpr int scratch = -128;  // where bpf_probe_read_kernel puts what it reads
    auto id_slot = [&](ns_type t) { return rec + 16 + 8 * static_cast<int>(t); };
    auto ino_slot = [&](ns_type t) { return rec + 80 + 4 * static_cast<int>(t); };
    // The namespace behind pointer `r1` (already loaded), at offset `ns` in its struct.
    auto store_ns = [&](ns_type t, int ns) {
      return std::array{ldx(BPF_W, 2, 1, ns + off(inum)), stx(BPF_W, 10, 2, ino_slot(t)),
                        has_id ? ldx(BPF_DW, 2, 1, ns + off(ns_id)) : mov_imm(2, 0),
                        stx(BPF_DW, 10, 2, id_slot(t))};
    };
    auto from_nsproxy = [&](ns_type t, int member, int ns) {
      std::vector<bpf_insn> part{ldx(BPF_DW, 1, 9, off(member))};
      auto rest = store_ns(t, off(ns));
      part.insert(part.end(), rest.begin(), rest.end());
      return part;
    };
    // *(size bytes at r3) into the scratch slot: r3 may be any address (NULL reads as 0).
    auto probe_read = [&](int size) {
      return std::array{mov_reg(1, 10), insn(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, scratch),
                        mov_imm(2, size),
                        insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel)};
    };
    auto add_imm = [](int reg, int imm) {
      return insn(BPF_ALU64 | BPF_ADD | BPF_K, reg, 0, 0, imm);
    };
    // struct upid is {int nr; struct pid_namespace *ns;}: its size ends with ns.
    const int upid_size = off(upid_ns) + 8;
    std::vector<bpf_insn> tasks{
        mov_reg(6, 1),
        ldx(BPF_DW, 7, 6, 0),
        ldx(BPF_DW, 8, 6, 8),
        mov_reg(1, 8),
        mov_imm(2, static_cast<int>(q[tgid].type_id)),
        kfunc_call(funcs[2].id),
        mov_reg(8, 0),
        jeq_imm(8, 0, 0),  // no task: done (patched below)
        ldx(BPF_W, 1, 8, off(tgid)),
        stx(BPF_W, 10, 1, rec),
        ldx(BPF_W, 1, 8, off(pid)),
        stx(BPF_W, 10, 1, rec + 4),
        ldx(BPF_DW, 1, 8, off(real_parent)),
        ldx(BPF_W, 1, 1, off(tgid)),
        stx(BPF_W, 10, 1, rec + 8),
        mov_imm(1, 0),
        stx(BPF_W, 10, 1, rec + 12),
        ldx(BPF_DW, 9, 8, off(nsproxy)),
    };
    const std::size_t skip_at = 7;
    auto append = [&](const auto& part) { tasks.insert(tasks.end(), part.begin(), part.end()); };
    append(from_nsproxy(ns_type::mnt, nsproxy_mnt, mnt_ns));
    append(from_nsproxy(ns_type::net, nsproxy_net, net_ns));
    append(from_nsproxy(ns_type::uts, nsproxy_uts, uts_ns));
    append(from_nsproxy(ns_type::ipc, nsproxy_ipc, ipc_ns));
    append(from_nsproxy(ns_type::cgroup, nsproxy_cgroup, cgroup_ns));
    append(from_nsproxy(ns_type::time, nsproxy_time, time_ns));
    tasks.push_back(ldx(BPF_DW, 1, 8, off(real_cred)));
    tasks.push_back(ldx(BPF_DW, 1, 1, off(cred_user_ns)));
    append(store_ns(ns_type::user, off(user_ns)));
    // task->thread_pid->numbers[level].ns: an index the verifier cannot bound, so the chain is
    // read with bpf_probe_read_kernel as plain addresses.
    tasks.push_back(mov_reg(3, 8));
    tasks.push_back(add_imm(3, off(thread_pid)));
    append(probe_read(8));
    tasks.push_back(ldx(BPF_DW, 6, 10, scratch));  // struct pid *
    tasks.push_back(mov_reg(3, 6));
    tasks.push_back(add_imm(3, off(pid_level)));
    append(probe_read(4));
    tasks.push_back(ldx(BPF_W, 3, 10, scratch));  // level
    tasks.push_back(insn(BPF_ALU64 | BPF_MUL | BPF_K, 3, 0, 0, upid_size));
    tasks.push_back(insn(BPF_ALU64 | BPF_ADD | BPF_X, 3, 6, 0, 0));
    tasks.push_back(add_imm(3, off(pid_numbers) + off(upid_ns)));
    append(probe_read(8));
    tasks.push_back(ldx(BPF_DW, 6, 10, scratch));  // struct pid_namespace *
    tasks.push_back(mov_reg(3, 6));
    tasks.push_back(add_imm(3, off(pid_ns) + off(inum)));
    append(probe_read(4));
    tasks.push_back(ldx(BPF_W, 1, 10, scratch));
    tasks.push_back(stx(BPF_W, 10, 1, ino_slot(ns_type::pid)));
    tasks.push_back(mov_imm(1, 0));
    if (has_id) {
      tasks.push_back(mov_reg(3, 6));
      tasks.push_back(add_imm(3, off(pid_ns) + off(ns_id)));
      append(probe_read(8));
      tasks.push_back(ldx(BPF_DW, 1, 10, scratch));
    }
    tasks.push_back(stx(BPF_DW, 10, 1, id_slot(ns_type::pid)));
    append(std::array{
        ldx(BPF_DW, 1, 7, 0),  // meta->seq
        mov_reg(2, 10),
        add_imm(2, rec),
        mov_imm(3, sizeof(task_record)),
        insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_seq_write),
    });
    tasks[skip_at].off = static_cast<std::int16_t>(tasks.size() - skip_at - 1);
    append(std::array{mov_imm(0, 0), insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)});
    task_listing out;
    unique_fd ti = start_iterator(funcs[1].id, tasks.data(), tasks.size());
    unique_fd fi;
    if (descriptors)
      fi = start_iterator(funcs[0].id, files, std::size(files));
    if (!ti || (descriptors && !fi))
      return std::nullopt;
    bool ok = !descriptors || read_records<file_record>(fi, [&](const file_record& r) {
      out.descriptors.push_back(
          {static_cast<pid_t>(r.tgid), static_cast<int>(r.fd), r.kind == 2, r.ino});
    });
    ok = ok && read_records<task_record>(ti, [&](const task_record& r) {
           task_namespaces t{static_cast<pid_t>(r.tgid),
                             static_cast<pid_t>(r.tid),
                             static_cast<pid_t>(r.ppid),
                             {},
                             {}};
           std::copy(std::begin(r.ino), std::end(r.ino), t.ino.begin());
           std::copy(std::begin(r.id), std::end(r.id), t.id.begin());
           out.tasks.push_back(t);
         });
    if (!ok)
      return std::nullopt;
    return out;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace nsutil::detail
