// kcore::cast over the whole dtype matrix. The per-pair inputs and expected bit patterns are in
// cast_cases.inc, written by tests/gen/gen_cast_cases.py from exact rational arithmetic (and
// cross-checked there with NumPy/ml_dtypes). The spot checks at the end are written by hand.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "kcore/kcore.h"

namespace {

using namespace kcore;

static_assert(std::endian::native == std::endian::little, "the tables hold little-endian words");

struct CastInput {
  std::uint64_t re;
  std::uint64_t im;
  const char* text;
};

struct CastPair {
  DType from;
  DType to;
  std::span<const CastInput> inputs;
  std::span<const std::uint64_t> expected;  // empty when from == to
};

#include "cast_cases.inc"

std::size_t words_per_element(DType dtype) {
  return is_complex(dtype) ? 2 : 1;
}
std::size_t word_bytes(DType dtype) {
  return itemsize(dtype) / words_per_element(dtype);
}

// The words of one element as the tables write them (real part first for complex).
std::vector<std::uint64_t> input_words(DType dtype, const CastInput& in) {
  if (is_complex(dtype)) return {in.re, in.im};
  return {in.re};
}

bool is_nan_word(DType dtype, std::uint64_t w) {
  switch (dtype) {
    case DType::Float16:
      return (w & 0x7FFF) > 0x7C00;
    case DType::BFloat16:
      return (w & 0x7FFF) > 0x7F80;
    case DType::Float32:
    case DType::Complex64:
      return (w & 0x7FFFFFFF) > 0x7F800000;
    case DType::Float64:
    case DType::Complex128:
      return (w & 0x7FFFFFFFFFFFFFFF) > 0x7FF0000000000000;
    case DType::Float8E4M3FN:
      return (w & 0x7F) == 0x7F;
    case DType::Float8E5M2:
      return (w & 0x7F) > 0x7C;
    default:
      return false;
  }
}

std::string hex(std::uint64_t w) {
  std::ostringstream os;
  os << "0x" << std::hex << w;
  return os.str();
}

// Packs words (word_bytes(dtype) bytes each) into an element buffer.
std::vector<std::byte> pack(DType dtype, std::span<const std::uint64_t> words) {
  const std::size_t wb = word_bytes(dtype);
  std::vector<std::byte> bytes(words.size() * wb);
  for (std::size_t i = 0; i < words.size(); ++i) std::memcpy(&bytes[i * wb], &words[i], wb);
  return bytes;
}

std::vector<std::uint64_t> unpack(DType dtype, std::span<const std::byte> bytes) {
  const std::size_t wb = word_bytes(dtype);
  std::vector<std::uint64_t> words(bytes.size() / wb, 0);
  for (std::size_t i = 0; i < words.size(); ++i) std::memcpy(&words[i], &bytes[i * wb], wb);
  return words;
}

// All elements of t, row-major, as words.
std::vector<std::uint64_t> words_of(const Tensor& t) {
  std::vector<std::byte> bytes(static_cast<std::size_t>(t.size()) * itemsize(t.dtype()));
  t.copy_to(bytes.data());
  return unpack(t.dtype(), bytes);
}

Tensor tensor_from_words(DType dtype, std::span<const std::uint64_t> words, const Shape& shape) {
  const std::vector<std::byte> bytes = pack(dtype, words);
  return convert_to_tensor(bytes.data(), shape, dtype);
}

std::string pair_name(const CastPair& p) {
  return std::string(name(p.from)) + "_to_" + std::string(name(p.to));
}

class CastPairTest : public ::testing::TestWithParam<std::size_t> {
 protected:
  const CastPair& pair() const { return kCastPairs[GetParam()]; }
  std::size_t n() const { return pair().inputs.size(); }

  std::vector<std::uint64_t> all_input_words() const {
    std::vector<std::uint64_t> w;
    for (const CastInput& in : pair().inputs) {
      for (std::uint64_t x : input_words(pair().from, in)) w.push_back(x);
    }
    return w;
  }

