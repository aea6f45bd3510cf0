// Elementwise ops: every op over every dtype it accepts, against reference loops over random
// shapes, values and layouts (contiguous, strided with negative steps, broadcast views); result
// dtypes by Keras promotion; NumPy broadcasting; wraparound; errors; the parallel path.

#include <gtest/gtest.h>

#include <bit>
#include <functional>
#include <optional>

#include "core_test_helpers.h"

namespace kcore_test {
namespace {

using kcore::DTypeArg;

enum class Arith { Add, Subtract, Multiply, Divide };
enum class Cmp { Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual };
enum class Math { Exp, Log, Sqrt };

Tensor apply(Arith op, const Tensor& a, const Tensor& b) {
  switch (op) {
    case Arith::Add:
      return kcore::add(a, b);
    case Arith::Subtract:
      return kcore::subtract(a, b);
    case Arith::Multiply:
      return kcore::multiply(a, b);
    case Arith::Divide:
      return kcore::divide(a, b);
  }
  return {};
}

Tensor apply(Cmp op, const Tensor& a, const Tensor& b) {
  switch (op) {
    case Cmp::Equal:
      return kcore::equal(a, b);
    case Cmp::NotEqual:
      return kcore::not_equal(a, b);
    case Cmp::Less:
      return kcore::less(a, b);
    case Cmp::LessEqual:
      return kcore::less_equal(a, b);
    case Cmp::Greater:
      return kcore::greater(a, b);
    case Cmp::GreaterEqual:
      return kcore::greater_equal(a, b);
  }
  return {};
}

Tensor apply(Math op, const Tensor& x) {
  switch (op) {
    case Math::Exp:
      return kcore::exp(x);
    case Math::Log:
      return kcore::log(x);
    case Math::Sqrt:
      return kcore::sqrt(x);
  }
  return {};
}

const char* op_name(Arith op) {
  switch (op) {
    case Arith::Add:
      return "add";
    case Arith::Subtract:
      return "subtract";
    case Arith::Multiply:
      return "multiply";
    case Arith::Divide:
      return "divide";
  }
  return "";
}

const char* op_name(Cmp op) {
  switch (op) {
    case Cmp::Equal:
      return "equal";
    case Cmp::NotEqual:
      return "not_equal";
    case Cmp::Less:
      return "less";
    case Cmp::LessEqual:
      return "less_equal";
    case Cmp::Greater:
      return "greater";
    case Cmp::GreaterEqual:
      return "greater_equal";
  }
  return "";
}

// ---- Reference arithmetic, one element at a time --------------------------------------------

// Integer results modulo 2^bits, computed in 64-bit unsigned arithmetic.
template <class T>
T wrap(std::uint64_t v) {
  return static_cast<T>(v);
}

template <class T>
T ref_arith(Arith op, T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return op == Arith::Add ? (a || b) : (a && b);
  } else if constexpr (is_int_v<T>) {
    const auto x = static_cast<std::uint64_t>(a);
    const auto y = static_cast<std::uint64_t>(b);
    switch (op) {
      case Arith::Add:
        return wrap<T>(x + y);
      case Arith::Subtract:
        return wrap<T>(x - y);
      default:
        return wrap<T>(x * y);
    }
  } else {
    const auto x = widen(a);
    const auto y = widen(b);
    switch (op) {
      case Arith::Add:
        return narrow<T>(x + y);
      case Arith::Subtract:
        return narrow<T>(x - y);
      case Arith::Multiply:
        return narrow<T>(x * y);
      default:
        return narrow<T>(x / y);
    }
  }
}

template <class T>
bool truthy(T v) {
  if constexpr (is_complex_v<T>) {
    return v.real() != 0 || v.imag() != 0;
  } else if constexpr (is_narrow_v<T>) {
    return static_cast<float>(v) != 0.0F;
  } else {
    return v != T(0);
  }
}

template <class T>
bool ref_compare(Cmp op, T a, T b) {
  const auto x = widen(a);
  const auto y = widen(b);
  if constexpr (is_complex_v<T>) {
    return op == Cmp::Equal ? x == y : x != y;
  } else {
    switch (op) {
      case Cmp::Equal:
        return x == y;
      case Cmp::NotEqual:
        return x != y;
      case Cmp::Less:
        return x < y;
      case Cmp::LessEqual:
        return x <= y;
      case Cmp::Greater:
        return x > y;
      default:
        return x >= y;
    }
  }
}

template <class T>
T ref_negative(T x) {
  if constexpr (is_int_v<T>) {
    return wrap<T>(std::uint64_t{0} - static_cast<std::uint64_t>(x));
  } else {
    return narrow<T>(-widen(x));
  }
}

template <class T>
auto ref_abs(T x) {
  if constexpr (std::is_same_v<T, bool> || std::is_unsigned_v<T>) {
    return x;
  } else if constexpr (is_int_v<T>) {
    return x < 0 ? ref_negative(x) : x;
  } else if constexpr (is_complex_v<T>) {
    return std::abs(x);
  } else {
    return narrow<T>(std::fabs(widen(x)));
  }
}

// exp, log, sqrt: bool and integers are computed in float32.
template <class T>
auto ref_math(Math op, T v) {
  auto f = [op](auto x) {
    switch (op) {
      case Math::Exp:
        return decltype(x)(std::exp(x));
      case Math::Log:
        return decltype(x)(std::log(x));
      default:
        return decltype(x)(std::sqrt(x));
    }
  };
  if constexpr (std::is_same_v<T, bool> || is_int_v<T>) {
    return f(static_cast<float>(v));
  } else if constexpr (is_complex_v<T>) {
    return f(v);
  } else {
    return narrow<T>(f(widen(v)));
  }
}

// The result dtype each op must give for same-dtype operands of type T.
template <class T>
DType arith_dtype(Arith op) {
  if (op == Arith::Divide && (std::is_same_v<T, bool> || is_int_v<T>)) return DType::Float32;
  return kcore::dtype_of<T>;
}

template <class T>
DType real_dtype() {
  if constexpr (std::is_same_v<T, c64>) {
    return DType::Float32;
  } else if constexpr (std::is_same_v<T, c128>) {
    return DType::Float64;
  } else {
    return kcore::dtype_of<T>;
  }
}

// ---- Random operands ----------------------------------------------------------------------

// A tensor of `values` over `shape`, laid out one of three ways: contiguous, scattered (strides
// with gaps and negative steps), or a broadcast view (stride 0) of it to `target`.
template <class T>
Tensor some_layout(const std::vector<T>& values, const Shape& shape, const Shape& target,
                   std::mt19937& rng) {
  switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
    case 0:
      return make(values, shape);
    case 1:
      return scattered(values, shape, rng);
    default:
      return kcore::broadcast_to(scattered(values, shape, rng), target);
  }
}

