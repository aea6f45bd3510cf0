// Microbenchmarks of kcore's ops from C++: the ops of bench/ops.py over sizes, the per-call
// overhead on one-element tensors (dispatch/...) and loops with a scalar body
// (loop/<case>/<iterations>; the counter per_iter is the time of one loop iteration). Names are
// "<op>/<elements>", which bench/run.py matches with its table of ops.
//
//   kcore_bench [--kcore_threads=N] [--kcore_sizes=1000,1000000] [--kcore_min_time=0.05]
//               [--kcore_loop_n=10000]
//               [Google Benchmark flags: --benchmark_filter=..., --benchmark_out=..., ...]

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kcore/control_flow.h"
#include "kcore/kcore.h"
#include "kcore/tree.h"

namespace {

using kcore::DType;
using kcore::Tensor;
using Inputs = std::vector<Tensor>;

// (rows, cols), rows the largest divisor of n <= sqrt(n), as bench/ops.py's shape2d.
std::pair<std::int64_t, std::int64_t> shape2d(std::int64_t n) {
  auto r = static_cast<std::int64_t>(std::sqrt(static_cast<double>(n)));
  while (r * r > n) --r;
  while (n % r != 0) --r;
  return {r, n / r};
}

std::vector<float> uniform(std::int64_t n, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = dist(gen);
  return v;
}

Tensor f32(std::int64_t n, float lo, float hi, unsigned seed = 1) {
  return kcore::convert_to_tensor(uniform(n, lo, hi, seed));
}

Tensor f32_2d(std::int64_t n, float lo, float hi, unsigned seed = 1) {
  const auto [r, c] = shape2d(n);
  return kcore::reshape(f32(n, lo, hi, seed), {r, c});
}

// top_k's inputs, as bench/ops.py's top_k_inputs: (n / row, row) float32 (row = n when 0),
// every row a random permutation of row distinct integers.
Tensor permuted_rows(std::int64_t n, std::int64_t row, unsigned seed = 1) {
  const std::int64_t r = row > 0 ? std::min(row, n) : n;
  const std::int64_t rows = std::max<std::int64_t>(n / r, 1);
  std::mt19937 gen(seed);
  std::vector<float> base(static_cast<std::size_t>(r));
  std::iota(base.begin(), base.end(), static_cast<float>(-(r / 2)));
  std::vector<float> v;
  v.reserve(static_cast<std::size_t>(rows * r));
  for (std::int64_t i = 0; i < rows; ++i) {
    std::shuffle(base.begin(), base.end(), gen);
    v.insert(v.end(), base.begin(), base.end());
  }
  return kcore::reshape(kcore::convert_to_tensor(v), {rows, r});
}

// in_top_k's inputs, as bench/ops.py's in_top_k_inputs: targets (n / 1000,) int32 and
// predictions (n / 1000, 1000), half the targets scored in [0.98, 1).
constexpr std::int64_t kClasses = 1000;
constexpr std::int64_t kInTopK = 5;

Inputs in_top_k_inputs(std::int64_t n) {
  const std::int64_t rows = std::max<std::int64_t>(n / kClasses, 1);
  std::vector<float> pred = uniform(rows * kClasses, -1, 1, 1);
  std::mt19937 gen(2);
  std::uniform_int_distribution<std::int32_t> cls(0, kClasses - 1);
  std::uniform_real_distribution<float> top(0.98F, 1.0F);
  std::vector<std::int32_t> targets(static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i) {
    targets[i] = cls(gen);
    if (gen() % 2 == 0) pred[i * kClasses + targets[i]] = top(gen);
  }
  return Inputs{kcore::convert_to_tensor(targets),
                kcore::reshape(kcore::convert_to_tensor(pred), {rows, kClasses})};
}

// segment_*'s inputs, as bench/ops.py's segment_inputs: data (n,) float32 multiples of 1/256 in
// [-1, 1], ids (n,) int32 uniform in [0, n / 1000), sorted or not.
constexpr std::int64_t kSegmentLen = 1000;

std::int64_t num_segments(std::int64_t n) {
  return std::max<std::int64_t>(n / kSegmentLen, 1);
}

Inputs segment_inputs(std::int64_t n, bool sorted) {
  std::mt19937 gen(1);
  std::uniform_int_distribution<std::int32_t> step(-256, 256);
  std::uniform_int_distribution<std::int32_t> id(0, static_cast<std::int32_t>(num_segments(n)) - 1);
  std::vector<float> data(static_cast<std::size_t>(n));
  std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
  for (auto& x : data) x = static_cast<float>(step(gen)) / 256.0F;
  for (auto& i : ids) i = id(gen);
  if (sorted) std::sort(ids.begin(), ids.end());
  return Inputs{kcore::convert_to_tensor(data), kcore::convert_to_tensor(ids)};
}

// scatter's inputs, as bench/ops.py's scatter_inputs: indices (n, 1) int64 uniform in [0, n)
// (duplicates), values (n,) float32 integers in [-8, 8].
Inputs scatter_inputs(std::int64_t n) {
  std::mt19937 gen(1);
  std::uniform_int_distribution<std::int64_t> at(0, n - 1);
  std::uniform_int_distribution<std::int32_t> value(-8, 8);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  std::vector<float> values(static_cast<std::size_t>(n));
  for (auto& i : idx) i = at(gen);
  for (auto& v : values) v = static_cast<float>(value(gen));
  return Inputs{kcore::reshape(kcore::convert_to_tensor(idx), {n, 1}),
                kcore::convert_to_tensor(values)};
}

// scatter_update's inputs, as bench/ops.py's scatter_update_inputs: x (n,) float32, indices
// (n / 16, 1) int64 distinct, updates (n / 16,) float32 integers in [-8, 8].
Inputs scatter_update_inputs(std::int64_t n) {
  const std::int64_t m = std::max<std::int64_t>(n / 16, 1);
  std::mt19937 gen(1);
  std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), std::int64_t{0});
  std::shuffle(rows.begin(), rows.end(), gen);
  rows.resize(static_cast<std::size_t>(m));
  std::uniform_int_distribution<std::int32_t> value(-8, 8);
  std::vector<float> updates(static_cast<std::size_t>(m));
  for (auto& v : updates) v = static_cast<float>(value(gen));
  return Inputs{f32(n, -1, 1), kcore::reshape(kcore::convert_to_tensor(rows), {m, 1}),
                kcore::convert_to_tensor(updates)};
}

