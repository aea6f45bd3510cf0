#include "cpu/parallel.h"

#if defined(__linux__)
#include <sched.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kcore/errors.h"
#include "kcore/parallel.h"

namespace kcore {
namespace cpu {
namespace {

thread_local bool inside_worker = false;

#if defined(KCORE_STRETCH_POOL_WINDOWS)
// Built into a ThreadSanitizer check only: short spins and a pause between a worker's last
// decrement and its notify make the interleavings that decide the pool's correctness common.
constexpr int kSpin = 16;
void stretch_window() {
  std::this_thread::sleep_for(std::chrono::microseconds(300));
}
#else
constexpr int kSpin = 4096;
void stretch_window() {}
#endif

// The CPU the calling thread runs on, or -1 where that cannot be known.
int current_cpu() {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

int default_threads() {
  if (const char* env = std::getenv("KCORE_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return n;
  }
  return std::max(1U, std::thread::hardware_concurrency());
}

// A fixed set of workers and the calling thread take the chunks of the current job one at a
// time, first come first served: when a worker is slow to wake (its core busy with another
// process), the caller goes on taking chunks instead of waiting for it.
class ThreadPool {
 public:
  static ThreadPool& instance() {
    static ThreadPool pool;
    return pool;
  }

  int threads() const { return threads_; }

  void set_threads(int n) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    stop_workers();
    threads_ = n;
    start_workers();
  }

  // Runs job(chunk) for chunk in [0, chunks) on the workers and the calling thread.
  void run(int chunks, const std::function<void(int)>& job) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    std::uint32_t generation = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      chunks_ = chunks;
      pending_.store(chunks, std::memory_order_relaxed);
      error_ = nullptr;
      generation = ++generation_;
      next_.store(std::uint64_t{generation} << 32, std::memory_order_relaxed);
      caller_cpu_.store(current_cpu(), std::memory_order_relaxed);
      posted_.store(generation, std::memory_order_release);
    }
    wake_.notify_all();
    // A caller whose workers have not claimed a chunk by the end of its first yields once: a
    // worker woken on the caller's CPU then gets to run, and moves off it (leave_cpu).
    take_chunks(generation, chunks, job, 1);
    if ((next_.load(std::memory_order_relaxed) & 0xffffffffU) <= 1) std::this_thread::yield();
    take_chunks(generation, chunks, job);
    spin_while([&] { return pending_.load(std::memory_order_acquire) != 0; });
    // Acquire, not relaxed: a worker's last decrement may land after this thread has taken the
    // mutex, and only the load then orders the worker's reads of `job` before its destruction.
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

  ~ThreadPool() { stop_workers(); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

 private:
  ThreadPool() : threads_(default_threads()) { start_workers(); }

  void start_workers() {
    stopping_ = false;
    for (int i = 1; i < threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  // Claims and runs chunks of job `generation` until none is left, or `limit` of them. next_
  // holds the generation in its high half and the next unclaimed chunk in its low half, so that a
  // thread still holding an older job can never claim a chunk of a newer one.
  void take_chunks(std::uint32_t generation, int chunks, const std::function<void(int)>& job,
                   int limit = std::numeric_limits<int>::max()) {
    std::uint64_t next = next_.load(std::memory_order_acquire);
    for (int taken = 0; taken < limit;) {
      if ((next >> 32) != generation || static_cast<int>(next & 0xffffffffU) >= chunks) return;
      if (!next_.compare_exchange_weak(next, next + 1, std::memory_order_acq_rel)) continue;
      ++taken;
      try {
        job(static_cast<int>(next & 0xffffffffU));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        stretch_window();
        // Through the mutex: the caller tests pending_ under it before it sleeps.
        { std::lock_guard<std::mutex> lock(mutex_); }
        done_.notify_one();
      }
      next = next_.load(std::memory_order_acquire);
    }
  }

  void worker_loop() {
    inside_worker = true;
    std::uint32_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      const auto ready = [&] { return stopping_ || generation_ != seen; };
      if (!ready()) {
        // The next job usually follows within microseconds (ops called one after another): wait
        // for it awake a little while before sleeping, since waking a sleeping thread costs
        // tens of microseconds.
        lock.unlock();
        spin_while([&] { return posted_.load(std::memory_order_acquire) == seen; });
        lock.lock();
      }
      wake_.wait(lock, ready);
      if (stopping_) return;
      seen = generation_;
      const auto* job = job_;
      const int chunks = chunks_;
      lock.unlock();
      if (job != nullptr) {
        const int cpu = current_cpu();
        if (cpu >= 0 && cpu == caller_cpu_.load(std::memory_order_relaxed)) leave_cpu(cpu);
        take_chunks(seen, chunks, *job);
      }
      lock.lock();
    }
  }

  // Busy-waits while `waiting()` holds, for at most about kSpin pauses.
  template <class F>
  static void spin_while(F waiting) {
    for (int i = 0; i < kSpin && waiting(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#else
      std::this_thread::yield();
#endif
    }
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* job_ = nullptr;
  int chunks_ = 0;
  std::atomic<std::uint64_t> next_ = 0;
  std::atomic<int> pending_ = 0;
  std::uint32_t generation_ = 0;
  // generation_, readable without the lock: what spinning workers watch.
  std::atomic<std::uint32_t> posted_ = 0;
  // The CPU the caller of the current job ran on when it posted it (-1: unknown).
  std::atomic<int> caller_cpu_ = -1;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace

void leave_cpu(int cpu) {
#if defined(__linux__)
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
  if (CPU_COUNT(&allowed) < 2 || !CPU_ISSET(cpu, &allowed)) return;
  cpu_set_t others = allowed;
  CPU_CLR(cpu, &others);
  if (sched_setaffinity(0, sizeof(others), &others) == 0) {
    sched_setaffinity(0, sizeof(allowed), &allowed);
  }
#else
  (void)cpu;
#endif
}

void parallel_for_chunks(std::int64_t n, std::int64_t grain,
                         const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<std::int64_t>(grain, 1);
  auto& pool = ThreadPool::instance();
  const std::int64_t max_chunks = (n + grain - 1) / grain;
  // A few chunks per thread, so that a thread that starts late leaves its share to the others.
  constexpr std::int64_t kChunksPerThread = 4;
  const int chunks = static_cast<int>(
      std::min<std::int64_t>(std::int64_t{pool.threads()} * kChunksPerThread, max_chunks));
  if (chunks <= 1 || pool.threads() == 1 || inside_worker) {
    fn(0, n);
    return;
  }
  const std::int64_t per = (n + chunks - 1) / chunks;
  struct InsideGuard {
    InsideGuard() { inside_worker = true; }
    ~InsideGuard() { inside_worker = false; }
    InsideGuard(const InsideGuard&) = delete;
    InsideGuard& operator=(const InsideGuard&) = delete;
  } guard;
  pool.run(chunks, [&](int c) {
    const std::int64_t begin = c * per;
    const std::int64_t end = std::min(n, begin + per);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace cpu

void set_num_threads(int n) {
  if (n < 1) {
    throw ValueError("set_num_threads: received n=" + std::to_string(n) +
                     ", expected a positive number of threads");
  }
  cpu::ThreadPool::instance().set_threads(n);
}

int num_threads() {
  return cpu::ThreadPool::instance().threads();
}

}  // namespace kcore
