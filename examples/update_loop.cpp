// The cost of an update loop, x = slice_update(x, start, u) and x = scatter_update(x, idx, u),
// against the size of x: with std::move(x) the buffer is reused (cost ~ the update), without it
// every call copies x (cost ~ x.size()). Prints microseconds per update.
//
//   build/release/kcore_update_loop [threads]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kcore/kcore.h"

namespace {

using namespace kcore;
using Clock = std::chrono::steady_clock;

template <class F>
double micros_per_call(int calls, F&& f) {
  const auto t0 = Clock::now();
  for (int i = 0; i < calls; ++i) f(i);
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) set_num_threads(std::atoi(argv[1]));
  std::printf("threads: %d\n", num_threads());
  std::printf("%10s  %22s  %22s  %24s  %24s\n", "x.size", "slice_update move (us)",
              "slice_update copy (us)", "scatter_update move (us)", "scatter_update copy (us)");
  const Tensor u = ones({8}, DType::Float32);
  for (std::int64_t n : {10'000LL, 100'000LL, 1'000'000LL, 10'000'000LL}) {
    const int calls = n >= 1'000'000 ? 50 : 1000;
    Tensor x = zeros({n}, DType::Float32);
    const double move_slice =
        micros_per_call(calls, [&](int i) { x = slice_update(std::move(x), {(i * 8) % n}, u); });
    const double copy_slice = micros_per_call(calls, [&](int i) {
      const Tensor& y = x;
      x = slice_update(y, {(i * 8) % n}, u);
    });
    const Tensor row = ones({1}, DType::Float32);
    std::vector<Tensor> index;
    index.reserve(64);
    for (int i = 0; i < 64; ++i) {
      index.push_back(
          reshape(convert_to_tensor(std::vector<std::int64_t>{(i * 7919) % n}), {1, 1}));
    }
    const double move_scatter = micros_per_call(calls, [&](int i) {
      x = scatter_update(std::move(x), index[static_cast<std::size_t>(i % 64)], row, "add");
    });
    const double copy_scatter = micros_per_call(calls, [&](int i) {
      const Tensor& y = x;
      x = scatter_update(y, index[static_cast<std::size_t>(i % 64)], row, "add");
    });
    std::printf("%10lld  %22.2f  %22.2f  %24.2f  %24.2f\n", static_cast<long long>(n), move_slice,
                copy_slice, move_scatter, copy_scatter);
  }
  return 0;
}
