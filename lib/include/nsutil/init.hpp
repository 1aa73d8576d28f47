/// @file
/// A minimal init for a new PID namespace (the docker --init / tini pattern): it runs as PID 1,
/// starts the program as PID 2, reaps every orphan and passes signals on.
#pragma once

#include <functional>
#include <nsutil/export.hpp>
#include <nsutil/process.hpp>
#include <nsutil/unique_fd.hpp>

namespace nsutil {

/// Runs in the process that is PID 1 of a new PID namespace, usually the body of a
/// fork_child() child. Forks `program` (a body that ends in exec_program()) as PID 2, then:
/// reaps every process that ends in the namespace; passes every signal it can catch on to the
/// program, except one the terminal already sent to the whole process group the program is in
/// (so a Ctrl+C arrives once); and when the program ends, writes its wait status to `status`
/// (if open) and exits with the program's exit code (128 + N when signal N killed it, since the
/// kernel does not let a PID 1 kill itself with a signal). Every other process in the
/// namespace dies with it.
///
/// If the program cannot be started (its exec fails) the error is thrown, before anything
/// else happened; once it runs, report_started() has been called, so the parent's
/// child::wait_started() returns. Never returns otherwise. Changes the calling process's
/// signal mask; use only in a process made for it.
[[noreturn]] NSUTIL_API void run_init(const std::function<void()>& program, unique_fd status);

/// The status that `init`, a process that ran run_init(), reports for its program: the wait
/// status read from the other end of `status` when there is one (so a program killed by a signal
/// is reported as such), else the init's own. Closes `status`.
NSUTIL_API child_status init_result(const child_status& init, unique_fd status);

}  // namespace nsutil
