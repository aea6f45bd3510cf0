#include "primitives/scatter.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "cpu/copy.h"
#include "cpu/dispatch.h"
#include "cpu/index_range.h"
#include "cpu/parallel.h"
#include "kcore/parallel.h"
#include "primitives/indexing_util.h"

namespace kcore {

REGISTER_PRIMITIVE("scatter", "Scatter");
REGISTER_PRIMITIVE("scatter_update", "ScatterUpdate");
REGISTER_PRIMITIVE("gather", "Gather");

std::string_view reduction_name(ScatterReduction r) {
  switch (r) {
    case ScatterReduction::None:
      return "None";
    case ScatterReduction::Add:
      return "add";
    case ScatterReduction::Max:
      return "max";
    case ScatterReduction::Min:
      return "min";
    case ScatterReduction::Mul:
      return "mul";
  }
  return "None";
}

namespace {

// Work (rows x slice elements) below which a scatter runs on one thread.
constexpr std::int64_t kParallelWork = std::int64_t{1} << 15;
// Work below which short rows are not split by output ranges (each thread scans every row).
constexpr std::int64_t kOwnerWork = std::int64_t{1} << 21;
// Single-element rows into an operand larger than kScatterPrefetchBytes (beyond the last-level
// cache) prefetch the element of the row kScatterAhead rows on (scatter of 10^7 float32
// elements, 1 thread: 16 rows ahead 55 ms, 64 rows 32 ms, 128 rows 22.7 ms), and so do sparse
// rows (at most a quarter as many as elements) into one beyond the L2, whose lines each row
// finds missing (scatter_update of 10^6 float32 elements, 62,500 rows: 111-125 -> 106-108 µs).
// Denser rows into a cached operand gain nothing and pay for the prefetches (scatter of 10^6
// rows into 10^6 elements: 750-860 -> 890-910 µs). Gathers from an operand larger than
// kGatherPrefetchBytes prefetch kGatherAhead rows on.
constexpr std::int64_t kScatterPrefetchBytes = std::int64_t{16} << 20;
constexpr std::int64_t kSparseScatterPrefetchBytes = std::int64_t{1} << 20;
constexpr std::int64_t kScatterAhead = 128;
constexpr std::int64_t kGatherPrefetchBytes = std::int64_t{1} << 20;
constexpr std::int64_t kGatherAhead = 16;

// The depth d of `indices` ([..., d]) against an operand of shape `operand`.
std::int64_t index_depth(const Tensor& indices, const Shape& operand, std::string_view op,
                         std::string_view operand_name) {
  indexing::require_integer(indices, op, "indices");
  if (indices.ndim() < 1) {
    throw ValueError(std::string(op) +
                     ": indices must have rank >= 1 (shape [..., d], one index row of depth d per "
                     "leading position); received a scalar");
  }
  const std::int64_t d = indices.shape().back();
  if (d > static_cast<std::int64_t>(operand.size())) {
    throw ValueError(std::string(op) + ": indices of shape " + format_shape(indices.shape()) +
                     " have depth " + std::to_string(d) +
                     " (their last dimension), more than the " + std::to_string(operand.size()) +
                     " dimensions of " + std::string(operand_name) + " " + format_shape(operand) +
                     "; expected depth <= rank");
  }
  return d;
}

// indices.shape[:-1] + operand[d:]: the shape of the rows moved.
Shape rows_shape(const Tensor& indices, const Shape& operand, std::int64_t d) {
  Shape s(indices.shape().begin(), indices.shape().end() - 1);
  s.insert(s.end(), operand.begin() + d, operand.end());
  return s;
}

// Index rows checked against one operand shape.
struct IndexRows {
  Tensor indices;  // contiguous int32 or int64
  std::int64_t rows = 0;
  std::int64_t depth = 0;
  std::int64_t slice = 1;             // elements per row: prod(operand[depth:])
  std::int64_t total = 0;             // elements of the operand
  std::vector<std::int64_t> dims;     // operand[:depth]
  std::vector<std::int64_t> strides;  // their element strides in a contiguous operand
  bool negative = true;  // whether an index may be negative (false: checked, and none is)
};

// The first row of `ix` with an index out of range, or ix.rows; for depth 1 also sets
// ix.negative.
template <class I>
std::int64_t first_bad_row(const I* idx, IndexRows& ix) {
  const std::int64_t depth = ix.depth;
  const std::int64_t* dims = ix.dims.data();
  std::atomic<std::int64_t> first(ix.rows);
  std::atomic<bool> negative(false);
  // v is in [-dim, dim) iff v + dim is in [0, 2 dim), one unsigned comparison.
  auto in_range = [](std::int64_t v, std::int64_t dim) {
    return static_cast<std::uint64_t>(v) + static_cast<std::uint64_t>(dim) <
           2 * static_cast<std::uint64_t>(dim);
  };
  cpu::parallel_for(ix.rows, std::int64_t{1} << 18, [&](std::int64_t b, std::int64_t e) {
    bool ok = true;
    if (depth == 1) {
      const cpu::IndexBounds bounds = cpu::index_bounds(idx + b, static_cast<std::size_t>(e - b));
      ok = bounds.lo >= -dims[0] && bounds.hi < dims[0];
      if (bounds.lo < 0) negative.store(true, std::memory_order_relaxed);
    } else {
      for (std::int64_t r = b; r < e; ++r) {
        for (std::int64_t k = 0; k < depth; ++k) {
          ok &= in_range(static_cast<std::int64_t>(idx[r * depth + k]), dims[k]);
        }
      }
    }
    if (ok) return;
    for (std::int64_t r = b; r < e; ++r) {
      bool row_ok = true;
      for (std::int64_t k = 0; k < depth; ++k) {
        row_ok &= in_range(static_cast<std::int64_t>(idx[r * depth + k]), dims[k]);
      }
      if (!row_ok) {
        std::int64_t cur = first.load();
        while (r < cur && !first.compare_exchange_weak(cur, r)) {
        }
        return;
      }
    }
  });
  if (depth == 1) ix.negative = negative.load();
  return first.load();
}

// The index row `row` of `indices` as written by the user (uint64 unsaturated).
std::string format_row(const Tensor& indices, std::int64_t row, std::int64_t depth) {
  const Tensor flat = indices;  // any layout: read element by element
  Shape lead(indices.shape().begin(), indices.shape().end() - 1);
  std::vector<std::int64_t> pos(lead.size());
  std::int64_t rest = row;
  for (std::size_t k = lead.size(); k-- > 0;) {
    pos[k] = rest % lead[k];
    rest /= lead[k];
  }
  std::string s = "[";
  for (std::int64_t k = 0; k < depth; ++k) {
    std::vector<std::int64_t> at = pos;
    at.push_back(k);
    if (k) s += ", ";
    cpu::dispatch(flat.dtype(), [&]<class T>() {
      if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        s += std::to_string(flat.at<T>(at));
      }
    });
  }
  return s + "]";
}

// The index rows of `indices` against `operand`, not yet checked against its bounds.
IndexRows index_rows(const Tensor& indices, const Shape& operand, std::string_view op,
                     std::string_view operand_name) {
  IndexRows ix;
  ix.depth = index_depth(indices, operand, op, operand_name);
  ix.rows = shape_size(std::span(indices.shape()).first(indices.shape().size() - 1));
  ix.total = shape_size(operand);
  ix.slice = shape_size(std::span(operand).subspan(static_cast<std::size_t>(ix.depth)));
  ix.dims.assign(operand.begin(), operand.begin() + ix.depth);
  ix.strides.resize(static_cast<std::size_t>(ix.depth));
  std::int64_t acc = ix.slice;
  for (std::int64_t k = ix.depth; k-- > 0;) {
    ix.strides[k] = acc;
    acc *= ix.dims[k];
  }
  if (ix.rows == 0 || ix.depth == 0) {
    ix.indices = indices;
    return ix;
  }
  ix.indices = indexing::contiguous_indices(indices);
  return ix;
}

// Throws IndexError naming the first index row of `ix` (made from `indices`) out of the bounds of
// `operand`; else, for depth 1, records in ix.negative whether any index is negative.
void require_in_range(IndexRows& ix, const Tensor& indices, const Shape& operand,
                      std::string_view op, std::string_view operand_name) {
  if (ix.rows == 0 || ix.depth == 0) return;
  const std::int64_t bad = ix.indices.dtype() == DType::Int32
                               ? first_bad_row(ix.indices.data<std::int32_t>(), ix)
                               : first_bad_row(ix.indices.data<std::int64_t>(), ix);
  if (bad < ix.rows) {
    throw IndexError(std::string(op) + ": index " + format_row(indices, bad, ix.depth) + " (row " +
                     std::to_string(bad) + " of indices of shape " + format_shape(indices.shape()) +
                     ") is out of range for " + std::string(operand_name) + " of shape " +
                     format_shape(operand) +
                     "; expected each index i of a dimension dim in [-dim, dim)");
  }
}

IndexRows check_indices(const Tensor& indices, const Shape& operand, std::string_view op,
                        std::string_view operand_name) {
  IndexRows ix = index_rows(indices, operand, op, operand_name);
  require_in_range(ix, indices, operand, op, operand_name);
  return ix;
}

template <class I>
inline std::int64_t row_offset(const I* row, const IndexRows& ix) {
  std::int64_t off = 0;
  for (std::int64_t k = 0; k < ix.depth; ++k) {
    std::int64_t i = row[k];
    i += i < 0 ? ix.dims[k] : 0;
    off += i * ix.strides[k];
  }
  return off;
}

// combine(out[idx[r]], upd[r]) for r in [r0, r1), in order (their indices in [-dim, dim), and
// in [0, dim) unless kWrap).
template <bool kWrap = true, class T, class I, class Combine>
void apply_elements(T* out, const T* upd, const I* idx, std::int64_t r0, std::int64_t r1,
                    std::int64_t rows, std::int64_t dim, Combine combine) {
  const auto at = [&](std::int64_t r) {
    const std::int64_t i = idx[r];
    if constexpr (kWrap) {
      return i + (i < 0 ? dim : 0);
    } else {
      return i;
    }
  };
  // Random writes into an output beyond the caches wait on memory: fetch the element of a row
  // further on, of any row of the array (an index not checked yet is clamped into the output: a
  // prefetch of the wrong element at worst).
  const std::int64_t bytes = dim * static_cast<std::int64_t>(sizeof(T));
  const bool fetch =
      bytes > kScatterPrefetchBytes || (bytes > kSparseScatterPrefetchBytes && rows * 4 <= dim);
  const std::int64_t fetched_end = fetch ? std::min(r1, rows - kScatterAhead) : r0;
  const auto last = static_cast<std::uint64_t>(dim - 1);
  std::int64_t r = r0;
  for (; r < fetched_end; ++r) {
    __builtin_prefetch(out + std::min(static_cast<std::uint64_t>(at(r + kScatterAhead)), last), 1);
    combine(out[at(r)], upd[r]);
  }
  for (; r < r1; ++r) combine(out[at(r)], upd[r]);
}

// apply_elements, without the wrap where no index is negative.
template <class T, class I, class Combine>
void apply_elements(bool negative, T* out, const T* upd, const I* idx, std::int64_t r0,
                    std::int64_t r1, std::int64_t rows, std::int64_t dim, Combine combine) {
  if (negative) {
    apply_elements<true>(out, upd, idx, r0, r1, rows, dim, combine);
  } else {
    apply_elements<false>(out, upd, idx, r0, r1, rows, dim, combine);
  }
}

// Applies combine(out[o], upd[u]) for every row in index order, restricted to output elements
// in [olo, ohi) and row positions in [jlo, jhi).
template <class T, class I, class Combine>
void apply_rows(T* out, const T* upd, const I* idx, const IndexRows& ix, std::int64_t olo,
                std::int64_t ohi, std::int64_t jlo, std::int64_t jhi, Combine combine) {
  const std::int64_t rows = ix.rows;
  const std::int64_t S = ix.slice;
  if (ix.depth == 1 && S == 1) {
    const std::int64_t dim = ix.dims[0];
    if (olo == 0 && ohi >= dim) {
      apply_elements(ix.negative, out, upd, idx, 0, rows, rows, dim, combine);
    } else {
      const auto at = [&](std::int64_t r) {
        std::int64_t i = idx[r];
        return i + (i < 0 ? dim : 0);
      };
      // Rows owned by another range go to a scratch element, without a branch to mispredict.
      T scratch{};
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t i = at(r);
        T* target = i >= olo && i < ohi ? out + i : &scratch;
        combine(*target, upd[r]);
      }
    }
    return;
  }
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t off = ix.depth == 0 ? 0 : row_offset(idx + r * ix.depth, ix);
    const std::int64_t j0 = std::max(jlo, olo - off);
    const std::int64_t j1 = std::min(jhi, ohi - off);
    T* o = out + off;
    const T* u = upd + r * S;
    for (std::int64_t j = j0; j < j1; ++j) combine(o[j], u[j]);
  }
}

