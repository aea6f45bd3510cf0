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

}  // namespace kcore::cpu