struct BinaryCase {
  Shape a_shape, b_shape, out_shape;
};

BinaryCase random_binary_case(std::mt19937& rng, int trial) {
  const Shape out = random_shape(rng, 0, 4, 5, trial % 8 == 7 ? 0 : 1);
  Shape a = broadcastable_shape(rng, out);
  Shape b = broadcastable_shape(rng, out);
  if (trial % 2 == 0) a = out;
  return {a, b, reference_broadcast(a, b)};
}

// Checks op(a, b) for random a, b of dtype T against `ref` elementwise.
template <class T, class O, class Op, class Ref>
void check_binary(std::mt19937& rng, Op op, Ref ref, DType expected_dtype, double rel,
                  int trials = 12) {
  for (int trial = 0; trial < trials; ++trial) {
    const BinaryCase c = random_binary_case(rng, trial);
    const auto av = random_values<T>(rng, numel(c.a_shape));
    const auto bv = random_values<T>(rng, numel(c.b_shape));
    const Tensor a = some_layout(av, c.a_shape, c.out_shape, rng);
    const Tensor b = some_layout(bv, c.b_shape, c.out_shape, rng);
    const Tensor r = op(a, b);
    ASSERT_EQ(r.dtype(), expected_dtype)
        << "operands " << dtype_name(kcore::dtype_of<T>) << ", got " << dtype_name(r.dtype());
    ASSERT_EQ(r.shape(), c.out_shape);
    EXPECT_FALSE(r.weak());
    std::vector<O> expected;
    for (std::int64_t i = 0; i < numel(c.out_shape); ++i) {
      const auto idx = unravel(i, c.out_shape);
      expected.push_back(static_cast<O>(
          ref(av[broadcast_source(idx, c.a_shape)], bv[broadcast_source(idx, c.b_shape)])));
    }
    const auto got = r.to_vector<O>();
    if (rel < 0) {
      ASSERT_TRUE(all_same(got, expected))
          << dtype_name(kcore::dtype_of<T>) << " " << kcore::format_shape(c.a_shape) << " with "
          << kcore::format_shape(c.b_shape);
    } else {
      ASSERT_TRUE(all_close(got, expected, rel))
          << dtype_name(kcore::dtype_of<T>) << " " << kcore::format_shape(c.a_shape) << " with "
          << kcore::format_shape(c.b_shape);
    }
  }
}

template <class T, class O, class Op, class Ref>
void check_unary(std::mt19937& rng, Op op, Ref ref, DType expected_dtype, double rel,
                 int trials = 12) {
  for (int trial = 0; trial < trials; ++trial) {
    const Shape target = random_shape(rng, 0, 4, 5, trial % 8 == 7 ? 0 : 1);
    const Shape shape = trial % 3 == 0 ? broadcastable_shape(rng, target) : target;
    const auto xv = random_values<T>(rng, numel(shape));
    const Tensor x = some_layout(xv, shape, target, rng);
    const Tensor r = op(x);
    ASSERT_EQ(r.dtype(), expected_dtype) << "input " << dtype_name(kcore::dtype_of<T>);
    ASSERT_EQ(r.shape(), x.shape());
    std::vector<O> expected;
    for (std::int64_t i = 0; i < numel(x.shape()); ++i) {
      expected.push_back(static_cast<O>(ref(xv[broadcast_source(unravel(i, x.shape()), shape)])));
    }
    const auto got = r.to_vector<O>();
    if (rel < 0) {
      ASSERT_TRUE(all_same(got, expected)) << dtype_name(kcore::dtype_of<T>);
    } else {
      ASSERT_TRUE(all_close(got, expected, rel)) << dtype_name(kcore::dtype_of<T>);
    }
  }
}

// ---- Arithmetic over every dtype ----------------------------------------------------------

TEST(Elementwise, ArithmeticOverEveryDtype) {
  std::mt19937 rng(2024);
  for (Arith op : {Arith::Add, Arith::Subtract, Arith::Multiply, Arith::Divide}) {
    for_each_type(NumericTypes{}, [&]<class T>() {
      SCOPED_TRACE(std::string(op_name(op)) + " " + dtype_name(kcore::dtype_of<T>));
      const auto f = [op](const Tensor& a, const Tensor& b) { return apply(op, a, b); };
      if constexpr (std::is_same_v<T, bool>) {
        if (op == Arith::Subtract) return;  // TypeError, tested below
      }
      if constexpr (std::is_same_v<T, bool> || is_int_v<T>) {
        if (op == Arith::Divide) {
          check_binary<T, float>(
              rng, f, [](T a, T b) { return static_cast<float>(a) / static_cast<float>(b); },
              DType::Float32, -1);
          return;
        }
      }
      // Complex division may be computed by any accurate formula.
      const double rel = is_complex_v<T> && op == Arith::Divide ? ulps<T>(8) : -1;
      check_binary<T, T>(
          rng, f, [op](T a, T b) { return ref_arith(op, a, b); }, arith_dtype<T>(op), rel);
    });
  }
}

TEST(Elementwise, UnaryOverEveryDtype) {
  std::mt19937 rng(77);
  for_each_type(NumericTypes{}, [&]<class T>() {
    SCOPED_TRACE(dtype_name(kcore::dtype_of<T>));
    if constexpr (!std::is_same_v<T, bool>) {
      check_unary<T, T>(
          rng, [](const Tensor& x) { return kcore::negative(x); },
          [](T v) { return ref_negative(v); }, kcore::dtype_of<T>, -1);
    }
    using A = decltype(ref_abs(T{}));
    check_unary<T, A>(
        rng, [](const Tensor& x) { return kcore::abs(x); }, [](T v) { return ref_abs(v); },
        real_dtype<T>(), is_complex_v<T> ? ulps<T>(4) : -1);
    for (Math op : {Math::Exp, Math::Log, Math::Sqrt}) {
      using M = decltype(ref_math(op, T{}));
      const DType d = kcore::dtype_of<M>;
      const double rel = std::is_same_v<M, T> ? ulps<T>(4) : ulps<float>(4);
      check_unary<T, M>(
          rng, [op](const Tensor& x) { return apply(op, x); },
          [op](T v) { return ref_math(op, v); }, d, rel);
    }
    check_unary<T, bool>(
        rng, [](const Tensor& x) { return kcore::logical_not(x); }, [](T v) { return !truthy(v); },
        DType::Bool, -1);
  });
}

TEST(Elementwise, ComparisonsOverEveryDtype) {
  std::mt19937 rng(5);
  for_each_type(NumericTypes{}, [&]<class T>() {
    for (Cmp op :
         {Cmp::Equal, Cmp::NotEqual, Cmp::Less, Cmp::LessEqual, Cmp::Greater, Cmp::GreaterEqual}) {
      if (is_complex_v<T> && op != Cmp::Equal && op != Cmp::NotEqual) continue;
      SCOPED_TRACE(std::string(op_name(op)) + " " + dtype_name(kcore::dtype_of<T>));
      // Small integers so that equal values actually occur.
      check_binary<T, bool>(
          rng, [op](const Tensor& a, const Tensor& b) { return apply(op, a, b); },
          [op](T a, T b) { return ref_compare(op, a, b); }, DType::Bool, -1, 6);
    }
  });
}

