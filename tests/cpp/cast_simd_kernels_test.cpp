// The SIMD cast kernels (src/cpu/cast_simd_kernels.h): float32 <-> float16/bfloat16 against the
// scalar conversions, which float_types_test checks against the compiler's _Float16 and exact
// references; the scalar conversions against the format's double encoder; and float32 -> int32,
// float64 -> int64 against float_to_int (cpu/convert.h); on every instruction set compiled in.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/cast_simd_kernels.h"
#include "cpu/convert.h"
#include "cpu/math_kernels.h"
#include "kcore/float_types.h"

namespace {

using kcore::bfloat16;
using kcore::float16;

// Runs `check` once per instruction set this CPU runs, then restores the automatic choice.
template <class F>
void on_every_target(F check) {
  for (const std::int64_t target : kcore::cpu::math_simd_targets()) {
    kcore::cpu::math_force_simd_target(target);
    check(std::string(kcore::cpu::math_simd_target()));
  }
  kcore::cpu::math_force_simd_target(0);
}

std::uint32_t float_bits(float f) {
  return std::bit_cast<std::uint32_t>(f);
}

// Inputs on the edges of float16 and bfloat16: zeros, limits, overflow and tie points, subnormal
// boundaries, NaNs with payloads and signs.
std::vector<float> edge_inputs() {
  std::vector<float> v = {0.0F,
                          -0.0F,
                          65504.0F,
                          65519.996F,
                          65520.0F,
                          -65520.0F,
                          0x1.0p-24F,
                          0x1.0p-25F,
                          0x1.000002p-25F,
                          0x1.8p-24F,
                          0x1.0p-14F,
                          0x1.ffcp-15F,
                          0x1.ffep-15F,
                          1.0F,
                          1.0009765625F,
                          1.00048828125F,
                          std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::denorm_min(),
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN(),
                          -std::numeric_limits<float>::quiet_NaN(),
                          std::bit_cast<float>(0x7F800001U),
                          std::bit_cast<float>(0xFFBFFFFFU),
                          0x1.fefffep127F,
                          0x1.ff0000p127F,
                          0x1.008000p0F,
                          0x1.018000p0F};
  return v;
}

TEST(CastSimdKernels, Float16ToFloatEveryPattern) {
  std::vector<std::uint16_t> in(1 << 16);
  for (std::uint32_t b = 0; b < in.size(); ++b) in[b] = static_cast<std::uint16_t>(b);
  for (std::uint32_t b = 0; b < in.size(); ++b) {
    const float scalar = static_cast<float>(float16::from_bits(in[b]));
    const float reference = kcore::detail::Float16Format::decode(in[b]);
    if (std::isnan(reference)) {
      // NaN decodes to the quiet NaN of its sign.
      EXPECT_EQ(float_bits(scalar), 0x7FC00000U | (std::uint32_t{in[b] & 0x8000U} << 16)) << b;
    } else {
      EXPECT_EQ(float_bits(scalar), float_bits(reference)) << b;
    }
  }
  on_every_target([&](const std::string& target) {
    std::vector<float> out(in.size());
    kcore::cpu::float16_to_float(in.data(), out.data(), in.size());
    for (std::uint32_t b = 0; b < in.size(); ++b) {
      ASSERT_EQ(float_bits(out[b]), float_bits(static_cast<float>(float16::from_bits(in[b]))))
          << target << " pattern " << b;
    }
  });
}

TEST(CastSimdKernels, BFloat16ToFloatEveryPattern) {
  std::vector<std::uint16_t> in(1 << 16);
  for (std::uint32_t b = 0; b < in.size(); ++b) in[b] = static_cast<std::uint16_t>(b);
  on_every_target([&](const std::string& target) {
    std::vector<float> out(in.size());
    kcore::cpu::bfloat16_to_float(in.data(), out.data(), in.size());
    for (std::uint32_t b = 0; b < in.size(); ++b) {
      ASSERT_EQ(float_bits(out[b]), b << 16) << target << " pattern " << b;
    }
  });
}

// Every 251st float32 bit pattern (about 17 million, every exponent and sign), plus the edge
// inputs: the scalar conversions equal the double encoder (NaN: the quiet NaN of the sign), and
// the kernels equal the scalar conversions on every instruction set.
TEST(CastSimdKernels, FloatToNarrowOnASampleOfEveryFloat) {
  constexpr std::uint64_t kStep = 251;
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::vector<float> in;
  in.reserve(kChunk);
  std::vector<std::uint16_t> want16(kChunk);
  std::vector<std::uint16_t> want_bf(kChunk);
  std::vector<std::uint16_t> got(kChunk);
  const auto targets = kcore::cpu::math_simd_targets();
  const std::vector<float> edges = edge_inputs();
  std::uint64_t u = 0;
  bool edges_done = false;
  while (!edges_done) {
    in.clear();
    if (u < (std::uint64_t{1} << 32)) {
      for (; u < (std::uint64_t{1} << 32) && in.size() < kChunk; u += kStep) {
        in.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(u)));
      }
    } else {
      in = edges;
      edges_done = true;
    }
    for (std::size_t i = 0; i < in.size(); ++i) {
      const float f = in[i];
      want16[i] = float16(f).bits;
      want_bf[i] = bfloat16(f).bits;
      const std::uint16_t sign = std::signbit(f) ? 0x8000 : 0;
      if (std::isnan(f)) {
        ASSERT_EQ(want16[i], 0x7E00 | sign) << std::hexfloat << f;
        ASSERT_EQ(want_bf[i] & 0x7FC0, 0x7FC0) << std::hexfloat << f;
        ASSERT_EQ(want_bf[i] & 0x8000, sign) << std::hexfloat << f;
      } else {
        const double d = static_cast<double>(f);
        ASSERT_EQ(want16[i], kcore::detail::Float16Format::encode(d)) << std::hexfloat << f;
        ASSERT_EQ(want_bf[i], kcore::detail::BFloat16Format::encode(d)) << std::hexfloat << f;
      }
    }
    for (const std::int64_t target : targets) {
      kcore::cpu::math_force_simd_target(target);
      const std::string name = kcore::cpu::math_simd_target();
      kcore::cpu::float_to_float16(in.data(), got.data(), in.size());
      for (std::size_t i = 0; i < in.size(); ++i) {
        ASSERT_EQ(got[i], want16[i]) << name << " float16(" << std::hexfloat << in[i] << ")";
      }
      kcore::cpu::float_to_bfloat16(in.data(), got.data(), in.size());
      for (std::size_t i = 0; i < in.size(); ++i) {
        ASSERT_EQ(got[i], want_bf[i]) << name << " bfloat16(" << std::hexfloat << in[i] << ")";
      }
    }
    kcore::cpu::math_force_simd_target(0);
  }
}

