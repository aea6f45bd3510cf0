#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "kcore/float_types.h"

using namespace kcore;

namespace {

template <class T, class B, int E, int M, bool FiniteOnly>
struct Format {
  using Type = T;
  using Bits = B;
  static constexpr int kExpBits = E;
  static constexpr int kMantBits = M;
  // float8_e4m3fn has no infinities: all ones is NaN, and overflow gives NaN (ml_dtypes).
  static constexpr bool kFiniteOnly = FiniteOnly;
  static constexpr std::uint32_t kSignBit = 1U << (E + M);
  static constexpr std::uint32_t kNumPatterns = 1U << (1 + E + M);
  static constexpr std::uint32_t kInfBits = ((1U << E) - 1) << M;
  static constexpr std::uint32_t kMaxFiniteBits = FiniteOnly ? kSignBit - 2 : kInfBits - 1;
};

using Float16Fmt = Format<float16, std::uint16_t, 5, 10, false>;
using BFloat16Fmt = Format<bfloat16, std::uint16_t, 8, 7, false>;
using E4M3FNFmt = Format<float8_e4m3fn, std::uint8_t, 4, 3, true>;
using E5M2Fmt = Format<float8_e5m2, std::uint8_t, 5, 2, false>;

// What encoding a value should give: a NaN (any pattern), or exactly `bits`.
struct Want {
  bool nan;
  std::uint32_t bits;
};

template <class F>
typename F::Type from_bits(std::uint32_t b) {
  return F::Type::from_bits(static_cast<typename F::Bits>(b));
}

// The value of a bit pattern, from the format's definition.
template <class F>
double reference_decode(std::uint32_t b) {
  constexpr int bias = (1 << (F::kExpBits - 1)) - 1;
  constexpr std::uint32_t mant_mask = (1U << F::kMantBits) - 1;
  const std::uint32_t exp = (b >> F::kMantBits) & ((1U << F::kExpBits) - 1);
  const std::uint32_t mant = b & mant_mask;
  const double sign = (b & F::kSignBit) ? -1.0 : 1.0;
  const bool top_exp = exp == (1U << F::kExpBits) - 1;
  if (F::kFiniteOnly && top_exp && mant == mant_mask) return std::nan("");
  if (!F::kFiniteOnly && top_exp) return mant ? std::nan("") : sign * HUGE_VAL;
  if (exp == 0) return sign * std::ldexp(double(mant), 1 - bias - F::kMantBits);
  return sign * std::ldexp(double(mant | (1U << F::kMantBits)), int(exp) - bias - F::kMantBits);
}

// Round to nearest even by search over the format's finite values, exactly.
template <class F>
class ReferenceEncoder {
 public:
  ReferenceEncoder() {
    for (std::uint32_t b = 0; b <= F::kMaxFiniteBits; ++b)
      values_.push_back(reference_decode<F>(b));
    const double max = values_.back();
    const double max_ulp = max - values_[values_.size() - 2];
    values_.push_back(max + max_ulp);  // where rounding overflows; its pattern is not finite
  }

  Want encode(double x) const {
    if (std::isnan(x)) return {true, 0};
    const std::uint32_t sign = std::signbit(x) ? F::kSignBit : 0;
    const double a = std::fabs(x);
    const auto above = std::upper_bound(values_.begin(), values_.end(), a);
    const auto lo = static_cast<std::uint32_t>(above - values_.begin() - 1);
    std::uint32_t pick = lo;
    if (values_[lo] != a) {
      if (above == values_.end()) return overflow(sign);
      const double mid = (values_[lo] + *above) / 2;
      if (a > mid || (a == mid && lo % 2 == 1)) pick = lo + 1;
    }
    if (pick > F::kMaxFiniteBits) return overflow(sign);
    return {false, sign | pick};
  }

  // Consecutive non-negative values: entry b is pattern b's value; the last is the overflow step.
  const std::vector<double>& values() const { return values_; }