TEST(Elementwise, ComparisonsSeeEqualValues) {
  std::mt19937 rng(6);
  const Shape shape = {40};
  std::vector<std::int16_t> av;
  std::vector<std::int16_t> bv;
  for (int i = 0; i < 40; ++i) {
    av.push_back(static_cast<std::int16_t>(std::uniform_int_distribution<int>(-2, 2)(rng)));
    bv.push_back(static_cast<std::int16_t>(std::uniform_int_distribution<int>(-2, 2)(rng)));
  }
  const Tensor a = make(av, shape);
  const Tensor b = scattered(bv, shape, rng);
  for (Cmp op :
       {Cmp::Equal, Cmp::NotEqual, Cmp::Less, Cmp::LessEqual, Cmp::Greater, Cmp::GreaterEqual}) {
    std::vector<bool> expected;
    for (int i = 0; i < 40; ++i) expected.push_back(ref_compare(op, av[i], bv[i]));
    EXPECT_EQ(apply(op, a, b).to_vector<bool>(), expected) << op_name(op);
  }
  // NaN is unequal to everything, itself included.
  const Tensor nan = kcore::convert_to_tensor({NAN, 1.0F});
  EXPECT_EQ(kcore::equal(nan, nan).to_vector<bool>(), (std::vector<bool>{false, true}));
  EXPECT_EQ(kcore::not_equal(nan, nan).to_vector<bool>(), (std::vector<bool>{true, false}));
  EXPECT_EQ(kcore::less_equal(nan, nan).to_vector<bool>(), (std::vector<bool>{false, true}));
}

TEST(Elementwise, LogicalOpsOverEveryDtype) {
  std::mt19937 rng(8);
  for_each_type(NumericTypes{}, [&]<class T>() {
    SCOPED_TRACE(dtype_name(kcore::dtype_of<T>));
    check_binary<T, bool>(
        rng, [](const Tensor& a, const Tensor& b) { return kcore::logical_and(a, b); },
        [](T a, T b) { return truthy(a) && truthy(b); }, DType::Bool, -1, 6);
    check_binary<T, bool>(
        rng, [](const Tensor& a, const Tensor& b) { return kcore::logical_or(a, b); },
        [](T a, T b) { return truthy(a) || truthy(b); }, DType::Bool, -1, 6);
  });
  // NaN is true.
  EXPECT_TRUE(kcore::logical_and(kcore::convert_to_tensor({NAN}), true).to_vector<bool>()[0]);
  EXPECT_FALSE(kcore::logical_not(kcore::convert_to_tensor({NAN})).to_vector<bool>()[0]);
}

// ---- Special values -----------------------------------------------------------------------

TEST(Elementwise, IntegerArithmeticWraps) {
  const Tensor i8 = kcore::convert_to_tensor(std::vector<std::int8_t>{127, -128, 100, -1});
  EXPECT_EQ((i8 + 1).to_vector<std::int8_t>(), (std::vector<std::int8_t>{-128, -127, 101, 0}));
  EXPECT_EQ((i8 - 1).to_vector<std::int8_t>(), (std::vector<std::int8_t>{126, 127, 99, -2}));
  EXPECT_EQ((i8 * 2).to_vector<std::int8_t>(), (std::vector<std::int8_t>{-2, 0, -56, -2}));
  EXPECT_EQ(kcore::negative(i8).to_vector<std::int8_t>(),
            (std::vector<std::int8_t>{-127, -128, -100, 1}));
  EXPECT_EQ(kcore::abs(i8).to_vector<std::int8_t>(), (std::vector<std::int8_t>{127, -128, 100, 1}));

  const Tensor u8 = kcore::convert_to_tensor(std::vector<std::uint8_t>{0, 255, 16});
  EXPECT_EQ((u8 - 1).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{255, 254, 15}));
  EXPECT_EQ((u8 * u8).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 1, 0}));
  EXPECT_EQ(kcore::negative(u8).to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 1, 240}));

  const Tensor u16 = kcore::convert_to_tensor(std::vector<std::uint16_t>{65535, 300});
  EXPECT_EQ((u16 * u16).to_vector<std::uint16_t>(), (std::vector<std::uint16_t>{1, 24464}));
  const Tensor i16 = kcore::convert_to_tensor(std::vector<std::int16_t>{-32768, 32767});
  EXPECT_EQ((i16 * i16).to_vector<std::int16_t>(), (std::vector<std::int16_t>{0, 1}));

  const Tensor i32 = kcore::convert_to_tensor({2147483647, -2147483647 - 1});
  EXPECT_EQ((i32 + 1).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{-2147483647 - 1, -2147483647}));
  EXPECT_EQ((i32 * i32).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0}));
  EXPECT_EQ(kcore::abs(i32).to_vector<std::int32_t>()[1], -2147483647 - 1);

  const auto i64min = std::numeric_limits<std::int64_t>::min();
  const Tensor i64 = kcore::convert_to_tensor(std::vector<std::int64_t>{i64min, -1});
  EXPECT_EQ(kcore::negative(i64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{i64min, 1}));
  EXPECT_EQ((i64 - 1).to_vector<std::int64_t>()[0], std::numeric_limits<std::int64_t>::max());
  const Tensor u64 = kcore::convert_to_tensor(std::vector<std::uint64_t>{0, ~std::uint64_t{0}});
  EXPECT_EQ((u64 + u64).to_vector<std::uint64_t>(),
            (std::vector<std::uint64_t>{0, ~std::uint64_t{0} - 1}));
}

TEST(Elementwise, IntegerDivisionIsTrueDivisionInFloat32) {
  const Tensor a = kcore::convert_to_tensor({7, -7, 1, 0, -3});
  const Tensor b = kcore::convert_to_tensor({2, 2, 0, 0, 4});
  const Tensor q = a / b;
  EXPECT_EQ(q.dtype(), DType::Float32);
  const auto v = q.to_vector<float>();
  EXPECT_EQ(v[0], 3.5F);
  EXPECT_EQ(v[1], -3.5F);
  EXPECT_EQ(v[2], INFINITY);
  EXPECT_TRUE(std::isnan(v[3]));
  EXPECT_EQ(v[4], -0.75F);
  EXPECT_EQ(kcore::divide(kcore::convert_to_tensor({true}), true).dtype(), DType::Float32);
  EXPECT_EQ(kcore::divide(kcore::convert_to_tensor(std::vector<std::int64_t>{1}), 2).dtype(),
            DType::Float32);
  EXPECT_EQ(kcore::divide(kcore::convert_to_tensor(std::vector<double>{1}), 2).dtype(),
            DType::Float64);
  EXPECT_EQ(kcore::divide(kcore::cast(a, DType::Float16), 2).dtype(), DType::Float16);
}

