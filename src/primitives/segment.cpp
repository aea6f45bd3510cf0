#include "primitives/segment.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/convert.h"
#include "cpu/copy.h"
#include "cpu/dispatch.h"
#include "cpu/parallel.h"
#include "kcore/parallel.h"
#include "primitives/selection_isa.h"

namespace kcore {

REGISTER_PRIMITIVE("segment_sum", "SegmentReduce");
REGISTER_PRIMITIVE("segment_max", "SegmentReduce");
REGISTER_PRIMITIVE("segment_gather", "SegmentGather");

namespace {

// How one segment op folds values of T: the accumulator type A, its identity, and the step.
// Sums: integers wrap in T (the same as wrapping in any wider type), bool is logical or, floats
// accumulate in their compute type (float for float16, bfloat16 and float32, double for float64)
// and round once. Max: NaN wins, +0.0 beats -0.0, so the result depends on the set of values,
// not their order. `kPlain` is for floating data known to hold no NaN and no -0.0: a plain
// compare-and-select gives the same result there.
template <class T, SegmentOp kOp, bool kPlain = false>
struct Fold {
  static constexpr bool kSum = kOp == SegmentOp::Sum;
  using A = std::conditional_t<std::is_integral_v<T> || cpu::is_complex_v<T>, T, cpu::compute_t<T>>;
  // Folding in a different order gives the same bits (every op but floating sums).
  static constexpr bool kOrderFree = !kSum || std::is_integral_v<T>;

  KCORE_ALWAYS_INLINE static A identity() {
    if constexpr (kSum || std::is_same_v<T, bool>) {
      return A{};
    } else if constexpr (std::is_integral_v<T>) {
      return std::numeric_limits<T>::lowest();
    } else {
      return -std::numeric_limits<A>::infinity();
    }
  }

  KCORE_ALWAYS_INLINE static A load(T v) {
    if constexpr (cpu::is_narrow_float_v<T>) {
      return static_cast<float>(v);
    } else {
      return v;
    }
  }

  KCORE_ALWAYS_INLINE static A combine(A a, A v) {
    if constexpr (std::is_same_v<T, bool>) {
      return a || v;
    } else if constexpr (kSum && std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) + static_cast<U>(v));
    } else if constexpr (kSum) {
      return a + v;
    } else if constexpr (std::is_integral_v<T> || kPlain) {
      return v > a ? v : a;
    } else {
      // Selects, not branches: the outcome of a compare on data is unpredictable.
      using Bits = std::conditional_t<sizeof(A) == 4, std::uint32_t, std::uint64_t>;
      A m = v > a ? v : a;
      // Equal values: the same bits, except zeros, where +0.0 wins (the sign bits and'ed).
      const A both = std::bit_cast<A>(std::bit_cast<Bits>(a) & std::bit_cast<Bits>(v));
      m = v == a ? both : m;
      m = v != v ? v : m;
      return a != a ? a : m;
    }
  }

  KCORE_ALWAYS_INLINE static T store(A a) {
    if constexpr (std::is_same_v<A, T>) {
      return a;
    } else {
      return cpu::convert_value<T>(a);
    }
  }

  // 1 for a NaN or a -0.0 (the values the plain max fold gets wrong), else 0.
  KCORE_ALWAYS_INLINE static int special(A v) {
    if constexpr (std::is_floating_point_v<A>) {
      using Bits = std::conditional_t<sizeof(A) == 4, std::int32_t, std::int64_t>;
      return v != v || std::bit_cast<Bits>(v) == std::numeric_limits<Bits>::min() ? 1 : 0;
    } else {
      return 0;
    }
  }
};

Tensor contiguous_values(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor c = Tensor::empty(x.shape(), x.dtype());
  cpu::copy_elements(c.mutable_bytes(), c.strides(), x);
  return c;
}

// The ids as int32 or int64, contiguous: int32/int64 tensors as they are, other integer types
// converted to int64 (a uint64 beyond int64 becomes negative: out of range either way).
struct CanonicalIds {
  std::optional<Tensor> held;
  std::vector<std::int64_t> converted;

