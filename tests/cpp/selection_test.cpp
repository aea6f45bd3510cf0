// top_k, in_top_k, segment_sum, segment_max: every dtype each accepts against reference loops,
// random shapes (zero-size included) and layouts, the total order of SEMANTICS §4, malformed
// inputs (ids negative, huge, out of range, broken sorted promises, k out of range, wrong ranks
// and shapes) giving the specified result or a named error, inputs left unchanged, results
// identical on 1 and 2 threads on every kernel path, gradients and batching.

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <optional>

#include "core_test_helpers.h"
#include "kcore/autodiff.h"
#include "kcore/batching.h"

namespace kcore_test {
namespace {

using kcore::ValueError;
using RealTypes =
    Types<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t, std::uint16_t,
          std::uint32_t, std::uint64_t, bfloat16, float16, float, double>;
using IdTypes = Types<std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t,
                      std::uint16_t, std::uint32_t, std::uint64_t>;

template <class T>
bool bits_equal(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Values with ties, signed zeros, infinities and NaN (floats) mixed in.
template <class T>
std::vector<T> tricky_values(std::mt19937& rng, std::int64_t n) {
  std::vector<T> v = random_values<T>(rng, n);
  std::uniform_int_distribution<int> pick(0, 19);
  for (std::int64_t i = 0; i < n; ++i) {
    const int p = pick(rng);
    if (p < 4 && i > 0) {
      v[i] = v[std::uniform_int_distribution<std::int64_t>(0, i - 1)(rng)];  // a tie
    } else if constexpr (is_real_float_v<T>) {
      const double special[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0};
      if (p >= 4 && p < 8) v[i] = T(special[std::uniform_int_distribution<int>(0, 5)(rng)]);
    }
  }
  return v;
}

// SEMANTICS' order: NaN above everything (NaNs tie), -0.0 == +0.0.
template <class T>
bool ranks_above(T a, T b) {
  if constexpr (is_real_float_v<T>) {
    const double x = static_cast<double>(a);
    const double y = static_cast<double>(b);
    if (std::isnan(y)) return false;
    if (std::isnan(x)) return true;
    return x > y;
  } else {
    return a > b;
  }
}

template <class T>
std::vector<T> snapshot(const Tensor& t) {
  return t.to_vector<T>();
}

template <class T>
void expect_unchanged(const Tensor& t, const std::vector<T>& before) {
  const auto after = t.to_vector<T>();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    ASSERT_TRUE(bits_equal<T>(after[i], before[i])) << "input modified at " << i;
  }
}

template <class T>
Tensor layout(const std::vector<T>& v, const Shape& shape, std::mt19937& rng, bool strided) {
  return strided ? scattered(v, shape, rng) : make(v, shape);
}

// ------------------------------------------------------------------------------------------
// top_k

template <class T>
void check_top_k(std::mt19937& rng, const Shape& shape, std::int64_t k, bool sorted, bool strided) {
  const std::int64_t n = shape.back();
  const std::int64_t rows =
      n == 0 ? numel(Shape(shape.begin(), shape.end() - 1)) : numel(shape) / n;
  const auto values = tricky_values<T>(rng, numel(shape));
  const Tensor x = layout(values, shape, rng, strided);
  const auto before = snapshot<T>(x);
  const auto [v, i] = kcore::top_k(x, k, sorted);
  expect_unchanged(x, before);
  Shape expected_shape = shape;
  expected_shape.back() = k;
  ASSERT_EQ(v.shape(), expected_shape);
  ASSERT_EQ(i.shape(), expected_shape);
  ASSERT_EQ(v.dtype(), kcore::dtype_of<T>);
  ASSERT_EQ(i.dtype(), DType::Int32);
  const auto got_v = v.to_vector<T>();
  const auto got_i = i.to_vector<std::int32_t>();
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    const std::vector<T> row_values(values.begin() + r * n, values.begin() + (r + 1) * n);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return ranks_above(row_values[a], row_values[b]);
    });
    std::vector<std::int64_t> got(got_i.begin() + r * k, got_i.begin() + (r + 1) * k);
    for (std::int64_t j = 0; j < k; ++j) {
      ASSERT_GE(got[j], 0);
      ASSERT_LT(got[j], n);
      ASSERT_TRUE(bits_equal<T>(got_v[r * k + j], row_values[got[j]]))
          << "value " << j << " of row " << r << " is not x[index]";
    }
    if (!sorted) {
      // Any order: compare as a set, ordered by rank.
      std::vector<std::int64_t> pos(static_cast<std::size_t>(n));
      for (std::int64_t j = 0; j < n; ++j) pos[order[j]] = j;
      std::sort(got.begin(), got.end(), [&](auto a, auto b) { return pos[a] < pos[b]; });
    }
    for (std::int64_t j = 0; j < k; ++j) {
      ASSERT_EQ(got[j], order[j]) << "row " << r << " rank " << j << " (k=" << k << ", n=" << n
                                  << ", sorted=" << sorted << ")";
    }
  }
}

