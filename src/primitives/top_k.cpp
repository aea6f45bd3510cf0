#include "primitives/top_k.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <hwy/contrib/sort/vqsort.h>

#include "cpu/copy.h"
#include "cpu/dispatch.h"
#include "cpu/parallel.h"
#include "kcore/parallel.h"
#include "primitives/selection_isa.h"

namespace kcore {

REGISTER_PRIMITIVE("top_k", "TopK");
REGISTER_PRIMITIVE("in_top_k", "InTopK");

namespace {

// The values compared: narrow floats (float16, bfloat16, float8) widen to float, bool to uint8.
template <class T>
using cmp_t = std::conditional_t<std::is_same_v<T, bool>, std::uint8_t, cpu::compute_t<T>>;

template <class T>
KCORE_ALWAYS_INLINE inline cmp_t<T> load(T v) {
  if constexpr (cpu::is_narrow_float_v<T>) {
    return static_cast<float>(v);
  } else {
    return static_cast<cmp_t<T>>(v);
  }
}

template <class C>
KCORE_ALWAYS_INLINE inline bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// An integer key whose order is SEMANTICS' total order of the values: NaN above +inf (every
// NaN equal), -0.0 equal to +0.0. Integers are their own key.
template <class C>
struct Key {
  using type = C;
  KCORE_ALWAYS_INLINE static C of(C v) { return v; }
};
template <>
struct Key<float> {
  using type = std::int32_t;
  KCORE_ALWAYS_INLINE static std::int32_t of(float v) {
    const auto b = std::bit_cast<std::int32_t>(v + 0.0F);  // -0.0 + 0.0 == +0.0
    const std::int32_t k = b ^ ((b >> 31) & 0x7fffffff);
    return std::isnan(v) ? std::numeric_limits<std::int32_t>::max() : k;
  }
};
template <>
struct Key<double> {
  using type = std::int64_t;
  KCORE_ALWAYS_INLINE static std::int64_t of(double v) {
    const auto b = std::bit_cast<std::int64_t>(v + 0.0);
    const std::int64_t k = b ^ ((b >> 63) & 0x7fffffffffffffffLL);
    return std::isnan(v) ? std::numeric_limits<std::int64_t>::max() : k;
  }
};

// A cheap test that lets through every value whose key beats `threshold`'s (and, for floats,
// NaNs and everything when the threshold is NaN); the exact key test follows.
template <class C>
KCORE_ALWAYS_INLINE inline bool may_beat(C v, C threshold) {
  if constexpr (std::is_floating_point_v<C>) {
    return !(v <= threshold);
  } else {
    return v > threshold;
  }
}

// The index of the first largest element of x[0, n), n > 0: the first NaN if there is one,
// else the first element equal to the maximum (-0.0 == +0.0). One pass: blocks with no value
// above the running maximum (a vectorised count) are skipped.
template <class T>
KCORE_ALWAYS_INLINE inline std::int64_t first_max_index(const T* x, std::int64_t n) {
  using C = cmp_t<T>;
  C m = load(x[0]);
  std::int64_t best = 0;
  if (is_nan(m)) return 0;
  constexpr std::int64_t kBlock = 32;
  for (std::int64_t i = 1; i < n; i += kBlock) {
    const std::int64_t end = std::min(n, i + kBlock);
    int hits = 0;
    for (std::int64_t j = i; j < end; ++j) hits += may_beat(load(x[j]), m) ? 1 : 0;
    if (hits == 0) continue;
    for (std::int64_t j = i; j < end; ++j) {
      const C v = load(x[j]);
      if (is_nan(v)) return j;
      if (v > m) {
        m = v;
        best = j;
      }
    }
  }
  return best;
}

template <class T>
struct Selector {
  using C = cmp_t<T>;
  using K = typename Key<C>::type;
  struct Cand {
    K key;
    std::int32_t index;
  };
  static bool better(const Cand& a, const Cand& b) {
    return a.key > b.key || (a.key == b.key && a.index < b.index);
  }
  static std::int32_t index(const Cand& c) { return c.index; }

