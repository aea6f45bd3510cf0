#pragma once

// Higher-precision references for erf, erfinv and rsqrt (x87 long double: 64-bit significands,
// 11 bits more than float64), and the error of a result in units in the last place of its
// type. Shared by tests/cpp/math_test.cpp and tools/accuracy.cpp.

#include <cmath>
#include <cstdint>
#include <limits>

namespace kcore_math_ref {

inline long double erf_ref(long double x) {
  return std::erf(x);
}

inline long double rsqrt_ref(long double x) {
  return 1.0L / std::sqrt(x);
}

// erfinv by Newton's method on erf (through erfc near 1, where 1 - x is exact for a double x),
// from a starting value `guess` within a few ulps of double.
inline long double erfinv_ref(long double x, long double guess) {
  if (std::isnan(x) || std::fabs(x) > 1) return std::numeric_limits<long double>::quiet_NaN();
  if (std::fabs(x) == 1) return std::copysign(std::numeric_limits<long double>::infinity(), x);
  if (x == 0) return x;
  const long double a = std::fabs(x);
  long double y = std::fabs(guess);
  const long double half_sqrt_pi = 0.886226925452758013649083741671L;
  for (int i = 0; i < 3; ++i) {
    const long double r = a > 0.5L ? std::erfc(y) - (1 - a) : a - std::erf(y);
    y += r * half_sqrt_pi * std::exp(y * y);
  }
  return std::copysign(y, x);
}

// One unit in the last place of a value of magnitude |v| in a binary format with `digits`
// significand bits and minimum normal exponent `min_exp` (std::numeric_limits conventions).
inline long double ulp_of(long double v, int digits, int min_exp) {
  v = std::fabs(v);
  int e = v == 0 ? min_exp - 1 : std::ilogb(v);
  if (e < min_exp - 1) e = min_exp - 1;
  return std::ldexp(1.0L, e - (digits - 1));
}

template <class T>
long double ulp_error(T result, long double ref) {
  const long double r = static_cast<long double>(result);
  if (std::isnan(ref) || std::isnan(r)) return std::isnan(ref) && std::isnan(r) ? 0 : INFINITY;
  if (std::isinf(ref) || std::isinf(r)) return r == ref ? 0 : INFINITY;
  // The reference rounded to T may overflow where the exact value does not: measure in T's ulps.
  return std::fabs(r - ref) /
         ulp_of(ref, std::numeric_limits<T>::digits, std::numeric_limits<T>::min_exponent);
}

}  // namespace kcore_math_ref