TEST(TopK, EveryDTypeRandomShapesAndLayouts) {
  std::mt19937 rng(1);
  for_each_type(RealTypes{}, [&]<class T>() {
    SCOPED_TRACE(dtype_name(kcore::dtype_of<T>));
    for (int trial = 0; trial < 12; ++trial) {
      const Shape shape = random_shape(rng, 1, 3, trial < 8 ? 6 : 40, trial % 4 == 0 ? 0 : 1);
      const std::int64_t n = shape.back();
      for (std::int64_t k : {std::int64_t{0}, std::min<std::int64_t>(1, n), n / 2, n}) {
        check_top_k<T>(rng, shape, k, trial % 3 != 0, trial % 2 == 0);
      }
    }
  });
}

TEST(TopK, LongRowsSmallAndLargeK) {
  std::mt19937 rng(2);
  for (std::int64_t k : {1, 10, 100, 700}) {
    check_top_k<float>(rng, {3, 1000}, k, true, false);
    check_top_k<double>(rng, {2, 999}, k, k % 2 == 0, true);
    check_top_k<std::int32_t>(rng, {1, 5000}, k, true, false);
  }
}

TEST(TopK, SplitRowsSameResultOnEveryThreadCount) {
  ThreadCountGuard guard;
  std::mt19937 rng(3);
  for (int threads : {1, 2, 3}) {
    kcore::set_num_threads(threads);
    check_top_k<float>(rng, {150000}, 10, true, false);
    check_top_k<bfloat16>(rng, {2, 70000}, 100, true, false);
    check_top_k<std::uint8_t>(rng, {1, 140000}, 5, false, false);
    // k longer than each thread's piece of the row.
    check_top_k<float>(rng, {1, 200000}, 150000, true, false);
  }
}

TEST(TopK, TotalOrderOfSpecialValues) {
  const Tensor x = kcore::convert_to_tensor(
      std::vector<float>{1.0F, NAN, -NAN, INFINITY, -0.0F, 0.0F, -INFINITY, 1.0F});
  const auto [v, i] = kcore::top_k(x, 8);
  EXPECT_EQ(i.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 2, 3, 0, 7, 4, 5, 6}));
  const auto vals = v.to_vector<float>();
  EXPECT_TRUE(std::signbit(vals[5]));  // -0.0 (index 4) before +0.0 (index 5)
  EXPECT_FALSE(std::signbit(vals[6]));
  const auto [bv, bi] = kcore::top_k(kcore::convert_to_tensor({false, true, false, true}), 3);
  EXPECT_EQ(bi.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 3, 0}));
  EXPECT_EQ(bv.to_vector<bool>(), (std::vector<bool>{true, true, false}));
}

TEST(TopK, SeedExample) {
  const auto [v, i] = kcore::top_k(kcore::convert_to_tensor({5, 2, 7, 1, 9, 3}), 3);
  EXPECT_EQ(v.to_vector<std::int32_t>(), (std::vector<std::int32_t>{9, 7, 5}));
  EXPECT_EQ(i.to_vector<std::int32_t>(), (std::vector<std::int32_t>{4, 2, 0}));
}

TEST(TopK, Float8Inputs) {
  const Tensor x =
      kcore::cast(kcore::convert_to_tensor({1.0, -2.0, 3.0, 0.5}), DType::Float8E4M3FN);
  const auto [v, i] = kcore::top_k(x, 2);
  EXPECT_EQ(v.dtype(), DType::Float8E4M3FN);
  EXPECT_EQ(i.to_vector<std::int32_t>(), (std::vector<std::int32_t>{2, 0}));
}

TEST(TopK, Errors) {
  const Tensor x = kcore::zeros({2, 3});
  EXPECT_TRUE(throws_named<ValueError>([&] { kcore::top_k(x, 4); }, "top_k"));
  EXPECT_TRUE(throws_named<ValueError>([&] { kcore::top_k(x, -1); }, "top_k"));
  EXPECT_TRUE(throws_named<ValueError>([&] { kcore::top_k(kcore::zeros({}), 0); }, "top_k"));
  EXPECT_TRUE(throws_named<kcore::TypeError>(
      [&] { kcore::top_k(kcore::zeros({3}, DType::Complex64), 1); }, "top_k"));
  EXPECT_TRUE(throws_named<ValueError>([&] { kcore::top_k(kcore::zeros({2, 0}), 1); }, "top_k"));
  try {
    kcore::top_k(x, 5);
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "top_k: k=5 is larger than the last dimension of x (3); x.shape=(2, 3)");
  }
  const auto [v, i] = kcore::top_k(kcore::zeros({0, 4}), 2);
  EXPECT_EQ(v.shape(), (Shape{0, 2}));
  const auto [v0, i0] = kcore::top_k(kcore::zeros({3, 0}), 0);
  EXPECT_EQ(i0.shape(), (Shape{3, 0}));
}

// ------------------------------------------------------------------------------------------
// in_top_k

bool p_is_max_case(std::mt19937& rng) {
  return std::uniform_int_distribution<int>(0, 3)(rng) == 0;
}

