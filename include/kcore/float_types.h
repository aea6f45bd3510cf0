#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace kcore {

// Narrow floating formats, stored as their bit patterns. Every conversion into them rounds once
// to nearest even, from float or double (a double holds every value of the other dtypes exactly,
// and integer sources are first rounded to odd, see int_to_double_round_to_odd in
// src/cpu/convert.h).
namespace detail {

// A binary floating format with ExpBits exponent bits and MantBits explicit mantissa bits.
// FiniteOnly formats (float8_e4m3fn) have no infinities: the all-ones pattern is NaN and
// overflow gives NaN, as in ml_dtypes.
template <int ExpBits, int MantBits, bool FiniteOnly, class Bits>
struct Format {
  static constexpr int kBias = (1 << (ExpBits - 1)) - 1;
  static constexpr int kMinExp = 1 - kBias;
  static constexpr int kMaxExpField = FiniteOnly ? (1 << ExpBits) - 1 : (1 << ExpBits) - 2;
  static constexpr Bits kSignBit = Bits(1U << (ExpBits + MantBits));
  static constexpr Bits kMantMask = Bits((1U << MantBits) - 1);
  static constexpr Bits kNaN =
      FiniteOnly ? Bits((1U << (ExpBits + MantBits)) - 1)
                 : Bits(((1U << ExpBits) - 1) << MantBits | (1U << (MantBits - 1)));
  static constexpr Bits kInf = Bits(((1U << ExpBits) - 1) << MantBits);
  // Largest finite value: for FiniteOnly formats the top mantissa pattern is NaN.
  static constexpr double max_finite() {
    const double mant = FiniteOnly ? 2.0 - 2.0 / (1 << MantBits) : 2.0 - 1.0 / (1 << MantBits);
    double scale = 1.0;
    for (int i = 0; i < kMaxExpField - kBias; ++i) scale *= 2.0;
    return mant * scale;
  }

  static Bits encode(double x) {
    const Bits sign = std::signbit(x) ? kSignBit : Bits(0);
    if (std::isnan(x)) return Bits(kNaN | sign);
    const double a = std::fabs(x);
    if (std::isinf(a)) return Bits((FiniteOnly ? kNaN : kInf) | sign);
    if (a == 0.0) return sign;
    int e2 = 0;
    std::frexp(a, &e2);
    const int e = e2 - 1 < kMinExp ? kMinExp : e2 - 1;
    // Scale so that one unit in the last place of the target is 1, then round to nearest even.
    const double units = std::nearbyint(std::ldexp(a, MantBits - e));
    if (units == 0.0) return sign;
    const double v = std::ldexp(units, e - MantBits);
    if (v > max_finite()) return Bits((FiniteOnly ? kNaN : kInf) | sign);
    std::frexp(v, &e2);
    const int ve = e2 - 1;
    if (ve < kMinExp) {
      return Bits(sign | static_cast<Bits>(std::ldexp(v, MantBits - kMinExp)));
    }
    const auto mant = static_cast<Bits>(std::ldexp(v, MantBits - ve) - double(1U << MantBits));
    return Bits(sign | static_cast<Bits>((ve + kBias) << MantBits) | mant);
  }

  static float decode(Bits b) {
    const bool neg = (b & kSignBit) != 0;
    const int exp = (b >> MantBits) & ((1 << ExpBits) - 1);
    const int mant = b & kMantMask;
    float v;
    if (FiniteOnly && exp == (1 << ExpBits) - 1 && mant == kMantMask) {
      v = std::numeric_limits<float>::quiet_NaN();
    } else if (!FiniteOnly && exp == (1 << ExpBits) - 1) {
      v = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    } else if (exp == 0) {
      v = std::ldexp(static_cast<float>(mant), kMinExp - MantBits);
    } else {
      v = std::ldexp(static_cast<float>(mant | (1 << MantBits)), exp - kBias - MantBits);
    }
    return neg ? -v : v;
  }
};

using Float16Format = Format<5, 10, false, std::uint16_t>;
using BFloat16Format = Format<8, 7, false, std::uint16_t>;
using Float8E4M3FNFormat = Format<4, 3, true, std::uint8_t>;
using Float8E5M2Format = Format<5, 2, false, std::uint8_t>;

}  // namespace detail

template <class Fmt, class Bits>
struct NarrowFloat {
  Bits bits = 0;

  NarrowFloat() = default;
  explicit NarrowFloat(double x) : bits(Fmt::encode(x)) {}
  explicit NarrowFloat(float x) : bits(Fmt::encode(static_cast<double>(x))) {}
  static NarrowFloat from_bits(Bits b) {
    NarrowFloat f;
    f.bits = b;
    return f;
  }
  explicit operator float() const { return Fmt::decode(bits); }
  explicit operator double() const { return static_cast<double>(Fmt::decode(bits)); }
};

using float8_e4m3fn = NarrowFloat<detail::Float8E4M3FNFormat, std::uint8_t>;
using float8_e5m2 = NarrowFloat<detail::Float8E5M2Format, std::uint8_t>;