// Runs apply_rows over the whole output, on several threads when the work is large: split along
// the row positions when rows are long, else by output ranges (each thread applies, in index
// order, the rows that land in its range), so duplicates are combined in index order.
template <class T, class I, class Combine>
void scatter_rows(T* out, const T* upd, const I* idx, const IndexRows& ix, Combine combine) {
  const std::int64_t S = ix.slice;
  if (ix.rows == 0 || S == 0) return;
  // Split by output ranges, every thread would scan every row: with short rows the scans cost as
  // much as the writes they share out, and below kOwnerWork one thread is faster anyway.
  const bool serial = num_threads() == 1 || ix.rows * S < kParallelWork ||
                      (S < 4096 && (S < 8 || ix.rows * S < kOwnerWork));
  if (serial) {
    apply_rows(out, upd, idx, ix, 0, ix.total, 0, S, combine);
  } else if (S >= 4096) {
    cpu::parallel_for(S, 1024, [&](std::int64_t b, std::int64_t e) {
      apply_rows(out, upd, idx, ix, 0, ix.total, b, e, combine);
    });
  } else {
    // One output range per thread: each range scans every row, so more ranges add scans.
    const std::int64_t parts = std::min<std::int64_t>(num_threads(), (ix.total + 4095) / 4096);
    cpu::parallel_for(parts, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t p = b; p < e; ++p) {
        apply_rows(out, upd, idx, ix, ix.total * p / parts, ix.total * (p + 1) / parts, 0, S,
                   combine);
      }
    });
  }
}