 private:
  static Want overflow(std::uint32_t sign) {
    return F::kFiniteOnly ? Want{true, 0} : Want{false, sign | F::kInfBits};
  }
  std::vector<double> values_;
};

template <class F, class In>
::testing::AssertionResult encodes_to(In x, Want want) {
  const auto got = typename F::Type(x).bits;
  const bool got_nan = std::isnan(reference_decode<F>(got));
  if (want.nan ? got_nan : got == want.bits) return ::testing::AssertionSuccess();
  const auto hex = [](std::uint32_t b) {
    std::ostringstream os;
    os << "0x" << std::hex << b;
    return os.str();
  };
  std::ostringstream input;
  input << (sizeof(In) == 4 ? "float " : "double ") << std::hexfloat << double(x)
        << std::defaultfloat << " (" << double(x) << ")";
  return ::testing::AssertionFailure() << input.str() << " encodes to " << hex(got) << ", expected "
                                       << (want.nan ? "a NaN" : hex(want.bits));
}

template <class F>
class FloatTypes : public ::testing::Test {};

struct FormatNames {
  template <class F>
  static std::string GetName(int) {
    if constexpr (std::is_same_v<F, Float16Fmt>) return "float16";
    if constexpr (std::is_same_v<F, BFloat16Fmt>) return "bfloat16";
    if constexpr (std::is_same_v<F, E4M3FNFmt>) return "float8_e4m3fn";
    return "float8_e5m2";
  }
};

using Formats = ::testing::Types<Float16Fmt, BFloat16Fmt, E4M3FNFmt, E5M2Fmt>;
TYPED_TEST_SUITE(FloatTypes, Formats, FormatNames);

TYPED_TEST(FloatTypes, DecodesEveryBitPattern) {
  using F = TypeParam;
  for (std::uint32_t b = 0; b < F::kNumPatterns; ++b) {
    const auto x = from_bits<F>(b);
    const float f = static_cast<float>(x);
    const double want = reference_decode<F>(b);
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << b;
      EXPECT_TRUE(std::isnan(static_cast<double>(x))) << std::hex << b;
      continue;
    }
    EXPECT_EQ(std::bit_cast<std::uint64_t>(double(f)), std::bit_cast<std::uint64_t>(want))
        << std::hex << b << ": " << f << " vs " << want;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(static_cast<double>(x)),
              std::bit_cast<std::uint64_t>(want))
        << std::hex << b;
  }
}

TYPED_TEST(FloatTypes, EveryBitPatternRoundTripsThroughFloatAndDouble) {
  using F = TypeParam;
  int nans = 0;
  for (std::uint32_t b = 0; b < F::kNumPatterns; ++b) {
    const auto x = from_bits<F>(b);
    const float f = static_cast<float>(x);
    const double d = static_cast<double>(x);
    const Want want = std::isnan(f) ? Want{true, 0} : Want{false, b};
    nans += want.nan;
    EXPECT_TRUE(encodes_to<F>(f, want)) << "pattern 0x" << std::hex << b;
    EXPECT_TRUE(encodes_to<F>(d, want)) << "pattern 0x" << std::hex << b;
  }
  const int expected_nans = F::kFiniteOnly ? 2 : 2 * ((1 << F::kMantBits) - 1);
  EXPECT_EQ(nans, expected_nans);
}