struct OpBench {
  const char* name;
  std::function<Inputs(std::int64_t)> make;
  std::function<Tensor(const Inputs&)> run;
  // Set for ops whose calls cycle through several input sets, as bench/ops.py's Op.input_sets:
  // the set drawn with each seed.
  std::function<Inputs(std::int64_t, unsigned)> make_seeded = nullptr;
};

// As bench/ops.py: up to 64 input sets (TOPK_INPUT_SETS), at most 16 MiB together
// (INPUT_SETS_BYTES).
constexpr std::int64_t kMaxInputSets = 64;
constexpr std::int64_t kInputSetsBytes = std::int64_t{16} << 20;

std::vector<Inputs> input_sets(const OpBench& op, std::int64_t n) {
  std::vector<Inputs> sets = {op.make(n)};
  if (!op.make_seeded) return sets;
  std::int64_t bytes = 0;
  for (const Tensor& t : sets[0]) {
    bytes += t.size() * static_cast<std::int64_t>(kcore::itemsize(t.dtype()));
  }
  const std::int64_t count = std::clamp<std::int64_t>(
      kInputSetsBytes / std::max<std::int64_t>(bytes, 1), 1, kMaxInputSets);
  for (std::int64_t s = 1; s < count; ++s) {
    sets.push_back(op.make_seeded(n, static_cast<unsigned>(s + 1)));
  }
  return sets;
}

// top_k's values (the indices are computed too) over rows of `row` elements (0: one row of n),
// its calls cycling through input sets drawn with different seeds.
OpBench top_k_bench(const char* name, std::int64_t row, std::int64_t k) {
  return {name, [row](auto n) { return Inputs{permuted_rows(n, row)}; },
          [k](const Inputs& x) { return kcore::top_k(x[0], k).values; },
          [row](auto n, unsigned seed) { return Inputs{permuted_rows(n, row, seed)}; }};
}