template <class T, class I>
void check_in_top_k(std::mt19937& rng, const Shape& shape, std::int64_t k, bool strided) {
  const std::int64_t n = shape.back();
  const Shape tshape(shape.begin(), shape.end() - 1);
  const auto preds = tricky_values<T>(rng, numel(shape));
  std::vector<I> targets;
  std::uniform_int_distribution<int> pick(0, 9);
  for (std::int64_t r = 0; r < numel(tshape); ++r) {
    const int p = pick(rng);
    std::int64_t t =
        std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(n - 1, 0))(rng);
    if (p == 0) t = n;  // out of range
    if (p == 1) t = -1;
    targets.push_back(static_cast<I>(t));
  }
  if (!targets.empty() && p_is_max_case(rng)) targets.back() = std::numeric_limits<I>::max();
  const Tensor x = layout(preds, shape, rng, strided);
  const Tensor t = layout(targets, tshape, rng, strided);
  const auto before = snapshot<T>(x);
  const Tensor got = kcore::in_top_k(t, x, k);
  expect_unchanged(x, before);
  ASSERT_EQ(got.dtype(), DType::Bool);
  ASSERT_EQ(got.shape(), tshape);
  const auto g = got.to_vector<bool>();
  for (std::int64_t r = 0; r < numel(tshape); ++r) {
    const auto target = static_cast<std::int64_t>(targets[r]);
    bool expected = false;
    const bool in_range = std::is_signed_v<I> ? target >= 0 && target < n
                                              : static_cast<std::uint64_t>(targets[r]) <
                                                    static_cast<std::uint64_t>(n);
    if (k > 0 && in_range) {
      const T v = preds[r * n + target];
      bool nan = false;
      if constexpr (is_real_float_v<T>) nan = std::isnan(static_cast<double>(v));
      if (!nan) {
        std::int64_t greater = 0;
        for (std::int64_t j = 0; j < n; ++j) {
          if constexpr (is_real_float_v<T>) {
            greater += static_cast<double>(preds[r * n + j]) > static_cast<double>(v);
          } else {
            greater += preds[r * n + j] > v;
          }
        }
        expected = greater < k;
      }
    }
    ASSERT_EQ(g[r], expected) << "row " << r << " target " << target << " k " << k;
  }
}

TEST(InTopK, EveryDTypeRandomShapes) {
  std::mt19937 rng(4);
  for_each_type(RealTypes{}, [&]<class T>() {
    SCOPED_TRACE(dtype_name(kcore::dtype_of<T>));
    for (int trial = 0; trial < 8; ++trial) {
      const Shape shape = random_shape(rng, 1, 3, 7, trial % 4 == 0 ? 0 : 1);
      if (numel(Shape(shape.begin(), shape.end() - 1)) == 0) continue;
      for (std::int64_t k : {-1, 0, 1, 2, 3, 8}) {
        check_in_top_k<T, std::int32_t>(rng, shape, k, trial % 2 == 0);
      }
    }
  });
  for_each_type(IdTypes{}, [&]<class I>() {
    SCOPED_TRACE(dtype_name(kcore::dtype_of<I>));
    check_in_top_k<float, I>(rng, {5, 9}, 3, false);
    check_in_top_k<std::int16_t, I>(rng, {4, 300}, 40, true);
  });
}

TEST(InTopK, SeedExampleAndTies) {
  const Tensor targets = kcore::convert_to_tensor({2, 5, 3});
  const Tensor predictions = kcore::convert_to_tensor(
      {{0.1, 0.4, 0.6, 0.9, 0.5}, {0.1, 0.7, 0.9, 0.8, 0.3}, {0.1, 0.6, 0.9, 0.9, 0.5}});
  EXPECT_EQ(kcore::in_top_k(targets, predictions, 3).to_vector<bool>(),
            (std::vector<bool>{true, false, true}));
  const Tensor p = kcore::convert_to_tensor({{0.95, 0.95, 0.0, 0.95}});
  EXPECT_TRUE(kcore::in_top_k(kcore::convert_to_tensor({0}), p, 1).to_vector<bool>()[0]);
  const Tensor q = kcore::convert_to_tensor({{0.1, 0.8, 0.8, 0.95}});
  EXPECT_FALSE(kcore::in_top_k(kcore::convert_to_tensor({2}), q, 1).to_vector<bool>()[0]);
  EXPECT_TRUE(kcore::in_top_k(kcore::convert_to_tensor({2}), q, 2).to_vector<bool>()[0]);
  const Tensor nan_row = kcore::convert_to_tensor(std::vector<float>{0.1F, NAN, 0.5F});
  EXPECT_FALSE(kcore::in_top_k(kcore::convert_to_tensor(std::vector<std::int64_t>{1}),
                               kcore::reshape(nan_row, {1, 3}), 3)
                   .to_vector<bool>()[0]);
  // A rank-1 prediction: targets is a scalar.
  EXPECT_TRUE(
      kcore::in_top_k(kcore::Tensor(2), kcore::convert_to_tensor({0.1, 0.2, 0.5}), 1).item<bool>());
}