  // The expected words of input element i.
  std::vector<std::uint64_t> expected(std::size_t i) const {
    if (pair().from == pair().to) return input_words(pair().from, pair().inputs[i]);
    const std::size_t k = words_per_element(pair().to);
    return {pair().expected.begin() + static_cast<std::ptrdiff_t>(i * k),
            pair().expected.begin() + static_cast<std::ptrdiff_t>((i + 1) * k)};
  }

  // Checks y, whose element j should be the cast of input element source[j].
  void check(const Tensor& y, const Shape& shape, const std::vector<std::size_t>& source,
             const std::string& layout) const {
    ASSERT_EQ(y.dtype(), pair().to) << layout;
    ASSERT_EQ(y.shape(), shape) << layout;
    const std::vector<std::uint64_t> got = words_of(y);
    const std::size_t k = words_per_element(pair().to);
    ASSERT_EQ(got.size(), source.size() * k) << layout;
    int reported = 0;
    for (std::size_t j = 0; j < source.size(); ++j) {
      const std::vector<std::uint64_t> want = expected(source[j]);
      for (std::size_t c = 0; c < k; ++c) {
        const std::uint64_t g = got[j * k + c];
        const bool same =
            g == want[c] || (is_nan_word(pair().to, want[c]) && is_nan_word(pair().to, g));
        if (!same && reported++ < 10) {
          const CastInput& in = pair().inputs[source[j]];
          ADD_FAILURE() << layout << ": cast(" << name(pair().from) << " " << in.text << " ["
                        << hex(in.re) << (is_complex(pair().from) ? ", " + hex(in.im) : "") << "], "
                        << name(pair().to) << ") element " << j << " part " << c << ": expected "
                        << hex(want[c]) << ", got " << hex(g);
        }
      }
    }
    EXPECT_EQ(reported, 0) << layout << ": " << reported << " wrong values";
  }

  static std::vector<std::size_t> iota(std::size_t n) {
    std::vector<std::size_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = i;
    return v;
  }
};

TEST_P(CastPairTest, Contiguous) {
  const std::int64_t len = static_cast<std::int64_t>(n());
  const Tensor x = tensor_from_words(pair().from, all_input_words(), {len});
  const Tensor y = cast(x, pair().to);
  check(y, {len}, iota(n()), "contiguous");
  if (pair().from == pair().to) {
    EXPECT_TRUE(y.shares_storage_with(x));
    EXPECT_EQ(y.offset(), x.offset());
    EXPECT_EQ(y.strides(), x.strides());
  } else {
    EXPECT_FALSE(y.shares_storage_with(x));
  }
}

TEST_P(CastPairTest, EachElementAsAScalar) {
  for (std::size_t i = 0; i < n(); ++i) {
    const std::vector<std::uint64_t> w = input_words(pair().from, pair().inputs[i]);
    const Tensor y = cast(tensor_from_words(pair().from, w, {}), pair().to);
    check(y, {}, {i}, "scalar");
  }
}

// A (2, n) buffer holding the inputs, then the inputs reversed, seen transposed as (n, 2).
TEST_P(CastPairTest, TransposedView) {
  std::vector<std::uint64_t> words = all_input_words();
  const std::size_t k = words_per_element(pair().from);
  for (std::size_t i = n(); i-- > 0;) {
    for (std::size_t c = 0; c < k; ++c) words.push_back(words[i * k + c]);
  }
  const std::int64_t len = static_cast<std::int64_t>(n());
  const Tensor x = transpose(tensor_from_words(pair().from, words, {2, len}));
  ASSERT_FALSE(x.is_contiguous());
  std::vector<std::size_t> source;
  for (std::size_t i = 0; i < n(); ++i) {
    source.push_back(i);
    source.push_back(n() - 1 - i);
  }
  const Tensor y = cast(x, pair().to);
  check(y, {len, 2}, source, "transposed");
  if (pair().from == pair().to) {
    EXPECT_TRUE(y.shares_storage_with(x));
  }
}

TEST_P(CastPairTest, ReversedAndSteppedViews) {
  const std::int64_t len = static_cast<std::int64_t>(n());
  const Tensor x = tensor_from_words(pair().from, all_input_words(), {len});
  std::vector<std::size_t> reversed;
  for (std::size_t i = n(); i-- > 0;) reversed.push_back(i);
  check(cast(getitem(x, {Slice{std::nullopt, std::nullopt, -1}}), pair().to), {len}, reversed,
        "reversed");
  std::vector<std::size_t> even;
  for (std::size_t i = 0; i < n(); i += 2) even.push_back(i);
  check(cast(getitem(x, {Slice{std::nullopt, std::nullopt, 2}}), pair().to),
        {static_cast<std::int64_t>(even.size())}, even, "step 2");
}

// Stride-0 views: rows repeated (enough elements to be split across threads), and each element
// repeated along the inner axis.
TEST_P(CastPairTest, BroadcastViews) {
  const std::int64_t len = static_cast<std::int64_t>(n());
  const Tensor x = tensor_from_words(pair().from, all_input_words(), {len});
  const std::int64_t rows = 100000 / len + 1;
  std::vector<std::size_t> source;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::size_t i = 0; i < n(); ++i) source.push_back(i);
  }
  check(cast(broadcast_to(x, {rows, len}), pair().to), {rows, len}, source, "broadcast rows");

  source.clear();
  for (std::size_t i = 0; i < n(); ++i) source.insert(source.end(), 3, i);
  check(cast(broadcast_to(expand_dims(x, {1}), {len, 3}), pair().to), {len, 3}, source,
        "broadcast inner");
}

