// sum, max, min, mean: every dtype, random shapes, axes (negative, unordered, none, all),
// keepdims and layouts against reference loops; result dtypes; errors; empty reductions; large
// inputs that take the blocked parallel path, with identical results on 1, 2 and 4 threads.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core_test_helpers.h"
#include "cpu/math_kernels.h"
#include "cpu/reduce_kernels.h"

namespace kcore_test {
namespace {

using kcore::Axes;

enum class Red { Sum, Max, Min, Mean };

const char* op_name(Red op) {
  switch (op) {
    case Red::Sum:
      return "sum";
    case Red::Max:
      return "max";
    case Red::Min:
      return "min";
    case Red::Mean:
      return "mean";
  }
  return "";
}

Tensor apply(Red op, const Tensor& x, std::optional<Axes> axis, bool keepdims) {
  switch (op) {
    case Red::Sum:
      return kcore::sum(x, std::move(axis), keepdims);
    case Red::Max:
      return kcore::max(x, std::move(axis), keepdims);
    case Red::Min:
      return kcore::min(x, std::move(axis), keepdims);
    case Red::Mean:
      return kcore::mean(x, std::move(axis), keepdims);
  }
  return {};
}

// The output element type of each reduction of T (Keras' rules, written out).
template <class T>
struct SumOf {
  using type = T;
};
template <>
struct SumOf<bool> {
  using type = std::int32_t;
};
template <>
struct SumOf<std::int8_t> {
  using type = std::int32_t;
};
template <>
struct SumOf<std::int16_t> {
  using type = std::int32_t;
};
template <>
struct SumOf<std::uint8_t> {
  using type = std::uint32_t;
};
template <>
struct SumOf<std::uint16_t> {
  using type = std::uint32_t;
};
template <class T>
using sum_t = typename SumOf<T>::type;
template <class T>
using mean_t = std::conditional_t<std::is_same_v<T, bool> || is_int_v<T>, float, T>;

// Which input positions (row-major over `shape`) feed each output position of a reduction over
// `axes` (non-negative, distinct), in row-major order of the reduced axes.
struct Plan {
  Shape out_shape;                               // without keepdims
  Shape keep_shape;                              // with keepdims
  std::vector<std::vector<std::int64_t>> feeds;  // per output element
};

Plan plan(const Shape& shape, const std::vector<std::int64_t>& axes) {
  Plan p;
  std::vector<bool> reduced(shape.size(), false);
  for (auto a : axes) reduced[static_cast<std::size_t>(a)] = true;
  Shape red_shape;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (reduced[d]) {
      red_shape.push_back(shape[d]);
      p.keep_shape.push_back(1);
    } else {
      p.out_shape.push_back(shape[d]);
      p.keep_shape.push_back(shape[d]);
    }
  }
  const std::int64_t m = numel(p.out_shape);
  const std::int64_t k = numel(red_shape);
  for (std::int64_t o = 0; o < m; ++o) {
    const auto kept = unravel(o, p.out_shape);
    std::vector<std::int64_t> feed;
    for (std::int64_t r = 0; r < k; ++r) {
      const auto red = unravel(r, red_shape);
      std::vector<std::int64_t> idx(shape.size());
      std::size_t ki = 0;
      std::size_t ri = 0;
      for (std::size_t d = 0; d < shape.size(); ++d) idx[d] = reduced[d] ? red[ri++] : kept[ki++];
      feed.push_back(ravel(idx, shape));
    }
    p.feeds.push_back(std::move(feed));
  }
  return p;
}

// Reference sum: integers modulo 2^64 (then wrapped to the output type), floats in double.
template <class T>
sum_t<T> ref_sum(const std::vector<T>& v, const std::vector<std::int64_t>& feed) {
  using O = sum_t<T>;
  if constexpr (std::is_same_v<T, bool> || is_int_v<T>) {
    std::uint64_t acc = 0;
    for (auto i : feed) acc += static_cast<std::uint64_t>(static_cast<std::int64_t>(v[i]));
    return static_cast<O>(acc);
  } else if constexpr (is_complex_v<T>) {
    c128 acc = 0;
    for (auto i : feed) acc += c128(v[i].real(), v[i].imag());
    return O(static_cast<typename O::value_type>(acc.real()),
             static_cast<typename O::value_type>(acc.imag()));
  } else {
    double acc = 0;
    for (auto i : feed) acc += static_cast<double>(v[i]);
    return O(acc);
  }
}

template <class T>
double magnitude(T v) {
  if constexpr (is_complex_v<T>) {
    return std::abs(c128(v.real(), v.imag()));
  } else {
    return std::fabs(as_double(v));
  }
}

template <class T>
T ref_extreme(const std::vector<T>& v, const std::vector<std::int64_t>& feed, bool is_max) {
  T acc = v[feed[0]];
  for (auto i : feed) {
    if constexpr (is_real_float_v<T>) {
      if (std::isnan(static_cast<double>(v[i])) || std::isnan(static_cast<double>(acc))) {
        acc = T(NAN);
        continue;
      }
    }
    const bool better = is_max ? widen(v[i]) > widen(acc) : widen(v[i]) < widen(acc);
    if (better) acc = v[i];
  }
  return acc;
}

// Reference mean: bool and integers are converted to float32 first, float16 and bfloat16 sum
// in float32; the sum (in double) is rounded to the accumulation type, then divided.
template <class T>
mean_t<T> ref_mean(const std::vector<T>& v, const std::vector<std::int64_t>& feed) {
  using O = mean_t<T>;
  if constexpr (is_complex_v<T>) {
    c128 acc = 0;
    for (auto i : feed) acc += c128(v[i].real(), v[i].imag());
    const T total(static_cast<typename T::value_type>(acc.real()),
                  static_cast<typename T::value_type>(acc.imag()));
    return total / T(static_cast<typename T::value_type>(feed.size()));
  } else {
    using Acc = std::conditional_t<std::is_same_v<O, double>, double, float>;
    double acc = 0;
    for (auto i : feed) acc += static_cast<double>(static_cast<Acc>(widen(v[i])));
    const Acc total = static_cast<Acc>(acc);
    return O(total / static_cast<Acc>(feed.size()));
  }
}

// Random axes for a tensor of rank `nd`: None, or a subset in random order, some negative.
std::optional<Axes> random_axes(std::mt19937& rng, std::size_t nd) {
  if (std::uniform_int_distribution<int>(0, 4)(rng) == 0) return std::nullopt;
  Axes axes;
  for (std::size_t d = 0; d < nd; ++d) {
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 1) {
      const bool negative = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
      axes.push_back(negative ? static_cast<std::int64_t>(d) - static_cast<std::int64_t>(nd)
                              : static_cast<std::int64_t>(d));
    }
  }
  std::shuffle(axes.begin(), axes.end(), rng);
  return axes;
}