TEST(InTopK, Errors) {
  const Tensor p = kcore::zeros({2, 5});
  EXPECT_TRUE(throws_named<ValueError>(
      [&] {
        kcore::in_top_k(kcore::convert_to_tensor({1.0, 2.0}), p, 1);
      },
      "in_top_k"));
  EXPECT_TRUE(throws_named<ValueError>(
      [&] {
        kcore::in_top_k(kcore::convert_to_tensor({1, 2, 3}), p, 1);
      },
      "in_top_k"));
  EXPECT_TRUE(throws_named<ValueError>(
      [&] {
        kcore::in_top_k(kcore::convert_to_tensor({{1, 2}}), p, 1);
      },
      "in_top_k"));
  EXPECT_TRUE(throws_named<ValueError>(
      [&] {
        kcore::in_top_k(kcore::convert_to_tensor({true, false}), p, 1);
      },
      "in_top_k"));
  EXPECT_TRUE(throws_named<ValueError>(
      [&] { kcore::in_top_k(kcore::Tensor(0), kcore::zeros({}), 1); }, "in_top_k"));
  EXPECT_TRUE(throws_named<kcore::TypeError>(
      [&] {
        kcore::in_top_k(kcore::convert_to_tensor({0, 1}), kcore::zeros({2, 3}, DType::Complex128),
                        1);
      },
      "in_top_k"));
  EXPECT_EQ(kcore::in_top_k(kcore::zeros({0}, DType::Int32), kcore::zeros({0, 3}), 1).shape(),
            (Shape{0}));
  // n == 0: every target is out of range.
  EXPECT_EQ(
      kcore::in_top_k(kcore::convert_to_tensor({0, 0}), kcore::zeros({2, 0}), 1).to_vector<bool>(),
      (std::vector<bool>{false, false}));
}

// ------------------------------------------------------------------------------------------
// segment_sum, segment_max

enum class Seg { Sum, Max };

Tensor seg(Seg op, const Tensor& data, const Tensor& ids, std::optional<std::int64_t> s,
           bool sorted = false) {
  return op == Seg::Sum ? kcore::segment_sum(data, ids, s, sorted)
                        : kcore::segment_max(data, ids, s, sorted);
}

// The reference: each output element folds its segment's rows in index order. Sums: integers
// wrap, bool is or, floats add in their compute type and round once. Max: NaN if any NaN, +0.0 over
// -0.0.
template <class T>
std::vector<T> reference(Seg op, const std::vector<T>& data, const std::vector<std::int64_t>& ids,
                         std::int64_t s, std::int64_t d) {
  const auto n = static_cast<std::int64_t>(ids.size());
  const auto size = static_cast<std::size_t>(s * d);
  std::vector<T> out(size);
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<char> acc(size, 0);
    for (std::int64_t i = 0; i < n; ++i) {
      if (ids[i] < 0 || ids[i] >= s) continue;
      for (std::int64_t c = 0; c < d; ++c) acc[ids[i] * d + c] |= data[i * d + c] ? 1 : 0;
    }
    for (std::size_t e = 0; e < size; ++e) out[e] = acc[e] != 0;
  } else if constexpr (is_int_v<T>) {
    std::vector<std::uint64_t> sum(size, 0);
    std::vector<T> best(size, std::numeric_limits<T>::lowest());
    for (std::int64_t i = 0; i < n; ++i) {
      if (ids[i] < 0 || ids[i] >= s) continue;
      for (std::int64_t c = 0; c < d; ++c) {
        const std::size_t e = static_cast<std::size_t>(ids[i] * d + c);
        sum[e] += static_cast<std::uint64_t>(data[i * d + c]);
        best[e] = std::max(best[e], data[i * d + c]);
      }
    }
    for (std::size_t e = 0; e < size; ++e) {
      out[e] = op == Seg::Sum ? static_cast<T>(sum[e]) : best[e];
    }
  } else if constexpr (is_complex_v<T>) {
    std::vector<T> sum(size, T(0));
    for (std::int64_t i = 0; i < n; ++i) {
      if (ids[i] < 0 || ids[i] >= s) continue;
      for (std::int64_t c = 0; c < d; ++c) sum[ids[i] * d + c] += data[i * d + c];
    }
    out = sum;
  } else {
    // Sums in the compute type (float for the narrow types), in row order, rounded once; max:
    // NaN if any NaN, +0.0 over -0.0.
    std::vector<wide_t<T>> sum(size, wide_t<T>(0));
    std::vector<double> best(size, -INFINITY);
    std::vector<char> nan(size, 0), positive_zero(size, 0);
    for (std::int64_t i = 0; i < n; ++i) {
      if (ids[i] < 0 || ids[i] >= s) continue;
      for (std::int64_t c = 0; c < d; ++c) {
        const std::size_t e = static_cast<std::size_t>(ids[i] * d + c);
        const auto v = static_cast<double>(data[i * d + c]);
        sum[e] += widen(data[i * d + c]);
        if (std::isnan(v)) nan[e] = 1;
        if (v > best[e]) best[e] = v;
        if (v == 0 && !std::signbit(v)) positive_zero[e] = 1;
      }
    }
    for (std::size_t e = 0; e < size; ++e) {
      double m = best[e];
      if (m == 0 && positive_zero[e]) m = 0.0;
      out[e] = op == Seg::Sum ? narrow<T>(sum[e]) : T(nan[e] ? NAN : m);
    }
  }
  return out;
}