TEST_P(CastPairTest, Empty) {
  for (const Shape& shape : {Shape{0}, Shape{2, 0, 3}}) {
    const Tensor x = convert_to_tensor(nullptr, shape, pair().from);
    const Tensor y = cast(x, pair().to);
    EXPECT_EQ(y.dtype(), pair().to);
    EXPECT_EQ(y.shape(), shape);
    EXPECT_EQ(y.size(), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(AllPairs, CastPairTest,
                         ::testing::Range<std::size_t>(0, std::size(kCastPairs)),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return pair_name(kCastPairs[info.param]);
                         });

TEST(CastTable, CoversEveryPairOnce) {
  ASSERT_EQ(std::size(kCastPairs), std::size_t{kNumDTypes * kNumDTypes});
  for (int i = 0; i < kNumDTypes; ++i) {
    for (int j = 0; j < kNumDTypes; ++j) {
      const CastPair& p = kCastPairs[i * kNumDTypes + j];
      EXPECT_EQ(p.from, kAllDTypes[i]);
      EXPECT_EQ(p.to, kAllDTypes[j]);
      if (p.from != p.to) {
        EXPECT_EQ(p.expected.size(), p.inputs.size() * words_per_element(p.to)) << pair_name(p);
      }
    }
  }
}

// Hand-written spot checks of the rules, independent of the generated table.

template <class T>
Tensor vec(std::vector<T> values) {
  return convert_to_tensor(values.data(), {static_cast<std::int64_t>(values.size())}, dtype_of<T>);
}

template <class T>
std::vector<std::uint64_t> bits_of(const std::vector<T>& values) {
  std::vector<std::uint64_t> out;
  for (const T& v : values) {
    std::uint64_t w = 0;
    std::memcpy(&w, &v, sizeof(T));
    out.push_back(w);
  }
  return out;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(CastRules, IntegersWrap) {
  EXPECT_EQ(
      cast(vec<std::int32_t>({-1, 256, 257, -129, 383}), DType::UInt8).to_vector<std::uint8_t>(),
      (std::vector<std::uint8_t>{255, 0, 1, 127, 127}));
  EXPECT_EQ(cast(vec<std::uint64_t>({1ULL << 63, ~0ULL}), DType::Int64).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), -1}));
  EXPECT_EQ(cast(vec<std::int8_t>({-128, -1}), DType::UInt64).to_vector<std::uint64_t>(),
            (std::vector<std::uint64_t>{~0ULL - 127, ~0ULL}));
}