  explicit CanonicalIds(const Tensor& ids) {
    if ((ids.dtype() == DType::Int32 || ids.dtype() == DType::Int64) && ids.is_contiguous()) {
      held = ids;
      return;
    }
    const Tensor c = contiguous_values(ids);
    converted.resize(static_cast<std::size_t>(c.size()));
    cpu::dispatch(c.dtype(), [&]<class I>() {
      if constexpr (std::is_integral_v<I> && !std::is_same_v<I, bool>) {
        const I* p = c.data<I>();
        for (std::size_t i = 0; i < converted.size(); ++i) {
          // NOLINTNEXTLINE(bugprone-signed-char-misuse): int8 ids are numbers, sign-extended.
          converted[i] = static_cast<std::int64_t>(p[i]);
        }
      }
    });
  }

  template <class F>
  void visit(F&& f) const {
    if (!held) {
      f(static_cast<const std::int64_t*>(converted.data()));
    } else if (held->dtype() == DType::Int32) {
      f(held->data<std::int32_t>());
    } else {
      f(held->data<std::int64_t>());
    }
  }
};

// Below this many elements of work, one thread.
constexpr std::int64_t kGrain = 1 << 15;
// A one-column fold takes its rows in blocks of this many; the plain max checks each block for
// NaN and -0.0 just before folding it, while the block is in the cache.
constexpr std::int64_t kFoldBlock = 2048;
// Rows (ids and values) of more than kStreamBytes come from memory, and the hardware fetches
// them too late for the fold: it fetches them kFetchAhead rows ahead itself. (segment_max of 10^7
// rows: 5.9 -> 4.0 ms. Below, where they are cached, the fetches cost more than they save.)
constexpr std::int64_t kFetchAhead = 2048;
constexpr std::int64_t kStreamBytes = std::int64_t{16} << 20;

// Prefetches the cache lines of p[0, 16).
template <class U>
KCORE_ALWAYS_INLINE inline void prefetch_16(const U* p) {
  for (std::size_t b = 0; b < 16 * sizeof(U); b += 64) {
    __builtin_prefetch(reinterpret_cast<const char*>(p) + b, 0, 3);
  }
}

template <class T, SegmentOp kOp, class Id, bool kPlain = false>
class SegmentKernel {
  using F = Fold<T, kOp, kPlain>;
  using A = typename F::A;

 public:
  SegmentKernel(const T* data, const Id* ids, std::int64_t n, std::int64_t d, std::int64_t s,
                T* out)
      : data_(data), ids_(ids), n_(n), d_(d), s_(s), out_(out) {
    if constexpr (std::is_same_v<A, T>) {
      acc_ = out;
    } else {
      buffer_.resize(static_cast<std::size_t>(s * d));
      acc_ = buffer_.data();
    }
  }

  // Returns false when the plain fold met a NaN or a -0.0 (the caller then folds again).
  bool run(bool sorted) {
    if (s_ * d_ == 0) return true;
    if constexpr (kPlain) {
      // One column, sorted: one vectorised check first (fold_runs folds four stretches at once
      // and reports nothing). Unsorted, the fold checks block by block (scatter).
      if (d_ == 1 && sorted) {
        if (any_special(0, n_)) return false;
        checked_ = true;
      }
    }
    const std::int64_t work = n_ * d_ + s_ * d_;
    const std::int64_t parts =
        std::max<std::int64_t>(1, std::min<std::int64_t>(num_threads(), work / kGrain));
    std::vector<char> special(static_cast<std::size_t>(parts), 0);
    if (sorted) {
      run_sorted(parts, special);
    } else if (parts > 1 && d_ >= 64 * parts) {
      run_columns(parts, special);
    } else if (F::kOrderFree && parts > 1 && s_ * 4 * parts <= n_) {
      run_row_partials(parts, special);
    } else if (d_ == 1) {
      // Segment ranges read every row in every part; with one column that reading is most of
      // the work, so more parts only add work (and mispredicted range checks): one part.
      run_segment_ranges(1, special);
    } else {
      run_segment_ranges(std::min(parts, s_), special);
    }
    return std::find(special.begin(), special.end(), 1) == special.end();
  }

 private:
  void init(std::int64_t e0, std::int64_t e1) { std::fill(acc_ + e0, acc_ + e1, F::identity()); }

  void finish(std::int64_t e0, std::int64_t e1) {
    if constexpr (!std::is_same_v<A, T>) {
      for (std::int64_t e = e0; e < e1; ++e) out_[e] = F::store(acc_[e]);
    }
  }