// One entry per op of bench/ops.py that has a C++ counterpart.
const std::vector<OpBench>& op_benches() {
  static const std::vector<OpBench> table = {
      {"add",
       [](auto n) {
         return Inputs{f32(n, -1, 1, 1), f32(n, -1, 1, 2)};
       },
       [](const Inputs& x) { return kcore::add(x[0], x[1]); }},
      {"multiply",
       [](auto n) {
         return Inputs{f32(n, -1, 1, 1), f32(n, -1, 1, 2)};
       },
       [](const Inputs& x) { return kcore::multiply(x[0], x[1]); }},
      {"exp", [](auto n) { return Inputs{f32(n, -4, 4)}; },
       [](const Inputs& x) { return kcore::exp(x[0]); }},
      {"sqrt", [](auto n) { return Inputs{f32(n, 0, 4)}; },
       [](const Inputs& x) { return kcore::sqrt(x[0]); }},
      {"sum", [](auto n) { return Inputs{f32(n, -1, 1)}; },
       [](const Inputs& x) { return kcore::sum(x[0]); }},
      {"sum_axis0", [](auto n) { return Inputs{f32_2d(n, -1, 1)}; },
       [](const Inputs& x) { return kcore::sum(x[0], kcore::Axes{0}); }},
      {"sum_axis1", [](auto n) { return Inputs{f32_2d(n, -1, 1)}; },
       [](const Inputs& x) { return kcore::sum(x[0], kcore::Axes{1}); }},
      {"cast_f32_f16", [](auto n) { return Inputs{f32(n, -100, 100)}; },
       [](const Inputs& x) { return kcore::cast(x[0], DType::Float16); }},
      {"cast_f32_bf16", [](auto n) { return Inputs{f32(n, -100, 100)}; },
       [](const Inputs& x) { return kcore::cast(x[0], DType::BFloat16); }},
      {"cast_f32_i32", [](auto n) { return Inputs{f32(n, -1000, 1000)}; },
       [](const Inputs& x) { return kcore::cast(x[0], DType::Int32); }},
      {"transpose_copy", [](auto n) { return Inputs{f32_2d(n, -1, 1)}; },
       [](const Inputs& x) { return kcore::ascontiguous(kcore::transpose(x[0])); }},
      {"concatenate",
       [](auto n) {
         const auto half = std::max<std::int64_t>(n / 2, 1);
         return Inputs{f32_2d(half, -1, 1, 1), f32_2d(half, -1, 1, 2)};
       },
       [](const Inputs& x) {
         return kcore::concatenate({x[0], x[1]}, 1);
       }},
      {"where",
       [](auto n) {
         const auto u = uniform(n, 0, 1, 3);
         std::vector<bool> c(u.size());
         for (std::size_t i = 0; i < u.size(); ++i) c[i] = u[i] < 0.5F;
         return Inputs{kcore::convert_to_tensor(c), f32(n, -1, 1, 1), f32(n, -1, 1, 2)};
       },
       [](const Inputs& x) { return kcore::where(x[0], x[1], x[2]); }},
      top_k_bench("top_k_k1", 1000, 1),
      top_k_bench("top_k_k10", 1000, 10),
      top_k_bench("top_k_k100", 1000, 100),
      top_k_bench("top_k_1row_k1", 0, 1),
      top_k_bench("top_k_1row_k10", 0, 10),
      top_k_bench("top_k_1row_k100", 0, 100),
      {"in_top_k", in_top_k_inputs,
       [](const Inputs& x) { return kcore::in_top_k(x[0], x[1], kInTopK); }},
      {"segment_sum", [](auto n) { return segment_inputs(n, false); },
       [](const Inputs& x) {
         return kcore::segment_sum(x[0], x[1], num_segments(x[0].shape()[0]), false);
       }},
      {"segment_sum_sorted", [](auto n) { return segment_inputs(n, true); },
       [](const Inputs& x) {
         return kcore::segment_sum(x[0], x[1], num_segments(x[0].shape()[0]), true);
       }},
      {"segment_max", [](auto n) { return segment_inputs(n, false); },
       [](const Inputs& x) {
         return kcore::segment_max(x[0], x[1], num_segments(x[0].shape()[0]), false);
       }},
      {"segment_max_sorted", [](auto n) { return segment_inputs(n, true); },
       [](const Inputs& x) {
         return kcore::segment_max(x[0], x[1], num_segments(x[0].shape()[0]), true);
       }},
      {"scatter", scatter_inputs,
       [](const Inputs& x) { return kcore::scatter(x[0], x[1], x[1].shape()); }},
      {"scatter_update", scatter_update_inputs,
       [](const Inputs& x) { return kcore::scatter_update(x[0], x[1], x[2]); }},
      {"scatter_update_add", scatter_update_inputs,
       [](const Inputs& x) { return kcore::scatter_update(x[0], x[1], x[2], "add"); }},
  };
  return table;
}