std::vector<std::int64_t> normalized(const std::optional<Axes>& axis, std::size_t nd) {
  std::vector<std::int64_t> out;
  if (!axis) {
    for (std::size_t d = 0; d < nd; ++d) out.push_back(static_cast<std::int64_t>(d));
  } else {
    for (auto a : *axis) out.push_back(a < 0 ? a + static_cast<std::int64_t>(nd) : a);
  }
  return out;
}

std::string describe(const Shape& shape, const std::optional<Axes>& axis, bool keepdims) {
  return "shape " + kcore::format_shape(shape) + " axis " +
         (axis ? kcore::format_shape(*axis) : std::string("None")) + (keepdims ? " keepdims" : "");
}

// A tensor with the values of `v` over `shape`: contiguous, scattered, or a broadcast view of a
// smaller tensor (then `v` is rewritten to the broadcast values).
template <class T>
Tensor random_input(std::mt19937& rng, const Shape& shape, std::vector<T>& v) {
  const int layout = std::uniform_int_distribution<int>(0, 2)(rng);
  if (layout == 2 && !shape.empty()) {
    const Shape small = broadcastable_shape(rng, shape);
    const auto sv = random_values<T>(rng, numel(small));
    v.clear();
    for (std::int64_t i = 0; i < numel(shape); ++i) {
      v.push_back(sv[static_cast<std::size_t>(broadcast_source(unravel(i, shape), small))]);
    }
    return kcore::broadcast_to(scattered(sv, small, rng), shape);
  }
  v = random_values<T>(rng, numel(shape));
  return layout == 0 ? make(v, shape) : scattered(v, shape, rng);
}