TEST(Elementwise, FloatSpecialValues) {
  const Tensor x = kcore::convert_to_tensor({-1.0F, 0.0F, -0.0F, INFINITY, -INFINITY, NAN});
  const auto lg = kcore::log(x).to_vector<float>();
  EXPECT_TRUE(std::isnan(lg[0]));
  EXPECT_EQ(lg[1], -INFINITY);
  EXPECT_EQ(lg[2], -INFINITY);
  EXPECT_EQ(lg[3], INFINITY);
  EXPECT_TRUE(std::isnan(lg[4]));
  EXPECT_TRUE(std::isnan(lg[5]));
  const auto sq = kcore::sqrt(x).to_vector<float>();
  EXPECT_TRUE(std::isnan(sq[0]));
  EXPECT_TRUE(std::signbit(sq[2]));
  EXPECT_EQ(sq[3], INFINITY);
  const auto ex = kcore::exp(x).to_vector<float>();
  EXPECT_EQ(ex[3], INFINITY);
  EXPECT_EQ(ex[4], 0.0F);
  const auto ng = kcore::negative(x).to_vector<float>();
  EXPECT_TRUE(std::signbit(ng[1]));
  EXPECT_FALSE(std::signbit(ng[2]));
  const auto ab = kcore::abs(x).to_vector<float>();
  EXPECT_FALSE(std::signbit(ab[2]));
  EXPECT_EQ(ab[4], INFINITY);
  // float16 overflows to inf after rounding once from float32.
  const Tensor h = kcore::cast(kcore::convert_to_tensor({60000.0F, 1.0F}), DType::Float16);
  const auto hh = (h + h).to_vector<float16>();
  EXPECT_EQ(static_cast<float>(hh[0]), INFINITY);
  EXPECT_EQ(static_cast<float>(hh[1]), 2.0F);
  EXPECT_EQ(kcore::exp(kcore::cast(kcore::convert_to_tensor({20.0F}), DType::BFloat16)).dtype(),
            DType::BFloat16);
}

// One-element operands take a path of their own (converted as they are read); every dtype pair,
// strong and weak, against the same op on two-element copies, which takes the general path.
TEST(Elementwise, OneElementOperandsMatchTheGeneralPath) {
  using Op = Tensor (*)(const Tensor&, const Tensor&);
  const std::vector<Op> ops = {kcore::add,   kcore::subtract, kcore::multiply,   kcore::divide,
                               kcore::equal, kcore::less,     kcore::logical_and};
  for (const DType da : kcore::kAllDTypes) {
    for (const DType db : kcore::kAllDTypes) {
      for (int weak = 0; weak < 4; ++weak) {
        const Tensor a = kcore::cast(Tensor(3.75), da).with_weak((weak & 1) != 0);
        const Tensor b = kcore::cast(Tensor(-2.5), db).with_weak((weak & 2) != 0);
        const Tensor a2 = kcore::broadcast_to(a, {2});
        const Tensor b2 = kcore::broadcast_to(b, {2});
        for (std::size_t k = 0; k < ops.size(); ++k) {
          SCOPED_TRACE(dtype_name(da) + " " + dtype_name(db) + " weak " + std::to_string(weak) +
                       " op " + std::to_string(k));
          std::optional<Tensor> one;
          std::optional<Tensor> two;
          std::string one_error;
          std::string two_error;
          try {
            one = ops[k](a, b);
          } catch (const kcore::Error& e) {
            one_error = e.what();
          }
          try {
            two = ops[k](a2, b2);
          } catch (const kcore::Error& e) {
            two_error = e.what();
          }
          ASSERT_EQ(one_error, two_error);
          if (!one) continue;
          ASSERT_EQ(one->dtype(), two->dtype());
          ASSERT_EQ(one->weak(), two->weak());
          const std::size_t n = kcore::itemsize(one->dtype());
          EXPECT_EQ(std::memcmp(one->bytes(), two->bytes(), n), 0);
        }
      }
    }
  }
}

// exp of float32 and float64 is SIMD (Highway's, within 1 ulp) with its limits set by kcore.
TEST(Elementwise, ExpWithinOneUlpAndExactLimits) {
  std::vector<float> x;
  for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << 32); bits += 251) {
    x.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
  }
  const auto y = kcore::exp(kcore::convert_to_tensor(x)).to_vector<float>();
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ref = std::exp(static_cast<double>(x[i]));
    if (std::isnan(x[i])) {
      ASSERT_TRUE(std::isnan(y[i])) << x[i];
      continue;
    }
    const auto r = static_cast<float>(ref);
    if (std::isinf(r) || std::isinf(y[i]) || r == 0.0F) {
      ASSERT_EQ(y[i], r) << "exp(" << x[i] << ")";
      continue;
    }
    const float ulp = std::max(std::nextafter(std::fabs(r), INFINITY) - std::fabs(r),
                               std::numeric_limits<float>::denorm_min());
    worst = std::max(worst, std::fabs(static_cast<double>(y[i]) - ref) / ulp);
  }
  EXPECT_LE(worst, 1.1);
  const std::vector<double> d = {0.0,    -0.0,   1.0,     -1.0,   709.78, 709.79,   -708.0,
                                 -744.0, -746.0, 1e-300,  700.0,  -700.0, INFINITY, -INFINITY,
                                 NAN,    88.72,  -103.97, -745.1, 710.0,  -1e308,   1e308};
  const auto e = kcore::exp(kcore::convert_to_tensor(d)).to_vector<double>();
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double ref = std::exp(d[i]);
    if (std::isnan(ref)) {
      EXPECT_TRUE(std::isnan(e[i]));
    } else if (std::isinf(ref) || ref == 0.0 || std::fabs(d[i]) > 700.0) {
      EXPECT_EQ(e[i], ref) << "exp(" << d[i] << ")";
    } else {
      EXPECT_NEAR(e[i], ref, 2.5e-16 * ref) << "exp(" << d[i] << ")";
    }
  }
  // Strided and contiguous inputs give the same values.
  const Tensor m = kcore::reshape(kcore::convert_to_tensor(x), {-1, 1});
  const Tensor strided = kcore::transpose(kcore::concatenate({m, m}, 1));
  const auto both = kcore::exp(strided).to_vector<float>();
  ASSERT_EQ(both.size(), 2 * x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint32_t>(both[i]), std::bit_cast<std::uint32_t>(y[i]));
    ASSERT_EQ(std::bit_cast<std::uint32_t>(both[x.size() + i]), std::bit_cast<std::uint32_t>(y[i]));
  }
}

