// erf, erfinv, rsqrt, logsumexp (SEMANTICS §3): special values of every float dtype, the ulp
// bounds of float32 and float64 on samples biased toward the hard regions (long double
// references), float16 and bfloat16 correctly rounded on all 65,536 inputs, dtype rules,
// layouts, and logsumexp against a long double loop (axes, keepdims, strides, special values,
// long rows, thread-count independence). tools/accuracy.cpp runs the exhaustive float32 checks.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cpu/math_kernels.h"
#include "kcore/autodiff.h"
#include "kcore/kcore.h"
#include "math_reference.h"

namespace {

using kcore::Axes;
using kcore::bfloat16;
using kcore::DType;
using kcore::float16;
using kcore::Tensor;
using namespace kcore_math_ref;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Fn { Erf, Erfinv, Rsqrt };

Tensor apply(Fn fn, const Tensor& x) {
  switch (fn) {
    case Fn::Erf:
      return kcore::erf(x);
    case Fn::Erfinv:
      return kcore::erfinv(x);
    case Fn::Rsqrt:
      return kcore::rsqrt(x);
  }
  return x;
}

const char* fn_name(Fn fn) {
  switch (fn) {
    case Fn::Erf:
      return "erf";
    case Fn::Erfinv:
      return "erfinv";
    case Fn::Rsqrt:
      return "rsqrt";
  }
  return "";
}

long double reference(Fn fn, long double x) {
  switch (fn) {
    case Fn::Erf:
      return erf_ref(x);
    case Fn::Erfinv:
      return erfinv_ref(x, kcore::cpu::erfinv_f64(static_cast<double>(x)));
    case Fn::Rsqrt:
      return rsqrt_ref(x);
  }
  return x;
}

double max_ulp(Fn fn) {
  return fn == Fn::Erfinv ? 2.0 : 1.0;
}

template <class T>
std::vector<T> run(Fn fn, const std::vector<T>& xs) {
  const Tensor out = apply(fn, kcore::convert_to_tensor(xs));
  EXPECT_EQ(out.dtype(), kcore::dtype_of<T>);
  return out.to_vector<T>();
}

// Inputs biased toward the hard regions of each function: tiny and subnormal values, interval
// boundaries, the neighbourhood of 1 for erfinv, the far tails.
template <class T>
std::vector<T> hard_inputs(Fn fn, std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<T> xs;
  const int digits = std::numeric_limits<T>::digits;
  const int min_exp = std::numeric_limits<T>::min_exponent - digits;  // smallest subnormal
  while (xs.size() < n) {
    const double u = unit(rng);
    T v;
    const int kind = static_cast<int>(rng() % 4);
    if (kind == 0) {  // log-uniform over the whole range of the function's domain
      const int hi = fn == Fn::Rsqrt ? std::numeric_limits<T>::max_exponent : 1;
      const double e = min_exp + (hi - min_exp) * u;
      v = static_cast<T>(std::exp2(e));
    } else if (kind == 1) {  // uniform over the interesting range
      v = static_cast<T>(fn == Fn::Erf ? 6.5 * u : fn == Fn::Erfinv ? u : 8 * u);
    } else if (kind == 2) {  // next to 1: 1 - 2^-k
      v = static_cast<T>(1.0 - std::exp2(-1.0 - (digits - 1) * u));
      if (fn == Fn::Erf) v = static_cast<T>(1 + 5 * u);
    } else {  // the ulps around interval boundaries (multiples of 1/8)
      const double b = std::floor(u * 48) / 8;
      v = static_cast<T>(b);
      const int steps = static_cast<int>(rng() % 9) - 4;
      for (int s = 0; s < std::abs(steps); ++s) {
        v = std::nextafter(v, steps < 0 ? T(0) : T(100));
      }
      if (fn == Fn::Erfinv && v >= T(1)) v = static_cast<T>(u);
    }
    if (rng() % 2) v = -v;
    xs.push_back(v);
  }
  return xs;
}

template <class T>
void check_bounds(Fn fn, std::size_t n) {
  const auto xs = hard_inputs<T>(fn, n, 17 + static_cast<int>(fn));
  const auto ys = run(fn, xs);
  double worst = 0;
  T worst_x = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double e = static_cast<double>(ulp_error(ys[i], reference(fn, xs[i])));
    if (e > worst) {
      worst = e;
      worst_x = xs[i];
    }
  }
  EXPECT_LE(worst, max_ulp(fn)) << fn_name(fn) << " " << sizeof(T) * 8 << "-bit: worst input "
                                << static_cast<double>(worst_x);
}

TEST(MathBounds, Float32) {
  for (Fn fn : {Fn::Erf, Fn::Erfinv, Fn::Rsqrt}) check_bounds<float>(fn, 200000);
}