template <class T>
void check_reductions(std::mt19937& rng, int trials) {
  for (int trial = 0; trial < trials; ++trial) {
    const Shape shape = random_shape(rng, 0, 4, 5, trial % 6 == 5 ? 0 : 1);
    std::vector<T> v;
    const Tensor x = random_input<T>(rng, shape, v);
    const auto axis = random_axes(rng, shape.size());
    const bool keepdims = trial % 2 == 1;
    const Plan p = plan(shape, normalized(axis, shape.size()));
    const Shape& expected_shape = keepdims ? p.keep_shape : p.out_shape;
    SCOPED_TRACE(dtype_name(kcore::dtype_of<T>) + " " + describe(shape, axis, keepdims));

    {  // sum
      using O = sum_t<T>;
      const Tensor r = kcore::sum(x, axis, keepdims);
      ASSERT_EQ(r.dtype(), kcore::dtype_of<O>);
      ASSERT_EQ(r.shape(), expected_shape);
      const auto got = r.to_vector<O>();
      for (std::size_t o = 0; o < p.feeds.size(); ++o) {
        const O want = ref_sum(v, p.feeds[o]);
        if constexpr (is_real_float_v<O> || is_complex_v<O>) {
          double scale = 1;
          for (auto i : p.feeds[o]) scale += magnitude(v[i]);
          ASSERT_TRUE(close_value(got[o], want, ulps<O>(2) + 1e-13 * scale))
              << "sum[" << o << "] = " << show(got[o]) << ", expected " << show(want);
        } else {
          ASSERT_EQ(got[o], want) << "sum[" << o << "]";
        }
      }
    }
    if constexpr (!is_complex_v<T>) {  // max, min
      for (bool is_max : {true, false}) {
        const Red op = is_max ? Red::Max : Red::Min;
        if (numel(shape) == 0 || (p.feeds.size() > 0 && p.feeds[0].empty())) {
          if (!p.feeds.empty()) {
            EXPECT_TRUE(throws_named<kcore::ValueError>([&] { apply(op, x, axis, keepdims); },
                                                        op_name(op)));
            continue;
          }
        }
        const Tensor r = apply(op, x, axis, keepdims);
        ASSERT_EQ(r.dtype(), kcore::dtype_of<T>);
        ASSERT_EQ(r.shape(), expected_shape);
        std::vector<T> want;
        for (const auto& feed : p.feeds) want.push_back(ref_extreme(v, feed, is_max));
        ASSERT_TRUE(all_same(r.to_vector<T>(), want)) << op_name(op);
      }
    }
    {  // mean
      using O = mean_t<T>;
      const Tensor r = kcore::mean(x, axis, keepdims);
      ASSERT_EQ(r.dtype(), kcore::dtype_of<O>);
      ASSERT_EQ(r.shape(), expected_shape);
      const auto got = r.to_vector<O>();
      for (std::size_t o = 0; o < p.feeds.size(); ++o) {
        const O want = ref_mean(v, p.feeds[o]);
        double scale = 1;
        for (auto i : p.feeds[o]) scale += magnitude(v[i]);
        scale /= static_cast<double>(std::max<std::size_t>(p.feeds[o].size(), 1));
        ASSERT_TRUE(close_value(got[o], want, ulps<O>(4) + 1e-13 * scale))
            << "mean[" << o << "] = " << show(got[o]) << ", expected " << show(want);
      }
    }
  }
}

TEST(Reduce, EveryDtypeRandomShapesAxesAndLayouts) {
  std::mt19937 rng(12345);
  for_each_type(NumericTypes{}, [&]<class T>() { check_reductions<T>(rng, 30); });
}

TEST(Reduce, ResultDtypes) {
  const std::vector<std::pair<DType, DType>> sums = {
      {DType::Bool, DType::Int32},           {DType::Int8, DType::Int32},
      {DType::Int16, DType::Int32},          {DType::Int32, DType::Int32},
      {DType::Int64, DType::Int64},          {DType::UInt8, DType::UInt32},
      {DType::UInt16, DType::UInt32},        {DType::UInt32, DType::UInt32},
      {DType::UInt64, DType::UInt64},        {DType::BFloat16, DType::BFloat16},
      {DType::Float16, DType::Float16},      {DType::Float32, DType::Float32},
      {DType::Float64, DType::Float64},      {DType::Complex64, DType::Complex64},
      {DType::Complex128, DType::Complex128}};
  for (const auto& [in, out] : sums) {
    const Tensor x = kcore::ones({2, 3}, in);
    EXPECT_EQ(kcore::sum(x).dtype(), out) << dtype_name(in);
    EXPECT_EQ(kcore::sum(x, Axes{}).dtype(), out) << dtype_name(in);
    if (!kcore::is_complex(in)) {
      EXPECT_EQ(kcore::max(x).dtype(), in);
      EXPECT_EQ(kcore::min(x, Axes{0}).dtype(), in);
    }
    const DType mean_dtype = kcore::is_integer(in) || in == DType::Bool ? DType::Float32 : in;
    EXPECT_EQ(kcore::mean(x).dtype(), mean_dtype) << dtype_name(in);
  }
}