template <class T>
void expect_segment_result(Seg op, const Tensor& got, const std::vector<T>& expected) {
  (void)op;
  const auto g = got.to_vector<T>();
  ASSERT_EQ(g.size(), expected.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    bool ok = false;
    if constexpr (is_real_float_v<T>) {
      // Exact, signed zeros told apart, any NaN for NaN.
      const auto a = static_cast<double>(g[i]);
      const auto b = static_cast<double>(expected[i]);
      ok = (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
    } else if constexpr (is_complex_v<T>) {
      ok = same_value<T>(g[i], expected[i]);
    } else {
      ok = g[i] == expected[i];
    }
    ASSERT_TRUE(ok) << "element " << i << ": got " << show<T>(g[i]) << ", expected "
                    << show<T>(expected[i]);
  }
}

template <class T>
void check_segment(Seg op, std::mt19937& rng, std::int64_t n, const Shape& inner, std::int64_t s,
                   bool strided, bool sorted_ids) {
  Shape shape = {n};
  shape.insert(shape.end(), inner.begin(), inner.end());
  const std::int64_t d = numel(inner);
  const auto data = tricky_values<T>(rng, n * d);
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
  for (auto& id : ids) {
    const int p = std::uniform_int_distribution<int>(0, 9)(rng);
    id = std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(s - 1, 0))(rng);
    if (p == 0) id = -1;
    if (p == 1) id = s + std::uniform_int_distribution<std::int64_t>(0, 3)(rng);
  }
  if (sorted_ids) std::sort(ids.begin(), ids.end());
  const Tensor x = layout(data, shape, rng, strided);
  const Tensor t = layout(ids, {n}, rng, strided);
  const auto before = snapshot<T>(x);
  const Tensor got = seg(op, x, t, s, sorted_ids);
  expect_unchanged(x, before);
  Shape out_shape = {s};
  out_shape.insert(out_shape.end(), inner.begin(), inner.end());
  ASSERT_EQ(got.shape(), out_shape);
  ASSERT_EQ(got.dtype(), kcore::dtype_of<T>);
  expect_segment_result<T>(op, got, reference<T>(op, data, ids, s, d));
}

TEST(Segment, EveryDTypeRandomShapesAndLayouts) {
  std::mt19937 rng(5);
  for (Seg op : {Seg::Sum, Seg::Max}) {
    for_each_type(NumericTypes{}, [&]<class T>() {
      if constexpr (!(is_complex_v<T>)) {
        SCOPED_TRACE(dtype_name(kcore::dtype_of<T>));
        for (int trial = 0; trial < 10; ++trial) {
          const std::int64_t n = std::uniform_int_distribution<std::int64_t>(0, 30)(rng);
          const Shape inner = random_shape(rng, 0, 2, 4, trial % 3 == 0 ? 0 : 1);
          const std::int64_t s = std::uniform_int_distribution<std::int64_t>(0, 8)(rng);
          check_segment<T>(op, rng, n, inner, s, trial % 2 == 0, trial % 4 == 1);
        }
      } else if (op == Seg::Sum) {
        for (int trial = 0; trial < 4; ++trial) {
          check_segment<T>(op, rng, 12, {2}, 3, trial % 2 == 0, trial == 3);
        }
      }
    });
  }
}

TEST(Segment, EveryIdDType) {
  std::mt19937 rng(6);
  for_each_type(IdTypes{}, [&]<class I>() {
    SCOPED_TRACE(dtype_name(kcore::dtype_of<I>));
    std::vector<I> ids = {3,
                          0,
                          1,
                          3,
                          static_cast<I>(-1),
                          std::numeric_limits<I>::max(),
                          std::numeric_limits<I>::min(),
                          2};
    const std::vector<float> data = {1, 2, 3, 4, 5, 6, 7, 8};
    std::vector<std::int64_t> wide;
    for (I i : ids) {
      // Ids that do not fit int64 are out of range either way.
      wide.push_back(std::is_unsigned_v<I> && static_cast<std::uint64_t>(i) > INT64_MAX
                         ? -1
                         : static_cast<std::int64_t>(i));
    }
    for (Seg op : {Seg::Sum, Seg::Max}) {
      const Tensor got = seg(op, make(data, {8}), make(ids, {8}), 4);
      expect_segment_result<float>(op, got, reference<float>(op, data, wide, 4, 1));
    }
  });
}