  // Leaves in `buf` the best min(k, n) elements of x[0, n); their indices are offset by `base`.
  // Returns whether they are in order (best first), else they are in no particular order.
  KCORE_ALWAYS_INLINE static bool select(const T* x, std::int64_t n, std::int64_t k,
                                         std::int64_t base, std::vector<Cand>& buf) {
    buf.clear();
    if (k <= 0 || n <= 0) return true;
    if (k == 1) {
      const std::int64_t i = first_max_index(x, n);
      buf.push_back({Key<C>::of(load(x[i])), static_cast<std::int32_t>(base + i)});
      return true;
    }
    auto keep_best = [&] {
      if (static_cast<std::int64_t>(buf.size()) <= k) return;
      std::nth_element(buf.begin(), buf.begin() + (k - 1), buf.end(), better);
      buf.resize(static_cast<std::size_t>(k));
    };
    if (k * 8 >= n) {
      buf.resize(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) {
        buf[i] = {Key<C>::of(load(x[i])), static_cast<std::int32_t>(base + i)};
      }
      keep_best();
      return false;
    }
    // Scan in index order, keeping at most `cap` candidates: a new element enters only if it
    // beats the worst of the best k so far (a tie loses, its index being higher).
    const auto cap = static_cast<std::size_t>(std::max<std::int64_t>(2 * k, 32));
    buf.reserve(cap);
    std::int64_t i = 0;
    for (; i < n && buf.size() < cap; ++i) {
      buf.push_back({Key<C>::of(load(x[i])), static_cast<std::int32_t>(base + i)});
    }
    if (i == n) {
      keep_best();
      return false;
    }
    C threshold{};
    K threshold_key{};
    auto shrink = [&] {
      keep_best();
      const Cand& worst = buf[static_cast<std::size_t>(k - 1)];
      threshold_key = worst.key;
      threshold = load(x[worst.index - base]);
    };
    shrink();
    constexpr std::int64_t kBlock = 64;
    while (i < n) {
      const std::int64_t end = std::min(n, i + kBlock);
      int hits = 0;
      for (std::int64_t j = i; j < end; ++j) hits += may_beat(load(x[j]), threshold) ? 1 : 0;
      if (hits != 0) {
        for (std::int64_t j = i; j < end; ++j) {
          if (!may_beat(load(x[j]), threshold)) continue;
          const K key = Key<C>::of(load(x[j]));
          if (key > threshold_key) {
            buf.push_back({key, static_cast<std::int32_t>(base + j)});
            if (buf.size() == cap) shrink();
          }
        }
      }
      i = end;
    }
    keep_best();
    return false;
  }
};

// Types whose comparison key fits 32 bits: a candidate is one uint64, (~key << 32) | index, so
// that the best candidate is the smallest integer (ties: the lower index) and selection and
// sorting compare plain integers.
template <class T>
inline constexpr bool kPackable = sizeof(cmp_t<T>) <= 4;

// Rows up to kShortRow long with small k take the block-maxima path of PackedSelector.
constexpr std::int64_t kShortRow = 1 << 15;
constexpr std::int64_t kKeyBlock = 16;

// Candidates in ascending order (best first); they are distinct (the index is part of each), so
// the order is fully determined. Long runs go to Highway's vqsort; short ones to std::sort, since
// a vqsort call costs about 0.4 µs however short the run.
inline void sort_packed(std::vector<std::uint64_t>& buf) {
  constexpr std::size_t kVectorSortFrom = 256;
  if (buf.size() < kVectorSortFrom) {
    std::sort(buf.begin(), buf.end());
    return;
  }
  thread_local const hwy::Sorter sorter;
  sorter(buf.data(), buf.size(), hwy::SortAscending());
}

template <class T>
struct PackedSelector {
  using C = cmp_t<T>;
  using Cand = std::uint64_t;
  static bool better(Cand a, Cand b) { return a < b; }
  static std::int32_t index(Cand c) { return static_cast<std::int32_t>(c & 0xffffffffU); }

