#pragma once

#include <cstdint>
#include <functional>
#include <utility>

namespace kcore::cpu {

// Runs fn(begin, end) over [0, n) split into at most 4 * num_threads() chunks of at least `grain`
// items each, which the threads take first come first served. Chunk boundaries depend on n, grain
// and the thread count only. Calls from inside a worker run inline. The first exception thrown by
// any chunk is rethrown after all chunks end.
void parallel_for_chunks(std::int64_t n, std::int64_t grain,
                         const std::function<void(std::int64_t, std::int64_t)>& fn);

// One chunk (n <= grain) runs here, without a std::function (a heap allocation for most
// lambdas): a one-element op pays for no machinery.
template <class Fn>
void parallel_for(std::int64_t n, std::int64_t grain, Fn&& fn) {
  if (n <= 0) return;
  if (n <= grain) {
    fn(std::int64_t{0}, n);
    return;
  }
  parallel_for_chunks(n, grain, std::forward<Fn>(fn));
}

// Moves the calling thread off `cpu` onto another CPU it may run on, then allows `cpu` again (the
// thread stays where it was moved); nothing where it may run on one CPU only, or off Linux.
// Linux may wake a pool worker on the CPU of the thread that woke it when it judges the other
// CPUs busy (on a VM, a virtual CPU left idle for a while counts as busy): the worker then waits
// behind the caller, and a job meant for two threads runs on one. A worker that wakes on its
// caller's CPU calls this.
void leave_cpu(int cpu);

}  // namespace kcore::cpu