// Each kernel path (segment ranges, columns, row partials, sorted ids by rows or by runs of
// equal ids) on 1, 2 and 3 threads: the same bits, equal to the in-order reference.
TEST(Segment, EveryPathSameResultOnEveryThreadCount) {
  ThreadCountGuard guard;
  struct Case {
    std::int64_t n;
    Shape inner;
    std::int64_t s;
    bool sorted;
  };
  const std::vector<Case> cases = {
      {60000, {}, 40, false},    {60000, {}, 40, true},   {3000, {300}, 20, false},
      {40000, {}, 50000, false}, {20000, {3}, 700, true}, {50000, {2}, 9, false},
      {40000, {}, 10000, true},  {5000, {}, 3, true},     {70001, {}, 1, true}};
  for (const auto& c : cases) {
    std::mt19937 rng(7);
    SCOPED_TRACE("n=" + std::to_string(c.n) + " s=" + std::to_string(c.s));
    for (int threads : {1, 2, 3}) {
      kcore::set_num_threads(threads);
      for (Seg op : {Seg::Sum, Seg::Max}) {
        check_segment<float>(op, rng, c.n, c.inner, c.s, false, c.sorted);
        check_segment<std::int32_t>(op, rng, c.n, c.inner, c.s, false, c.sorted);
      }
      check_segment<bool>(Seg::Max, rng, c.n, c.inner, c.s, false, c.sorted);
      check_segment<bfloat16>(Seg::Sum, rng, c.n, c.inner, c.s, false, c.sorted);
    }
  }
}

// One column of float data is folded with a plain max where a check has found no NaN and no -0.0
// (first, sorted; block by block, unsorted; else the full fold runs): one such value anywhere, on
// any path, gives the exact result.
TEST(Segment, MaxWithOneSpecialValueAnywhereInOneColumn) {
  ThreadCountGuard guard;
  std::mt19937 rng(9);
  const std::int64_t n = 20000;
  for (int threads : {1, 2}) {
    kcore::set_num_threads(threads);
    for (std::int64_t s : {3, 1000}) {
      for (bool sorted : {false, true}) {
        // Block edges of the unsorted fold's check (2048 rows) and of its two threads' halves.
        for (std::int64_t at : {std::int64_t{0}, std::int64_t{2047}, std::int64_t{2048},
                                std::int64_t{4095}, std::int64_t{4096}, std::int64_t{9999},
                                std::int64_t{10000}, std::int64_t{12345}, n - 1}) {
          for (float special : {NAN, -0.0F}) {
            SCOPED_TRACE("threads=" + std::to_string(threads) + " s=" + std::to_string(s) +
                         " sorted=" + std::to_string(sorted) + " at=" + std::to_string(at) +
                         " value=" + std::to_string(special));
            auto data = random_values<float>(rng, n);
            for (auto& v : data) v = -std::abs(v) - 1.0F;  // negative: -0.0 is a segment's max
            data[static_cast<std::size_t>(at)] = special;
            std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
            for (auto& id : ids) id = std::uniform_int_distribution<std::int64_t>(0, s - 1)(rng);
            if (sorted) std::sort(ids.begin(), ids.end());
            const Tensor got = kcore::segment_max(make(data, {n}), make(ids, {n}), s, sorted);
            expect_segment_result<float>(Seg::Max, got,
                                         reference<float>(Seg::Max, data, ids, s, 1));
          }
        }
      }
    }
  }
}

TEST(Segment, SortedPromiseBrokenStaysInBounds) {
  ThreadCountGuard guard;
  std::mt19937 rng(8);
  for (int threads : {1, 2, 4}) {
    kcore::set_num_threads(threads);
    for (std::int64_t s : {0, 1, 7, 1000}) {
      std::vector<std::int64_t> ids(50000);
      for (auto& id : ids) id = std::uniform_int_distribution<std::int64_t>(-5, s + 5)(rng);
      const auto data = random_values<float>(rng, 50000);
      for (Seg op : {Seg::Sum, Seg::Max}) {
        const Tensor got = seg(op, make(data, {50000}), make(ids, {50000}), s, true);
        EXPECT_EQ(got.shape(), (Shape{s}));
      }
    }
  }
  // Descending runs, and ids far outside the range, on the sorted path.
  std::vector<std::int64_t> ids = {5, 5, 4, 4, INT64_MAX, INT64_MIN, 0, 0};
  const Tensor got = kcore::segment_sum(kcore::ones({8}), make(ids, {8}), 6, true);
  EXPECT_EQ(got.shape(), (Shape{6}));
}

TEST(Segment, NumSegmentsInferred) {
  const Tensor data = kcore::convert_to_tensor({1, 2, 10, 20, 100, 200});
  const Tensor ids = kcore::convert_to_tensor({0, 0, 1, 1, 2, 2});
  EXPECT_EQ(kcore::segment_sum(data, ids, 3).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{3, 30, 300}));
  EXPECT_EQ(kcore::segment_max(data, ids, 3).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{2, 20, 200}));
  EXPECT_EQ(kcore::segment_sum(data, kcore::convert_to_tensor({0, 4, -1, 4, 0, 0})).shape(),
            (Shape{5}));
  EXPECT_EQ(kcore::segment_max(data, kcore::convert_to_tensor({-1, -1, -3, -1, -1, -2})).shape(),
            (Shape{0}));
  EXPECT_EQ(kcore::segment_sum(kcore::zeros({0, 3}), kcore::zeros({0}, DType::Int32)).shape(),
            (Shape{0, 3}));
  std::vector<std::uint64_t> huge = {0, UINT64_MAX};
  EXPECT_TRUE(throws_named<ValueError>(
      [&] { kcore::segment_sum(kcore::ones({2}), make(huge, {2})); }, "segment_sum"));
  std::vector<std::int64_t> top = {INT64_MAX};
  EXPECT_TRUE(throws_named<ValueError>(
      [&] { kcore::segment_max(kcore::ones({1}), make(top, {1})); }, "segment_max"));
  // Explicit num_segments: huge ids are simply dropped.
  EXPECT_EQ(kcore::segment_sum(kcore::ones({2}), make(huge, {2}), 2).to_vector<float>(),
            (std::vector<float>{1, 0}));
}