TEST(MathBounds, Float64) {
  for (Fn fn : {Fn::Erf, Fn::Erfinv, Fn::Rsqrt}) check_bounds<double>(fn, 100000);
}

// All 65,536 float16 / bfloat16 inputs against the long double reference rounded once.
template <class T>
void check_narrow_exhaustive(Fn fn) {
  std::vector<T> xs(65536);
  for (std::uint32_t b = 0; b < 65536; ++b) xs[b] = std::bit_cast<T>(static_cast<std::uint16_t>(b));
  const auto ys = run(fn, xs);
  int wrong = 0;
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const long double ref = reference(fn, static_cast<float>(xs[b]));
    const T expected = T(static_cast<double>(ref));
    const float got = static_cast<float>(ys[b]);
    const bool same =
        std::isnan(static_cast<float>(expected))
            ? std::isnan(got)
            : std::bit_cast<std::uint16_t>(ys[b]) == std::bit_cast<std::uint16_t>(expected);
    if (!same && ++wrong <= 5) {
      ADD_FAILURE() << fn_name(fn) << "(" << static_cast<float>(xs[b]) << ") = " << got
                    << ", correctly rounded " << static_cast<float>(expected);
    }
  }
  EXPECT_EQ(wrong, 0) << fn_name(fn);
}

TEST(MathNarrow, Float16Exhaustive) {
  for (Fn fn : {Fn::Erf, Fn::Erfinv, Fn::Rsqrt}) check_narrow_exhaustive<float16>(fn);
}

TEST(MathNarrow, BFloat16Exhaustive) {
  for (Fn fn : {Fn::Erf, Fn::Erfinv, Fn::Rsqrt}) check_narrow_exhaustive<bfloat16>(fn);
}

// ---------------------------------------------------------------------------------------------
// Special values
// ---------------------------------------------------------------------------------------------

struct Case {
  double x;
  double expected;  // NaN: expect NaN; zeros and infinities compare with their sign
};

template <class T>
void check_cases(Fn fn, const std::vector<Case>& cases) {
  std::vector<T> xs;
  for (const auto& c : cases) xs.push_back(T(c.x));
  const auto ys = run(fn, xs);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const double got = static_cast<double>(ys[i]);
    const double want = cases[i].expected;
    SCOPED_TRACE(std::string(fn_name(fn)) + "(" + std::to_string(cases[i].x) + ")");
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << got;
    } else {
      EXPECT_EQ(got, want);
      EXPECT_EQ(std::signbit(got), std::signbit(want));
    }
  }
}

template <class T>
void check_specials() {
  check_cases<T>(Fn::Erf, {{0.0, 0.0},
                           {-0.0, -0.0},
                           {kInf, 1},
                           {-kInf, -1},
                           {kNaN, kNaN},
                           {-kNaN, kNaN},
                           {10, 1},
                           {-10, -1},
                           {1e30, 1}});
  check_cases<T>(Fn::Erfinv, {{0.0, 0.0},
                              {-0.0, -0.0},
                              {1, kInf},
                              {-1, -kInf},
                              {kNaN, kNaN},
                              {1.5, kNaN},
                              {-2, kNaN},
                              {kInf, kNaN},
                              {-kInf, kNaN}});
  check_cases<T>(Fn::Rsqrt, {{0.0, kInf},
                             {-0.0, -kInf},
                             {kInf, 0},
                             {-kInf, kNaN},
                             {-1, kNaN},
                             {kNaN, kNaN},
                             {4, 0.5},
                             {0.25, 2},
                             {1, 1}});
}

TEST(MathSpecials, Float16) {
  check_specials<float16>();
}
TEST(MathSpecials, BFloat16) {
  check_specials<bfloat16>();
}
TEST(MathSpecials, Float32) {
  check_specials<float>();
}
TEST(MathSpecials, Float64) {
  check_specials<double>();
}