TEST(Reduce, SmallCasesByHand) {
  const Tensor x = kcore::convert_to_tensor({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(kcore::sum(x).item<std::int32_t>(), 21);
  EXPECT_EQ(kcore::sum(x, Axes{0}).to_vector<std::int32_t>(), (std::vector<std::int32_t>{5, 7, 9}));
  EXPECT_EQ(kcore::sum(x, Axes{-1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(kcore::sum(x, Axes{-1}, true).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{6, 15}));
  EXPECT_EQ(kcore::max(x, Axes{1}).to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, 6}));
  EXPECT_EQ(kcore::min(x, Axes{1, 0}, true).shape(), (Shape{1, 1}));
  EXPECT_EQ(kcore::min(x).item<std::int32_t>(), 1);
  EXPECT_EQ(kcore::mean(x).item<float>(), 3.5F);
  EXPECT_EQ(kcore::mean(x, Axes{0}).to_vector<float>(), (std::vector<float>{2.5F, 3.5F, 4.5F}));
  // Sum over no axes keeps the values (with the sum's dtype).
  const Tensor i8 = kcore::cast(x, DType::Int8);
  EXPECT_EQ(kcore::sum(i8, Axes{}).shape(), (Shape{2, 3}));
  EXPECT_EQ(kcore::sum(i8, Axes{}).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{1, 2, 3, 4, 5, 6}));
  // Scalars.
  EXPECT_EQ(kcore::sum(Tensor(7)).item<std::int32_t>(), 7);
  EXPECT_EQ(kcore::max(kcore::convert_to_tensor(2.5)).item<float>(), 2.5F);
  EXPECT_EQ(kcore::sum(kcore::convert_to_tensor(true)).item<std::int32_t>(), 1);
  // A bare float scalar reduces to float32, as it does in every elementwise op.
  EXPECT_EQ(kcore::sum(Tensor(2.5)).dtype(), DType::Float32);
  EXPECT_EQ(kcore::sum(Tensor(2.5)).item<float>(), 2.5F);
  EXPECT_EQ(kcore::max(Tensor(0.1)).item<float>(), 0.1F);
  EXPECT_EQ(kcore::mean(Tensor(0.1)).dtype(), DType::Float32);
  EXPECT_EQ(kcore::mean(Tensor(0.1)).item<float>(), 0.1F);
  EXPECT_EQ(kcore::mean(Tensor(3)).item<float>(), 3.0F);
  EXPECT_EQ(kcore::sum(Tensor(std::int64_t{1} << 40)).dtype(), DType::Int64);
  // bool: sum counts, max is any, min is all.
  const Tensor b = kcore::convert_to_tensor({true, false, true});
  EXPECT_EQ(kcore::sum(b).item<std::int32_t>(), 2);
  EXPECT_TRUE(kcore::max(b).item<bool>());
  EXPECT_FALSE(kcore::min(b).item<bool>());
  EXPECT_EQ(kcore::mean(b).item<float>(), 2.0F / 3.0F);
}

TEST(Reduce, IntegerSumsWrapInTheOutputType) {
  const Tensor i8 = kcore::convert_to_tensor(std::vector<std::int8_t>{127, 127, 127});
  EXPECT_EQ(kcore::sum(i8).item<std::int32_t>(), 381);  // int32 output: no int8 overflow
  const Tensor u8 = kcore::convert_to_tensor(std::vector<std::uint8_t>{255, 255});
  EXPECT_EQ(kcore::sum(u8).item<std::uint32_t>(), 510U);
  const Tensor i32 = kcore::convert_to_tensor({2147483647, 1});
  EXPECT_EQ(kcore::sum(i32).item<std::int32_t>(), -2147483647 - 1);
  const auto big = std::numeric_limits<std::int64_t>::max();
  const Tensor i64 = kcore::convert_to_tensor(std::vector<std::int64_t>{big, big});
  EXPECT_EQ(kcore::sum(i64).item<std::int64_t>(), -2);
  const Tensor u64 = kcore::convert_to_tensor(std::vector<std::uint64_t>{~0ULL, 2});
  EXPECT_EQ(kcore::sum(u64).item<std::uint64_t>(), 1U);
  EXPECT_EQ(kcore::max(u64).item<std::uint64_t>(), ~0ULL);
  const Tensor mins = kcore::convert_to_tensor(
      std::vector<std::int64_t>{0, std::numeric_limits<std::int64_t>::min(), 5});
  EXPECT_EQ(kcore::min(mins).item<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
}

TEST(Reduce, NaNAndInfinities) {
  const Tensor x = kcore::convert_to_tensor({1.0F, NAN, 3.0F});
  EXPECT_TRUE(std::isnan(kcore::max(x).item<float>()));
  EXPECT_TRUE(std::isnan(kcore::min(x).item<float>()));
  EXPECT_TRUE(std::isnan(kcore::sum(x).item<float>()));
  const Tensor first_nan = kcore::convert_to_tensor(std::vector<double>{NAN, -1, 4});
  EXPECT_TRUE(std::isnan(kcore::max(first_nan).item<double>()));
  EXPECT_TRUE(std::isnan(kcore::min(first_nan).item<double>()));
  const Tensor inf = kcore::convert_to_tensor({INFINITY, -INFINITY, 1.0F});
  EXPECT_TRUE(std::isnan(kcore::sum(inf).item<float>()));
  EXPECT_EQ(kcore::max(inf).item<float>(), INFINITY);
  EXPECT_EQ(kcore::min(inf).item<float>(), -INFINITY);
  // float16 sums accumulate wider than float16 and round once.
  const Tensor h = kcore::cast(kcore::full({4096}, 1.0F), DType::Float16);
  EXPECT_EQ(static_cast<float>(kcore::sum(h).item<float16>()), 4096.0F);
  EXPECT_EQ(static_cast<float>(kcore::mean(h).item<float16>()), 1.0F);
  const Tensor big16 = kcore::cast(kcore::full({3}, 60000.0F), DType::Float16);
  EXPECT_EQ(static_cast<float>(kcore::sum(big16).item<float16>()), INFINITY);
  EXPECT_EQ(static_cast<float>(kcore::mean(big16).item<float16>()), 60000.0F);
}

TEST(Reduce, EmptyReductions) {
  const Tensor e = kcore::zeros({0});
  EXPECT_EQ(kcore::sum(e).item<float>(), 0.0F);
  EXPECT_TRUE(std::isnan(kcore::mean(e).item<float>()));
  EXPECT_EQ(kcore::mean(e).dtype(), DType::Float32);
  EXPECT_TRUE(std::isnan(kcore::mean(kcore::zeros({0}, DType::Int32)).item<float>()));
  EXPECT_EQ(kcore::sum(kcore::zeros({0}, DType::Int8)).item<std::int32_t>(), 0);
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::max(e); }, "max"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::min(e); }, "min"));
  const Tensor e23 = kcore::zeros({2, 0, 3}, DType::Int16);
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::max(e23, Axes{1}); }, "max"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::min(e23, Axes{1}, true); }, "min"));
  // An empty output needs no identity.
  EXPECT_EQ(kcore::max(e23, Axes{0}).shape(), (Shape{0, 3}));
  EXPECT_EQ(kcore::max(e23, Axes{2}, true).shape(), (Shape{2, 0, 1}));
  EXPECT_EQ(kcore::sum(e23, Axes{1}).shape(), (Shape{2, 3}));
  EXPECT_EQ(kcore::sum(e23, Axes{1}).to_vector<std::int32_t>(), std::vector<std::int32_t>(6, 0));
  EXPECT_EQ(kcore::sum(e23, Axes{0, 2}).shape(), Shape{0});
}