TEST(CastRules, FloatToIntTruncatesAndSaturates) {
  const Tensor x = vec<double>({255.9, 256.0, -0.5, -1.0, -1.5, kNaN, kInf, -kInf, 0x1p31, 0x1p63,
                                0x1p64, -0x1p63, -0x1p31 - 1, 2.9});
  EXPECT_EQ(cast(x, DType::UInt8).to_vector<std::uint8_t>(),
            (std::vector<std::uint8_t>{255, 255, 0, 0, 0, 0, 255, 0, 255, 255, 255, 0, 0, 2}));
  EXPECT_EQ(cast(x, DType::Int32).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{255, 256, 0, -1, -1, 0, INT32_MAX, INT32_MIN, INT32_MAX,
                                       INT32_MAX, INT32_MAX, INT32_MIN, INT32_MIN, 2}));
  EXPECT_EQ(cast(x, DType::Int64).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{255, 256, 0, -1, -1, 0, INT64_MAX, INT64_MIN,
                                       std::int64_t{1} << 31, INT64_MAX, INT64_MAX, INT64_MIN,
                                       -(std::int64_t{1} << 31) - 1, 2}));
  EXPECT_EQ(cast(x, DType::UInt64).to_vector<std::uint64_t>(),
            (std::vector<std::uint64_t>{255, 256, 0, 0, 0, 0, UINT64_MAX, 0, 1ULL << 31, 1ULL << 63,
                                        UINT64_MAX, 0, 0, 2}));
}

TEST(CastRules, AnythingToBoolIsNonzero) {
  EXPECT_EQ(cast(vec<double>({kNaN, -0.0, 0.0, 1e-310, -kInf}), DType::Bool).to_vector<bool>(),
            (std::vector<bool>{true, false, false, true, true}));
  using C = std::complex<float>;
  EXPECT_EQ(
      cast(vec<C>({C(0, 1), C(-0.0F, -0.0F), C(0, std::nanf(""))}), DType::Bool).to_vector<bool>(),
      (std::vector<bool>{true, false, true}));
  EXPECT_EQ(cast(vec<std::int64_t>({0, INT64_MIN}), DType::Bool).to_vector<bool>(),
            (std::vector<bool>{false, true}));
}

TEST(CastRules, BoolToNumbersIsZeroOrOne) {
  const Tensor b = cast(vec<std::uint8_t>({0, 1}), DType::Bool);
  EXPECT_EQ(cast(b, DType::Int16).to_vector<std::int16_t>(), (std::vector<std::int16_t>{0, 1}));
  EXPECT_EQ(bits_of(cast(b, DType::Float16).to_vector<float16>()),
            (std::vector<std::uint64_t>{0, 0x3C00}));
  EXPECT_EQ(bits_of(cast(b, DType::Float8E4M3FN).to_vector<float8_e4m3fn>()),
            (std::vector<std::uint64_t>{0, 0x38}));
}

TEST(CastRules, ComplexAndReal) {
  using C = std::complex<double>;
  const Tensor z = vec<C>({C(1.5, 2.0), C(-300.75, -1.0)});
  EXPECT_EQ(cast(z, DType::Float32).to_vector<float>(), (std::vector<float>{1.5F, -300.75F}));
  EXPECT_EQ(cast(z, DType::Int8).to_vector<std::int8_t>(), (std::vector<std::int8_t>{1, -128}));
  const Tensor r = cast(vec<std::int32_t>({-7}), DType::Complex64);
  const auto c = r.to_vector<std::complex<float>>();
  EXPECT_EQ(c[0].real(), -7.0F);
  EXPECT_FALSE(std::signbit(c[0].imag()));
  EXPECT_EQ(c[0].imag(), 0.0F);
}