template <class T>
using Wide = std::make_unsigned_t<decltype(T() + T())>;

struct SetOp {
  template <class T>
  void operator()(T& o, const T& u) const {
    o = u;
  }
};

struct AddOp {
  template <class T>
  void operator()(T& o, const T& u) const {
    if constexpr (std::is_same_v<T, bool>) {
      o = o || u;
    } else if constexpr (std::is_integral_v<T>) {
      o = static_cast<T>(static_cast<Wide<T>>(o) + static_cast<Wide<T>>(u));
    } else if constexpr (cpu::is_narrow_float_v<T>) {
      o = T(static_cast<float>(o) + static_cast<float>(u));
    } else {
      o = o + u;
    }
  }
};

struct MulOp {
  template <class T>
  void operator()(T& o, const T& u) const {
    if constexpr (std::is_same_v<T, bool>) {
      o = o && u;
    } else if constexpr (std::is_integral_v<T>) {
      o = static_cast<T>(static_cast<Wide<T>>(o) * static_cast<Wide<T>>(u));
    } else if constexpr (cpu::is_narrow_float_v<T>) {
      o = T(static_cast<float>(o) * static_cast<float>(u));
    } else {
      o = o * u;
    }
  }
};

// NaN propagates: a NaN update replaces; a NaN already there stays.
template <bool kMax>
struct ExtremumOp {
  template <class T>
  void operator()(T& o, const T& u) const {
    if constexpr (std::is_same_v<T, bool>) {
      o = kMax ? (o || u) : (o && u);
    } else if constexpr (std::is_integral_v<T>) {
      if (kMax ? u > o : u < o) o = u;
    } else if constexpr (!cpu::is_complex_v<T>) {
      const auto uc = cpu::to_compute(u);
      const auto oc = cpu::to_compute(o);
      if (std::isnan(uc) || (kMax ? uc > oc : uc < oc)) o = u;
    }
  }
};