template <class T>
void check_tiny_and_extreme() {
  const T tiny = std::numeric_limits<T>::denorm_min();
  const T small = std::numeric_limits<T>::min();
  const T below_one = std::nextafter(T(1), T(0));
  const auto ys = run(Fn::Erf, std::vector<T>{tiny, small, T(1e-8), -T(1e-8)});
  // No loss of relative accuracy near 0: erf(x) = 2x/sqrt(pi) (1 - x^2/3 ...).
  const long double c = 1.1283791670955125738961589031215452L;
  EXPECT_EQ(ys[0], static_cast<T>(c * tiny));
  EXPECT_LE(ulp_error(ys[1], c * small), 1.0);
  EXPECT_LE(ulp_error(ys[2], erf_ref(static_cast<long double>(T(1e-8)))), 1.0);
  EXPECT_EQ(ys[3], -ys[2]);
  const auto zs = run(Fn::Erfinv, std::vector<T>{tiny, small, below_one, -below_one});
  EXPECT_EQ(zs[0], static_cast<T>(tiny / c));
  EXPECT_LE(ulp_error(zs[1], small / c), 2.0);
  EXPECT_TRUE(std::isfinite(zs[2])) << "erfinv just below 1 must be finite";
  EXPECT_LE(ulp_error(zs[2], erfinv_ref(below_one, kcore::cpu::erfinv_f64(below_one))), 2.0);
  EXPECT_EQ(zs[3], -zs[2]);
  const T big = std::numeric_limits<T>::max();
  const auto rs = run(Fn::Rsqrt, std::vector<T>{tiny, small, big});
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const T x = std::vector<T>{tiny, small, big}[i];
    EXPECT_TRUE(std::isfinite(rs[i])) << static_cast<double>(x);
    EXPECT_LE(ulp_error(rs[i], rsqrt_ref(x)), 1.0) << static_cast<double>(x);
  }
}

TEST(MathSpecials, TinyAndExtremeFloat32) {
  check_tiny_and_extreme<float>();
}
TEST(MathSpecials, TinyAndExtremeFloat64) {
  check_tiny_and_extreme<double>();
}

// float32 erfinv's 16-lane kernel works in u = 1 - x^2, with intervals that start at 2^e (1 +
// h/4) for e in [-8, 0) and lanes below 2^-8 computed by the log-based kernel: every x whose u
// lies within 24 floats of an edge (2^-8 and 1 included), alone or beside lanes of the other
// kernel in the same vector, within the bound, of the right sign, through every instruction set.
TEST(MathBounds, Float32ErfinvIntervalEdges) {
  std::vector<float> xs;
  for (int e = -9; e < 0; ++e) {
    for (int h = 0; h < 4; ++h) {
      const double edge = std::ldexp(1.0 + h / 4.0, e);
      float x = static_cast<float>(std::sqrt(1.0 - edge));
      for (int k = 0; k < 24; ++k) x = std::nextafter(x, 0.0F);
      for (int k = 0; k < 48; ++k, x = std::nextafter(x, 1.0F)) xs.push_back(x);
    }
  }
  for (float x = 0; x < 0x1p-11F; x = x * 1.5F + 0x1p-149F) xs.push_back(x);  // u = 1
  std::vector<float> mixed;  // lanes of both kernels in one vector
  for (std::size_t i = 0; i < xs.size(); ++i) {
    mixed.push_back(i % 2 == 0 ? -xs[i] : xs[i]);
    if (i % 7 == 0) mixed.push_back(std::nextafter(1.0F, 0.0F));
    if (i % 11 == 0) mixed.push_back(0.9999F);
  }
  const auto targets = kcore::cpu::math_simd_targets();
  for (auto target : targets) {
    kcore::cpu::math_force_simd_target(target);
    SCOPED_TRACE(kcore::cpu::math_simd_target());
    for (const auto* in : {&xs, &mixed}) {
      std::vector<float> ys(in->size());
      kcore::cpu::math_kernel(kcore::cpu::MathFn::Erfinv, in->data(), ys.data(), in->size());
      for (std::size_t i = 0; i < in->size(); ++i) {
        const float x = (*in)[i];
        EXPECT_LE(ulp_error(ys[i], reference(Fn::Erfinv, x)), max_ulp(Fn::Erfinv)) << x;
        EXPECT_EQ(std::signbit(ys[i]), std::signbit(x)) << x;
      }
    }
  }
  kcore::cpu::math_force_simd_target(0);
}

TEST(MathSpecials, ErfinvJustBelowOne) {
  // TensorFlow returns inf here (keras issue 23133); the value is about 3.8325 in float32.
  const auto y = run(Fn::Erfinv, std::vector<float>{std::nextafter(1.0F, 0.0F)});
  EXPECT_NEAR(y[0], 3.8325, 1e-3);
  const auto z = run(Fn::Erfinv, std::vector<double>{std::nextafter(1.0, 0.0)});
  EXPECT_NEAR(z[0], 5.8636, 1e-3);
}

// ---------------------------------------------------------------------------------------------
// dtypes, layouts, errors
// ---------------------------------------------------------------------------------------------