  // Whether any value of rows [i0, i1) of one-column data is a NaN or a -0.0.
  bool any_special(std::int64_t i0, std::int64_t i1) const {
    return selection::with_best_isa([&]() KCORE_ALWAYS_INLINE {
      constexpr std::int64_t kBlock = 1024;
      for (std::int64_t i = i0; i < i1; i += kBlock) {
        const std::int64_t end = std::min(i1, i + kBlock);
        int found = 0;
        for (std::int64_t j = i; j < end; ++j) found |= F::special(F::load(data_[j]));
        if (found != 0) return true;
      }
      return false;
    });
  }

  // Folds rows [i0, i1) whose id is in [lo, hi), columns [c0, c1), into `acc`. With kPlain,
  // returns whether a value was a NaN or a -0.0 (the plain fold was then wrong, and may have
  // stopped early), unless checked_.
  bool scatter(A* acc, std::int64_t i0, std::int64_t i1, std::int64_t lo, std::int64_t hi,
               std::int64_t c0, std::int64_t c1) const {
    const std::int64_t d = d_;
    int special = 0;
    if (d == 1) {
      // One column: a scalar fold, unrolled so that independent updates overlap. An id is in
      // range when (id - lo) as unsigned is below hi - lo.
      const auto width = static_cast<std::uint64_t>(hi - lo);
      A* out = acc + lo;
      const auto fold = [&](const Id* id, const T* v) KCORE_ALWAYS_INLINE {
        const auto r = static_cast<std::uint64_t>(static_cast<std::int64_t>(*id) - lo);
        if (r < width) {
          A& a = out[r];
          a = F::combine(a, F::load(*v));
        }
      };
      const bool streamed =
          (i1 - i0) * static_cast<std::int64_t>(sizeof(T) + sizeof(Id)) > kStreamBytes;
      for (std::int64_t b = i0; b < i1; b += kFoldBlock) {
        const std::int64_t e = std::min(i1, b + kFoldBlock);
        if constexpr (kPlain) {
          if (!checked_ && any_special(b, e)) return true;
        }
        const Id* id = ids_ + b;
        const T* v = data_ + b;
        const T* end = data_ + e;
        if (streamed) {
          const T* fetched_end = data_ + std::max(b, std::min(e, i1 - kFetchAhead - 16));
          for (; v + 16 <= fetched_end; v += 16, id += 16) {
            prefetch_16(v + kFetchAhead);
            prefetch_16(id + kFetchAhead);
            for (int k = 0; k < 16; ++k) fold(id + k, v + k);
          }
        }
        for (; v + 16 <= end; v += 16, id += 16) {
          for (int k = 0; k < 16; ++k) fold(id + k, v + k);
        }
        for (; v < end; ++v, ++id) fold(id, v);
      }
      return false;
    }
    // Rows: the fold runs along the row (vectorised).
    const std::int64_t len = c1 - c0;
    return selection::with_best_isa([&]() KCORE_ALWAYS_INLINE {
      for (std::int64_t i = i0; i < i1; ++i) {
        const auto s = static_cast<std::int64_t>(ids_[i]);
        if (s < lo || s >= hi) continue;
        A* dst = acc + s * d + c0;
        const T* src = data_ + i * d + c0;
        if constexpr (kPlain) {
          for (std::int64_t j = 0; j < len; ++j) {
            const A v = F::load(src[j]);
            special |= F::special(v);
            dst[j] = F::combine(dst[j], v);
          }
        } else {
          for (std::int64_t j = 0; j < len; ++j) dst[j] = F::combine(dst[j], F::load(src[j]));
        }
      }
      return special != 0;
    });
  }