TEST(Segment, EmptySegmentsAndZeroSizes) {
  const Tensor ids = kcore::convert_to_tensor({1, 1});
  EXPECT_EQ(kcore::segment_max(kcore::convert_to_tensor({1.0F, 2.0F}), ids, 3).to_vector<float>(),
            (std::vector<float>{-INFINITY, 2.0F, -INFINITY}));
  EXPECT_EQ(kcore::segment_max(kcore::convert_to_tensor(std::vector<std::uint16_t>{1, 2}), ids, 2)
                .to_vector<std::uint16_t>(),
            (std::vector<std::uint16_t>{0, 2}));
  EXPECT_EQ(kcore::segment_max(kcore::convert_to_tensor(std::vector<std::int8_t>{1, 2}), ids, 2)
                .to_vector<std::int8_t>(),
            (std::vector<std::int8_t>{-128, 2}));
  EXPECT_EQ(kcore::segment_max(kcore::convert_to_tensor({true, false}), ids, 2).to_vector<bool>(),
            (std::vector<bool>{false, true}));
  EXPECT_EQ(kcore::segment_sum(kcore::convert_to_tensor({true, true}), ids, 2).to_vector<bool>(),
            (std::vector<bool>{false, true}));
  EXPECT_EQ(kcore::segment_sum(kcore::ones({2, 0, 3}), ids, 4).shape(), (Shape{4, 0, 3}));
  EXPECT_EQ(kcore::segment_sum(kcore::ones({2, 3}), ids, 0).shape(), (Shape{0, 3}));
  EXPECT_EQ(
      kcore::segment_sum(kcore::ones({0}), kcore::zeros({0}, DType::UInt8), 3).to_vector<float>(),
      (std::vector<float>{0, 0, 0}));
  // Integer sums are exact and wrap in the dtype.
  const std::vector<std::int64_t> big = {INT64_MAX, 1, (std::int64_t{1} << 60), 3};
  EXPECT_EQ(kcore::segment_sum(make(big, {4}), kcore::convert_to_tensor({0, 0, 1, 1}), 2)
                .to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{INT64_MIN, (std::int64_t{1} << 60) + 3}));
}

TEST(Segment, Errors) {
  const Tensor data = kcore::ones({4, 2});
  const Tensor ids = kcore::convert_to_tensor({0, 1, 1, 0});
  for (Seg op : {Seg::Sum, Seg::Max}) {
    const std::string name = op == Seg::Sum ? "segment_sum" : "segment_max";
    EXPECT_TRUE(throws_named<ValueError>(
        [&] {
          seg(op, data, kcore::convert_to_tensor({0, 1, 1}), 2);
        },
        name));
    EXPECT_TRUE(throws_named<ValueError>(
        [&] {
          seg(op, data, kcore::convert_to_tensor({{0, 1}, {1, 0}}), 2);
        },
        name));
    EXPECT_TRUE(throws_named<ValueError>(
        [&] {
          seg(op, data, kcore::convert_to_tensor({0.0, 1.0, 1.0, 0.0}), 2);
        },
        name));
    EXPECT_TRUE(throws_named<ValueError>(
        [&] {
          seg(op, data, kcore::convert_to_tensor({true, false, true, true}), 2);
        },
        name));
    EXPECT_TRUE(throws_named<ValueError>([&] { seg(op, data, ids, -1); }, name));
    EXPECT_TRUE(throws_named<ValueError>([&] { seg(op, kcore::ones({}), ids, 2); }, name));
    EXPECT_TRUE(throws_named<ValueError>(
        [&] { seg(op, kcore::cast(data, DType::Float8E5M2), ids, 2); }, name));
    EXPECT_TRUE(throws_named<ValueError>([&] { seg(op, data, ids, std::int64_t{1} << 62); }, name));
  }
  EXPECT_TRUE(throws_named<kcore::TypeError>(
      [&] { kcore::segment_max(kcore::ones({4}, DType::Complex64), ids, 2); }, "segment_max"));
}

// ------------------------------------------------------------------------------------------
// Gradients and batching

Tensor f64(const std::vector<double>& v, const Shape& shape) {
  return make(v, shape);
}

TEST(SelectionGradients, TopKValuesRouteToTheirIndices) {
  const Tensor x = f64({3.0, 1.0, 4.0, 1.5, 2.0, 7.0, 1.0, 8.0}, {2, 4});
  const Tensor w = f64({10.0, 1.0, 100.0, 2.0}, {2, 2});
  const auto g =
      kcore::grad([&](const Tensor& v) { return kcore::sum(kcore::top_k(v, 2).values * w); })(x);
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{1, 0, 10, 0, 0, 2, 0, 100}));
  // Second order: d/dx sum(top_k(x)^2) = 2 x at the chosen entries, whose gradient is 2 there.
  auto inner = kcore::grad([](const Tensor& v) {
    const Tensor t = kcore::top_k(v, 2).values;
    return kcore::sum(t * t);
  });
  const auto g2 = kcore::grad([&](const Tensor& v) { return kcore::sum(inner(v)); })(x);
  EXPECT_EQ(g2.to_vector<double>(), (std::vector<double>{2, 0, 2, 0, 0, 2, 0, 2}));
}