// Between each pair of consecutive values (and between the largest finite value and the overflow
// step), the midpoint is exact in float and double: below it rounds down, above it up, on it to
// the even pattern.
TYPED_TEST(FloatTypes, MidpointsRoundToNearestEven) {
  using F = TypeParam;
  const ReferenceEncoder<F> ref;
  const std::vector<double>& v = ref.values();
  int checked = 0;
  for (std::uint32_t lo = 0; lo + 1 < v.size(); ++lo) {
    const std::uint32_t hi = lo + 1;
    const double mid = (v[lo] + v[hi]) / 2;
    ASSERT_EQ(double(float(mid)), mid);
    ASSERT_TRUE(mid > v[lo] && mid < v[hi]);
    const bool overflows = hi > F::kMaxFiniteBits;
    for (const std::uint32_t sign : {0U, F::kSignBit}) {
      const double s = sign ? -1.0 : 1.0;
      const Want down{false, sign | lo};
      const Want up = !overflows       ? Want{false, sign | hi}
                      : F::kFiniteOnly ? Want{true, 0}
                                       : Want{false, sign | F::kInfBits};
      const Want tie = lo % 2 == 0 ? down : up;
      const double below = s * std::nextafter(mid, 0.0);
      const double above = s * std::nextafter(mid, HUGE_VAL);
      EXPECT_TRUE(encodes_to<F>(s * mid, tie));
      EXPECT_TRUE(encodes_to<F>(below, down));
      EXPECT_TRUE(encodes_to<F>(above, up));
      const float midf = static_cast<float>(s * mid);
      EXPECT_TRUE(encodes_to<F>(midf, tie));
      EXPECT_TRUE(encodes_to<F>(std::nextafter(midf, 0.0f), down));
      EXPECT_TRUE(encodes_to<F>(std::nextafter(midf, static_cast<float>(s) * HUGE_VALF), up));
      // The reference agrees with the rule spelled out here.
      EXPECT_TRUE(encodes_to<F>(s * mid, ref.encode(s * mid)));
      EXPECT_TRUE(encodes_to<F>(below, ref.encode(below)));
      EXPECT_TRUE(encodes_to<F>(above, ref.encode(above)));
      checked += 6;
    }
  }
  EXPECT_EQ(checked, 12 * int(F::kMaxFiniteBits + 1));
}

TYPED_TEST(FloatTypes, TinyValuesRoundToSignedZero) {
  using F = TypeParam;
  const double min_subnormal = reference_decode<F>(1);
  for (const double tiny :
       {min_subnormal / 2, std::nextafter(min_subnormal / 2, 0.0), min_subnormal / 3,
        min_subnormal / 1024, 1e-300, std::numeric_limits<double>::denorm_min(),
        double(std::numeric_limits<float>::denorm_min())}) {
    if (tiny > min_subnormal / 2) continue;
    EXPECT_TRUE(encodes_to<F>(tiny, Want{false, 0}));
    EXPECT_TRUE(encodes_to<F>(-tiny, Want{false, F::kSignBit}));
    if (float(tiny) == tiny) {
      EXPECT_TRUE(encodes_to<F>(float(tiny), Want{false, 0}));
      EXPECT_TRUE(encodes_to<F>(-float(tiny), Want{false, F::kSignBit}));
    }
  }
  EXPECT_TRUE(encodes_to<F>(0.0, Want{false, 0}));
  EXPECT_TRUE(encodes_to<F>(-0.0, Want{false, F::kSignBit}));
  EXPECT_TRUE(encodes_to<F>(0.0f, Want{false, 0}));
  EXPECT_TRUE(encodes_to<F>(-0.0f, Want{false, F::kSignBit}));
  EXPECT_TRUE(encodes_to<F>(std::nextafter(min_subnormal / 2, 1.0), Want{false, 1}));
}

TYPED_TEST(FloatTypes, HugeValuesOverflow) {
  using F = TypeParam;
  const double step = ReferenceEncoder<F>().values().back();
  for (const double s : {1.0, -1.0}) {
    const std::uint32_t sign = s < 0 ? F::kSignBit : 0;
    const Want want = F::kFiniteOnly ? Want{true, 0} : Want{false, sign | F::kInfBits};
    for (const double huge :
         {HUGE_VAL, std::numeric_limits<double>::max(), 1e300, 2 * step, step}) {
      EXPECT_TRUE(encodes_to<F>(s * huge, want));
    }
    for (const float huge : {HUGE_VALF, std::numeric_limits<float>::max(), float(step)}) {
      EXPECT_TRUE(encodes_to<F>(static_cast<float>(s) * huge, want));
    }
  }
}

