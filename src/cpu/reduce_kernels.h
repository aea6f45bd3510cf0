#pragma once

#include <cstddef>

namespace kcore::cpu {

// acc[i] += rows[0][i], then rows[1][i], ... (count rows, in that order), in double (float
// values widened exactly): rows of a sum whose outputs are a contiguous run. SIMD with run-time
// ISA dispatch (Highway); each addition is one correctly rounded double addition in row order,
// so any instruction set and any grouping of the rows into calls give the same bits.
void add_rows_to(double* acc, const float* const* rows, std::size_t count, std::size_t n);
void add_rows_to(double* acc, const double* const* rows, std::size_t count, std::size_t n);

}  // namespace kcore::cpu
