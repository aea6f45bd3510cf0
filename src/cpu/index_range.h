#pragma once

#include <cstddef>
#include <cstdint>

namespace kcore::cpu {

// The smallest and largest of n >= 1 indices, SIMD with run-time ISA dispatch (Highway): the
// bounds check of scatter's and gather's index rows of depth 1, at load speed.
struct IndexBounds {
  std::int64_t lo;
  std::int64_t hi;
};
IndexBounds index_bounds(const std::int32_t* idx, std::size_t n);
IndexBounds index_bounds(const std::int64_t* idx, std::size_t n);

// Whether each of the n indices lies in [-dim, dim) (dim >= 0).
template <class I>
bool indices_in_range(const I* idx, std::size_t n, std::int64_t dim) {
  if (n == 0) return true;
  const IndexBounds b = index_bounds(idx, n);
  return b.lo >= -dim && b.hi < dim;
}

}  // namespace kcore::cpu