TEST(MathDtypes, PromotionAndErrors) {
  for (Fn fn : {Fn::Erf, Fn::Erfinv, Fn::Rsqrt}) {
    SCOPED_TRACE(fn_name(fn));
    for (DType d : {DType::Bool, DType::Int8, DType::Int16, DType::Int32, DType::Int64,
                    DType::UInt8, DType::UInt16, DType::UInt32, DType::UInt64}) {
      const Tensor x = kcore::cast(kcore::convert_to_tensor({0, 1, 2}), d);
      const Tensor y = apply(fn, x);
      EXPECT_EQ(y.dtype(), DType::Float32) << kcore::name(d);
      // Promoted, not truncated: the same as the float32 computation.
      const auto expected = apply(fn, kcore::cast(x, DType::Float32)).to_vector<float>();
      const auto got = y.to_vector<float>();
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(got[i] == expected[i] || (std::isnan(got[i]) && std::isnan(expected[i])));
      }
    }
    for (DType d : {DType::Float16, DType::BFloat16, DType::Float32, DType::Float64}) {
      EXPECT_EQ(apply(fn, kcore::zeros({2}, d)).dtype(), d);
    }
    EXPECT_THROW(apply(fn, kcore::zeros({2}, DType::Float8E4M3FN)), kcore::ValueError);
  }
  EXPECT_THROW(kcore::erf(kcore::zeros({2}, DType::Complex64)), kcore::TypeError);
  EXPECT_THROW(kcore::erfinv(kcore::zeros({2}, DType::Complex128)), kcore::TypeError);
  // rsqrt of complex is 1/sqrt(z), as in NumPy and JAX.
  const Tensor z = kcore::rsqrt(kcore::cast(kcore::convert_to_tensor({-4.0}), DType::Complex64));
  EXPECT_EQ(z.dtype(), DType::Complex64);
  const auto zv = z.to_vector<std::complex<float>>();
  EXPECT_NEAR(zv[0].real(), 0.0F, 1e-7F);
  EXPECT_NEAR(zv[0].imag(), -0.5F, 1e-7F);
  // A weak Python-like scalar resolves to float32.
  EXPECT_EQ(kcore::erf(0.5).dtype(), DType::Float32);
  EXPECT_EQ(kcore::erf(0.5).item<float>(), static_cast<float>(erf_ref(0.5L)));
}

TEST(MathLayouts, StridedAndBroadcastInputsMatchContiguous) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-0.99, 0.99);
  std::vector<float> v(6 * 1300);
  for (auto& e : v) e = static_cast<float>(u(rng));
  const Tensor base = kcore::reshape(kcore::convert_to_tensor(v), {6, 1300});
  const Tensor t = kcore::transpose(base);  // (1300, 6), strided
  const Tensor s =
      kcore::getitem(base, {kcore::Slice{1, 5, 2}, kcore::Slice{std::nullopt, std::nullopt, 3}});
  for (Fn fn : {Fn::Erf, Fn::Erfinv, Fn::Rsqrt}) {
    for (const Tensor& x : {t, s}) {
      const auto got = apply(fn, x).to_vector<float>();
      const auto want = apply(fn, kcore::ascontiguous(x)).to_vector<float>();
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_TRUE(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])))
            << fn_name(fn) << " element " << i;
      }
    }
  }
  EXPECT_EQ(kcore::erf(kcore::zeros({0, 3})).shape(), (kcore::Shape{0, 3}));
}

TEST(MathValues, SeedExamples) {
  const auto e =
      kcore::erf(kcore::convert_to_tensor({-3.0, -2.0, -1.0, 0.0, 1.0})).to_vector<float>();
  const std::vector<float> want = {-0.99997791F, -0.99532227F, -0.84270079F, 0.0F, 0.84270079F};
  for (std::size_t i = 0; i < e.size(); ++i) EXPECT_FLOAT_EQ(e[i], want[i]);
  const auto v =
      kcore::erfinv(kcore::convert_to_tensor({-0.5, -0.2, -0.1, 0.0, 0.3})).to_vector<float>();
  const std::vector<float> inv = {-0.47693628F, -0.17914345F, -0.08885599F, 0.0F, 0.27246271F};
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_FLOAT_EQ(v[i], inv[i]);
  const auto r = kcore::rsqrt(kcore::convert_to_tensor({1.0, 10.0, 100.0})).to_vector<float>();
  EXPECT_EQ(r[0], 1.0F);
  EXPECT_EQ(r[1], 0.31622776F);
  EXPECT_EQ(r[2], 0.1F);
  EXPECT_FLOAT_EQ(kcore::logsumexp(kcore::convert_to_tensor({1.0, 2.0, 3.0})).item<float>(),
                  3.40760596F);
}

// ---------------------------------------------------------------------------------------------
// logsumexp
// ---------------------------------------------------------------------------------------------