TEST(Reduce, AxisErrorsNameTheOp) {
  const Tensor x = kcore::zeros({2, 3});
  for (Red op : {Red::Sum, Red::Max, Red::Min, Red::Mean}) {
    SCOPED_TRACE(op_name(op));
    EXPECT_TRUE(throws_named<kcore::ValueError>(
        [&] {
          apply(op, x, Axes{0, 0}, false);
        },
        op_name(op)));
    EXPECT_TRUE(throws_named<kcore::ValueError>(
        [&] {
          apply(op, x, Axes{1, -1}, false);
        },
        op_name(op)));
    EXPECT_TRUE(
        throws_named<kcore::ValueError>([&] { apply(op, x, Axes{2}, false); }, op_name(op)));
    EXPECT_TRUE(
        throws_named<kcore::ValueError>([&] { apply(op, x, Axes{-3}, true); }, op_name(op)));
    EXPECT_TRUE(throws_named<kcore::ValueError>([&] { apply(op, Tensor(1.0F), Axes{0}, false); },
                                                op_name(op)));
  }
}

TEST(Reduce, ComplexOrderAndFloat8AreRejected) {
  const Tensor z = kcore::convert_to_tensor(std::vector<c64>{{1, 2}, {3, -1}});
  EXPECT_TRUE(throws_named<kcore::TypeError>([&] { kcore::max(z); }, "max"));
  EXPECT_TRUE(throws_named<kcore::TypeError>([&] { kcore::min(z, Axes{0}); }, "min"));
  const auto s = kcore::sum(z).item<c64>();
  EXPECT_EQ(s, c64(4, 1));
  EXPECT_EQ(kcore::mean(z).item<c64>(), c64(2, 0.5));
  for (DType f8 : {DType::Float8E4M3FN, DType::Float8E5M2}) {
    const Tensor x = kcore::cast(kcore::ones({3}), f8);
    for (Red op : {Red::Sum, Red::Max, Red::Min, Red::Mean}) {
      EXPECT_TRUE(
          throws_named<kcore::ValueError>([&] { apply(op, x, std::nullopt, false); }, op_name(op)));
    }
  }
}

