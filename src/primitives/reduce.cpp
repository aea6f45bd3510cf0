#include "primitives/reduce.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "cpu/convert.h"
#include "cpu/dispatch.h"
#include "cpu/parallel.h"
#include "cpu/reduce_kernels.h"
#include "kcore/parallel.h"

namespace kcore {

REGISTER_PRIMITIVE("sum", "Reduce");
REGISTER_PRIMITIVE("max", "Reduce");
REGISTER_PRIMITIVE("min", "Reduce");

std::vector<std::int64_t> normalize_reduction_axes(
    const std::optional<std::vector<std::int64_t>>& axis, std::int64_t ndim, std::string_view op) {
  std::vector<std::int64_t> axes;
  if (!axis) {
    for (std::int64_t i = 0; i < ndim; ++i) axes.push_back(i);
    return axes;
  }
  for (auto a : *axis) axes.push_back(normalize_axis(a, ndim, op));
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    throw ValueError(std::string(op) + ": received a repeated axis in " + format_shape(*axis) +
                     "; expected distinct axes");
  }
  return axes;
}

namespace {

// Accumulator types: floats in double, integers in 64 bits (wrapping), complex in double.
template <class T>
using acc_t = std::conditional_t<
    cpu::is_complex_v<T>, std::complex<double>,
    std::conditional_t<std::is_same_v<T, bool> || (std::is_signed_v<T> && std::is_integral_v<T>),
                       std::int64_t,
                       std::conditional_t<std::is_integral_v<T>, std::uint64_t, double>>>;

// Dimensions of a sub-iteration (kept or reduced axes), merged where contiguous.
struct Dims {
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;  // bytes
  std::int64_t size = 1;

  void add(std::int64_t n, std::int64_t stride) {
    size *= n;
    if (n == 1) return;
    if (!shape.empty() && strides.back() == stride * n) {
      shape.back() *= n;
      strides.back() = stride;
      return;
    }
    shape.push_back(n);
    strides.push_back(stride);
  }
  // Byte offset of the linear position `i` (row-major over shape).
  std::int64_t offset(std::int64_t i) const {
    std::int64_t off = 0;
    for (std::size_t d = shape.size(); d-- > 0;) {
      off += (i % shape[d]) * strides[d];
      i /= shape[d];
    }
    return off;
  }
};

template <class T>
struct Reducer {
  ReduceOp op;
  using A = acc_t<T>;

  A identity() const {
    if (op == ReduceOp::Sum) return A(0);
    if constexpr (cpu::is_complex_v<T>) {
      return A(0);
    } else if constexpr (std::is_integral_v<T>) {
      return op == ReduceOp::Max ? A(std::numeric_limits<T>::lowest())
                                 : A(std::numeric_limits<T>::max());
    } else {
      return op == ReduceOp::Max ? -INFINITY : INFINITY;
    }
  }

  A combine(A acc, A v) const {
    if (op == ReduceOp::Sum) {
      if constexpr (std::is_integral_v<A>) {
        using U = std::make_unsigned_t<A>;
        return static_cast<A>(static_cast<U>(acc) + static_cast<U>(v));
      } else {
        return acc + v;
      }
    }
    if constexpr (cpu::is_complex_v<T>) {
      return acc;
    } else if constexpr (std::is_floating_point_v<A>) {
      if (std::isnan(acc) || std::isnan(v)) return NAN;
      return op == ReduceOp::Max ? std::max(acc, v) : std::min(acc, v);
    } else {
      return op == ReduceOp::Max ? std::max(acc, v) : std::min(acc, v);
    }
  }

  A load(const std::byte* p) const {
    const T v = *reinterpret_cast<const T*>(p);
    if constexpr (cpu::is_complex_v<T>) {
      return A(v.real(), v.imag());
    } else if constexpr (cpu::is_narrow_float_v<T>) {
      return static_cast<double>(static_cast<float>(v));
    } else {
      return static_cast<A>(v);
    }
  }

  // Sum of n contiguous elements in independent lanes, combined in a fixed order: the lanes
  // vectorise, and the result does not depend on where threads split the work.
  static A contiguous_sum(const T* q, std::int64_t n) {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      return cpu::contiguous_sum(q, static_cast<std::size_t>(n));  // the same folds, in SIMD
    } else {
      constexpr int kLanes = 16;
      A lanes[kLanes] = {};
      std::int64_t i = 0;
      for (; i + kLanes <= n; i += kLanes) {
        for (int j = 0; j < kLanes; ++j) lanes[j] = plus(lanes[j], widen(q[i + j]));
      }
      A s = A(0);
      for (; i < n; ++i) s = plus(s, widen(q[i]));
      for (int j = 0; j < kLanes; ++j) s = plus(s, lanes[j]);
      return s;
    }
  }