// The reference: long double, max subtracted, over the reduced positions of each output.
std::vector<long double> lse_reference(const std::vector<double>& x, const kcore::Shape& shape,
                                       const std::vector<std::int64_t>& axes) {
  const std::size_t nd = shape.size();
  std::vector<bool> reduced(nd, false);
  for (auto a : axes) reduced[static_cast<std::size_t>(a)] = true;
  std::int64_t outputs = 1;
  for (std::size_t d = 0; d < nd; ++d) outputs *= reduced[d] ? 1 : shape[d];
  std::vector<std::vector<long double>> groups(static_cast<std::size_t>(outputs));
  std::int64_t total = 1;
  for (auto s : shape) total *= s;
  for (std::int64_t i = 0; i < total; ++i) {
    std::int64_t rest = i, out = 0, mul = 1;
    for (std::size_t d = nd; d-- > 0;) {
      const std::int64_t idx = rest % shape[d];
      rest /= shape[d];
      if (!reduced[d]) {
        out += idx * mul;
        mul *= shape[d];
      }
    }
    groups[static_cast<std::size_t>(out)].push_back(x[static_cast<std::size_t>(i)]);
  }
  std::vector<long double> res;
  for (const auto& g : groups) {
    long double m = -INFINITY;
    bool nan = false;
    for (auto v : g) {
      nan = nan || std::isnan(v);
      m = std::max(m, v);
    }
    if (nan) {
      res.push_back(NAN);
    } else if (!std::isfinite(m)) {
      res.push_back(m);
    } else {
      long double s = 0;
      for (auto v : g) s += std::exp(v - m);
      res.push_back(m + std::log(s));
    }
  }
  return res;
}

template <class T>
void check_lse(const Tensor& x, const std::optional<Axes>& axis, bool keepdims, double tol) {
  const auto xs = kcore::ascontiguous(kcore::cast(x, DType::Float64)).to_vector<double>();
  std::vector<std::int64_t> axes;
  if (axis) {
    for (auto a : *axis) axes.push_back(a < 0 ? a + x.ndim() : a);
  } else {
    for (std::int64_t a = 0; a < x.ndim(); ++a) axes.push_back(a);
  }
  const Tensor y = kcore::logsumexp(x, axis, keepdims);
  kcore::Shape shape;
  for (std::int64_t d = 0; d < x.ndim(); ++d) {
    const bool r = std::find(axes.begin(), axes.end(), d) != axes.end();
    if (!r) shape.push_back(x.shape()[static_cast<std::size_t>(d)]);
    if (r && keepdims) shape.push_back(1);
  }
  ASSERT_EQ(y.shape(), shape);
  ASSERT_EQ(y.dtype(), kcore::dtype_of<T>);
  const auto ref = lse_reference(xs, x.shape(), axes);
  const auto got = kcore::cast(y, DType::Float64).to_vector<double>();
  ASSERT_EQ(got.size(), ref.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(ref[i]) || std::isinf(ref[i])) {
      EXPECT_TRUE(std::isnan(ref[i]) ? std::isnan(got[i]) : got[i] == ref[i]) << i;
    } else {
      EXPECT_NEAR(got[i], static_cast<double>(ref[i]), tol * std::max(1.0L, std::fabs(ref[i])))
          << "output " << i;
    }
  }
}

TEST(LogSumExp, RandomShapesAxesAndLayouts) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0, 3);
  for (int trial = 0; trial < 40; ++trial) {
    const int rank = 1 + trial % 4;
    kcore::Shape shape;
    for (int d = 0; d < rank; ++d) shape.push_back(1 + static_cast<std::int64_t>(rng() % 7));
    std::vector<double> v(static_cast<std::size_t>(kcore::shape_size(shape)));
    for (auto& e : v) e = normal(rng);
    Tensor x = kcore::reshape(kcore::convert_to_tensor(v), shape);
    if (trial % 3 == 1) x = kcore::transpose(x);  // strided
    std::optional<Axes> axis;
    if (trial % 5 != 0) {
      Axes a;
      for (std::int64_t d = 0; d < x.ndim(); ++d) {
        if (rng() % 2) a.push_back(rng() % 2 ? d : d - x.ndim());
      }
      if (a.empty()) a.push_back(-1);
      axis = a;
    }
    const bool keepdims = trial % 2 == 0;
    check_lse<double>(x, axis, keepdims, 1e-15);
    check_lse<float>(kcore::cast(x, DType::Float32), axis, keepdims, 1e-6);
  }
}