TYPED_TEST(FloatTypes, NaNsEncodeToNaN) {
  using F = TypeParam;
  const double nans[] = {std::numeric_limits<double>::quiet_NaN(),
                         -std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::signaling_NaN(),
                         std::bit_cast<double>(std::uint64_t{0x7FF0000000000001}),
                         std::bit_cast<double>(std::uint64_t{0xFFF8000000000123})};
  for (const double nan : nans) EXPECT_TRUE(encodes_to<F>(nan, Want{true, 0}));
  const float nanfs[] = {
      std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
      std::numeric_limits<float>::signaling_NaN(), std::bit_cast<float>(std::uint32_t{0x7F800001}),
      std::bit_cast<float>(std::uint32_t{0xFF800100})};
  for (const float nan : nanfs) EXPECT_TRUE(encodes_to<F>(nan, Want{true, 0}));
}

// Floats sampled over the whole bit space, and doubles with random mantissas across the
// format's range (subnormals, overflow and a margin around them).
TYPED_TEST(FloatTypes, SampledInputsMatchTheReference) {
  using F = TypeParam;
  const ReferenceEncoder<F> ref;
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 4099) {
    const float f = std::bit_cast<float>(static_cast<std::uint32_t>(u));
    ASSERT_TRUE(encodes_to<F>(f, ref.encode(f)));
  }
  std::mt19937_64 rng(20240601);
  const int min_exp = std::ilogb(reference_decode<F>(1)) - 3;
  const int max_exp = std::ilogb(reference_decode<F>(F::kMaxFiniteBits)) + 3;
  std::uniform_int_distribution<int> exp(min_exp, max_exp);
  for (int i = 0; i < 1 << 20; ++i) {
    const std::uint64_t r = rng();
    const double mant = 1.0 + std::ldexp(double(r >> 12), -52);
    const double d = std::ldexp((r & 1) ? -mant : mant, exp(rng));
    ASSERT_TRUE(encodes_to<F>(d, ref.encode(d)));
    const float f = std::bit_cast<float>((static_cast<std::uint32_t>(r >> 32) & 0x807FFFFF) |
                                         std::bit_cast<std::uint32_t>(std::ldexp(1.0f, exp(rng))));
    ASSERT_TRUE(encodes_to<F>(f, ref.encode(f)));
  }
}

TEST(FloatTypes, KnownValues) {
  EXPECT_EQ(static_cast<float>(float16::from_bits(0x7BFF)), 65504.0f);
  EXPECT_EQ(static_cast<float>(float16::from_bits(0x0001)), std::ldexp(1.0f, -24));
  EXPECT_EQ(static_cast<float>(float16::from_bits(0x3C00)), 1.0f);
  EXPECT_EQ(float16(65519.0).bits, 0x7BFF);
  EXPECT_EQ(float16(65520.0).bits, 0x7C00);

  EXPECT_EQ(static_cast<float>(bfloat16::from_bits(0x3F80)), 1.0f);
  EXPECT_EQ(static_cast<float>(bfloat16::from_bits(0x7F7F)), 0x1.FEp127f);
  EXPECT_EQ(static_cast<float>(bfloat16::from_bits(0x0001)), std::ldexp(1.0f, -133));

  EXPECT_EQ(static_cast<float>(float8_e4m3fn::from_bits(0x7E)), 448.0f);
  EXPECT_EQ(static_cast<float>(float8_e4m3fn::from_bits(0x38)), 1.0f);
  EXPECT_EQ(static_cast<float>(float8_e4m3fn::from_bits(0x01)), std::ldexp(1.0f, -9));
  EXPECT_EQ(static_cast<float>(float8_e4m3fn::from_bits(0x78)), 256.0f);
  EXPECT_TRUE(std::isnan(static_cast<float>(float8_e4m3fn::from_bits(0x7F))));
  EXPECT_TRUE(std::isnan(static_cast<float>(float8_e4m3fn::from_bits(0xFF))));
  EXPECT_EQ(float8_e4m3fn(464.0).bits, 0x7E);
  EXPECT_TRUE(std::isnan(static_cast<float>(float8_e4m3fn(465.0))));
  EXPECT_TRUE(std::isnan(static_cast<float>(float8_e4m3fn(HUGE_VAL))));

  EXPECT_EQ(static_cast<float>(float8_e5m2::from_bits(0x7B)), 57344.0f);
  EXPECT_EQ(static_cast<float>(float8_e5m2::from_bits(0x3C)), 1.0f);
  EXPECT_EQ(static_cast<float>(float8_e5m2::from_bits(0x01)), std::ldexp(1.0f, -16));
  EXPECT_EQ(float8_e5m2(61439.0).bits, 0x7B);
  EXPECT_EQ(float8_e5m2(61440.0).bits, 0x7C);
  EXPECT_EQ(float8_e5m2(-HUGE_VAL).bits, 0xFC);
}