TEST(Elementwise, ComplexAbsIsReal) {
  const Tensor z = kcore::convert_to_tensor(std::vector<c64>{{3, 4}, {-5, 12}, {0, -1}});
  const Tensor a = kcore::abs(z);
  EXPECT_EQ(a.dtype(), DType::Float32);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{5, 13, 1}));
  const Tensor w = kcore::convert_to_tensor(std::vector<c128>{{-6, 8}});
  EXPECT_EQ(kcore::abs(w).dtype(), DType::Float64);
  EXPECT_EQ(kcore::abs(w).to_vector<double>()[0], 10.0);
}

// ---- Promotion ----------------------------------------------------------------------------

template <class R, class T>
R convert_ref(T v) {
  if constexpr (std::is_same_v<R, T>) {
    return v;
  } else if constexpr (is_complex_v<R>) {
    using E = typename R::value_type;
    if constexpr (is_complex_v<T>) {
      return R(static_cast<E>(v.real()), static_cast<E>(v.imag()));
    } else {
      return R(static_cast<E>(as_double(v)), E(0));
    }
  } else if constexpr (is_narrow_v<R>) {
    return R(as_double(v));
  } else {
    return static_cast<R>(widen(v));
  }
}

// a (dtype A) op b (dtype B) promotes to R, and the values are those of R's arithmetic on the
// converted operands.
template <class A, class B, class R>
void check_mixed(std::mt19937& rng) {
  SCOPED_TRACE(dtype_name(kcore::dtype_of<A>) + " with " + dtype_name(kcore::dtype_of<B>));
  for (Arith op : {Arith::Add, Arith::Multiply}) {
    for (int trial = 0; trial < 4; ++trial) {
      const BinaryCase c = random_binary_case(rng, trial);
      const auto av = random_values<A>(rng, numel(c.a_shape));
      const auto bv = random_values<B>(rng, numel(c.b_shape));
      for (bool swap : {false, true}) {
        const Tensor a = some_layout(av, c.a_shape, c.out_shape, rng);
        const Tensor b = some_layout(bv, c.b_shape, c.out_shape, rng);
        const Tensor r = swap ? apply(op, b, a) : apply(op, a, b);
        ASSERT_EQ(r.dtype(), kcore::dtype_of<R>) << "got " << dtype_name(r.dtype());
        std::vector<R> expected;
        for (std::int64_t i = 0; i < numel(c.out_shape); ++i) {
          const auto idx = unravel(i, c.out_shape);
          const R x = convert_ref<R>(av[broadcast_source(idx, c.a_shape)]);
          const R y = convert_ref<R>(bv[broadcast_source(idx, c.b_shape)]);
          expected.push_back(swap ? ref_arith(op, y, x) : ref_arith(op, x, y));
        }
        ASSERT_TRUE(all_same(r.to_vector<R>(), expected)) << op_name(op);
      }
    }
  }
}

TEST(Elementwise, MixedDtypesPromoteLikeKeras) {
  using std::int16_t, std::int32_t, std::int64_t, std::int8_t, std::uint16_t, std::uint32_t,
      std::uint64_t, std::uint8_t;
  std::mt19937 rng(31);
  check_mixed<std::uint8_t, std::int8_t, std::int16_t>(rng);
  check_mixed<std::uint16_t, std::int16_t, std::int32_t>(rng);
  check_mixed<std::uint32_t, std::int32_t, std::int64_t>(rng);
  check_mixed<std::uint32_t, std::int8_t, std::int64_t>(rng);
  check_mixed<std::uint8_t, std::uint16_t, std::uint16_t>(rng);
  check_mixed<std::int8_t, std::int64_t, std::int64_t>(rng);
  check_mixed<bool, std::int8_t, std::int8_t>(rng);
  check_mixed<bool, std::uint32_t, std::uint32_t>(rng);
  check_mixed<std::int64_t, bool, std::int64_t>(rng);
  check_mixed<bool, float16, float16>(rng);
  check_mixed<std::int32_t, float16, float16>(rng);
  check_mixed<std::int8_t, bfloat16, bfloat16>(rng);
  check_mixed<bfloat16, float16, float>(rng);
  check_mixed<float, double, double>(rng);
  check_mixed<std::int64_t, double, double>(rng);
  check_mixed<float16, double, double>(rng);
  check_mixed<c64, double, c128>(rng);
  check_mixed<c64, std::int8_t, c64>(rng);
  check_mixed<c64, c128, c128>(rng);
  check_mixed<std::uint64_t, std::int8_t, float>(rng);
}

TEST(Elementwise, WeakScalarsTakeTheTensorsDtype) {
  std::mt19937 rng(11);
  const auto i8v = random_values<std::int8_t>(rng, 30);
  const Tensor i8 = make(i8v, {5, 6});
  const Tensor r1 = i8 + 1;
  EXPECT_EQ(r1.dtype(), DType::Int8);
  EXPECT_FALSE(r1.weak());
  const auto got1 = r1.to_vector<std::int8_t>();
  for (int i = 0; i < 30; ++i) EXPECT_EQ(got1[i], ref_arith(Arith::Add, i8v[i], std::int8_t{1}));
  EXPECT_EQ((2 * i8).dtype(), DType::Int8);
  EXPECT_EQ((i8 < 3).dtype(), DType::Bool);

  // A weak float with an integer tensor gives float32.
  const Tensor r2 = i8 + 1.5;
  EXPECT_EQ(r2.dtype(), DType::Float32);
  const auto got2 = r2.to_vector<float>();
  for (int i = 0; i < 30; ++i) EXPECT_EQ(got2[i], static_cast<float>(i8v[i]) + 1.5F);

  // A weak float is rounded once, to the tensor's float dtype.
  const auto hv = random_values<float16>(rng, 10);
  const Tensor h = make(hv, {10});
  const Tensor r3 = h + 0.1;
  EXPECT_EQ(r3.dtype(), DType::Float16);
  const auto got3 = r3.to_vector<float16>();
  for (int i = 0; i < 10; ++i) {
    const float16 expected(static_cast<float>(hv[i]) + static_cast<float>(float16(0.1)));
    EXPECT_EQ(got3[i].bits, expected.bits);
  }
  const auto dv = random_values<double>(rng, 10);
  const auto got4 = (make(dv, {10}) + 0.1).to_vector<double>();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got4[i], dv[i] + 0.1);
  const auto fv = random_values<float>(rng, 10);
  const auto got5 = (make(fv, {10}) * 0.1).to_vector<float>();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got5[i], fv[i] * 0.1F);

  EXPECT_EQ((kcore::convert_to_tensor(std::vector<std::uint8_t>{1}) + 1).dtype(), DType::UInt8);
  EXPECT_EQ((kcore::convert_to_tensor(std::vector<std::uint32_t>{1}) + 1).dtype(), DType::UInt32);
  EXPECT_EQ((kcore::convert_to_tensor(std::vector<std::int64_t>{1}) + 1).dtype(), DType::Int64);
  EXPECT_EQ((kcore::convert_to_tensor(std::vector<bfloat16>{bfloat16(1.0)}) + 1.5).dtype(),
            DType::BFloat16);
  EXPECT_EQ((kcore::convert_to_tensor(std::vector<c64>{{1, 1}}) + 1.5).dtype(), DType::Complex64);
  // bool with a weak int is int32, with a weak float float32; bool with bool stays bool.
  const Tensor bools = kcore::convert_to_tensor({true, false});
  EXPECT_EQ((bools + 1).dtype(), DType::Int32);
  EXPECT_EQ((bools + 1).to_vector<std::int32_t>(), (std::vector<std::int32_t>{2, 1}));
  EXPECT_EQ((bools * 1.5).dtype(), DType::Float32);
  EXPECT_EQ((bools + true).dtype(), DType::Bool);

  // Only weak with weak stays weak.
  const Tensor w = Tensor(1) + Tensor(2);
  EXPECT_TRUE(w.weak());
  EXPECT_EQ(w.dtype(), DType::Int32);
  EXPECT_EQ(w.item<std::int32_t>(), 3);
  const Tensor wf = Tensor(1) + Tensor(2.5);
  EXPECT_TRUE(wf.weak());
  EXPECT_EQ(wf.dtype(), DType::Float32);
  EXPECT_EQ(wf.item<float>(), 3.5F);
}