TEST(LogSumExp, SpecialValues) {
  const Tensor x =
      kcore::convert_to_tensor(std::vector<double>{-kInf, -kInf, -kInf,   // all -inf
                                                   1.0, kInf, -kInf,      // +inf
                                                   1.0, kNaN, kInf,       // NaN wins
                                                   -kInf, 2.0, -kInf,     // one finite
                                                   1000.0, 1000.0, -1e9,  // large: no overflow
                                                   -1000.0, -1000.0, -1000.0});
  const Tensor m = kcore::reshape(x, {6, 3});
  for (DType d : {DType::Float16, DType::BFloat16, DType::Float32, DType::Float64}) {
    SCOPED_TRACE(std::string(kcore::name(d)));
    const auto y = kcore::cast(kcore::logsumexp(kcore::cast(m, d), Axes{1}), DType::Float64)
                       .to_vector<double>();
    EXPECT_EQ(y[0], -kInf);
    EXPECT_EQ(y[1], kInf);
    EXPECT_TRUE(std::isnan(y[2]));
    EXPECT_EQ(y[3], 2.0);
    if (d == DType::Float32 || d == DType::Float64) {
      EXPECT_NEAR(y[4], 1000.0 + std::log(2.0), 1e-4);
      EXPECT_NEAR(y[5], -1000.0 + std::log(3.0), 1e-4);
    }
  }
  // Empty reduction: -inf; empty output: empty.
  const Tensor e = kcore::logsumexp(kcore::zeros({3, 0}), Axes{1});
  EXPECT_EQ(e.shape(), (kcore::Shape{3}));
  for (float v : e.to_vector<float>()) EXPECT_EQ(v, -INFINITY);
  EXPECT_EQ(kcore::logsumexp(kcore::zeros({0, 4}), Axes{1}).shape(), (kcore::Shape{0}));
  EXPECT_EQ(kcore::logsumexp(kcore::zeros({0})).item<float>(), -INFINITY);
}

// One NaN or +inf anywhere in a row, inside the SIMD vectors or the scalar tail, of rows long
// and short, float32 and float64.
TEST(LogSumExp, SpecialValuesAtEveryPosition) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (std::size_t n : {1, 5, 8, 17, 40, 2048, 2100, 5000}) {
      for (std::size_t at : {std::size_t{0}, n / 3, n / 2, n - 1}) {
        std::vector<double> v(n, 0.5);
        v[at] = kNaN;
        const auto x = kcore::cast(kcore::convert_to_tensor(v), dtype);
        EXPECT_TRUE(std::isnan(kcore::cast(kcore::logsumexp(x), DType::Float64).item<double>()))
            << "NaN at " << at << " of " << n;
        v[at] = kInf;
        const auto y = kcore::cast(kcore::convert_to_tensor(v), dtype);
        EXPECT_EQ(kcore::cast(kcore::logsumexp(y), DType::Float64).item<double>(), kInf)
            << "+inf at " << at << " of " << n;
      }
    }
  }
}

TEST(LogSumExp, DtypesAndErrors) {
  const Tensor i = kcore::convert_to_tensor({1, 2, 3});
  EXPECT_EQ(kcore::logsumexp(i).dtype(), DType::Float32);
  EXPECT_FLOAT_EQ(kcore::logsumexp(i).item<float>(), 3.40760596F);
  EXPECT_EQ(kcore::logsumexp(kcore::convert_to_tensor({true, false})).dtype(), DType::Float32);
  for (DType d : {DType::Float16, DType::BFloat16, DType::Float32, DType::Float64}) {
    EXPECT_EQ(kcore::logsumexp(kcore::zeros({2, 3}, d), Axes{0}).dtype(), d);
  }
  // float16 accumulates in float32: 4096 ones give log(4096) + 0 exactly representable sums.
  const Tensor h = kcore::zeros({70000}, DType::Float16);
  EXPECT_EQ(static_cast<float>(kcore::logsumexp(h).item<float16>()),
            static_cast<float>(float16(std::log(70000.0))));
  EXPECT_THROW(kcore::logsumexp(kcore::zeros({2, 3}), Axes{2}), kcore::ValueError);
  EXPECT_THROW(kcore::logsumexp(kcore::zeros({2, 3}), Axes{-3}), kcore::ValueError);
  EXPECT_THROW(kcore::logsumexp(kcore::zeros({2, 3}), Axes{1, -1}), kcore::ValueError);
  EXPECT_THROW(kcore::logsumexp(kcore::zeros({2}, DType::Complex64)), kcore::TypeError);
  EXPECT_THROW(kcore::logsumexp(kcore::zeros({2}, DType::Float8E5M2)), kcore::ValueError);
  const Tensor s = kcore::logsumexp(kcore::zeros({2, 3}), std::nullopt, true);
  EXPECT_EQ(s.shape(), (kcore::Shape{1, 1}));
}

TEST(LogSumExp, LongRowsAreThreadCountIndependent) {
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0, 4);
  std::vector<float> v(300001);
  for (auto& e : v) e = static_cast<float>(normal(rng));
  const Tensor x = kcore::convert_to_tensor(v);
  const Tensor m =
      kcore::reshape(kcore::getitem(x, {kcore::Slice{0, 300000, std::nullopt}}), {3, 100000});
  const int threads = kcore::num_threads();
  std::vector<std::vector<float>> results;
  for (int t : {1, 2, 4}) {
    kcore::set_num_threads(t);
    results.push_back(kcore::logsumexp(x).to_vector<float>());
    const auto rows = kcore::logsumexp(m, Axes{1}).to_vector<float>();
    const auto cols = kcore::logsumexp(m, Axes{0}).to_vector<float>();
    results.back().insert(results.back().end(), rows.begin(), rows.end());
    results.back().insert(results.back().end(), cols.begin(), cols.end());
  }
  kcore::set_num_threads(threads);
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
  check_lse<float>(x, std::nullopt, false, 1e-6);
  check_lse<float>(m, Axes{1}, false, 1e-6);
}