TEST(CastRules, FloatNarrowingRoundsOnceToNearestEven) {
  // 1 + 2^-11 is a float16 tie (to even: 1); 1 + 2^-11 + 2^-40 is above it, but a float32
  // intermediate would drop the 2^-40 and land on the tie.
  const Tensor x = vec<double>({1 + 0x1p-11, 1 + 3 * 0x1p-11, 1 + 0x1p-11 + 0x1p-40, 65519.0,
                                65520.0, 0x1p-25, 0x1p-25 + 0x1p-40, -0x1p-26});
  EXPECT_EQ(
      bits_of(cast(x, DType::Float16).to_vector<float16>()),
      (std::vector<std::uint64_t>{0x3C00, 0x3C02, 0x3C01, 0x7BFF, 0x7C00, 0x0000, 0x0001, 0x8000}));
  EXPECT_EQ(bits_of(cast(vec<double>({1 + 0x1p-8 + 0x1p-40, 0x1p128, -1e39}), DType::BFloat16)
                        .to_vector<bfloat16>()),
            (std::vector<std::uint64_t>{0x3F81, 0x7F80, 0xFF80}));
  EXPECT_EQ(bits_of(cast(vec<float>({std::numeric_limits<float>::max()}), DType::Float16)
                        .to_vector<float16>()),
            (std::vector<std::uint64_t>{0x7C00}));
}

TEST(CastRules, Float8Overflow) {
  const Tensor x = vec<float>({448.0F, 464.0F, 465.0F, 480.0F, -1e6F, std::nanf("")});
  const auto e4 = bits_of(cast(x, DType::Float8E4M3FN).to_vector<float8_e4m3fn>());
  EXPECT_EQ(e4[0], 0x7Eu);
  EXPECT_EQ(e4[1], 0x7Eu);
  for (std::size_t i = 2; i < e4.size(); ++i) EXPECT_EQ(e4[i] & 0x7F, 0x7Fu) << i;  // NaN
  EXPECT_EQ(bits_of(cast(vec<float>({57344.0F, 61439.0F, 61440.0F, -1e6F}), DType::Float8E5M2)
                        .to_vector<float8_e5m2>()),
            (std::vector<std::uint64_t>{0x7B, 0x7B, 0x7C, 0xFC}));
}

TEST(CastRules, SixtyFourBitIntegersRoundOnce) {
  // 2^62 + 2^38 + 1 is just above a float32 tie; through double it would become the tie itself
  // and round down to even.
  const std::int64_t v = (std::int64_t{1} << 62) + (std::int64_t{1} << 38) + 1;
  EXPECT_EQ(cast(vec<std::int64_t>({v, -v}), DType::Float32).to_vector<float>(),
            (std::vector<float>{0x1p62F + 0x1p39F, -0x1p62F - 0x1p39F}));
  const std::uint64_t u = (1ULL << 63) + (1ULL << 39) + 1;
  EXPECT_EQ(cast(vec<std::uint64_t>({u, ~0ULL}), DType::Float32).to_vector<float>(),
            (std::vector<float>{0x1p63F + 0x1p40F, 0x1p64F}));
  // bfloat16: 2^60 + 2^52 + 1 is just above a tie.
  const std::int64_t b = (std::int64_t{1} << 60) + (std::int64_t{1} << 52) + 1;
  EXPECT_EQ(bits_of(cast(vec<std::int64_t>({b}), DType::BFloat16).to_vector<bfloat16>()),
            (std::vector<std::uint64_t>{0x5D81}));
}

TEST(CastRules, SameDtypeReturnsTheInput) {
  const Tensor x = transpose(reshape(arange(6), {2, 3}));
  const Tensor y = cast(x, x.dtype());
  EXPECT_TRUE(y.shares_storage_with(x));
  EXPECT_EQ(y.strides(), x.strides());
  EXPECT_EQ(y.to_vector<std::int32_t>(), x.to_vector<std::int32_t>());
}

TEST(CastRules, WeakScalarToItsOwnDtypeBecomesStrong) {
  const Tensor x(2.5);
  ASSERT_TRUE(x.weak());
  const Tensor y = cast(x, DType::Float64);
  EXPECT_FALSE(y.weak());
  EXPECT_EQ(y.item<double>(), 2.5);
}

}  // namespace