  // An order-preserving map to uint32 (SEMANTICS' order: NaN on top, -0.0 == +0.0).
  KCORE_ALWAYS_INLINE static std::uint32_t ukey(T v) {
    const C c = load(v);
    if constexpr (std::is_same_v<C, float>) {
      const auto b = std::bit_cast<std::uint32_t>(c + 0.0F);  // -0.0 + 0.0 == +0.0
      const std::uint32_t k = (b & 0x80000000U) != 0 ? ~b : (b | 0x80000000U);
      return std::isnan(c) ? 0xffffffffU : k;
    } else if constexpr (std::is_signed_v<C>) {
      return static_cast<std::uint32_t>(static_cast<std::int32_t>(c)) ^ 0x80000000U;
    } else {
      return static_cast<std::uint32_t>(c);
    }
  }
  KCORE_ALWAYS_INLINE static Cand pack(std::uint32_t key, std::int64_t i) {
    return (static_cast<std::uint64_t>(~key) << 32) | static_cast<std::uint32_t>(i);
  }

  // As Selector::select.
  KCORE_ALWAYS_INLINE static bool select(const T* x, std::int64_t n, std::int64_t k,
                                         std::int64_t base, std::vector<Cand>& buf) {
    buf.clear();
    if (k <= 0 || n <= 0) return true;
    if (k == 1) {
      const std::int64_t i = first_max_index(x, n);
      buf.push_back(pack(ukey(x[i]), base + i));
      return true;
    }
    auto keep_best = [&] {
      if (static_cast<std::int64_t>(buf.size()) <= k) return;
      std::nth_element(buf.begin(), buf.begin() + (k - 1), buf.end());
      buf.resize(static_cast<std::size_t>(k));
    };
    if (k * 4 >= n || (n <= kShortRow && k * 2 * kKeyBlock > n)) {
      // Every element a candidate: the row sorted whole with SIMD (vqsort). A selection
      // (nth_element) and a sort of the best k were slower on data not seen before, whose
      // comparisons the branch predictor cannot learn: (100, 1000), k = 100, 3.2 against 8.5 µs
      // a row.
      buf.resize(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) buf[i] = pack(ukey(x[i]), base + i);
      sort_packed(buf);
      buf.resize(static_cast<std::size_t>(std::min(k, n)));  // k may exceed a piece's length
      return true;
    }
    if (n <= kShortRow) {
      // Short rows: the k-th largest of the blocks' maximum keys is at most the row's k-th
      // largest key (k blocks reach it), so only the blocks that reach it hold candidates.
      thread_local std::vector<std::uint32_t> keys;
      thread_local std::vector<std::uint32_t> maxima;
      thread_local std::vector<std::uint32_t> order;
      const std::int64_t blocks = (n + kKeyBlock - 1) / kKeyBlock;
      keys.resize(static_cast<std::size_t>(blocks * kKeyBlock));
      std::uint32_t* key = keys.data();
      for (std::int64_t j = 0; j < n; ++j) key[j] = ukey(x[j]);
      for (std::int64_t j = n; j < blocks * kKeyBlock; ++j) key[j] = 0;
      maxima.resize(static_cast<std::size_t>(blocks));
      for (std::int64_t b = 0; b < blocks; ++b) {
        std::uint32_t m = 0;
        for (std::int64_t j = 0; j < kKeyBlock; ++j) m = std::max(m, key[b * kKeyBlock + j]);
        maxima[static_cast<std::size_t>(b)] = m;
      }
      order.assign(maxima.begin(), maxima.end());
      std::nth_element(order.begin(), order.begin() + (k - 1), order.end(),
                       std::greater<std::uint32_t>());
      const std::uint32_t bound = order[static_cast<std::size_t>(k - 1)];
      for (std::int64_t b = 0; b < blocks; ++b) {
        if (maxima[static_cast<std::size_t>(b)] < bound) continue;
        const std::int64_t end = std::min(n, (b + 1) * kKeyBlock);
        for (std::int64_t j = b * kKeyBlock; j < end; ++j) {
          if (key[j] >= bound) buf.push_back(pack(key[j], base + j));
        }
      }
      keep_best();
      return false;
    }
    // Scan in index order, keeping at most `cap` candidates: a new element enters only if it
    // beats the worst of the best k so far (a tie loses, its index being higher).
    const auto cap = static_cast<std::size_t>(std::max<std::int64_t>(2 * k, 64));
    buf.reserve(cap);
    std::int64_t i = 0;
    for (; i < n && buf.size() < cap; ++i) buf.push_back(pack(ukey(x[i]), base + i));
    if (i == n) {
      keep_best();
      return false;
    }
    C threshold{};
    std::uint32_t threshold_key = 0;
    auto shrink = [&] {
      keep_best();
      const Cand worst = buf[static_cast<std::size_t>(k - 1)];
      threshold_key = ~static_cast<std::uint32_t>(worst >> 32);
      threshold = load(x[index(worst) - base]);
    };
    shrink();
    constexpr std::int64_t kBlock = 64;
    while (i < n) {
      const std::int64_t end = std::min(n, i + kBlock);
      int hits = 0;
      for (std::int64_t j = i; j < end; ++j) hits += may_beat(load(x[j]), threshold) ? 1 : 0;
      if (hits != 0) {
        for (std::int64_t j = i; j < end; ++j) {
          if (!may_beat(load(x[j]), threshold)) continue;
          const std::uint32_t key = ukey(x[j]);
          if (key > threshold_key) {
            buf.push_back(pack(key, base + j));
            if (buf.size() == cap) shrink();
          }
        }
      }
      i = end;
    }
    keep_best();
    return false;
  }
};

Tensor contiguous_values(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor c = Tensor::empty(x.shape(), x.dtype());
  cpu::copy_elements(c.mutable_bytes(), c.strides(), x);
  return c;
}

// Rows of at least this many elements are split into pieces when there are fewer rows than
// threads; the result does not depend on the split (the selection is exact).
constexpr std::int64_t kPiece = 1 << 16;

template <class T>
void top_k_kernel(const T* x, std::int64_t rows, std::int64_t n, std::int64_t k, bool sorted,
                  T* values, std::int32_t* indices) {
  using S = std::conditional_t<kPackable<T>, PackedSelector<T>, Selector<T>>;
  using Cand = typename S::Cand;
  auto write = [&](std::int64_t r, std::vector<Cand>& buf, bool in_order) {
    if (sorted && !in_order) {
      if constexpr (kPackable<T>) {
        sort_packed(buf);
      } else {
        std::sort(buf.begin(), buf.end(),
                  [](const Cand& a, const Cand& b) { return S::better(a, b); });
      }
    }
    const T* row = x + r * n;
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int32_t index = S::index(buf[static_cast<std::size_t>(j)]);
      values[r * k + j] = row[index];
      indices[r * k + j] = index;
    }
  };
  if (rows >= num_threads() || n <= kPiece) {
    cpu::parallel_for(
        rows, std::max<std::int64_t>(1, kPiece / n), [&](std::int64_t b, std::int64_t e) {
          std::vector<Cand> buf;
          for (std::int64_t r = b; r < e; ++r) {
            const bool in_order = selection::with_best_isa(
                [&]() KCORE_ALWAYS_INLINE { return S::select(x + r * n, n, k, 0, buf); });
            write(r, buf, in_order);
          }
        });
    return;
  }
  // Few long rows: the best k of each piece, then the best k of those. Just enough pieces for the
  // threads: each piece's scan starts with a low bar (its first elements all enter), so 16
  // pieces of a 10^6 row cost 16 such starts (k = 100 on 2 threads: 375 µs against 77 µs on 1).
  const std::int64_t threads = num_threads();
  const std::int64_t pieces = std::min((n + kPiece - 1) / kPiece, (threads + rows - 1) / rows);
  const std::int64_t piece = (n + pieces - 1) / pieces;
  std::vector<std::vector<Cand>> found(static_cast<std::size_t>(rows * pieces));
  cpu::parallel_for(rows * pieces, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t t = b; t < e; ++t) {
      const std::int64_t r = t / pieces;
      const std::int64_t start = (t % pieces) * piece;
      const std::int64_t len = std::min(piece, n - start);
      auto& f = found[static_cast<std::size_t>(t)];
      selection::with_best_isa(
          [&]() KCORE_ALWAYS_INLINE { S::select(x + r * n + start, len, k, start, f); });
    }
  });
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<Cand> all;
    for (std::int64_t p = 0; p < pieces; ++p) {
      auto& f = found[static_cast<std::size_t>(r * pieces + p)];
      all.insert(all.end(), f.begin(), f.end());
    }
    if (static_cast<std::int64_t>(all.size()) > k) {
      std::nth_element(all.begin(), all.begin() + (k - 1), all.end(),
                       [](const Cand& a, const Cand& b) { return S::better(a, b); });
      all.resize(static_cast<std::size_t>(k));
    }
    write(r, all, false);
  }
}