// The float32 sums run through a SIMD exp, chunk by chunk, rescaled when a later chunk raises
// the max: rows of every length around the vector and chunk sizes, maxima that rise, fall or sit
// in the middle, wide and narrow spreads and -inf elements. Each row is shifted so that its result
// is near 1.5, where an ulp is as fine as the sum's error, and must be within 1 ulp of it.
TEST(LogSumExp, Float32RowsWithinOneUlp) {
  std::mt19937 rng(17);
  std::normal_distribution<double> normal(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  double worst = 0;
  for (std::size_t n : {1, 7, 8, 31, 32, 33, 2047, 2048, 2049, 4100, 9000, 65536, 70000}) {
    for (int pattern = 0; pattern < 5; ++pattern) {
      const double spread = std::pow(10.0, -3 + 5 * uniform(rng));
      std::vector<float> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        const double ramp = static_cast<double>(i) / static_cast<double>(n);
        double e = spread * normal(rng);
        if (pattern == 1) e = 40 * ramp;  // the max rises chunk by chunk
        if (pattern == 2) e = -40 * ramp;
        if (pattern == 3 && i % 5 == 0) e = -kInf;
        if (pattern == 4) e = (i == n / 2 ? 30.0 : spread * normal(rng));
        v[i] = static_cast<float>(e);
      }
      // Shift the row so that its logsumexp is near 1.5, where an ulp (2^-23) is as fine as the
      // sum's own error.
      long double shift = -std::numeric_limits<long double>::infinity();
      for (float e : v) shift = std::max<long double>(shift, e);
      if (std::isfinite(shift)) {
        long double t = 0;
        for (float e : v) t += std::exp(static_cast<long double>(e) - shift);
        shift += std::log(t) - 1.5L;
        for (auto& e : v) e = static_cast<float>(e - shift);
      }
      long double s = 0;
      float m = -std::numeric_limits<float>::infinity();
      for (float e : v) m = std::max(m, e);
      for (float e : v) s += std::exp(static_cast<long double>(e) - m);
      const float got = kcore::logsumexp(kcore::convert_to_tensor(v)).to_vector<float>()[0];
      if (m == -std::numeric_limits<float>::infinity()) {
        EXPECT_EQ(got, m) << "n " << n;
        continue;
      }
      const double ref = static_cast<double>(m + std::log(s));
      const float ref32 = std::fabs(static_cast<float>(ref));
      const double ulp = std::nextafterf(ref32, std::numeric_limits<float>::infinity()) - ref32;
      worst = std::max(worst, std::fabs(got - ref) / ulp);
      EXPECT_LE(std::fabs(got - ref), ulp)
          << "n " << n << " pattern " << pattern << ": " << got << " vs " << ref;
    }
  }
  std::printf("worst: %.3f ulp\n", worst);
}

TEST(MathGradients, MatchTheFormulas) {
  const Tensor x = kcore::convert_to_tensor(std::vector<double>{-1.5, -0.2, 0.0, 0.7});
  auto total = [](std::function<Tensor(const Tensor&)> f) {
    return std::function<Tensor(const Tensor&)>([f](const Tensor& v) { return kcore::sum(f(v)); });
  };
  const auto ge =
      kcore::grad(total([](const Tensor& v) { return kcore::erf(v); }))(x).to_vector<double>();
  const auto gi =
      kcore::grad(total([](const Tensor& v) { return kcore::erfinv(v); }))(x).to_vector<double>();
  const auto xv = x.to_vector<double>();
  for (std::size_t i = 0; i < xv.size(); ++i) {
    EXPECT_NEAR(ge[i], 2 / std::sqrt(M_PI) * std::exp(-xv[i] * xv[i]), 1e-15);
    if (std::fabs(xv[i]) < 1) {
      const double y = static_cast<double>(erfinv_ref(xv[i], kcore::cpu::erfinv_f64(xv[i])));
      EXPECT_NEAR(gi[i], std::sqrt(M_PI) / 2 * std::exp(y * y), 1e-14);
    }
  }
  const Tensor p = kcore::convert_to_tensor(std::vector<double>{0.25, 4.0});
  const auto gr =
      kcore::grad(total([](const Tensor& v) { return kcore::rsqrt(v); }))(p).to_vector<double>();
  EXPECT_DOUBLE_EQ(gr[0], -0.5 * std::pow(0.25, -1.5));
  EXPECT_DOUBLE_EQ(gr[1], -0.5 * std::pow(4.0, -1.5));
  const Tensor m =
      kcore::reshape(kcore::convert_to_tensor(std::vector<double>{1, 2, 3, 4, 5, 7}), {2, 3});
  const auto gl = kcore::grad(std::function<Tensor(const Tensor&)>(
      [](const Tensor& v) { return kcore::sum(kcore::logsumexp(v, Axes{1})); }))(m)
                      .to_vector<double>();
  const auto mv = m.to_vector<double>();
  for (int r = 0; r < 2; ++r) {
    double s = 0;
    for (int c = 0; c < 3; ++c) s += std::exp(mv[r * 3 + c]);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(gl[r * 3 + c], std::exp(mv[r * 3 + c]) / s, 1e-15);
  }
}

}  // namespace