// Every length and misalignment up to a few vectors: whole vectors and the scalar tail agree,
// and nothing past the end is written.
TEST(CastSimdKernels, EveryLengthAndOffset) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-70000.0F, 70000.0F);
  std::vector<float> src(80);
  for (float& f : src) f = dist(rng);
  on_every_target([&](const std::string& target) {
    for (std::size_t offset = 0; offset < 3; ++offset) {
      for (std::size_t n = 0; n + offset + 1 < src.size(); ++n) {
        std::vector<std::uint16_t> half(n + 1, 0xABCD);
        kcore::cpu::float_to_float16(src.data() + offset, half.data(), n);
        std::vector<float> back(n + 1, -1.0F);
        kcore::cpu::float16_to_float(half.data(), back.data(), n);
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_EQ(half[i], float16(src[offset + i]).bits) << target << " n=" << n;
          ASSERT_EQ(back[i], static_cast<float>(float16::from_bits(half[i]))) << target;
        }
        ASSERT_EQ(half[n], 0xABCD) << target << " wrote past n=" << n;
        ASSERT_EQ(back[n], -1.0F) << target << " wrote past n=" << n;
        kcore::cpu::float_to_bfloat16(src.data() + offset, half.data(), n);
        kcore::cpu::bfloat16_to_float(half.data(), back.data(), n);
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_EQ(half[i], bfloat16(src[offset + i]).bits) << target << " n=" << n;
          ASSERT_EQ(float_bits(back[i]), std::uint32_t{half[i]} << 16) << target;
        }
        ASSERT_EQ(half[n], 0xABCD) << target;
      }
    }
  });
}

// float64 -> float16/bfloat16 goes through float rounded to odd; it equals the double encoder on
// random doubles of every magnitude, on float16's and bfloat16's tie points offset by one double
// ulp, and on values that overflow or underflow float.
TEST(CastSimdKernels, DoubleThroughRoundToOddRoundsOnce) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> exp(-160, 140);
  std::vector<double> inputs = {1e300,
                                -1e300,
                                1e-300,
                                -1e-300,
                                0x1.ffep15,
                                0x1.ffdfffffffffffp15,
                                0x1.ffe0000000001p15,
                                0x1.0p-25,
                                0x1.0000000000001p-25,
                                0x1.fffffffffffffp-26,
                                0x1.fe8p127,
                                0x1.fefffffffffffp127,
                                0x1.ff00000000001p127};
  for (int i = 0; i < 1 << 20; ++i) {
    const std::uint64_t r = rng();
    const double mant = 1.0 + std::ldexp(double(r >> 12), -52);
    inputs.push_back(std::ldexp((r & 1) ? -mant : mant, exp(rng)));
  }
  // Ties at float16's and bfloat16's precision (an odd integer one bit wider than the format's
  // significand, scaled), exact and one double ulp either side, normal and subnormal.
  struct TieRange {
    int bits;
    int min_exp;
    int max_exp;
  };
  for (const TieRange t : {TieRange{11, -36, 4}, TieRange{8, -142, 119}}) {
    std::uniform_int_distribution<int> scale(t.min_exp, t.max_exp);
    for (int i = 0; i < 1 << 16; ++i) {
      const std::uint64_t m = (std::uint64_t{1} << t.bits) | (rng() & ((1U << t.bits) - 1)) | 1U;
      const double tie = std::ldexp(static_cast<double>(m), scale(rng));
      inputs.push_back(tie);
      inputs.push_back(std::nextafter(tie, 0.0));
      inputs.push_back(std::nextafter(tie, 1e308));
    }
  }
  for (const double d : inputs) {
    ASSERT_EQ(float16(d).bits, kcore::detail::Float16Format::encode(d)) << std::hexfloat << d;
    ASSERT_EQ(bfloat16(d).bits, kcore::detail::BFloat16Format::encode(d)) << std::hexfloat << d;
  }
}

}  // namespace