namespace detail {

// float <-> float16 bits with float arithmetic and integer operations only, no branches (the
// same steps run on SIMD lanes in src/cpu/cast_simd_kernels.cpp). Rounds to nearest even; overflow
// gives inf and NaN the quiet NaN of its sign, as Float16Format::encode does. The scaling by
// 2^112 then 2^-110 overflows exactly the values that round to inf; adding 2^(e+13), with e the
// input's exponent clamped below at -14, drops every bit under float16's last place with one
// float rounding (ties to even), and the sum's low bits are float16's exponent and mantissa.
inline std::uint16_t float16_bits_from_float(float x) {
  const auto w = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t shl1 = w + w;
  const std::uint32_t sign = w & 0x80000000U;
  float base = (std::fabs(x) * 0x1.0p+112F) * 0x1.0p-110F;
  std::uint32_t bias = shl1 & 0xFF000000U;
  if (bias < 0x71000000U) bias = 0x71000000U;
  base += std::bit_cast<float>((bias >> 1) + 0x07800000U);
  const auto bits = std::bit_cast<std::uint32_t>(base);
  const std::uint32_t nonsign = ((bits >> 13) & 0x7C00U) + (bits & 0x0FFFU);
  return static_cast<std::uint16_t>((sign >> 16) | (shl1 > 0xFF000000U ? 0x7E00U : nonsign));
}

// Exact: normal values rebias their exponent by a multiplication by 2^-112, subnormals are
// read as the float 0.5 + m * 2^-24 minus 0.5. NaN gives the quiet NaN of its sign.
inline float float_from_float16_bits(std::uint16_t h) {
  const std::uint32_t w = std::uint32_t{h} << 16;
  const std::uint32_t sign = w & 0x80000000U;
  const std::uint32_t two_w = w + w;
  const float normalized = std::bit_cast<float>((two_w >> 4) + (0xE0U << 23)) * 0x1.0p-112F;
  const float subnormal = std::bit_cast<float>((two_w >> 17) | (126U << 23)) - 0.5F;
  std::uint32_t bits = two_w < (1U << 27) ? std::bit_cast<std::uint32_t>(subnormal)
                                          : std::bit_cast<std::uint32_t>(normalized);
  if (two_w > 0xF8000000U) bits = 0x7FC00000U;
  return std::bit_cast<float>(sign | bits);
}

// x rounded to float by truncation, with the lowest bit set when bits were dropped ("round to
// odd"): a later round to nearest even to 22 bits or fewer then rounds as if from x itself.
inline float float_round_to_odd(double x) {
  const float f = static_cast<float>(x);
  if (std::isnan(x) || static_cast<double>(f) == x) return f;
  auto b = std::bit_cast<std::uint32_t>(f);
  if (std::fabs(static_cast<double>(f)) > std::fabs(x)) b -= 1;  // the float below, toward zero
  return std::bit_cast<float>(b | 1U);
}

}  // namespace detail

struct float16 : NarrowFloat<detail::Float16Format, std::uint16_t> {
  using Base = NarrowFloat<detail::Float16Format, std::uint16_t>;
  float16() = default;
  explicit float16(double x) : float16(detail::float_round_to_odd(x)) {}
  explicit float16(float x) : Base(Base::from_bits(detail::float16_bits_from_float(x))) {}
  static float16 from_bits(std::uint16_t b) {
    float16 f;
    f.bits = b;
    return f;
  }
  explicit operator float() const { return detail::float_from_float16_bits(bits); }
  explicit operator double() const { return static_cast<double>(static_cast<float>(*this)); }
};

// bfloat16 gets its own type so that it differs from float16 (same Bits type, other format).
struct bfloat16 : NarrowFloat<detail::BFloat16Format, std::uint16_t> {
  using Base = NarrowFloat<detail::BFloat16Format, std::uint16_t>;
  bfloat16() = default;
  explicit bfloat16(double x) : bfloat16(detail::float_round_to_odd(x)) {}
  explicit bfloat16(float x) : Base(round_float(x)) {}
  static bfloat16 from_bits(std::uint16_t b) {
    bfloat16 f;
    f.bits = b;
    return f;
  }
  explicit operator float() const { return std::bit_cast<float>(std::uint32_t{bits} << 16); }
  explicit operator double() const { return static_cast<double>(static_cast<float>(*this)); }

 private:
  // float -> bfloat16 keeps the top half of the bits after rounding to nearest even.
  static Base round_float(float x) {
    const auto u = std::bit_cast<std::uint32_t>(x);
    if (std::isnan(x)) return Base::from_bits(static_cast<std::uint16_t>((u >> 16) | 0x40));
    const std::uint32_t rounded = u + 0x7FFF + ((u >> 16) & 1);
    return Base::from_bits(static_cast<std::uint16_t>(rounded >> 16));
  }
};

}  // namespace kcore