namespace {

// Every instruction set compiled in and supported here (AVX-512, AVX2, SSE4 without FMA, the
// scalar fallbacks, ...) gives the same float32 and float64 results as the best one, except
// float32 erfinv, whose 16-lane targets use intervals of u = 1 - x^2 and the others a log (with a
// reciprocal estimate that differs between them), and float32 erf, whose 16-lane targets use 16
// intervals and the others 8 (last-bit differences allowed, bound kept).
TEST(MathTargets, EveryInstructionSetAgrees) {
  using kcore::cpu::MathFn;
  const auto targets = kcore::cpu::math_simd_targets();
  ASSERT_FALSE(targets.empty());
  std::vector<std::vector<float>> f32_in;
  std::vector<std::vector<double>> f64_in;
  for (Fn fn : {Fn::Erf, Fn::Erfinv, Fn::Rsqrt}) {
    f32_in.push_back(hard_inputs<float>(fn, 4000, 99));
    f64_in.push_back(hard_inputs<double>(fn, 2000, 98));
  }
  auto run_all = [&] {
    std::vector<std::vector<float>> f32_out;
    std::vector<std::vector<double>> f64_out;
    for (int k = 0; k < 3; ++k) {
      f32_out.emplace_back(f32_in[k].size());
      kcore::cpu::math_kernel(static_cast<MathFn>(k), f32_in[k].data(), f32_out.back().data(),
                              f32_in[k].size());
      f64_out.emplace_back(f64_in[k].size());
      kcore::cpu::math_kernel(static_cast<MathFn>(k), f64_in[k].data(), f64_out.back().data(),
                              f64_in[k].size());
    }
    return std::make_pair(f32_out, f64_out);
  };
  auto same = [](auto a, auto b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  kcore::cpu::math_force_simd_target(targets.front());
  const auto best = run_all();
  const std::string best_name = kcore::cpu::math_simd_target();
  for (auto target : targets) {
    kcore::cpu::math_force_simd_target(target);
    const std::string name = kcore::cpu::math_simd_target();
    const auto got = run_all();
    for (int k = 0; k < 3; ++k) {
      const Fn fn = static_cast<Fn>(k);
      for (std::size_t i = 0; i < f32_in[k].size(); ++i) {
        const float g = got.first[k][i];
        const float b = best.first[k][i];
        if ((fn == Fn::Erfinv || fn == Fn::Erf) && !same(g, b)) {
          EXPECT_LE(ulp_error(g, reference(fn, f32_in[k][i])), max_ulp(fn)) << name;
          EXPECT_LE(std::fabs(static_cast<double>(g) - b),
                    std::fabs(static_cast<double>(std::nextafter(b, 0.0F)) - b))
              << name << " vs " << best_name << " " << fn_name(fn) << "(" << f32_in[k][i] << ")";
        } else {
          EXPECT_TRUE(same(g, b)) << name << " vs " << best_name << " " << fn_name(fn) << "("
                                  << f32_in[k][i] << "): " << g << " vs " << b;
        }
      }
      for (std::size_t i = 0; i < f64_in[k].size(); ++i) {
        EXPECT_TRUE(same(got.second[k][i], best.second[k][i]))
            << name << " vs " << best_name << " float64 " << fn_name(fn) << "(" << f64_in[k][i]
            << ")";
      }
    }
    const auto lse = kcore::cpu::lse_block(f32_in[0].data(), f32_in[0].size());
    kcore::cpu::math_force_simd_target(targets.front());
    const auto lse_best = kcore::cpu::lse_block(f32_in[0].data(), f32_in[0].size());
    EXPECT_NEAR(lse.sum, lse_best.sum, 1e-7 * lse_best.sum) << name;  // exp within an ulp
    EXPECT_EQ(lse.max, lse_best.max) << name;
  }
  kcore::cpu::math_force_simd_target(0);
}

}  // namespace
