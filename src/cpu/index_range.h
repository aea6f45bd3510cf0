#pragma once

#include <cstddef>
#include <cstdint>

namespace kcore::cpu {

// Whether each of the n indices lies in [-dim, dim) (dim >= 0), SIMD with run-time ISA dispatch
// (Highway): the bounds check of scatter's and gather's index rows of depth 1, at load speed.
bool indices_in_range(const std::int32_t* idx, std::size_t n, std::int64_t dim);
bool indices_in_range(const std::int64_t* idx, std::size_t n, std::int64_t dim);

}  // namespace kcore::cpu