double g_min_time = 0.05;

benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b) {
  return b->UseRealTime()->Unit(benchmark::kMicrosecond)->MinTime(g_min_time);
}

void register_ops(const std::vector<std::int64_t>& sizes) {
  for (const auto& op : op_benches()) {
    for (const auto n : sizes) {
      const std::string name = std::string(op.name) + "/" + std::to_string(n);
      configure(benchmark::RegisterBenchmark(name.c_str(), [op, n](benchmark::State& st) {
        const std::vector<Inputs> sets = input_sets(op, n);
        // Warm-up, untimed: the first call faults in its output's pages, which later calls
        // reuse (src/core/buffer_pool.h); one slow first iteration would otherwise be the
        // whole measurement at large sizes.
        benchmark::DoNotOptimize(op.run(sets[0]));
        std::size_t next = 0;
        for (auto _ : st) {
          Tensor out = op.run(sets[next]);
          benchmark::DoNotOptimize(out);
          next = next + 1 == sets.size() ? 0 : next + 1;
        }
        st.SetItemsProcessed(st.iterations() * n);
      }));
    }
  }
  // Conversions between host memory and tensors (what the Python conversions cost without
  // Python): a copy in from a host buffer, and a copy out to one.
  for (const auto n : sizes) {
    const std::string in_name = "convert_to_tensor/" + std::to_string(n);
    configure(benchmark::RegisterBenchmark(in_name.c_str(), [n](benchmark::State& st) {
      const std::vector<float> host = uniform(n, -1, 1, 1);
      for (auto _ : st) {
        Tensor t = kcore::convert_to_tensor(host.data(), {n}, DType::Float32);
        benchmark::DoNotOptimize(t);
      }
      st.SetItemsProcessed(st.iterations() * n);
    }));
    const std::string out_name = "convert_to_numpy/" + std::to_string(n);
    configure(benchmark::RegisterBenchmark(out_name.c_str(), [n](benchmark::State& st) {
      const Tensor t = f32(n, -1, 1);
      for (auto _ : st) {
        // Uninitialised, like NumPy's empty array that convert_to_numpy fills.
        const auto host = std::make_unique_for_overwrite<float[]>(static_cast<std::size_t>(n));
        t.copy_to(host.get());
        benchmark::DoNotOptimize(host.get());
      }
      st.SetItemsProcessed(st.iterations() * n);
    }));
  }
}

// Per-call overhead: one-element float32 tensors, so the kernel itself costs nothing.
void register_dispatch() {
  struct Case {
    const char* name;
    std::function<void(const Tensor&)> run;
  };
  static const std::vector<Case> cases = {
      {"dispatch/add", [](const Tensor& x) { benchmark::DoNotOptimize(kcore::add(x, x)); }},
      {"dispatch/add_operator", [](const Tensor& x) { benchmark::DoNotOptimize(x + x); }},
      {"dispatch/add_scalar", [](const Tensor& x) { benchmark::DoNotOptimize(x + 1.0F); }},
      {"dispatch/exp", [](const Tensor& x) { benchmark::DoNotOptimize(kcore::exp(x)); }},
      {"dispatch/sum", [](const Tensor& x) { benchmark::DoNotOptimize(kcore::sum(x)); }},
      {"dispatch/cast_f16",
       [](const Tensor& x) { benchmark::DoNotOptimize(kcore::cast(x, DType::Float16)); }},
      {"dispatch/reshape",
       [](const Tensor& x) {
         benchmark::DoNotOptimize(kcore::reshape(x, {1, 1}));
       }},
      {"dispatch/convert_to_tensor",
       [](const Tensor&) {
         const float v = 1.5F;
         benchmark::DoNotOptimize(kcore::convert_to_tensor(&v, {1}, DType::Float32));
       }},
      {"dispatch/convert_to_numpy",
       [](const Tensor& x) {
         float v = 0;
         x.copy_to(&v);
         benchmark::DoNotOptimize(v);
       }},
  };
  for (const auto& c : cases) {
    benchmark::RegisterBenchmark(c.name,
                                 [&c](benchmark::State& st) {
                                   const Tensor x =
                                       kcore::convert_to_tensor(std::vector<float>{1.5F});
                                   for (auto _ : st) c.run(x);
                                 })
        ->Unit(benchmark::kNanosecond)
        ->MinTime(g_min_time);
  }
}

