#pragma once

// Helpers shared by the indexing primitives (scatter, dynamic_slice, sequences).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kcore/tensor.h"

namespace kcore::indexing {

// The values of an integer tensor (any integer dtype, any strides), row-major, as int64;
// uint64 values above INT64_MAX saturate to INT64_MAX (out of range of any dimension).
std::vector<std::int64_t> read_int64(const Tensor& t);

// `indices` as a contiguous int32 or int64 tensor: int32/int64 as they are (copied when
// strided), other integer dtypes converted to int64 (uint64 saturating as in read_int64).
Tensor contiguous_indices(const Tensor& indices);

// TypeError naming `op` unless `t` has an integer dtype.
void require_integer(const Tensor& t, std::string_view op, std::string_view what);

// Whether a kernel may write its result into x's buffer: x holds the only reference to a buffer
// that it covers exactly, in row-major order (not a view, not a tracer). Nothing else can then
// see the write. (Every Storage owns its bytes today; one that borrowed memory from outside, a
// zero-copy import, must never be reused: this check would then need Storage to say so.)
bool can_reuse_buffer(const Tensor& x);

// x as a tensor the kernel may write: x itself when can_reuse_buffer(x), else a contiguous copy.
Tensor writable_copy(const Tensor& x);

// "[1, -2]".
std::string format_ints(std::span<const std::int64_t> v);

// prod(shape) with ValueError naming `op` when a dimension is negative or the product of the
// nonzero dimensions overflows int64.
std::int64_t checked_size(std::span<const std::int64_t> shape, std::string_view op,
                          std::string_view what);

// XLA's dynamic_slice start: a negative start wraps once, then it is clamped to [0, dim - size].
inline std::int64_t clamp_start(std::int64_t start, std::int64_t dim, std::int64_t size) {
  if (start < 0) start += dim;  // start >= INT64_MIN and dim >= 0: no overflow
  if (start < 0) start = 0;
  if (start > dim - size) start = dim - size;
  return start;
}

}  // namespace kcore::indexing