template <class F>
decltype(auto) dispatch_index(const IndexRows& ix, F&& f) {
  if (ix.depth == 0 || ix.rows == 0) return f(static_cast<const std::int64_t*>(nullptr));
  if (ix.indices.dtype() == DType::Int32) return f(ix.indices.data<std::int32_t>());
  return f(ix.indices.data<std::int64_t>());
}

Tensor contiguous(const Tensor& t) {
  return t.is_contiguous() ? t : indexing::writable_copy(t);
}

// Combines the rows of `updates` into `out` (contiguous, of updates' dtype) with `reduction`.
void combine_rows(Tensor& out, const Tensor& updates, const IndexRows& ix,
                  ScatterReduction reduction) {
  if (ix.rows == 0 || ix.slice == 0) return;
  const Tensor u = contiguous(updates);
  dispatch_index(ix, [&](const auto* idx) {
    if (reduction == ScatterReduction::None) {
      cpu::dispatch_bytes(itemsize(out.dtype()), [&]<class W>() {
        scatter_rows(reinterpret_cast<W*>(out.mutable_bytes()),
                     reinterpret_cast<const W*>(u.bytes()), idx, ix, SetOp{});
      });
      return;
    }
    cpu::dispatch(out.dtype(), [&]<class T>() {
      T* o = reinterpret_cast<T*>(out.mutable_bytes());
      const T* v = reinterpret_cast<const T*>(u.bytes());
      switch (reduction) {
        case ScatterReduction::Add:
          scatter_rows(o, v, idx, ix, AddOp{});
          break;
        case ScatterReduction::Mul:
          scatter_rows(o, v, idx, ix, MulOp{});
          break;
        case ScatterReduction::Max:
          scatter_rows(o, v, idx, ix, ExtremumOp<true>{});
          break;
        case ScatterReduction::Min:
          scatter_rows(o, v, idx, ix, ExtremumOp<false>{});
          break;
        case ScatterReduction::None:
          break;
      }
    });
  });
}

