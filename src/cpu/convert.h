#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "cpu/dispatch.h"
#include "kcore/tensor.h"

namespace kcore::cpu {

// Float to integer: truncate toward zero, saturate at the target's range, NaN -> 0 (SEMANTICS §2).
template <class To>
inline To float_to_int(double v) {
  if (std::isnan(v)) return To(0);
  // Every v in (min, max + 1) truncates into the range (min is 0 or -2^k, max + 1 is 2^k: both
  // exact). No std::trunc: below SSE4.1 it is a library call.
  constexpr double lo = static_cast<double>(std::numeric_limits<To>::min());
  constexpr double hi_exclusive = static_cast<double>(std::numeric_limits<To>::max()) + 1.0;
  if (v <= lo) return std::numeric_limits<To>::min();
  if (v >= hi_exclusive) return std::numeric_limits<To>::max();
  return static_cast<To>(v);  // truncates toward zero
}

// An integer as a double rounded to odd: exact below 2^53, else the dropped bits are folded into
// the lowest kept bit, so that a later round-to-nearest-even to 51 bits or fewer rounds once.
template <class I>
inline double int_to_double_round_to_odd(I v) {
  const bool negative = v < 0;
  std::uint64_t m =
      negative ? std::uint64_t(0) - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  const int width = std::bit_width(m);
  if (width <= 53) return negative ? -static_cast<double>(m) : static_cast<double>(m);
  const int shift = width - 53;
  std::uint64_t kept = m >> shift;
  if ((m & ((std::uint64_t{1} << shift) - 1)) != 0) kept |= 1;
  const double d = std::ldexp(static_cast<double>(kept), shift);
  return negative ? -d : d;
}

// One element converted with the value rules of SEMANTICS §2.
template <class To, class From>
inline To convert_value(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    if constexpr (is_complex_v<From>) {
      return v.real() != 0 || v.imag() != 0;
    } else if constexpr (is_narrow_float_v<From>) {
      return static_cast<float>(v) != 0.0F;  // NaN -> true
    } else {
      return v != From(0);
    }
  } else if constexpr (is_complex_v<To>) {
    using R = typename To::value_type;
    if constexpr (is_complex_v<From>) {
      return To(static_cast<R>(v.real()), static_cast<R>(v.imag()));
    } else {
      return To(convert_value<R>(v), R(0));
    }
  } else if constexpr (is_complex_v<From>) {
    return convert_value<To>(v.real());
  } else if constexpr (std::is_integral_v<To>) {
    if constexpr (std::is_integral_v<From>) {
      return static_cast<To>(v);  // bool -> 0/1; integers wrap (two's complement)
    } else {
      return float_to_int<To>(static_cast<double>(v));
    }
  } else if constexpr (std::is_same_v<To, float> || std::is_same_v<To, double>) {
    if constexpr (is_narrow_float_v<From>) {
      return static_cast<To>(static_cast<float>(v));
    } else {
      return static_cast<To>(v);  // one correctly rounded conversion
    }
  } else {  // To is a narrow float
    if constexpr (std::is_same_v<From, bool>) {
      return To(v ? 1.0F : 0.0F);
    } else if constexpr (std::is_integral_v<From>) {
      return To(int_to_double_round_to_odd(v));
    } else if constexpr (is_narrow_float_v<From>) {
      return To(static_cast<float>(v));
    } else {
      return To(v);
    }
  }
}

// The first element of `x` (its only one, for a one-element tensor) converted to To.
template <class To>
inline To load_converted(const Tensor& x) {
  return dispatch(x.dtype(), [&]<class From>() -> To {
    return convert_value<To>(*reinterpret_cast<const From*>(x.bytes()));
  });
}

}  // namespace kcore::cpu