// Strong 0-d tensors, as the Python loop variables converted from NumPy scalars.
Tensor int32_scalar(std::int32_t v) {
  return kcore::convert_to_tensor(&v, {}, DType::Int32);
}
Tensor float32_scalar(float v) {
  return kcore::convert_to_tensor(&v, {}, DType::Float32);
}

// Control flow (bench/ops.py's LOOPS): a while_loop over (i int32, x float32) scalars with cond
// i < n and body (i + 1, x * 0.5 + 1.0), and a fori_loop over [0, n) with body x + i. One
// benchmark iteration runs the whole loop; per_iter is its time over the n loop iterations.
void register_loops(std::int64_t n) {
  using kcore::Tree;
  const auto per_iteration = [n](benchmark::State& st) {
    st.counters["per_iter"] =
        benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
  };
  const std::string suffix = "/" + std::to_string(n);
  configure(benchmark::RegisterBenchmark(
      ("loop/while_scalar" + suffix).c_str(), [n, per_iteration](benchmark::State& st) {
        const Tensor limit(n);  // a bare (weak) scalar, as Python's n
        const Tree init = Tree::tuple({Tree(int32_scalar(0)), Tree(float32_scalar(0))});
        for (auto _ : st) {
          Tree out = kcore::while_loop(
              [&](const Tree& v) { return v[0].leaf() < limit; },
              [](const Tree& v) {
                return Tree::tuple({Tree(v[0].leaf() + 1), Tree(v[1].leaf() * 0.5 + 1.0)});
              },
              init);
          benchmark::DoNotOptimize(out);
        }
        per_iteration(st);
      }));
  configure(benchmark::RegisterBenchmark(
      ("loop/fori_scalar" + suffix).c_str(), [n, per_iteration](benchmark::State& st) {
        const Tensor lower = int32_scalar(0);
        const Tensor upper = int32_scalar(static_cast<std::int32_t>(n));
        const Tree init(float32_scalar(0));
        for (auto _ : st) {
          Tree out = kcore::fori_loop(
              lower, upper, [](const Tensor& i, const Tree& x) { return Tree(x.leaf() + i); },
              init);
          benchmark::DoNotOptimize(out);
        }
        per_iteration(st);
      }));
}

std::vector<std::int64_t> parse_sizes(std::string_view s) {
  std::vector<std::int64_t> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    out.push_back(std::strtoll(std::string(s.substr(0, comma)).c_str(), nullptr, 10));
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int64_t> sizes = {1000, 10000, 100000, 1000000, 10000000};
  std::int64_t loop_n = 10000;
  // Our own flags go first; the rest is Google Benchmark's.
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.starts_with("--kcore_threads=")) {
      kcore::set_num_threads(std::atoi(argv[i] + std::strlen("--kcore_threads=")));
    } else if (a.starts_with("--kcore_sizes=")) {
      sizes = parse_sizes(a.substr(std::strlen("--kcore_sizes=")));
    } else if (a.starts_with("--kcore_loop_n=")) {
      loop_n = std::strtoll(argv[i] + std::strlen("--kcore_loop_n="), nullptr, 10);
    } else if (a.starts_with("--kcore_min_time=")) {
      g_min_time = std::atof(argv[i] + std::strlen("--kcore_min_time="));
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  benchmark::AddCustomContext("kcore_threads", std::to_string(kcore::num_threads()));
  register_ops(sizes);
  register_dispatch();
  register_loops(loop_n);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
