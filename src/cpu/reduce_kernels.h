#pragma once

#include <cstddef>

namespace kcore::cpu {

// The sum of n contiguous elements in double: 16 interleaved lanes (lane j adds elements j,
// j + 16, ... in order), then the elements after the last whole group of 16, then the lanes in
// order. SIMD with run-time ISA dispatch (Highway); the same bits on every instruction set.
double contiguous_sum(const float* q, std::size_t n);
double contiguous_sum(const double* q, std::size_t n);
// out[r] = contiguous_sum(runs[r], n) for r < count, several runs side by side (faster than one
// at a time: each run's lanes are chains of dependent additions).
void contiguous_sums(const float* const* runs, std::size_t count, std::size_t n, double* out);
void contiguous_sums(const double* const* runs, std::size_t count, std::size_t n, double* out);

// acc[i] += rows[0][i], then rows[1][i], ... (count rows, in that order), in double (float
// values widened exactly): rows of a sum whose outputs are a contiguous run. SIMD with run-time
// ISA dispatch (Highway); each addition is one correctly rounded double addition in row order,
// so any instruction set and any grouping of the rows into calls give the same bits.
// `from_memory`: the rows lie beyond the caches, and are fetched ahead in software.
void add_rows_to(double* acc, const float* const* rows, std::size_t count, std::size_t n,
                 bool from_memory);
void add_rows_to(double* acc, const double* const* rows, std::size_t count, std::size_t n,
                 bool from_memory);

}  // namespace kcore::cpu