// Indices checked per block just before the block is applied, while they are in the cache.
constexpr std::int64_t kCheckBlock = 2048;

// Adds updates[r] at the single-element index rows of `ix` (depth 1, not yet checked) into
// `out`, one block of rows at a time, each block's bounds checked before it is applied. Returns
// false, with the rows before the block applied, at the first block that holds an index out of
// range: only for an output that nobody else sees, which the caller then drops.
bool add_elements_checked(Tensor& out, const Tensor& updates, const IndexRows& ix) {
  const Tensor u = contiguous(updates);
  const std::int64_t dim = ix.dims[0];
  return dispatch_index(ix, [&](const auto* idx) {
    return cpu::dispatch(out.dtype(), [&]<class T>() {
      T* o = reinterpret_cast<T*>(out.mutable_bytes());
      const T* v = reinterpret_cast<const T*>(u.bytes());
      for (std::int64_t r = 0; r < ix.rows; r += kCheckBlock) {
        const std::int64_t m = std::min(kCheckBlock, ix.rows - r);
        const cpu::IndexBounds b = cpu::index_bounds(idx + r, static_cast<std::size_t>(m));
        if (b.lo < -dim || b.hi >= dim) return false;
        apply_elements(b.lo < 0, o, v, idx, r, r + m, ix.rows, dim, AddOp{});
      }
      return true;
    });
  });
}

void check_rows_shape(const Tensor& rows, const Shape& expected, std::string_view op,
                      std::string_view what) {
  if (rows.shape() != expected) {
    throw ValueError(std::string(op) + ": " + std::string(what) + " of shape " +
                     format_shape(rows.shape()) +
                     " do not match the indexed rows; expected shape " + format_shape(expected) +
                     " (indices.shape[:-1] + shape[d:])");
  }
}

}  // namespace

std::vector<TensorSpec> Scatter::infer(std::span<const Tensor> inputs) const {
  const Tensor& indices = inputs[0];
  const Tensor& values = inputs[1];
  indexing::checked_size(shape_, "scatter", "shape");
  const std::int64_t d = index_depth(indices, shape_, "scatter", "shape");
  check_rows_shape(values, rows_shape(indices, shape_, d), "scatter", "values");
  return {{shape_, values.dtype(), false}};
}

std::vector<Tensor> Scatter::eval_cpu(std::span<const Tensor> inputs,
                                      std::span<const TensorSpec> outputs) const {
  IndexRows ix = index_rows(inputs[0], shape_, "scatter", "shape");
  // Single elements (always added on one thread) check their indices block by block as they go:
  // the output is new, so a bad index found late only throws it away.
  const bool check_while_adding = ix.depth == 1 && ix.slice == 1 && ix.rows > 0;
  if (!check_while_adding) require_in_range(ix, inputs[0], shape_, "scatter", "shape");
  Tensor out = Tensor::empty(outputs[0].shape, outputs[0].dtype);
  std::byte* p = out.mutable_bytes();
  const std::int64_t bytes = out.size() * static_cast<std::int64_t>(itemsize(out.dtype()));
  if (check_while_adding) {
    // Zeroed by the thread that adds into it, which then finds it in its own cache.
    std::memset(p, 0, static_cast<std::size_t>(bytes));
    if (!add_elements_checked(out, inputs[1], ix)) {
      require_in_range(ix, inputs[0], shape_, "scatter", "shape");
    }
  } else {
    cpu::parallel_for(bytes, cpu::kCopyGrainBytes, [&](std::int64_t b, std::int64_t e) {
      std::memset(p + b, 0, static_cast<std::size_t>(e - b));
    });
    combine_rows(out, inputs[1], ix, ScatterReduction::Add);
  }
  return {out};
}