// ---- Large inputs --------------------------------------------------------------------------

template <class T>
std::vector<T> on_threads(int n, const std::function<Tensor()>& f) {
  kcore::set_num_threads(n);
  return f().template to_vector<T>();
}

template <class T>
void expect_thread_independent(const std::function<Tensor()>& f, const char* what) {
  const auto one = on_threads<T>(1, f);
  const auto two = on_threads<T>(2, f);
  const auto four = on_threads<T>(4, f);
  EXPECT_TRUE(all_same(two, one)) << what << ": 2 threads differ from 1";
  EXPECT_TRUE(all_same(four, one)) << what << ": 4 threads differ from 1";
}

TEST(Reduce, LargeInputsAreIndependentOfTheThreadCount) {
  ThreadCountGuard guard;
  std::mt19937 rng(8);
  const std::int64_t n = (1 << 21) + 17;  // over 2 * 10^6 elements
  const auto dv = random_values<double>(rng, n);
  const Tensor d = make(dv, {n});
  expect_thread_independent<double>([&] { return kcore::sum(d); }, "sum float64");
  expect_thread_independent<double>([&] { return kcore::mean(d); }, "mean float64");
  expect_thread_independent<double>([&] { return kcore::max(d); }, "max float64");

  // Few long rows (fewer outputs than threads, or not), and many short ones.
  const Tensor rows = kcore::reshape(d, {1, n});
  const Tensor three = kcore::getitem(d, {kcore::Slice{0, 3 * 600000, std::nullopt}});
  const Tensor r3 = kcore::reshape(three, {3, 600000});
  expect_thread_independent<double>([&] { return kcore::sum(rows, Axes{1}); }, "sum (1, n)");
  expect_thread_independent<double>([&] { return kcore::sum(r3, Axes{1}); }, "sum (3, 600000)");
  expect_thread_independent<double>([&] { return kcore::sum(r3, Axes{0}); }, "sum axis 0");
  expect_thread_independent<double>([&] { return kcore::sum(kcore::transpose(r3), Axes{0}); },
                                    "sum transposed");

  kcore::set_num_threads(2);
  double acc = 0;
  for (double v : dv) acc += v;
  double scale = 0;
  for (double v : dv) scale += std::fabs(v);
  EXPECT_NEAR(kcore::sum(d).item<double>(), acc, 1e-13 * scale);
  const auto row_sums = kcore::sum(r3, Axes{1}).to_vector<double>();
  for (int r = 0; r < 3; ++r) {
    double ref = 0;
    for (int i = 0; i < 600000; ++i) ref += dv[static_cast<std::size_t>(r * 600000 + i)];
    EXPECT_NEAR(row_sums[static_cast<std::size_t>(r)], ref, 1e-13 * scale);
  }
  EXPECT_EQ(kcore::max(d).item<double>(), *std::max_element(dv.begin(), dv.end()));
  EXPECT_EQ(kcore::min(r3).item<double>(), *std::min_element(dv.begin(), dv.begin() + 3 * 600000));

  // float32 and integer sums over the parallel path.
  const auto fv = random_values<float>(rng, n);
  const Tensor f = scattered(fv, {n}, rng);
  expect_thread_independent<float>([&] { return kcore::sum(f); }, "sum float32");
  double facc = 0;
  for (float v : fv) facc += v;
  EXPECT_TRUE(close_value(kcore::sum(f).item<float>(), static_cast<float>(facc),
                          ulps<float>(2) + 1e-13 * n * 8));
  const auto iv = random_values<std::int32_t>(rng, n);
  const Tensor iw = make(iv, {n});
  expect_thread_independent<std::int32_t>([&] { return kcore::sum(iw); }, "sum int32");
  std::uint64_t iacc = 0;
  for (auto v : iv) iacc += static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
  EXPECT_EQ(kcore::sum(iw).item<std::int32_t>(), static_cast<std::int32_t>(iacc));
  const auto bv = random_values<bool>(rng, n);
  std::int32_t count = 0;
  for (bool v : bv) count += v ? 1 : 0;
  EXPECT_EQ(kcore::sum(make(bv, {n})).item<std::int32_t>(), count);
}

