#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace kcore::cpu {

// The special functions of SEMANTICS §3 over contiguous arrays, SIMD with run-time ISA dispatch
// (Highway). float32: erf within 1 ulp, erfinv within 2 ulp, rsqrt within 1 ulp; float64 the
// same bounds (docs/accuracy.md has the measured figures). `in` and `out` may be the same array.
enum class MathFn { Erf, Erfinv, Rsqrt };

void math_kernel(MathFn fn, const float* in, float* out, std::size_t n);
void math_kernel(MathFn fn, const double* in, double* out, std::size_t n);

// exp over contiguous arrays, SIMD within 1 ulp (Highway's), with exact limits: NaN -> NaN,
// overflow -> inf, underflow -> 0 (subnormal results in float64 through std::exp). `in` and `out`
// may be the same array.
void exp_kernel(const float* in, float* out, std::size_t n);
void exp_kernel(const double* in, double* out, std::size_t n);

// One element, the float64 algorithms (the float32 kernels' reference, and the path of float16
// and bfloat16, which are rounded once from it).
double erf_f64(double x);
double erfinv_f64(double x);
double rsqrt_f64(double x);

// logsumexp of a block: `max` is the block's maximum and `sum` = sum(exp(x - max)), in double
// (NaN when the block holds a NaN). Blocks with no finite maximum: {NaN, NaN} if the block holds
// a NaN, {+inf, +inf} if it holds +inf, {-inf, 0} if every element is -inf or it is empty.
struct LsePartial {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0.0;
};
LsePartial lse_block(const float* x, std::size_t n);
LsePartial lse_block(const double* x, std::size_t n);
// Combines partials in order; the result is max + log(sum) with the special values of SEMANTICS §3.
LsePartial lse_combine(const LsePartial& a, const LsePartial& b);
double lse_result(const LsePartial& p);

// The instruction set the dispatcher chose (e.g. "AVX3"), for reports.
const char* math_simd_target();
// Every instruction set the kernels were compiled for that this CPU runs (Highway target bits),
// and, for tests, a way to make the dispatcher use one of them (0: the automatic choice again).
std::vector<std::int64_t> math_simd_targets();
void math_force_simd_target(std::int64_t target);

}  // namespace kcore::cpu