std::string shape_str(const Tensor& x) {
  return format_shape(x.shape());
}

}  // namespace

std::vector<TensorSpec> TopK::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  if (x.ndim() == 0) {
    throw ValueError(
        "top_k: received x of shape () (a 0-d tensor); expected rank >= 1, top_k selects along "
        "the last axis");
  }
  if (is_complex(x.dtype())) {
    throw TypeError("top_k: received x of dtype " + std::string(kcore::name(x.dtype())) +
                    "; expected a real dtype, complex numbers have no order");
  }
  const std::int64_t n = x.shape().back();
  if (k_ < 0) {
    throw ValueError("top_k: k=" + std::to_string(k_) + " is negative; expected 0 <= k <= " +
                     std::to_string(n) + " (the last dimension of x); x.shape=" + shape_str(x));
  }
  if (k_ > n) {
    throw ValueError("top_k: k=" + std::to_string(k_) +
                     " is larger than the last dimension of x (" + std::to_string(n) +
                     "); x.shape=" + shape_str(x));
  }
  if (n > std::numeric_limits<std::int32_t>::max()) {
    throw ValueError("top_k: the last dimension of x (" + std::to_string(n) +
                     ") does not fit the int32 indices; expected at most 2147483647");
  }
  Shape shape = x.shape();
  shape.back() = k_;
  return {{shape, x.dtype(), false}, {shape, DType::Int32, false}};
}

