// The SIMD float32 <-> float16/bfloat16 kernels (src/cpu/narrow_float_kernels.h) against the
// scalar conversions, which float_types_test checks against the compiler's _Float16 and exact
// references; and the scalar conversions against the format's double encoder, on every
// instruction set compiled in.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cpu/math_kernels.h"
#include "cpu/narrow_float_kernels.h"
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

TEST(NarrowFloatKernels, Float16ToFloatEveryPattern) {
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

TEST(NarrowFloatKernels, BFloat16ToFloatEveryPattern) {
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
TEST(NarrowFloatKernels, FloatToNarrowOnASampleOfEveryFloat) {
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
TEST(NarrowFloatKernels, EveryLengthAndOffset) {
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
TEST(NarrowFloatKernels, DoubleThroughRoundToOddRoundsOnce) {
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
TEST(NarrowFloatKernels, LargeOutputsAtEveryAlignment) {
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

}  // namespace