  // Each part owns a range of segments and folds every row that falls in it.
  void run_segment_ranges(std::int64_t parts, std::vector<char>& special) {
    cpu::parallel_for(parts, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t p = b; p < e; ++p) {
        const std::int64_t lo = s_ * p / parts;
        const std::int64_t hi = s_ * (p + 1) / parts;
        init(lo * d_, hi * d_);
        special[p] = scatter(acc_, 0, n_, lo, hi, 0, d_) ? 1 : 0;
        finish(lo * d_, hi * d_);
      }
    });
  }

  // Wide rows: each part owns a range of columns of every segment.
  void run_columns(std::int64_t parts, std::vector<char>& special) {
    cpu::parallel_for(parts, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t p = b; p < e; ++p) {
        const std::int64_t c0 = p == 0 ? 0 : d_ * p / parts / 16 * 16;
        const std::int64_t c1 = p + 1 == parts ? d_ : d_ * (p + 1) / parts / 16 * 16;
        for (std::int64_t s = 0; s < s_; ++s) init(s * d_ + c0, s * d_ + c1);
        special[p] = scatter(acc_, 0, n_, 0, s_, c0, c1) ? 1 : 0;
        for (std::int64_t s = 0; s < s_; ++s) finish(s * d_ + c0, s * d_ + c1);
      }
    });
  }

  // Order-free folds with few segments: each part folds a range of rows into its own copy of
  // the output, and the copies are combined in order.
  void run_row_partials(std::int64_t parts, std::vector<char>& special) {
    const std::int64_t size = s_ * d_;
    // (unique_ptr arrays, not vectors: A may be bool)
    std::vector<std::unique_ptr<A[]>> partials(static_cast<std::size_t>(parts - 1));
    cpu::parallel_for(parts, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t p = b; p < e; ++p) {
        A* acc = acc_;
        if (p > 0) {
          auto& mine = partials[static_cast<std::size_t>(p - 1)];
          mine = std::make_unique_for_overwrite<A[]>(static_cast<std::size_t>(size));
          acc = mine.get();
          std::fill(acc, acc + size, F::identity());
        } else {
          init(0, size);
        }
        special[p] = scatter(acc, n_ * p / parts, n_ * (p + 1) / parts, 0, s_, 0, d_) ? 1 : 0;
      }
    });
    cpu::parallel_for(size, kGrain, [&](std::int64_t b, std::int64_t e) {
      for (const auto& partial : partials) {
        for (std::int64_t i = b; i < e; ++i) acc_[i] = F::combine(acc_[i], partial[i]);
      }
      finish(b, e);
    });
  }

  // Where a cut of rows [from, to) aimed at `target` (and not before the previous cut) lands:
  // the first row from there on that starts a new id, or `to`, so that no run of equal ids is
  // split.
  std::int64_t cut_at_id_change(std::int64_t from, std::int64_t to, std::int64_t target,
                                std::int64_t previous) const {
    std::int64_t r = std::max(target, previous);
    while (r > from && r < to && ids_[r] == ids_[r - 1]) ++r;
    return r;
  }

  // Sorted ids: parts are ranges of rows cut where the id changes; part c owns the segments
  // from its first id up to the next part's first id and drops rows outside them, so parts
  // never write to the same segment even when the ids are not sorted after all.
  void run_sorted(std::int64_t parts, std::vector<char>& special) {
    std::vector<std::int64_t> row(static_cast<std::size_t>(parts + 1));
    std::vector<std::int64_t> seg(static_cast<std::size_t>(parts + 1));
    row[0] = 0;
    seg[0] = 0;
    for (std::int64_t c = 1; c < parts; ++c) {
      const std::int64_t r = cut_at_id_change(0, n_, n_ * c / parts, row[c - 1]);
      row[c] = r;
      const std::int64_t first = r < n_ ? static_cast<std::int64_t>(ids_[r]) : s_;
      seg[c] = std::clamp(first, seg[c - 1], s_);
    }
    row[parts] = n_;
    seg[parts] = s_;
    cpu::parallel_for(parts, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t c = b; c < e; ++c) {
        init(seg[c] * d_, seg[c + 1] * d_);
        if (d_ == 1 && row[c + 1] - row[c] >= kMinRunLength * (seg[c + 1] - seg[c])) {
          fold_runs(row[c], row[c + 1], seg[c], seg[c + 1]);
        } else {
          special[c] = scatter(acc_, row[c], row[c + 1], seg[c], seg[c + 1], 0, d_) ? 1 : 0;
        }
        finish(seg[c] * d_, seg[c + 1] * d_);
      }
    });
  }

  // Sorted ids averaging at least this many rows per segment fold run by run (fold_runs).
  static constexpr std::int64_t kMinRunLength = 8;

  // One column, sorted ids, rows [i0, i1), segments [lo, hi): a run of equal ids folds in a
  // register, from the segment's accumulator, in row order. One run alone would wait on each
  // combine's latency, so the rows are split at id changes into kStretches stretches that fold
  // side by side, one row of each per step. Ids that are not sorted after all (sorted=True
  // misused) give unspecified values but only touch segments in [lo, hi).
  void fold_runs(std::int64_t i0, std::int64_t i1, std::int64_t lo, std::int64_t hi) {
    constexpr int kStretches = 4;
    std::array<std::int64_t, kStretches + 1> start{};
    start[0] = i0;
    start[kStretches] = i1;
    for (int k = 1; k < kStretches; ++k) {
      start[k] = cut_at_id_change(i0, i1, i0 + (i1 - i0) * k / kStretches, start[k - 1]);
    }
    const auto width = static_cast<std::uint64_t>(hi - lo);
    struct Run {
      std::int64_t id = -1;
      bool kept = false;
      A value{};
    };
    std::array<Run, kStretches> run{};
    const auto step = [&](Run& r, std::int64_t i) KCORE_ALWAYS_INLINE {
      const auto id = static_cast<std::int64_t>(ids_[i]);
      if (id != r.id) {
        if (r.kept) acc_[r.id] = r.value;
        r.id = id;
        r.kept = static_cast<std::uint64_t>(id - lo) < width;
        r.value = r.kept ? acc_[id] : F::identity();
      }
      r.value = F::combine(r.value, F::load(data_[i]));
    };
    std::int64_t common = i1 - i0;
    for (int k = 0; k < kStretches; ++k) common = std::min(common, start[k + 1] - start[k]);
    for (std::int64_t t = 0; t < common; ++t) {
      step(run[0], start[0] + t);
      step(run[1], start[1] + t);
      step(run[2], start[2] + t);
      step(run[3], start[3] + t);
    }
    for (int k = 0; k < kStretches; ++k) {
      for (std::int64_t i = start[k] + common; i < start[k + 1]; ++i) step(run[k], i);
      if (run[k].kept) acc_[run[k].id] = run[k].value;
    }
  }

  const T* data_;
  const Id* ids_;
  std::int64_t n_, d_, s_;
  T* out_;
  A* acc_ = nullptr;
  std::vector<A> buffer_;
  // kPlain: the data is known to hold no NaN and no -0.0.
  bool checked_ = false;
};

