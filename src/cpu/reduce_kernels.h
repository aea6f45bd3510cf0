#pragma once

#include <cstddef>

namespace kcore::cpu {

// acc[i] += row[i] for i < n, in double (float values widened exactly): one row of a sum whose
// outputs are a contiguous run. SIMD with run-time ISA dispatch (Highway); each element is one
// correctly rounded double addition, so any instruction set gives the same bits.
void add_row_to(double* acc, const float* row, std::size_t n);
void add_row_to(double* acc, const double* row, std::size_t n);

}  // namespace kcore::cpu