std::vector<Tensor> TopK::eval_cpu(std::span<const Tensor> inputs,
                                   std::span<const TensorSpec> outputs) const {
  Tensor values = Tensor::empty(outputs[0].shape, outputs[0].dtype);
  Tensor indices = Tensor::empty(outputs[1].shape, outputs[1].dtype);
  const std::int64_t n = inputs[0].shape().back();
  const std::int64_t rows = values.size() / std::max<std::int64_t>(k_, 1);
  if (k_ == 0 || rows == 0) return {values, indices};
  const Tensor x = contiguous_values(inputs[0]);
  const std::int64_t k = k_;
  const bool sorted = sorted_;
  cpu::dispatch(x.dtype(), [&]<class T>() {
    if constexpr (!cpu::is_complex_v<T>) {
      top_k_kernel<T>(x.data<T>(), rows, n, k, sorted, values.mutable_data<T>(),
                      indices.mutable_data<std::int32_t>());
    }
  });
  return {values, indices};
}

std::vector<TensorSpec> InTopK::infer(std::span<const Tensor> inputs) const {
  const Tensor& targets = inputs[0];
  const Tensor& predictions = inputs[1];
  if (predictions.ndim() == 0) {
    throw ValueError(
        "in_top_k: received predictions of shape () (a 0-d tensor); expected rank >= 1, with "
        "the classes along the last axis");
  }
  if (is_complex(predictions.dtype())) {
    throw TypeError("in_top_k: received predictions of dtype " +
                    std::string(kcore::name(predictions.dtype())) +
                    "; expected a real dtype, complex numbers have no order");
  }
  if (!is_integer(targets.dtype())) {
    throw ValueError("in_top_k: received targets of dtype " +
                     std::string(kcore::name(targets.dtype())) + "; expected an integer dtype");
  }
  const Shape expected(predictions.shape().begin(), predictions.shape().end() - 1);
  if (targets.shape() != expected) {
    throw ValueError(
        "in_top_k: received targets of shape " + shape_str(targets) + " and predictions of shape " +
        shape_str(predictions) +
        "; expected targets.shape == predictions.shape[:-1] == " + format_shape(expected));
  }
  return {{targets.shape(), DType::Bool, false}};
}