std::string dtype_str(const Tensor& x) {
  return std::string(kcore::name(x.dtype()));
}

// The checks both segment primitives make on `ids` against `x`'s leading dimension (when
// `rows` is set).
void check_ids(std::string_view op, const Tensor& ids) {
  if (ids.ndim() != 1) {
    throw ValueError(std::string(op) + ": received segment_ids of shape " +
                     format_shape(ids.shape()) + "; expected a 1-D tensor (one id per row)");
  }
  if (!is_integer(ids.dtype())) {
    throw ValueError(std::string(op) + ": received segment_ids of dtype " + dtype_str(ids) +
                     "; expected an integer dtype");
  }
}

}  // namespace

std::string_view SegmentReduce::name() const {
  return op_ == SegmentOp::Sum ? "segment_sum" : "segment_max";
}

std::vector<TensorSpec> SegmentReduce::infer(std::span<const Tensor> inputs) const {
  const std::string op(name());
  const Tensor& data = inputs[0];
  const Tensor& ids = inputs[1];
  if (data.ndim() == 0) {
    throw ValueError(op +
                     ": received data of shape () (a 0-d tensor); expected rank >= 1, segments "
                     "run along axis 0");
  }
  check_ids(op, ids);
  if (ids.shape()[0] != data.shape()[0]) {
    throw ValueError(op + ": received segment_ids of shape " + format_shape(ids.shape()) +
                     " and data of shape " + format_shape(data.shape()) +
                     "; expected one id per row of data (length " +
                     std::to_string(data.shape()[0]) + ")");
  }
  if (num_segments_ < 0) {
    throw ValueError(op + ": num_segments=" + std::to_string(num_segments_) +
                     " is negative; expected num_segments >= 0");
  }
  if (is_float8(data.dtype())) {
    throw ValueError(op + ": received data of dtype " + dtype_str(data) +
                     "; float8 types are for storage only, expected another dtype (cast to "
                     "float16 or float32 first)");
  }
  if (op_ == SegmentOp::Max && is_complex(data.dtype())) {
    throw TypeError(op + ": received data of dtype " + dtype_str(data) +
                    "; expected a real dtype, complex numbers have no order");
  }
  Shape shape = data.shape();
  shape[0] = num_segments_;
  // The output must be addressable: refuse sizes whose bytes overflow.
  std::int64_t elements = 1;
  for (auto d : shape) {
    if (d != 0 && elements > (std::numeric_limits<std::int64_t>::max() / 16) / d) {
      throw ValueError(op + ": num_segments=" + std::to_string(num_segments_) +
                       " gives an output of shape " + format_shape(shape) +
                       ", too large to allocate; expected a smaller num_segments");
    }
    elements *= d;
  }
  return {{shape, data.dtype(), false}};
}