  static A widen(T v) {
    if constexpr (cpu::is_narrow_float_v<T>) {
      return static_cast<double>(static_cast<float>(v));
    } else {
      return static_cast<A>(v);
    }
  }

  static A plus(A a, A b) {
    if constexpr (std::is_integral_v<A>) {
      using U = std::make_unsigned_t<A>;
      return static_cast<A>(static_cast<U>(a) + static_cast<U>(b));
    } else {
      return a + b;
    }
  }

  // Reduces positions [k0, k1) of `red` starting at `base`.
  A run(const std::byte* base, const Dims& red, std::int64_t k0, std::int64_t k1) const {
    A acc = identity();
    if (red.shape.empty()) return k0 < k1 ? combine(acc, load(base)) : acc;
    const std::int64_t inner = red.shape.back();
    const std::int64_t inner_stride = red.strides.back();
    std::int64_t k = k0;
    while (k < k1) {
      const std::int64_t in_run = k % inner;
      const std::int64_t n = std::min(inner - in_run, k1 - k);
      const std::byte* p = base + red.offset(k);
      if (op == ReduceOp::Sum && inner_stride == sizeof(T) && !cpu::is_complex_v<T>) {
        acc = combine(acc, contiguous_sum(reinterpret_cast<const T*>(p), n));
      } else {
        for (std::int64_t i = 0; i < n; ++i) acc = combine(acc, load(p + i * inner_stride));
      }
      k += n;
    }
    return acc;
  }
};

constexpr std::int64_t kBlock = 1 << 16;
// Row-wise folds (reduced axes outside a contiguous run of outputs): at least this many outputs,
// and tiles of at most kColumnTile outputs, whose accumulators stay in cache.
constexpr std::int64_t kMinColumns = 64;
constexpr std::int64_t kColumnTile = 2048;
// The tile of operands read from memory (kFromMemoryBytes): whole rows up to 8192 outputs, read
// in one pass rather than in strips (3162 x 3162 float32 over axis 0, 1 thread: 1.25-1.33 ms in
// strips of 2048, 1.07-1.08 ms whole; strips of 1024 1.75 ms). The accumulators then live in
// the L2, which keeps up with a stream from memory.
constexpr std::int64_t kColumnTileFromMemory = 8192;
// Rows added per pass over the accumulators (float32/float64 sums).
constexpr std::int64_t kRowGroup = 8;
// Operands of more bytes than this lie beyond the last-level cache: row-wise sums fetch ahead.
constexpr std::int64_t kFromMemoryBytes = std::int64_t{16} << 20;

// An accumulated result in the output dtype: a complex result stored into a real dtype keeps its
// real part.
template <class O, class A>
O output_value(const A& v) {
  if constexpr (cpu::is_complex_v<A> && !cpu::is_complex_v<O>) {
    return cpu::convert_value<O>(v.real());
  } else {
    return cpu::convert_value<O>(v);
  }
}

}  // namespace

std::string_view Reduce::name() const {
  switch (op_) {
    case ReduceOp::Sum:
      return "sum";
    case ReduceOp::Max:
      return "max";
    case ReduceOp::Min:
      return "min";
  }
  return "reduce";
}

TensorSpec Reduce::output_spec(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  // A weak float scalar is held as float64 and resolves to float32, as in the elementwise ops.
  const DType d = promote({{x.dtype(), x.weak()}}, name()).dtype;
  Shape shape;
  std::int64_t reduced = 1;
  for (std::int64_t i = 0; i < x.ndim(); ++i) {
    const bool r = std::binary_search(axes_.begin(), axes_.end(), i);
    if (r) reduced *= x.shape()[i];
    if (!r) {
      shape.push_back(x.shape()[i]);
    } else if (keepdims_) {
      shape.push_back(1);
    }
  }
  DType out = d;
  if (op_ == ReduceOp::Sum) {
    if (d == DType::Bool || d == DType::Int8 || d == DType::Int16) out = DType::Int32;
    if (d == DType::UInt8 || d == DType::UInt16) out = DType::UInt32;
  } else {
    if (is_complex(d)) {
      throw TypeError(std::string(name()) + ": received dtype " + std::string(kcore::name(d)) +
                      "; expected a real dtype, complex numbers have no order");
    }
    if (reduced == 0 && shape_size(shape) > 0) {
      throw ValueError(std::string(name()) + ": received a zero-size reduction over shape " +
                       format_shape(x.shape()) + "; expected a non-empty reduction, " +
                       std::string(name()) + " has no identity");
    }
  }
  return {shape, out, false};
}