// Reductions over outer axes of a contiguous run of outputs fold whole rows at a time; the same
// values as a strided view of them, which folds one output at a time: the same bits, across a
// block boundary (more than 65,536 reduced rows), over several tiles of outputs, on 1, 2 and 4
// threads, with NaN and -0.0 for max/min.
template <class T>
void expect_rowwise_equals_per_output(std::mt19937& rng, std::int64_t rows, std::int64_t cols,
                                      Axes axes) {
  SCOPED_TRACE(std::string(dtype_name(kcore::dtype_of<T>)) + " " + std::to_string(rows) + "x" +
               std::to_string(cols));
  auto values = random_values<T>(rng, rows * 2 * cols);
  if constexpr (std::is_floating_point_v<T>) {
    // NaN and -0.0 in a few columns of the first row only: the other columns' sums stay finite.
    for (std::int64_t c = 0; c < 2 * cols; ++c) {
      if (c % 14 == 0) values[static_cast<std::size_t>(c)] = NAN;
      if (c % 14 == 6) values[static_cast<std::size_t>(c)] = -0.0F;
    }
  }
  const Tensor wide = make(values, {rows, 2 * cols});
  const Tensor strided = kcore::getitem(wide, {kcore::Slice{}, kcore::Slice{0, std::nullopt, 2}});
  const Tensor packed = kcore::ascontiguous(strided);
  ASSERT_TRUE(packed.is_contiguous());
  ASSERT_FALSE(strided.is_contiguous());
  for (Red op : {Red::Sum, Red::Max, Red::Min}) {
    const auto want = on_threads<T>(1, [&] { return apply(op, strided, axes, false); });
    for (int threads : {1, 2, 4}) {
      const auto got = on_threads<T>(threads, [&] { return apply(op, packed, axes, false); });
      EXPECT_TRUE(all_same(got, want)) << op_name(op) << " on " << threads << " threads";
    }
  }
}

// The contiguous double-accumulated sum is defined by its order: 16 interleaved lanes, then the
// elements after the last whole group of 16, then the lanes in order. Every instruction set
// must give exactly that, whatever its vector width. Values of mixed magnitudes make any other
// order round differently.
template <class T>
double sum_in_16_lanes(const std::vector<T>& q) {
  double lanes[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= q.size(); i += 16) {
    for (std::size_t j = 0; j < 16; ++j) lanes[j] += static_cast<double>(q[i + j]);
  }
  double s = 0.0;
  for (; i < q.size(); ++i) s += static_cast<double>(q[i]);
  for (double lane : lanes) s += lane;
  return s;
}

TEST(Reduce, ContiguousSumsFollowTheSixteenLaneOrderOnEveryTarget) {
  std::mt19937 rng(31);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-30, 30);
  for (const std::int64_t target : kcore::cpu::math_simd_targets()) {
    kcore::cpu::math_force_simd_target(target);
    const std::string name = kcore::cpu::math_simd_target();
    for (std::size_t n : {0, 1, 15, 16, 17, 33, 100, 1000, 65537}) {
      std::vector<double> d(n);
      std::vector<float> f(n);
      for (std::size_t i = 0; i < n; ++i) {
        d[i] = std::ldexp(mantissa(rng), exponent(rng));
        f[i] = static_cast<float>(d[i]);
      }
      EXPECT_EQ(kcore::cpu::contiguous_sum(d.data(), n), sum_in_16_lanes(d)) << name << " " << n;
      EXPECT_EQ(kcore::cpu::contiguous_sum(f.data(), n), sum_in_16_lanes(f)) << name << " " << n;
    }
    // Several runs side by side (contiguous_sums): each the sum of its own run, for every count
    // (whole groups of side-by-side runs and the ones left over) and length.
    for (std::size_t n : {0, 1, 17, 100, 1000}) {
      for (std::size_t count = 1; count <= 9; ++count) {
        std::vector<std::vector<double>> d(count, std::vector<double>(n));
        std::vector<std::vector<float>> f(count, std::vector<float>(n));
        std::vector<const double*> d_runs;
        std::vector<const float*> f_runs;
        for (std::size_t r = 0; r < count; ++r) {
          for (std::size_t i = 0; i < n; ++i) {
            d[r][i] = std::ldexp(mantissa(rng), exponent(rng));
            f[r][i] = static_cast<float>(d[r][i]);
          }
          d_runs.push_back(d[r].data());
          f_runs.push_back(f[r].data());
        }
        std::vector<double> d_out(count, -1.0);
        std::vector<double> f_out(count, -1.0);
        kcore::cpu::contiguous_sums(d_runs.data(), count, n, d_out.data());
        kcore::cpu::contiguous_sums(f_runs.data(), count, n, f_out.data());
        for (std::size_t r = 0; r < count; ++r) {
          EXPECT_EQ(d_out[r], sum_in_16_lanes(d[r])) << name << " " << n << " run " << r;
          EXPECT_EQ(f_out[r], sum_in_16_lanes(f[r])) << name << " " << n << " run " << r;
        }
      }
    }
  }
  kcore::cpu::math_force_simd_target(0);
  // Through the op: a float32 sum rounds the double result once.
  std::vector<float> f(1000);
  for (auto& v : f) v = static_cast<float>(std::ldexp(mantissa(rng), exponent(rng)));
  const kcore::Tensor t = make(f, {1000});
  EXPECT_EQ(kcore::sum(t).item<float>(), static_cast<float>(sum_in_16_lanes(f)));
}