TEST(SelectionGradients, SegmentSumGathersAndDropsRows) {
  const Tensor data = f64({1.0, 2.0, 3.0, 4.0, 5.0}, {5});
  const Tensor ids = kcore::convert_to_tensor({1, -1, 0, 7, 1});
  const Tensor w = f64({10.0, 20.0}, {2});
  const auto g = kcore::grad(
      [&](const Tensor& v) { return kcore::sum(kcore::segment_sum(v, ids, 2) * w); })(data);
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{20, 0, 10, 0, 20}));
}

TEST(SelectionGradients, SegmentMaxTiesShareEqually) {
  const Tensor data = f64({1.0, 3.0, 3.0, 2.0, 5.0, -1.0}, {6});
  const Tensor ids = kcore::convert_to_tensor({0, 0, 0, 1, -1, 3});
  const auto g =
      kcore::grad([&](const Tensor& v) { return kcore::sum(kcore::segment_max(v, ids, 3)); })(data);
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{0, 0.5, 0.5, 1, 0, 0}));
  // Second order through the tie-sharing rule.
  auto inner = kcore::grad([&](const Tensor& v) {
    const Tensor m = kcore::segment_max(v, ids, 3);
    return kcore::sum(kcore::where(m > -1e300, m * m, kcore::zeros({}, DType::Float64)));
  });
  const auto g2 = kcore::grad([&](const Tensor& v) { return kcore::sum(inner(v)); })(data);
  EXPECT_EQ(g2.to_vector<double>(), (std::vector<double>{0, 1, 1, 2, 0, 0}));
}

TEST(SelectionGradients, InTopKHasNone) {
  const Tensor p = f64({0.1, 0.9, 0.5, 0.3, 0.2, 0.1}, {2, 3});
  const Tensor t = kcore::convert_to_tensor({2, 0});
  const auto g = kcore::grad([&](const Tensor& v) {
    const Tensor in = kcore::cast(kcore::in_top_k(t, v, 1), DType::Float64);
    return kcore::sum(kcore::expand_dims(in, {1}) * v);
  })(p);
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{0, 0, 0, 1, 1, 1}));
  EXPECT_THROW(kcore::grad([&](const Tensor& v) {
                 return kcore::sum(kcore::segment_sum(kcore::ones({2}), v, 3));
               })(kcore::convert_to_tensor({0, 1})),
               kcore::TypeError);
}

TEST(SelectionBatching, VectorizedMapEqualsLoop) {
  std::mt19937 rng(9);
  const Tensor xs = make(random_values<float>(rng, 4 * 3 * 6), {4, 3, 6});
  const Tensor mapped =
      kcore::vectorized_map([](const Tensor& x) { return kcore::top_k(x, 3).values; }, xs);
  for (std::int64_t b = 0; b < 4; ++b) {
    EXPECT_TRUE(all_same(kcore::getitem(mapped, {b}).to_vector<float>(),
                         kcore::top_k(kcore::getitem(xs, {b}), 3).values.to_vector<float>()));
  }
  // Batched data and batched ids, with drops: float sums bit-identical to the loop.
  const Tensor data = make(random_values<float>(rng, 5 * 40000), {5, 40000});
  std::vector<std::int32_t> idv(5 * 40000);
  for (auto& i : idv) i = std::uniform_int_distribution<std::int32_t>(-2, 30)(rng);
  for (bool sorted : {false, true}) {
    if (sorted) {
      for (int b = 0; b < 5; ++b) std::sort(idv.begin() + b * 40000, idv.begin() + (b + 1) * 40000);
    }
    const Tensor ids = make(idv, {5, 40000});
    const kcore::Tree out = kcore::vectorized_map(
        [&](const kcore::Tree& e) {
          return kcore::Tree(kcore::segment_sum(e[0].leaf(), e[1].leaf(), 25, sorted));
        },
        kcore::Tree::list({data, ids}));
    for (std::int64_t b = 0; b < 5; ++b) {
      const Tensor loop =
          kcore::segment_sum(kcore::getitem(data, {b}), kcore::getitem(ids, {b}), 25, sorted);
      const auto got = kcore::getitem(out.leaf(), {b}).to_vector<float>();
      const auto want = loop.to_vector<float>();
      EXPECT_TRUE(all_match(got, want, [](float a, float c) { return bits_equal(a, c); }));
    }
  }
  EXPECT_THROW(kcore::vectorized_map(
                   [&](const kcore::Tree& e) {
                     return kcore::Tree(kcore::segment_sum(e[0].leaf(), e[1].leaf()));
                   },
                   kcore::Tree::list({data, make(idv, {5, 40000})})),
               ValueError);
}

}  // namespace
}  // namespace kcore_test