Tensor Reduce::run(std::span<const Tensor> inputs, const TensorSpec& spec) const {
  const Tensor& x = inputs[0];
  Tensor out = Tensor::empty(spec.shape, spec.dtype);
  const std::int64_t isz = static_cast<std::int64_t>(itemsize(x.dtype()));
  Dims kept;
  Dims red;
  for (std::int64_t i = 0; i < x.ndim(); ++i) {
    const bool r = std::binary_search(axes_.begin(), axes_.end(), i);
    (r ? red : kept).add(x.shape()[i], x.strides()[i] * isz);
  }
  const std::int64_t m = kept.size;
  const std::int64_t k = red.size;
  if (m == 0) return out;
  const ReduceOp op = op_;
  cpu::dispatch(x.dtype(), [&]<class T>() {
    if constexpr (!std::is_same_v<T, float8_e4m3fn> && !std::is_same_v<T, float8_e5m2>) {
      using A = acc_t<T>;
      const Reducer<T> reducer{op};
      std::vector<A> results(static_cast<std::size_t>(m));
      const std::byte* base = x.bytes();
      // Every output reduces fixed blocks of kBlock elements, combined in order, whichever way
      // the work is split across threads: results do not depend on the thread count.
      const std::int64_t blocks = std::max<std::int64_t>(1, (k + kBlock - 1) / kBlock);
      auto block = [&](const std::byte* row, std::int64_t j) {
        return reducer.run(row, red, j * kBlock, std::min(k, (j + 1) * kBlock));
      };
      // block(row, j) for j in [j0, j1), into out[j - j0]. A float32/float64 sum whose
      // reduction is one contiguous run per output sums its whole blocks side by side
      // (cpu::contiguous_sums), each exactly as `block` does (sum of 10^7 float32, 1 thread:
      // 0.90-0.94 -> 0.77-0.81 ms; of 10^6 float64: 84-86 -> 69-73 µs). Rows of outputs side by
      // side were slower (over the last axis of 3162 x 3162 float32: 0.94-0.97 -> 1.29-1.33 ms,
      // four short streams instead of one), so one output's blocks only, and only from four
      // whole blocks (the kernel takes up to four side by side; with fewer it is one at a time).
      constexpr bool kSideBySide = std::is_same_v<T, float> || std::is_same_v<T, double>;
      const bool side_by_side = kSideBySide && op == ReduceOp::Sum && k >= 4 * kBlock &&
                                red.shape.size() == 1 && red.strides[0] == isz;
      const auto blocks_of = [&](const std::byte* row, std::int64_t j0, std::int64_t j1, A* out) {
        std::int64_t j = j0;
        if constexpr (kSideBySide) {
          constexpr std::int64_t kGroup = 16;
          std::array<const T*, kGroup> starts{};
          std::array<double, kGroup> sums{};
          const std::int64_t whole = side_by_side ? std::min(j1, k / kBlock) : j0;
          while (j < whole) {
            const std::int64_t c = std::min(kGroup, whole - j);
            for (std::int64_t i = 0; i < c; ++i) {
              starts[i] = reinterpret_cast<const T*>(row) + (j + i) * kBlock;
            }
            cpu::contiguous_sums(starts.data(), static_cast<std::size_t>(c),
                                 static_cast<std::size_t>(kBlock), sums.data());
            for (std::int64_t i = 0; i < c; ++i) {
              out[j - j0 + i] = reducer.combine(reducer.identity(), sums[i]);
            }
            j += c;
          }
        }
        for (; j < j1; ++j) out[j - j0] = block(row, j);
      };
      if (kept.shape.size() == 1 && kept.strides[0] == isz && m >= kMinColumns &&
          !red.shape.empty() && red.strides.back() != isz) {
        // The kept elements are one contiguous run and the reduced axes lie outside it (sum
        // over axis 0 of a matrix): walk the reduced positions in order, folding whole rows of
        // outputs at once, instead of one output at a time down a column. The same folds in
        // the same order as the path below (each block from the identity, blocks combined in
        // order), so the same bits.
        // One range of columns per thread: its rows are read in runs as long as they can be
        // (sum over axis 0 of 1000 x 1000 float32 on 2 threads: 51 µs in 8 ranges, 35 in 2).
        const bool from_memory = x.size() * isz > kFromMemoryBytes;
        const std::int64_t tile = from_memory ? kColumnTileFromMemory : kColumnTile;
        const std::int64_t threads = num_threads();
        const std::int64_t columns = std::max(kMinColumns, (m + threads - 1) / threads);
        cpu::parallel_for(m, columns, [&](std::int64_t c0, std::int64_t c1) {
          std::vector<A> total(static_cast<std::size_t>(tile));
          std::vector<A> partial(static_cast<std::size_t>(tile));
          for (std::int64_t t0 = c0; t0 < c1; t0 += tile) {
            const std::int64_t w = std::min(tile, c1 - t0);
            std::fill_n(total.begin(), w, reducer.identity());
            for (std::int64_t j = 0; j < blocks; ++j) {
              std::fill_n(partial.begin(), w, reducer.identity());
              A* acc = partial.data();
              const std::int64_t r0 = j * kBlock;
              const std::int64_t r1 = std::min(k, (j + 1) * kBlock);
              const auto row_at = [&](std::int64_t r) {
                return reinterpret_cast<const T*>(base + red.offset(r)) + t0;
              };
              const auto fold_one_by_one = [&] {
                for (std::int64_t r = r0; r < r1; ++r) {
                  const T* row = row_at(r);
                  if (op == ReduceOp::Sum) {
                    for (std::int64_t c = 0; c < w; ++c) {
                      acc[c] = Reducer<T>::plus(acc[c], Reducer<T>::widen(row[c]));
                    }
                  } else {
                    for (std::int64_t c = 0; c < w; ++c) {
                      acc[c] = reducer.combine(acc[c], Reducer<T>::widen(row[c]));
                    }
                  }
                }
              };
              if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
                if (op == ReduceOp::Sum) {
                  // kRowGroup rows per pass over the accumulators, still in row order.
                  std::array<const T*, kRowGroup> rows{};
                  for (std::int64_t r = r0; r < r1; r += kRowGroup) {
                    const std::int64_t count = std::min(kRowGroup, r1 - r);
                    for (std::int64_t g = 0; g < count; ++g) rows[g] = row_at(r + g);
                    cpu::add_rows_to(acc, rows.data(), static_cast<std::size_t>(count),
                                     static_cast<std::size_t>(w), from_memory);
                  }
                } else {
                  fold_one_by_one();
                }
              } else {
                fold_one_by_one();
              }
              for (std::int64_t c = 0; c < w; ++c) total[c] = reducer.combine(total[c], acc[c]);
            }
            std::copy_n(total.begin(), w, results.begin() + t0);
          }
        });
      } else if (m >= num_threads() || blocks == 1) {
        const std::int64_t grain = std::max<std::int64_t>(1, kBlock / std::max<std::int64_t>(k, 1));
        if (side_by_side) {
          cpu::parallel_for(m, grain, [&](std::int64_t b, std::int64_t e) {
            std::vector<A> partial(static_cast<std::size_t>(blocks));
            for (std::int64_t i = b; i < e; ++i) {
              blocks_of(base + kept.offset(i), 0, blocks, partial.data());
              A acc = reducer.identity();
              for (const A& p : partial) acc = reducer.combine(acc, p);
              results[i] = acc;
            }
          });
        } else {
          cpu::parallel_for(m, grain, [&](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) {
              const std::byte* row = base + kept.offset(i);
              A acc = reducer.identity();
              for (std::int64_t j = 0; j < blocks; ++j) acc = reducer.combine(acc, block(row, j));
              results[i] = acc;
            }
          });
        }
      } else {
        // Few outputs, long reductions: the blocks of each output run in parallel.
        std::vector<A> partial(static_cast<std::size_t>(blocks));
        for (std::int64_t i = 0; i < m; ++i) {
          const std::byte* row = base + kept.offset(i);
          cpu::parallel_for(blocks, 1, [&](std::int64_t b, std::int64_t e) {
            blocks_of(row, b, e, partial.data() + b);
          });
          A acc = reducer.identity();
          for (const A& p : partial) acc = reducer.combine(acc, p);
          results[i] = acc;
        }
      }
      cpu::dispatch(spec.dtype, [&]<class O>() {
        O* dst = out.mutable_data<O>();
        for (std::int64_t i = 0; i < m; ++i) dst[i] = output_value<O>(results[i]);
      });
    }
  });
  return out;
}

}  // namespace kcore