// A sum longer than a block (65,536 elements) adds the blocks' 16-lane sums in order, each
// from the identity: exactly, on 1 and 2 threads, whether the blocks of one output are summed
// side by side or in parallel, for one output and for several.
template <class T>
void expect_blockwise_sum(std::mt19937& rng, std::int64_t rows, std::int64_t n) {
  SCOPED_TRACE(std::string(dtype_name(kcore::dtype_of<T>)) + " " + std::to_string(rows) + "x" +
               std::to_string(n));
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-30, 30);
  std::vector<T> values(static_cast<std::size_t>(rows * n));
  for (auto& v : values) v = static_cast<T>(std::ldexp(mantissa(rng), exponent(rng)));
  std::vector<T> want;
  for (std::int64_t r = 0; r < rows; ++r) {
    constexpr std::int64_t kBlock = 65536;
    double acc = 0.0;
    for (std::int64_t b = 0; b < n; b += kBlock) {
      const auto first = values.begin() + r * n + b;
      acc += 0.0 + sum_in_16_lanes(std::vector<T>(first, first + std::min(kBlock, n - b)));
    }
    want.push_back(static_cast<T>(acc));
  }
  const Tensor x = make(values, {rows, n});
  for (int threads : {1, 2}) {
    const auto got = on_threads<T>(threads, [&] { return kcore::sum(x, Axes{1}); });
    EXPECT_TRUE(all_same(got, want)) << "on " << threads << " threads";
  }
}

TEST(Reduce, LongSumsAddTheirBlocksInOrder) {
  ThreadCountGuard guard;
  std::mt19937 rng(41);
  expect_blockwise_sum<float>(rng, 1, 5 * 65536 + 123);
  expect_blockwise_sum<double>(rng, 1, 9 * 65536);
  expect_blockwise_sum<float>(rng, 1, 40 * 65536 + 5);  // several blocks per thread on 2
  expect_blockwise_sum<float>(rng, 3, 4 * 65536 + 7);   // as many outputs as threads, or more
  expect_blockwise_sum<double>(rng, 3, 2 * 65536 + 1);  // too few blocks to go side by side
  expect_blockwise_sum<double>(rng, 2, 65536 + 16);
}

TEST(Reduce, RowWiseFoldsEqualPerOutputFolds) {
  ThreadCountGuard guard;
  std::mt19937 rng(21);
  expect_rowwise_equals_per_output<double>(rng, 70000, 66, Axes{0});
  expect_rowwise_equals_per_output<float>(rng, 70000, 64, Axes{0});
  expect_rowwise_equals_per_output<float>(rng, 5, 5000, Axes{0});
  expect_rowwise_equals_per_output<double>(rng, 300, 257, Axes{0});
  expect_rowwise_equals_per_output<std::int32_t>(rng, 100, 300, Axes{0});
  expect_rowwise_equals_per_output<float>(rng, 40, 3000, Axes{0});
  // Beyond 16 MiB: the row-wise sum fetches ahead, one range of columns per thread.
  expect_rowwise_equals_per_output<float>(rng, 1100, 4001, Axes{0});
  // ... in whole-row tiles of up to 8192 columns: more columns take several.
  expect_rowwise_equals_per_output<float>(rng, 300, 16500, Axes{0});
}

}  // namespace
}  // namespace kcore_test
