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

using float16 = NarrowFloat<detail::Float16Format, std::uint16_t>;
using float8_e4m3fn = NarrowFloat<detail::Float8E4M3FNFormat, std::uint8_t>;
using float8_e5m2 = NarrowFloat<detail::Float8E5M2Format, std::uint8_t>;

// bfloat16 gets its own type so that it differs from float16 (same Bits type, other format).
struct bfloat16 : NarrowFloat<detail::BFloat16Format, std::uint16_t> {
  using Base = NarrowFloat<detail::BFloat16Format, std::uint16_t>;
  bfloat16() = default;
  explicit bfloat16(double x) : Base(x) {}
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