std::vector<Tensor> SegmentReduce::eval_cpu(std::span<const Tensor> inputs,
                                            std::span<const TensorSpec> outputs) const {
  Tensor out = Tensor::empty(outputs[0].shape, outputs[0].dtype);
  if (out.size() == 0) return {out};
  const Tensor data = contiguous_values(inputs[0]);
  const CanonicalIds ids(inputs[1]);
  const std::int64_t n = data.shape()[0];
  const std::int64_t d = out.size() / num_segments_;
  const std::int64_t s = num_segments_;
  const bool sorted = sorted_;
  const SegmentOp op = op_;
  ids.visit([&]<class Id>(const Id* id) {
    cpu::dispatch(data.dtype(), [&]<class T>() {
      if constexpr (!cpu::is_narrow_float_v<T> || std::is_same_v<T, float16> ||
                    std::is_same_v<T, bfloat16>) {
        const T* x = n * d > 0 ? data.data<T>() : nullptr;
        T* o = out.mutable_data<T>();
        if (op == SegmentOp::Sum) {
          SegmentKernel<T, SegmentOp::Sum, Id>(x, id, n, d, s, o).run(sorted);
          return;
        }
        if constexpr (std::is_floating_point_v<cpu::compute_t<T>>) {
          // The plain fold first; data with NaN or -0.0 is folded again in full.
          if (!SegmentKernel<T, SegmentOp::Max, Id, true>(x, id, n, d, s, o).run(sorted)) {
            SegmentKernel<T, SegmentOp::Max, Id>(x, id, n, d, s, o).run(sorted);
          }
        } else if constexpr (!cpu::is_complex_v<T>) {
          SegmentKernel<T, SegmentOp::Max, Id>(x, id, n, d, s, o).run(sorted);
        }
      }
    });
  });
  return {out};
}

std::vector<TensorSpec> SegmentGather::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const Tensor& ids = inputs[1];
  if (x.ndim() == 0) {
    throw ValueError(
        "segment_gather: received x of shape () (a 0-d tensor); expected rank >= 1, rows are "
        "taken along axis 0");
  }
  check_ids("segment_gather", ids);
  Shape shape = x.shape();
  shape[0] = ids.shape()[0];
  return {{shape, x.dtype(), false}};
}

std::vector<Tensor> SegmentGather::eval_cpu(std::span<const Tensor> inputs,
                                            std::span<const TensorSpec> outputs) const {
  Tensor out = Tensor::empty(outputs[0].shape, outputs[0].dtype);
  if (out.size() == 0) return {out};
  const Tensor x = contiguous_values(inputs[0]);
  const CanonicalIds ids(inputs[1]);
  const std::int64_t n = out.shape()[0];
  const std::int64_t s = x.shape()[0];
  const auto row_bytes = static_cast<std::int64_t>(out.size() / n * itemsize(out.dtype()));
  const std::byte* src = x.bytes();
  std::byte* dst = out.mutable_bytes();
  ids.visit([&]<class Id>(const Id* id) {
    cpu::parallel_for(n, std::max<std::int64_t>(1, kGrain / std::max<std::int64_t>(row_bytes, 1)),
                      [&](std::int64_t b, std::int64_t e) {
                        for (std::int64_t i = b; i < e; ++i) {
                          const auto r = static_cast<std::int64_t>(id[i]);
                          std::byte* to = dst + i * row_bytes;
                          if (r >= 0 && r < s) {
                            std::memcpy(to, src + r * row_bytes,
                                        static_cast<std::size_t>(row_bytes));
                          } else {
                            std::memset(to, 0, static_cast<std::size_t>(row_bytes));
                          }
                        }
                      });
  });
  return {out};
}

Tensor segment_reduce(SegmentOp op, const Tensor& data, const Tensor& segment_ids,
                      std::int64_t num_segments, bool sorted) {
  return bind1(std::make_shared<SegmentReduce>(op, num_segments, sorted), {data, segment_ids});
}

Tensor segment_gather(const Tensor& x, const Tensor& segment_ids) {
  return bind1(std::make_shared<SegmentGather>(), {x, segment_ids});
}

}  // namespace kcore