std::vector<Tensor> InTopK::eval_cpu(std::span<const Tensor> inputs,
                                     std::span<const TensorSpec> outputs) const {
  Tensor out = Tensor::empty(outputs[0].shape, DType::Bool);
  const std::int64_t rows = out.size();
  if (rows == 0) return {out};
  const Tensor targets = contiguous_values(inputs[0]);
  const Tensor predictions = contiguous_values(inputs[1]);
  const std::int64_t n = predictions.shape().back();
  const std::int64_t k = k_;
  // Targets as int64; a uint64 beyond int64 becomes negative, which is out of range anyway.
  std::vector<std::int64_t> t(static_cast<std::size_t>(rows));
  cpu::dispatch(targets.dtype(), [&]<class I>() {
    if constexpr (std::is_integral_v<I> && !std::is_same_v<I, bool>) {
      const I* p = targets.data<I>();
      // An int8 target is a signed class index: sign extension intended.
      // NOLINTNEXTLINE(bugprone-signed-char-misuse)
      for (std::int64_t r = 0; r < rows; ++r) t[r] = static_cast<std::int64_t>(p[r]);
    }
  });
  bool* dst = out.mutable_data<bool>();
  cpu::dispatch(predictions.dtype(), [&]<class T>() {
    if constexpr (!cpu::is_complex_v<T>) {
      using C = cmp_t<T>;
      const T* x = predictions.data<T>();
      auto rows_in = [&](std::int64_t b, std::int64_t e) KCORE_ALWAYS_INLINE {
        for (std::int64_t r = b; r < e; ++r) {
          bool in = false;
          const std::int64_t target = t[r];
          if (k > 0 && target >= 0 && target < n) {
            const T* row = x + r * n;
            const C v = load(row[target]);
            if (!is_nan(v)) {
              // Count the strictly greater values, stopping once k are seen.
              std::int64_t greater = 0;
              constexpr std::int64_t kBlock = 256;
              for (std::int64_t j = 0; j < n && greater < k; j += kBlock) {
                const std::int64_t end = std::min(n, j + kBlock);
                std::int64_t c = 0;
                for (std::int64_t i = j; i < end; ++i) c += load(row[i]) > v;
                greater += c;
              }
              in = greater < k;
            }
          }
          dst[r] = in;
        }
      };
      cpu::parallel_for(rows, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(n, 1)),
                        [&](std::int64_t b, std::int64_t e) {
                          selection::with_best_isa([&]() KCORE_ALWAYS_INLINE { rows_in(b, e); });
                        });
    }
  });
  return {out};
}

}  // namespace kcore