TEST(Elementwise, WeakFloatScalarAlone) {
  // A weak float scalar is held as float64 but resolves to float32 in every unary op.
  const Tensor x(-2.5);
  const Tensor n = kcore::negative(x);
  EXPECT_EQ(n.dtype(), DType::Float32);
  EXPECT_EQ(n.item<float>(), 2.5F);
  const Tensor a = kcore::abs(x);
  EXPECT_EQ(a.dtype(), DType::Float32);
  EXPECT_EQ(a.item<float>(), 2.5F);
  const Tensor e = kcore::exp(Tensor(0.5));
  EXPECT_EQ(e.dtype(), DType::Float32);
  EXPECT_EQ(e.item<float>(), std::exp(0.5F));
  EXPECT_EQ(kcore::abs(Tensor(-3)).item<std::int32_t>(), 3);
  EXPECT_EQ(kcore::sqrt(Tensor(4)).item<float>(), 2.0F);
}

// ---- Broadcasting -------------------------------------------------------------------------

void check_broadcast_add(const Shape& a_shape, const Shape& b_shape, const Shape& expected) {
  SCOPED_TRACE(kcore::format_shape(a_shape) + " + " + kcore::format_shape(b_shape));
  EXPECT_EQ(kcore::broadcast_shapes(a_shape, b_shape), expected);
  EXPECT_EQ(kcore::broadcast_shapes(b_shape, a_shape), expected);
  std::mt19937 rng(static_cast<unsigned>(numel(a_shape) * 31 + numel(b_shape)));
  const auto av = random_values<std::int32_t>(rng, numel(a_shape));
  const auto bv = random_values<std::int32_t>(rng, numel(b_shape));
  const Tensor r = make(av, a_shape) + scattered(bv, b_shape, rng);
  ASSERT_EQ(r.shape(), expected);
  std::vector<std::int32_t> ref;
  for (std::int64_t i = 0; i < numel(expected); ++i) {
    const auto idx = unravel(i, expected);
    ref.push_back(ref_arith(Arith::Add, av[broadcast_source(idx, a_shape)],
                            bv[broadcast_source(idx, b_shape)]));
  }
  EXPECT_EQ(r.to_vector<std::int32_t>(), ref);
}

TEST(Broadcasting, NumPyCases) {
  check_broadcast_add({4, 4, 3}, {3}, {4, 4, 3});
  check_broadcast_add({8, 1, 6, 1}, {7, 1, 5}, {8, 7, 6, 5});
  check_broadcast_add({5, 4}, {1}, {5, 4});
  check_broadcast_add({5, 4}, {4}, {5, 4});
  check_broadcast_add({15, 3, 5}, {15, 1, 5}, {15, 3, 5});
  check_broadcast_add({15, 3, 5}, {3, 5}, {15, 3, 5});
  check_broadcast_add({15, 3, 5}, {3, 1}, {15, 3, 5});
  check_broadcast_add({3, 1}, {1, 4}, {3, 4});
  check_broadcast_add({}, {2, 3}, {2, 3});
  check_broadcast_add({}, {}, {});
  check_broadcast_add({1, 1}, {}, {1, 1});
  check_broadcast_add({2, 1, 3}, {2, 1, 3}, {2, 1, 3});
  // Zero-size dimensions broadcast like any other size except 1.
  check_broadcast_add({0}, {1}, {0});
  check_broadcast_add({0}, {}, {0});
  check_broadcast_add({2, 0}, {2, 1}, {2, 0});
  check_broadcast_add({1, 0}, {3, 1}, {3, 0});
  check_broadcast_add({0, 3}, {3}, {0, 3});
  check_broadcast_add({4, 0, 2}, {1, 2}, {4, 0, 2});
}

TEST(Broadcasting, RandomShapes) {
  std::mt19937 rng(404);
  for (int i = 0; i < 40; ++i) {
    const Shape out = random_shape(rng, 0, 5, 4, i % 5 == 0 ? 0 : 1);
    const Shape a = broadcastable_shape(rng, out);
    const Shape b = broadcastable_shape(rng, out);
    check_broadcast_add(a, b, reference_broadcast(a, b));
  }
}

TEST(Broadcasting, IncompatibleShapesNameTheOp) {
  const std::vector<std::pair<Shape, Shape>> bad = {
      {{3}, {4}}, {{2, 1}, {8, 4, 3}}, {{2, 0}, {3}}, {{0}, {2}}, {{5, 4}, {5}}, {{2, 3}, {3, 2}}};
  for (const auto& [sa, sb] : bad) {
    const Tensor a = kcore::zeros(sa);
    const Tensor b = kcore::zeros(sb, DType::Int32);
    SCOPED_TRACE(kcore::format_shape(sa) + " with " + kcore::format_shape(sb));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::add(a, b); }, "add"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::subtract(b, a); }, "subtract"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::multiply(a, b); }, "multiply"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::divide(a, b); }, "divide"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::equal(a, b); }, "equal"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::less(a, b); }, "less"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::logical_or(a, b); }, "logical_or"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::where(true, a, b); }, "where"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::where(a, b, 1); }, "where"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::broadcast_shapes(sa, sb); },
                                                "broadcast_shapes"));
  }
}

// ---- where --------------------------------------------------------------------------------