// The compiler's _Float16 conversions are an independent implementation of IEEE binary16.
TEST(FloatTypes, Float16AgreesWithTheCompilersFloat16) {
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const auto h = std::bit_cast<_Float16>(static_cast<std::uint16_t>(b));
    const float want = static_cast<float>(h);
    const float got = static_cast<float>(float16::from_bits(static_cast<std::uint16_t>(b)));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(got), std::bit_cast<std::uint32_t>(want)) << b;
    }
  }
  const auto compiler_bits = [](auto x) {
    return Want{std::isnan(x), std::bit_cast<std::uint16_t>(static_cast<_Float16>(x))};
  };
  for (std::uint64_t u = 0; u < (std::uint64_t{1} << 32); u += 257) {
    const float f = std::bit_cast<float>(static_cast<std::uint32_t>(u));
    ASSERT_TRUE(encodes_to<Float16Fmt>(f, compiler_bits(f)));
  }
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> exp(-30, 20);
  for (int i = 0; i < 1 << 20; ++i) {
    const std::uint64_t r = rng();
    const double mant = 1.0 + std::ldexp(double(r >> 12), -52);
    const double d = std::ldexp((r & 1) ? -mant : mant, exp(rng));
    ASSERT_TRUE(encodes_to<Float16Fmt>(d, compiler_bits(d)));
  }
}

// float -> bfloat16 keeps the top 16 bits, rounded to nearest even on the bottom 16.
Want reference_bfloat16_from_float(float f) {
  const auto u = std::bit_cast<std::uint32_t>(f);
  if (std::isnan(f)) return {true, 0};
  std::uint32_t top = u >> 16;
  const std::uint32_t rest = u & 0xFFFF;
  if (rest > 0x8000 || (rest == 0x8000 && (top & 1))) ++top;
  return {false, top};
}

TEST(FloatTypes, BFloat16FromFloatAgreesWithBitLevelRounding) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::uint32_t> any_half(0, 0xFFFF);
  int checked = 0;
  for (std::uint32_t top = 0; top < 0x10000; ++top) {
    for (std::uint32_t rest : {0x0000U, 0x0001U, 0x3FFFU, 0x7FFFU, 0x8000U, 0x8001U, 0xC000U,
                               0xFFFFU, any_half(rng), any_half(rng)}) {
      const float f = std::bit_cast<float>(top << 16 | rest);
      ASSERT_TRUE(encodes_to<BFloat16Fmt>(f, reference_bfloat16_from_float(f)));
      // Through double, the one generic rounding must agree with the bit trick.
      ASSERT_TRUE(encodes_to<BFloat16Fmt>(double(f), reference_bfloat16_from_float(f)));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 10 * 0x10000);
}

}  // namespace