std::vector<TensorSpec> ScatterUpdate::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const Tensor& indices = inputs[1];
  const Tensor& updates = inputs[2];
  const std::int64_t d = index_depth(indices, x.shape(), "scatter_update", "inputs");
  check_rows_shape(updates, rows_shape(indices, x.shape(), d), "scatter_update", "updates");
  if (updates.dtype() != x.dtype()) {
    throw TypeError("scatter_update: updates have dtype " +
                    std::string(kcore::name(updates.dtype())) + ", inputs " +
                    std::string(kcore::name(x.dtype())) + "; expected equal dtypes");
  }
  if (is_complex(x.dtype()) &&
      (reduction_ == ScatterReduction::Max || reduction_ == ScatterReduction::Min)) {
    throw TypeError("scatter_update: reduction='" + std::string(reduction_name(reduction_)) +
                    "' needs an order, and inputs have dtype " +
                    std::string(kcore::name(x.dtype())) + "; expected a real dtype");
  }
  return {{x.shape(), x.dtype(), x.weak()}};
}

std::vector<Tensor> ScatterUpdate::eval_cpu(std::span<const Tensor> inputs,
                                            std::span<const TensorSpec> outputs) const {
  const IndexRows ix = check_indices(inputs[1], inputs[0].shape(), "scatter_update", "inputs");
  // Every index is valid: from here on nothing fails, so reusing the input's buffer is safe.
  Tensor out = indexing::writable_copy(inputs[0]).with_weak(outputs[0].weak);
  combine_rows(out, inputs[2], ix, reduction_);
  return {out};
}

std::vector<TensorSpec> Gather::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const Tensor& indices = inputs[1];
  const std::int64_t d = index_depth(indices, x.shape(), "gather", "x");
  return {{rows_shape(indices, x.shape(), d), x.dtype(), false}};
}

std::vector<Tensor> Gather::eval_cpu(std::span<const Tensor> inputs,
                                     std::span<const TensorSpec> outputs) const {
  const Tensor x = contiguous(inputs[0]);
  const IndexRows ix = check_indices(inputs[1], x.shape(), "gather", "x");
  Tensor out = Tensor::empty(outputs[0].shape, outputs[0].dtype);
  if (out.size() == 0) return {out};
  const std::int64_t S = ix.slice;
  dispatch_index(ix, [&](const auto* idx) {
    cpu::dispatch_bytes(itemsize(x.dtype()), [&]<class W>() {
      const W* src = reinterpret_cast<const W*>(x.bytes());
      W* dst = reinterpret_cast<W*>(out.mutable_bytes());
      const std::int64_t grain = std::max<std::int64_t>(1, (std::int64_t{1} << 15) / S);
      cpu::parallel_for(ix.rows, grain, [&](std::int64_t b, std::int64_t e) {
        if (ix.depth == 1 && S == 1) {
          const std::int64_t dim = ix.dims[0];
          const bool prefetch = dim * static_cast<std::int64_t>(sizeof(W)) > kGatherPrefetchBytes;
          for (std::int64_t r = b; r < e; ++r) {
            if (prefetch && r + kGatherAhead < e) {
              std::int64_t p = idx[r + kGatherAhead];
              __builtin_prefetch(src + p + (p < 0 ? dim : 0), 0);
            }
            std::int64_t i = idx[r];
            i += i < 0 ? dim : 0;
            dst[r] = src[i];
          }
          return;
        }
        for (std::int64_t r = b; r < e; ++r) {
          const std::int64_t off = ix.depth == 0 ? 0 : row_offset(idx + r * ix.depth, ix);
          std::copy(src + off, src + off + S, dst + r * S);
        }
      });
    });
  });
  return {out};
}

}  // namespace kcore
