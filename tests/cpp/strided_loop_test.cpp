// cpu::StridedLoop (coalescing, row-major walk over arbitrary strides, splitting across threads),
// cpu::broadcast_strides and cpu::parallel_for.

#include <gtest/gtest.h>

#if defined(__linux__)
#include <sched.h>
#include <sys/types.h>
#endif

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "core_test_helpers.h"
#include "cpu/parallel.h"
#include "cpu/strided_loop.h"

namespace kcore_test {
namespace {

using kcore::cpu::StridedLoop;

constexpr std::size_t kI64 = sizeof(std::int64_t);

// An int64 buffer whose element at memory position p holds p, seen through `strides` over
// `shape`; `base` is the position of element (0, ..., 0).
struct Labelled {
  std::vector<std::int64_t> buf;
  std::int64_t base = 0;

  Labelled(const Shape& shape, const Strides& strides) {
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 0) continue;
      const std::int64_t span = (shape[d] - 1) * strides[d];
      (span < 0 ? lo : hi) += span;
    }
    base = -lo;
    buf.resize(static_cast<std::size_t>(hi - lo + 1));
    std::iota(buf.begin(), buf.end(), std::int64_t{0});
  }
  std::byte* ptr() { return reinterpret_cast<std::byte*>(buf.data() + base); }
  std::int64_t position(const std::vector<std::int64_t>& idx, const Strides& strides) const {
    std::int64_t p = base;
    for (std::size_t d = 0; d < idx.size(); ++d) p += idx[d] * strides[d];
    return p;
  }
};

Strides random_strides(std::mt19937& rng, const Shape& shape) {
  Strides s;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    s.push_back(std::uniform_int_distribution<std::int64_t>(-7, 7)(rng));
  }
  return s;
}

// A copy kernel over int64 operands: out (operand 0) = in (operand 1).
void copy_kernel(std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    *reinterpret_cast<std::int64_t*>(p[0] + i * s[0]) =
        *reinterpret_cast<const std::int64_t*>(p[1] + i * s[1]);
  }
}

TEST(StridedLoop, ContiguousOperandsCoalesceToOneDimension) {
  const Shape shape = {2, 3, 4};
  const Strides c = kcore::contiguous_strides(shape);
  std::vector<std::int64_t> a(24);
  std::vector<std::int64_t> b(24);
  StridedLoop<2> loop(
      shape, {reinterpret_cast<std::byte*>(a.data()), reinterpret_cast<std::byte*>(b.data())},
      {c, c}, {kI64, kI64});
  EXPECT_EQ(loop.coalesced_ndim(), 1U);
  EXPECT_EQ(loop.size(), 24);
  int calls = 0;
  loop.run([&](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
    ++calls;
    EXPECT_EQ(p[0], reinterpret_cast<std::byte*>(a.data()));
    EXPECT_EQ(s[0], 8);
    EXPECT_EQ(s[1], 8);
    EXPECT_EQ(n, 24);
  });
  EXPECT_EQ(calls, 1);
}

TEST(StridedLoop, CoalescingCases) {
  std::vector<std::int64_t> buf(1024);
  auto* p = reinterpret_cast<std::byte*>(buf.data());
  auto dims = [&](const Shape& shape, const Strides& s0, const Strides& s1) {
    return StridedLoop<2>(shape, {p, p}, {s0, s1}, {kI64, kI64}).coalesced_ndim();
  };
  // Size-1 axes are dropped whatever their stride.
  EXPECT_EQ(dims({1, 5, 1, 3}, {99, 3, 7, 1}, {0, 3, -4, 1}), 1U);
  // A transposed operand keeps every axis apart.
  EXPECT_EQ(dims({2, 3, 4}, {12, 4, 1}, {1, 2, 6}), 3U);
  // Transposing the two outer axes only: the inner axis stays contiguous in both.
  EXPECT_EQ(dims({2, 3, 4}, {12, 4, 1}, {4, 8, 1}), 3U);
  // Fully broadcast operand (stride 0 everywhere) merges with a contiguous one.
  EXPECT_EQ(dims({4, 5}, {5, 1}, {0, 0}), 1U);
  // Row or column broadcast cannot merge.
  EXPECT_EQ(dims({4, 5}, {5, 1}, {0, 1}), 2U);
  EXPECT_EQ(dims({4, 5}, {5, 1}, {1, 0}), 2U);
  // Every other element of a buffer is one dimension of stride 2.
  EXPECT_EQ(dims({4, 6}, {6, 1}, {12, 2}), 1U);
  // Every other row is not.
  EXPECT_EQ(dims({4, 6}, {6, 1}, {12, 1}), 2U);
  // Reversed axes merge when the whole walk is reversed.
  EXPECT_EQ(dims({3, 4}, {-4, -1}, {-4, -1}), 1U);
  // The two outer axes merge, the inner one does not.
  EXPECT_EQ(dims({2, 3, 4}, {12, 4, 1}, {24, 8, 1}), 2U);
}