template <class C, class X, class Y, class R>
void check_where(std::mt19937& rng) {
  SCOPED_TRACE(dtype_name(kcore::dtype_of<C>) + " " + dtype_name(kcore::dtype_of<X>) + " " +
               dtype_name(kcore::dtype_of<Y>));
  for (int trial = 0; trial < 10; ++trial) {
    const Shape out = random_shape(rng, 0, 4, 4, trial % 5 == 4 ? 0 : 1);
    const Shape cs = broadcastable_shape(rng, out);
    const Shape xs = broadcastable_shape(rng, out);
    const Shape ys = trial % 2 ? out : broadcastable_shape(rng, out);
    const Shape full = reference_broadcast(reference_broadcast(cs, xs), ys);
    const auto cv = random_values<C>(rng, numel(cs));
    const auto xv = random_values<X>(rng, numel(xs));
    const auto yv = random_values<Y>(rng, numel(ys));
    const Tensor r = kcore::where(some_layout(cv, cs, full, rng), some_layout(xv, xs, full, rng),
                                  some_layout(yv, ys, full, rng));
    ASSERT_EQ(r.dtype(), kcore::dtype_of<R>);
    ASSERT_EQ(r.shape(), full);
    std::vector<R> expected;
    for (std::int64_t i = 0; i < numel(full); ++i) {
      const auto idx = unravel(i, full);
      expected.push_back(truthy(cv[broadcast_source(idx, cs)])
                             ? convert_ref<R>(xv[broadcast_source(idx, xs)])
                             : convert_ref<R>(yv[broadcast_source(idx, ys)]));
    }
    ASSERT_TRUE(all_same(r.to_vector<R>(), expected));
  }
}

// Long contiguous runs (the vectorised select, its tail and every element width), with the
// condition a view at an odd offset once.
template <class T>
void check_long_where(std::mt19937& rng, std::int64_t n) {
  SCOPED_TRACE(dtype_name(kcore::dtype_of<T>) + " n=" + std::to_string(n));
  const auto cv = random_values<bool>(rng, n + 1);
  const auto xv = random_values<T>(rng, n);
  const auto yv = random_values<T>(rng, n);
  const Tensor c = kcore::slice(make(cv, {n + 1}), std::vector<std::int64_t>{1}, {n});
  const Tensor r = kcore::where(c, make(xv, {n}), make(yv, {n}));
  std::vector<T> expected;
  for (std::int64_t i = 0; i < n; ++i) expected.push_back(cv[i + 1] ? xv[i] : yv[i]);
  ASSERT_TRUE(all_same(r.to_vector<T>(), expected));
}

TEST(Where, LongContiguousRunsOfEveryWidth) {
  std::mt19937 rng(23);
  for (std::int64_t n : {1, 7, 33, 1000, 70001}) {
    check_long_where<bool>(rng, n);
    check_long_where<float16>(rng, n);
    check_long_where<float>(rng, n);
    check_long_where<std::int64_t>(rng, n);
    check_long_where<c128>(rng, n);
  }
}

TEST(Where, SelectsWithBroadcastingAndPromotion) {
  std::mt19937 rng(17);
  check_where<bool, float, float, float>(rng);
  check_where<bool, std::int8_t, std::int8_t, std::int8_t>(rng);
  check_where<std::int32_t, std::uint8_t, std::int8_t, std::int16_t>(rng);
  check_where<float, double, float, double>(rng);
  check_where<bool, bool, bool, bool>(rng);
  check_where<double, float16, bfloat16, float>(rng);
  check_where<c64, c128, std::int64_t, c128>(rng);
  check_where<bool, std::uint64_t, std::uint64_t, std::uint64_t>(rng);
  check_where<std::uint16_t, c64, c64, c64>(rng);
}

TEST(Where, WeakScalars) {
  const Tensor c = kcore::convert_to_tensor({true, false, true});
  const Tensor x = kcore::convert_to_tensor(std::vector<std::int8_t>{1, 2, 3});
  const Tensor r = kcore::where(c, x, 0);
  EXPECT_EQ(r.dtype(), DType::Int8);
  EXPECT_EQ(r.to_vector<std::int8_t>(), (std::vector<std::int8_t>{1, 0, 3}));
  const Tensor f = kcore::where(c, 1, 2.5);
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1, 2.5, 1}));
  EXPECT_EQ(kcore::where(c, x, 0.5).dtype(), DType::Float32);
  EXPECT_EQ(kcore::where(true, 1, 2).shape(), Shape{});
}

// ---- Errors -------------------------------------------------------------------------------

TEST(Elementwise, Float8ArithmeticIsValueError) {
  for (DType f8 : {DType::Float8E4M3FN, DType::Float8E5M2}) {
    const Tensor x = kcore::cast(kcore::convert_to_tensor({1.0F, 2.0F}), f8);
    const Tensor y = kcore::convert_to_tensor({1.0F, 2.0F});
    for (Arith op : {Arith::Add, Arith::Subtract, Arith::Multiply, Arith::Divide}) {
      EXPECT_TRUE(throws_named<kcore::ValueError>([&] { apply(op, x, x); }, op_name(op)));
      EXPECT_TRUE(throws_named<kcore::ValueError>([&] { apply(op, x, y); }, op_name(op)));
      EXPECT_TRUE(throws_named<kcore::ValueError>([&] { apply(op, y, x); }, op_name(op)));
      EXPECT_TRUE(throws_named<kcore::ValueError>([&] { apply(op, x, 1); }, op_name(op)));
    }
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::negative(x); }, "negative"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::abs(x); }, "abs"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::exp(x); }, "exp"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::log(x); }, "log"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::sqrt(x); }, "sqrt"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::equal(x, x); }, "equal"));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::less(x, y); }, "less"));
  }
}

TEST(Elementwise, ComplexOrderingIsTypeError) {
  const Tensor z = kcore::convert_to_tensor(std::vector<c64>{{1, 2}});
  const Tensor w = kcore::convert_to_tensor(std::vector<c128>{{1, 2}});
  const Tensor f = kcore::convert_to_tensor({1.0F});
  for (Cmp op : {Cmp::Less, Cmp::LessEqual, Cmp::Greater, Cmp::GreaterEqual}) {
    EXPECT_TRUE(throws_named<kcore::TypeError>([&] { apply(op, z, z); }, op_name(op)));
    EXPECT_TRUE(throws_named<kcore::TypeError>([&] { apply(op, w, f); }, op_name(op)));
    EXPECT_TRUE(throws_named<kcore::TypeError>([&] { apply(op, f, z); }, op_name(op)));
    EXPECT_TRUE(throws_named<kcore::TypeError>([&] { apply(op, z, 1); }, op_name(op)));
  }
  EXPECT_TRUE(kcore::equal(z, w).to_vector<bool>()[0]);
  EXPECT_FALSE(kcore::not_equal(z, w).to_vector<bool>()[0]);
}