namespace {

// Outputs of 2 MiB and more take the streaming-store path; any alignment of the output works and
// nothing past the end is written.
TEST(CastSimdKernels, LargeOutputsAtEveryAlignment) {
  constexpr std::size_t kN = (std::size_t{1} << 20) + 13;
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(-70000.0F, 70000.0F);
  std::vector<float> src(kN);
  for (float& f : src) f = dist(rng);
  on_every_target([&](const std::string& target) {
    for (std::size_t offset : {0, 1, 3}) {
      std::vector<std::uint16_t> half(kN + offset + 1, 0xABCD);
      kcore::cpu::float_to_float16(src.data(), half.data() + offset, kN);
      std::vector<float> back(kN + offset + 1, -1.0F);
      kcore::cpu::float16_to_float(half.data() + offset, back.data() + offset, kN);
      for (std::size_t i = 0; i < kN; ++i) {
        ASSERT_EQ(half[offset + i], float16(src[i]).bits) << target << " offset " << offset;
        ASSERT_EQ(back[offset + i], static_cast<float>(float16::from_bits(half[offset + i])))
            << target;
      }
      ASSERT_EQ(half[offset + kN], 0xABCD) << target;
      ASSERT_EQ(back[offset + kN], -1.0F) << target;
      kcore::cpu::float_to_bfloat16(src.data(), half.data() + offset, kN);
      kcore::cpu::bfloat16_to_float(half.data() + offset, back.data() + offset, kN);
      for (std::size_t i = 0; i < kN; ++i) {
        ASSERT_EQ(half[offset + i], bfloat16(src[i]).bits) << target << " offset " << offset;
        ASSERT_EQ(float_bits(back[offset + i]), std::uint32_t{half[offset + i]} << 16) << target;
      }
      ASSERT_EQ(half[offset + kN], 0xABCD) << target;
      ASSERT_EQ(back[offset + kN], -1.0F) << target;
    }
  });
}

// Inputs around the integer range's ends (the last float below 2^31 or 2^63, the bounds, the
// first beyond -2^31 or -2^63), fractions either side of zero, infinities and NaNs, then random
// bit patterns of every magnitude.
template <class F>
std::vector<F> float_to_int_inputs(std::size_t random_count) {
  using I = std::conditional_t<sizeof(F) == 4, std::int32_t, std::int64_t>;
  using U = std::conditional_t<sizeof(F) == 4, std::uint32_t, std::uint64_t>;
  const F bound = -static_cast<F>(std::numeric_limits<I>::min());
  const F inf = std::numeric_limits<F>::infinity();
  std::vector<F> v = {F(0),
                      -F(0),
                      F(0.5),
                      F(-0.5),
                      F(0.9999999),
                      F(-1.5),
                      F(2.5),
                      F(-123456.75),
                      std::nextafter(bound, F(0)),
                      bound,
                      std::nextafter(bound, inf),
                      -bound,
                      std::nextafter(-bound, -inf),
                      std::nextafter(-bound, F(0)),
                      std::numeric_limits<F>::max(),
                      std::numeric_limits<F>::lowest(),
                      std::numeric_limits<F>::denorm_min(),
                      inf,
                      -inf,
                      std::numeric_limits<F>::quiet_NaN(),
                      -std::numeric_limits<F>::quiet_NaN(),
                      std::bit_cast<F>(static_cast<U>(std::bit_cast<U>(inf) | 1U))};
  std::mt19937_64 rng(42);
  for (std::size_t i = 0; i < random_count; ++i)
    v.push_back(std::bit_cast<F>(static_cast<U>(rng())));
  return v;
}

TEST(CastSimdKernels, FloatToIntTruncatesAndSaturates) {
  on_every_target([](const std::string& target) {
    const std::vector<float> f = {2.9F,
                                  -2.9F,
                                  3e9F,
                                  -3e9F,
                                  -2147483648.0F,
                                  2147483520.0F,
                                  std::numeric_limits<float>::quiet_NaN()};
    std::vector<std::int32_t> i(f.size());
    kcore::cpu::float_to_int32(f.data(), i.data(), f.size());
    const std::vector<std::int32_t> expected = {
        2, -2, 2147483647, -2147483647 - 1, -2147483647 - 1, 2147483520, 0};
    EXPECT_EQ(i, expected) << target;
    const std::vector<double> d = {-7.99, 1e19, -1e19, 0x1.fffffffffffffp62,
                                   -std::numeric_limits<double>::infinity()};
    std::vector<std::int64_t> l(d.size());
    kcore::cpu::double_to_int64(d.data(), l.data(), d.size());
    const std::vector<std::int64_t> expected64 = {
        -7, std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(),
        std::int64_t{0x7FFFFFFFFFFFFC00}, std::numeric_limits<std::int64_t>::min()};
    EXPECT_EQ(l, expected64) << target;
  });
}

TEST(CastSimdKernels, FloatToIntEqualsTheScalarConversionAtEveryLengthAndOffset) {
  const auto f32 = float_to_int_inputs<float>(1 << 16);
  const auto f64 = float_to_int_inputs<double>(1 << 16);
  on_every_target([&](const std::string& target) {
    std::vector<std::int32_t> i32(f32.size());
    kcore::cpu::float_to_int32(f32.data(), i32.data(), f32.size());
    for (std::size_t k = 0; k < f32.size(); ++k) {
      ASSERT_EQ(i32[k], kcore::cpu::float_to_int<std::int32_t>(f32[k])) << target << " " << f32[k];
    }
    std::vector<std::int64_t> i64(f64.size());
    kcore::cpu::double_to_int64(f64.data(), i64.data(), f64.size());
    for (std::size_t k = 0; k < f64.size(); ++k) {
      ASSERT_EQ(i64[k], kcore::cpu::float_to_int<std::int64_t>(f64[k])) << target << " " << f64[k];
    }
    // Every length up to a few vectors, at offsets that misalign input and output; the element
    // after the last is left alone.
    for (std::size_t offset = 0; offset < 3; ++offset) {
      for (std::size_t n = 0; n < 70; ++n) {
        std::vector<std::int32_t> out(n + 1, 77);
        kcore::cpu::float_to_int32(f32.data() + offset, out.data(), n);
        for (std::size_t k = 0; k < n; ++k) {
          ASSERT_EQ(out[k], kcore::cpu::float_to_int<std::int32_t>(f32[offset + k])) << target;
        }
        ASSERT_EQ(out[n], 77) << target << " n=" << n;
        std::vector<std::int64_t> out64(n + 1, 77);
        kcore::cpu::double_to_int64(f64.data() + offset, out64.data(), n);
        for (std::size_t k = 0; k < n; ++k) {
          ASSERT_EQ(out64[k], kcore::cpu::float_to_int<std::int64_t>(f64[offset + k])) << target;
        }
        ASSERT_EQ(out64[n], 77) << target << " n=" << n;
      }
    }
  });
}

TEST(CastSimdKernels, FloatToIntLargeOutputsAtEveryAlignment) {
  // 2^20 int32 (4 MiB) and 2^19 int64: above the streaming-store threshold.
  constexpr std::size_t kN = std::size_t{1} << 20;
  std::vector<float> f(kN);
  std::vector<double> d(kN / 2);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-3e9F, 3e9F);
  for (auto& v : f) v = dist(rng);
  for (std::size_t k = 0; k < d.size(); ++k) d[k] = static_cast<double>(f[k]) * 4e9;
  on_every_target([&](const std::string& target) {
    for (std::size_t offset : {0, 1, 3}) {
      std::vector<std::int32_t> out(kN + offset + 1, 77);
      kcore::cpu::float_to_int32(f.data(), out.data() + offset, kN);
      for (std::size_t k = 0; k < kN; ++k) {
        ASSERT_EQ(out[offset + k], kcore::cpu::float_to_int<std::int32_t>(f[k])) << target;
      }
      ASSERT_EQ(out[offset + kN], 77) << target;
      std::vector<std::int64_t> out64(d.size() + offset + 1, 77);
      kcore::cpu::double_to_int64(d.data(), out64.data() + offset, d.size());
      for (std::size_t k = 0; k < d.size(); ++k) {
        ASSERT_EQ(out64[offset + k], kcore::cpu::float_to_int<std::int64_t>(d[k])) << target;
      }
      ASSERT_EQ(out64[offset + d.size()], 77) << target;
    }
  });
}

}  // namespace