TEST(StridedLoop, ScalarShapeRunsOnce) {
  std::int64_t out = 0;
  std::int64_t in = 42;
  StridedLoop<2> loop(Shape{},
                      {reinterpret_cast<std::byte*>(&out), reinterpret_cast<std::byte*>(&in)},
                      {Strides{}, Strides{}}, {kI64, kI64});
  EXPECT_EQ(loop.size(), 1);
  int calls = 0;
  loop.run([&](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
    ++calls;
    EXPECT_EQ(n, 1);
    copy_kernel(p, s, n);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(out, 42);
}

TEST(StridedLoop, ZeroSizeShapeNeverCallsTheKernel) {
  for (const Shape& shape : {Shape{0}, Shape{3, 0, 2}, Shape{0, 1}, Shape{5, 0}}) {
    const Strides c = kcore::contiguous_strides(shape);
    std::int64_t dummy = 0;
    auto* p = reinterpret_cast<std::byte*>(&dummy);
    StridedLoop<2> loop(shape, {p, p}, {c, c}, {kI64, kI64});
    EXPECT_EQ(loop.size(), 0);
    loop.run([](std::array<std::byte*, 2>, std::array<std::int64_t, 2>, std::int64_t) {
      ADD_FAILURE() << "kernel called for a zero-size shape";
    });
  }
}

// Every element is visited once, in row-major order of the logical shape, at the address its
// strides give, whatever the strides (negative, zero, overlapping), the grain and the threads.
TEST(StridedLoop, RandomStridesVisitEveryElementInRowMajorOrder) {
  ThreadCountGuard guard;
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    kcore::set_num_threads(1 + trial % 3);
    const Shape shape = random_shape(rng, 0, 5, 6, trial % 10 == 0 ? 0 : 1);
    const Strides in_strides = random_strides(rng, shape);
    Labelled in(shape, in_strides);
    const std::int64_t n = numel(shape);
    std::vector<std::int64_t> out(static_cast<std::size_t>(std::max<std::int64_t>(n, 1)), -1);
    const std::int64_t grain = std::uniform_int_distribution<std::int64_t>(1, 40)(rng);
    StridedLoop<2> loop(shape, {reinterpret_cast<std::byte*>(out.data()), in.ptr()},
                        {kcore::contiguous_strides(shape), in_strides}, {kI64, kI64});
    std::atomic<std::int64_t> visited{0};
    loop.run(
        [&](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t len) {
          EXPECT_GE(len, 1);
          visited += len;
          copy_kernel(p, s, len);
        },
        grain);
    ASSERT_EQ(visited.load(), n) << "shape " << kcore::format_shape(shape);
    for (std::int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(out[static_cast<std::size_t>(i)], in.position(unravel(i, shape), in_strides))
          << "shape " << kcore::format_shape(shape) << " strides "
          << kcore::format_shape(in_strides) << " element " << i;
    }
  }
}

// Three operands, each with its own strides and item size.
TEST(StridedLoop, ThreeOperandsWithDifferentItemSizes) {
  ThreadCountGuard guard;
  std::mt19937 rng(99);
  for (int trial = 0; trial < 100; ++trial) {
    kcore::set_num_threads(1 + trial % 2);
    const Shape shape = random_shape(rng, 1, 4, 7);
    const std::int64_t n = numel(shape);
    // Operand 1: int64 labels; operand 2: int32 labels with other strides.
    const Strides s1 = random_strides(rng, shape);
    const Strides s2 = random_strides(rng, shape);
    Labelled a(shape, s1);
    Labelled b32(shape, s2);
    std::vector<std::int32_t> b(b32.buf.begin(), b32.buf.end());
    std::vector<std::int64_t> out(static_cast<std::size_t>(n), -1);
    StridedLoop<3> loop(shape,
                        {reinterpret_cast<std::byte*>(out.data()), a.ptr(),
                         reinterpret_cast<std::byte*>(b.data() + b32.base)},
                        {kcore::contiguous_strides(shape), s1, s2}, {kI64, kI64, 4});
    loop.run(
        [](std::array<std::byte*, 3> p, std::array<std::int64_t, 3> s, std::int64_t len) {
          for (std::int64_t i = 0; i < len; ++i) {
            const auto x = *reinterpret_cast<const std::int64_t*>(p[1] + i * s[1]);
            const auto y = *reinterpret_cast<const std::int32_t*>(p[2] + i * s[2]);
            *reinterpret_cast<std::int64_t*>(p[0] + i * s[0]) = x * 100000 + y;
          }
        },
        std::uniform_int_distribution<std::int64_t>(1, 50)(rng));
    for (std::int64_t i = 0; i < n; ++i) {
      const auto idx = unravel(i, shape);
      ASSERT_EQ(out[static_cast<std::size_t>(i)],
                a.position(idx, s1) * 100000 + b32.position(idx, s2));
    }
  }
}

// Runs never cross the end of the innermost coalesced dimension, even when a thread's range
// starts or ends inside one.
TEST(StridedLoop, RunsStayInsideTheInnerDimension) {
  ThreadCountGuard guard;
  kcore::set_num_threads(3);
  const Shape shape = {7, 13};
  const Strides in_strides = {20, 1};  // rows of a wider buffer: not coalescible
  Labelled in(shape, in_strides);
  std::vector<std::int64_t> out(91, -1);
  StridedLoop<2> loop(shape, {reinterpret_cast<std::byte*>(out.data()), in.ptr()},
                      {kcore::contiguous_strides(shape), in_strides}, {kI64, kI64});
  ASSERT_EQ(loop.coalesced_ndim(), 2U);
  std::mutex m;
  std::vector<std::pair<std::int64_t, std::int64_t>> runs;  // (start element, length)
  loop.run(
      [&](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t len) {
        const auto start = (reinterpret_cast<std::int64_t*>(p[0]) - out.data());
        {
          std::lock_guard<std::mutex> lock(m);
          runs.emplace_back(start, len);
        }
        copy_kernel(p, s, len);
      },
      5);
  std::int64_t total = 0;
  for (const auto& [start, len] : runs) {
    EXPECT_LE(start % 13 + len, 13) << "run at " << start << " of length " << len;
    total += len;
  }
  EXPECT_EQ(total, 91);
  for (std::int64_t i = 0; i < 91; ++i) {
    EXPECT_EQ(out[static_cast<std::size_t>(i)], in.position(unravel(i, shape), in_strides));
  }
}

TEST(BroadcastStrides, BroadcastAxesGetStrideZero) {
  const Tensor x = kcore::zeros({3, 1});
  EXPECT_EQ(kcore::cpu::broadcast_strides(x, Shape{2, 3, 4}), (Strides{0, 1, 0}));
  const Tensor y = kcore::transpose(kcore::zeros({4, 3}));  // shape (3, 4), strides (1, 3)
  EXPECT_EQ(kcore::cpu::broadcast_strides(y, Shape{5, 3, 4}), (Strides{0, 1, 3}));
  const Tensor s = kcore::zeros({});
  EXPECT_EQ(kcore::cpu::broadcast_strides(s, Shape{2, 2}), (Strides{0, 0}));
  EXPECT_EQ(kcore::cpu::broadcast_strides(s, Shape{}), Strides{});
}

TEST(ParallelFor, CoversTheRangeExactlyOnce) {
  ThreadCountGuard guard;
  for (int threads : {1, 2, 3, 8}) {
    kcore::set_num_threads(threads);
    EXPECT_EQ(kcore::num_threads(), threads);
    for (std::int64_t n : {0, 1, 2, 7, 100, 1000, 4097}) {
      for (std::int64_t grain : {1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        std::atomic<int> chunks{0};
        kcore::cpu::parallel_for(n, grain, [&](std::int64_t b, std::int64_t e) {
          EXPECT_LT(b, e);
          ++chunks;
          for (std::int64_t i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
        });
        for (std::int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1)
              << "n=" << n << " grain=" << grain << " threads=" << threads << " i=" << i;
        }
        EXPECT_LE(chunks.load(), threads == 1 ? 1 : 4 * threads);
        if (n > 0) {
          // No chunk is smaller than the grain unless the range is.
          EXPECT_LE(chunks.load(), std::max<std::int64_t>(1, (n + grain - 1) / grain));
        }
      }
    }
  }
}

// A worker stuck in its chunk (here: waiting for the caller) does not hold the others back: the
// calling thread takes every chunk left.
TEST(ParallelFor, TheCallerTakesTheChunksOfALateWorker) {
  ThreadCountGuard guard;
  kcore::set_num_threads(2);
  const auto caller = std::this_thread::get_id();
  std::atomic<int> by_caller{0};
  std::atomic<int> total{0};
  constexpr std::int64_t kChunks = 8;
  kcore::cpu::parallel_for(kChunks, 1, [&](std::int64_t b, std::int64_t e) {
    if (std::this_thread::get_id() == caller) {
      by_caller += static_cast<int>(e - b);
    } else {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (by_caller.load() < kChunks - (e - b) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
    }
    total += static_cast<int>(e - b);
  });
  EXPECT_EQ(total.load(), kChunks);
  EXPECT_GE(by_caller.load(), kChunks - 1);
}

#if defined(__linux__)
// A worker that wakes on the caller's CPU moves itself off it for the job (parallel.cpp,
// leave_cpu). With the caller pinned to one CPU, the workers often do; afterwards every thread
// may again run on every CPU it could before, and every job ran in full.
TEST(ParallelFor, WorkersLeavingTheCallersCpuKeepTheirAffinity) {
  cpu_set_t process;
  ASSERT_EQ(sched_getaffinity(0, sizeof(process), &process), 0);
  if (CPU_COUNT(&process) < 2) GTEST_SKIP() << "one CPU";
  ThreadCountGuard guard;
  kcore::set_num_threads(2);
  int first = 0;
  while (!CPU_ISSET(first, &process)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  std::atomic<std::int64_t> total{0};
  for (int job = 0; job < 200; ++job) {
    kcore::cpu::parallel_for(8, 1, [&](std::int64_t b, std::int64_t e) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
      while (std::chrono::steady_clock::now() < until) {
      }
      total += e - b;
    });
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof(process), &process), 0);
  EXPECT_EQ(total.load(), 200 * 8);
  // Directly: the calling thread leaves its CPU and may then run anywhere it could before.
  for (int i = 0; i < 20; ++i) {
    const int cpu = sched_getcpu();
    kcore::cpu::leave_cpu(cpu);
    EXPECT_NE(sched_getcpu(), cpu);
  }
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    const pid_t tid = std::stoi(task.path().filename().string());
    cpu_set_t mask;
    ASSERT_EQ(sched_getaffinity(tid, sizeof(mask), &mask), 0);
    EXPECT_TRUE(CPU_EQUAL(&mask, &process)) << "thread " << tid;
  }
}
#endif

TEST(ParallelFor, ChunkBoundariesAreDeterministic) {
  ThreadCountGuard guard;
  kcore::set_num_threads(4);
  auto boundaries = [] {
    std::mutex m;
    std::set<std::pair<std::int64_t, std::int64_t>> chunks;
    kcore::cpu::parallel_for(10007, 100, [&](std::int64_t b, std::int64_t e) {
      std::lock_guard<std::mutex> lock(m);
      chunks.emplace(b, e);
    });
    return chunks;
  };
  const auto first = boundaries();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(boundaries(), first);
}

TEST(ParallelFor, ExceptionsPropagateAndThePoolSurvives) {
  ThreadCountGuard guard;
  kcore::set_num_threads(3);
  EXPECT_THROW(kcore::cpu::parallel_for(3000, 10,
                                        [](std::int64_t b, std::int64_t e) {
                                          if (b <= 2500 && 2500 < e) {
                                            throw std::runtime_error("chunk failed");
                                          }
                                        }),
               std::runtime_error);
  std::atomic<std::int64_t> total{0};
  kcore::cpu::parallel_for(3000, 10, [&](std::int64_t b, std::int64_t e) { total += e - b; });
  EXPECT_EQ(total.load(), 3000);
}

TEST(ParallelFor, NestedCallsRunInline) {
  ThreadCountGuard guard;
  kcore::set_num_threads(2);
  std::atomic<int> inner_calls{0};
  std::atomic<std::int64_t> total{0};
  kcore::cpu::parallel_for(2, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      kcore::cpu::parallel_for(1000, 1, [&](std::int64_t ib, std::int64_t ie) {
        ++inner_calls;
        EXPECT_EQ(ib, 0);
        EXPECT_EQ(ie, 1000);
        total += ie - ib;
      });
    }
  });
  EXPECT_EQ(inner_calls.load(), 2);
  EXPECT_EQ(total.load(), 2000);
}

TEST(ParallelFor, ThreadCountIsValidated) {
  ThreadCountGuard guard;
  EXPECT_TRUE(
      throws_named<kcore::ValueError>([] { kcore::set_num_threads(0); }, "set_num_threads"));
  EXPECT_TRUE(
      throws_named<kcore::ValueError>([] { kcore::set_num_threads(-3); }, "set_num_threads"));
  EXPECT_GE(kcore::num_threads(), 1);
}

}  // namespace
}  // namespace kcore_test