TEST(Elementwise, BoolSubtractAndNegativeAreTypeErrors) {
  const Tensor b = kcore::convert_to_tensor({true, false});
  EXPECT_TRUE(throws_named<kcore::TypeError>([&] { kcore::subtract(b, b); }, "subtract"));
  EXPECT_TRUE(throws_named<kcore::TypeError>([&] { b - true; }, "subtract"));
  EXPECT_TRUE(throws_named<kcore::TypeError>([&] { kcore::negative(b); }, "negative"));
  EXPECT_TRUE(throws_named<kcore::TypeError>([&] { -b; }, "negative"));
  // With a number, bool promotes and subtraction is fine.
  EXPECT_EQ((b - 1).to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, -1}));
  EXPECT_EQ(kcore::abs(b).to_vector<bool>(), (std::vector<bool>{true, false}));
}

// ---- Operators, fresh results, empty tensors -----------------------------------------------

TEST(Elementwise, OperatorsMatchTheFunctions) {
  std::mt19937 rng(3);
  const Tensor a = make(random_values<float>(rng, 12), {3, 4});
  const Tensor b = scattered(random_values<float>(rng, 4), {4}, rng);
  auto same = [](const Tensor& x, const Tensor& y) {
    EXPECT_EQ(x.dtype(), y.dtype());
    EXPECT_EQ(x.shape(), y.shape());
    if (x.dtype() == DType::Bool) {
      EXPECT_EQ(x.to_vector<bool>(), y.to_vector<bool>());
    } else {
      EXPECT_TRUE(all_same(x.to_vector<float>(), y.to_vector<float>()));
    }
  };
  same(a + b, kcore::add(a, b));
  same(a - b, kcore::subtract(a, b));
  same(a * b, kcore::multiply(a, b));
  same(a / b, kcore::divide(a, b));
  same(-a, kcore::negative(a));
  same(a == b, kcore::equal(a, b));
  same(a != b, kcore::not_equal(a, b));
  same(a < b, kcore::less(a, b));
  same(a <= b, kcore::less_equal(a, b));
  same(a > b, kcore::greater(a, b));
  same(a >= b, kcore::greater_equal(a, b));
  same(!(a > b), kcore::logical_not(kcore::greater(a, b)));
}

TEST(Elementwise, ResultsAreFreshTensors) {
  const Tensor a = kcore::convert_to_tensor({1.0F, 2.0F});
  const Tensor r = a + 0;
  EXPECT_FALSE(r.shares_storage_with(a));
  EXPECT_TRUE(r.is_contiguous());
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2}));
  const Tensor t = kcore::transpose(kcore::reshape(kcore::arange(6), {2, 3}));
  const Tensor n = kcore::negative(t);
  EXPECT_TRUE(n.is_contiguous());
  EXPECT_EQ(n.to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, -3, -1, -4, -2, -5}));
}

TEST(Elementwise, EmptyTensors) {
  for_each_type(NumericTypes{}, [&]<class T>() {
    const Tensor e = kcore::zeros({0, 3}, kcore::dtype_of<T>);
    const Tensor r = kcore::multiply(e, kcore::ones({3}, kcore::dtype_of<T>));
    EXPECT_EQ(r.shape(), (Shape{0, 3}));
    EXPECT_EQ(r.dtype(), kcore::dtype_of<T>);
    EXPECT_EQ(kcore::equal(e, e).shape(), (Shape{0, 3}));
    EXPECT_EQ(kcore::exp(e).size(), 0);
    EXPECT_EQ(kcore::logical_not(e).shape(), (Shape{0, 3}));
    EXPECT_EQ(kcore::where(e, e, e).shape(), (Shape{0, 3}));
  });
  EXPECT_EQ(kcore::add(kcore::zeros({0}), 1).shape(), Shape{0});
  EXPECT_EQ(kcore::add(kcore::zeros({2, 0, 1}), kcore::zeros({5})).shape(), (Shape{2, 0, 5}));
}

// ---- Large inputs: the parallel path ------------------------------------------------------

template <class T>
std::vector<T> with_threads(int n, const std::function<Tensor()>& f) {
  kcore::set_num_threads(n);
  return f().to_vector<T>();
}

TEST(Elementwise, LargeInputsGiveIdenticalResultsOnOneAndTwoThreads) {
  ThreadCountGuard guard;
  std::mt19937 rng(1);
  const Shape shape = {1031, 1030};  // over 10^6 elements
  const auto av = random_values<float>(rng, numel(shape));
  const auto rowv = random_values<float>(rng, 1030);
  const Tensor a = scattered(av, shape, rng);
  const Tensor row = make(rowv, {1030});

  const auto sum1 = with_threads<float>(1, [&] { return a * row + 0.5; });
  const auto sum2 = with_threads<float>(2, [&] { return a * row + 0.5; });
  ASSERT_TRUE(all_same(sum1, sum2));
  std::vector<float> expected(av.size());
  for (std::size_t i = 0; i < av.size(); ++i) expected[i] = av[i] * rowv[i % 1030] + 0.5F;
  ASSERT_TRUE(all_same(sum1, expected));

  const auto exp1 = with_threads<float>(1, [&] { return kcore::exp(a); });
  const auto exp2 = with_threads<float>(2, [&] { return kcore::exp(a); });
  ASSERT_TRUE(all_same(exp1, exp2));
  for (std::size_t i = 0; i < av.size(); i += 997) {
    ASSERT_TRUE(close_value(exp1[i], std::exp(av[i]), ulps<float>(4)));
  }

  const auto sel1 = with_threads<float>(1, [&] { return kcore::where(a > row, a, row); });
  const auto sel2 = with_threads<float>(2, [&] { return kcore::where(a > row, a, row); });
  ASSERT_TRUE(all_same(sel1, sel2));
  for (std::size_t i = 0; i < av.size(); i += 101) {
    ASSERT_EQ(sel1[i], std::max(av[i], rowv[i % 1030]));
  }

  const auto iv = random_values<std::int32_t>(rng, numel(shape));
  const Tensor ints = make(iv, shape);
  const auto t = kcore::transpose(ints);
  const auto mul1 = with_threads<std::int32_t>(1, [&] { return t * t - 7; });
  const auto mul2 = with_threads<std::int32_t>(2, [&] { return t * t - 7; });
  ASSERT_EQ(mul1, mul2);
  for (std::int64_t i = 0; i < numel(shape); i += 577) {
    const auto idx = unravel(i, {1030, 1031});
    const std::int32_t v = iv[static_cast<std::size_t>(idx[1] * 1030 + idx[0])];
    ASSERT_EQ(mul1[static_cast<std::size_t>(i)],
              ref_arith(Arith::Subtract, ref_arith(Arith::Multiply, v, v), 7));
  }
}

}  // namespace
}  // namespace kcore_test
