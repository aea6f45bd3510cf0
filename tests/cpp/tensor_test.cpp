// Tensor itself (construction, inspection, element access, storage sharing and ownership),
// shape helpers, creation ops, and Tensor::repr (against NumPy's array_repr).

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "core_test_helpers.h"

namespace kcore_test {
namespace {

// A tensor of `values` with `shape`, cast to `dtype` (through int64 for integer dtypes, so
// that out-of-range values wrap as in NumPy's astype).
Tensor from_doubles(const std::vector<double>& values, const Shape& shape, DType dtype) {
  Tensor t = kcore::reshape(kcore::convert_to_tensor(values), shape);
  if (kcore::is_integer(dtype)) t = kcore::cast(t, DType::Int64);
  return kcore::cast(t, dtype);
}

// start + step * i for i in [0, n), computed in double, then cast to `dtype`.
Tensor ramp(double start, double step, std::int64_t n, const Shape& shape, DType dtype) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(start + step * static_cast<double>(i));
  return from_doubles(v, shape, dtype);
}

template <class C>
Tensor complex_tensor(const std::vector<C>& values) {
  return kcore::convert_to_tensor(values);
}

// ---- Construction and inspection ---------------------------------------------------------

TEST(Tensor, DefaultIsAFloat32ScalarZero) {
  const Tensor t;
  EXPECT_EQ(t.dtype(), DType::Float32);
  EXPECT_EQ(t.shape(), Shape{});
  EXPECT_EQ(t.ndim(), 0);
  EXPECT_EQ(t.size(), 1);
  EXPECT_FALSE(t.weak());
  EXPECT_EQ(t.item<float>(), 0.0F);
  std::vector<Tensor> many(3);
  EXPECT_EQ(many[2].item<float>(), 0.0F);
}

TEST(Tensor, ScalarsConvertLikePythonScalars) {
  const Tensor b(true);
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_FALSE(b.weak());
  EXPECT_TRUE(b.item<bool>());
  const Tensor i(-7);
  EXPECT_EQ(i.dtype(), DType::Int32);
  EXPECT_TRUE(i.weak());
  EXPECT_EQ(i.item<std::int32_t>(), -7);
  const Tensor small(std::int8_t{-3});
  EXPECT_EQ(small.dtype(), DType::Int32);
  EXPECT_EQ(small.item<std::int32_t>(), -3);
  const Tensor big(std::int64_t{1} << 40);
  EXPECT_EQ(big.dtype(), DType::Int64);
  EXPECT_TRUE(big.weak());
  EXPECT_EQ(big.item<std::int64_t>(), std::int64_t{1} << 40);
  const Tensor neg_big(-(std::int64_t{1} << 40));
  EXPECT_EQ(neg_big.dtype(), DType::Int64);
  const Tensor u(std::uint32_t{4000000000U});
  EXPECT_EQ(u.dtype(), DType::Int64);
  EXPECT_EQ(u.item<std::int64_t>(), 4000000000LL);
  const Tensor huge(~std::uint64_t{0});
  EXPECT_EQ(huge.dtype(), DType::UInt64);
  EXPECT_EQ(huge.item<std::uint64_t>(), ~std::uint64_t{0});
  const Tensor f(0.1F);
  EXPECT_EQ(f.dtype(), DType::Float64);  // held wide, resolves to float32 in promotion
  EXPECT_TRUE(f.weak());
  EXPECT_EQ(f.item<double>(), static_cast<double>(0.1F));
  const Tensor d(0.1);
  EXPECT_EQ(d.item<double>(), 0.1);
  EXPECT_FALSE(d.with_weak(false).weak());
  EXPECT_TRUE(d.with_weak(false).shares_storage_with(d));
}

TEST(Tensor, ShapeStridesAndDims) {
  const Tensor x = kcore::zeros({2, 3, 4});
  EXPECT_EQ(x.ndim(), 3);
  EXPECT_EQ(x.size(), 24);
  EXPECT_EQ(x.strides(), (Strides{12, 4, 1}));
  EXPECT_EQ(x.offset(), 0);
  EXPECT_EQ(x.dim(0), 2);
  EXPECT_EQ(x.dim(-1), 4);
  EXPECT_EQ(x.dim(-3), 2);
  EXPECT_TRUE(throws_named<kcore::IndexError>([&] { x.dim(3); }, "dim"));
  EXPECT_TRUE(throws_named<kcore::IndexError>([&] { x.dim(-4); }, "dim"));
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_FALSE(kcore::transpose(x).is_contiguous());
  EXPECT_FALSE(
      kcore::getitem(x, {kcore::Slice{}, kcore::Slice{}, kcore::Slice{0, 4, 2}}).is_contiguous());
  EXPECT_FALSE(kcore::broadcast_to(kcore::zeros({4}), {3, 4}).is_contiguous());
  // Size-1 axes do not matter, whatever their stride.
  EXPECT_TRUE(kcore::getitem(x, {kcore::Slice{0, 1}}).is_contiguous());
  EXPECT_TRUE(kcore::getitem(x, {std::int64_t{1}}).is_contiguous());
  EXPECT_EQ(kcore::getitem(x, {std::int64_t{1}}).offset(), 12);
  EXPECT_TRUE(kcore::broadcast_to(kcore::zeros({4}), {1, 4}).is_contiguous());
  EXPECT_TRUE(kcore::zeros({0, 3}).is_contiguous());
  EXPECT_TRUE(Tensor(1).is_contiguous());
}

TEST(Tensor, ShapeHelpers) {
  EXPECT_EQ(kcore::format_shape(Shape{2, 3}), "(2, 3)");
  EXPECT_EQ(kcore::format_shape(Shape{5}), "(5,)");
  EXPECT_EQ(kcore::format_shape(Shape{}), "()");
  EXPECT_EQ(kcore::shape_size(Shape{2, 3, 4}), 24);
  EXPECT_EQ(kcore::shape_size(Shape{}), 1);
  EXPECT_EQ(kcore::shape_size(Shape{3, 0}), 0);
  EXPECT_EQ(kcore::contiguous_strides(Shape{2, 3, 4}), (Strides{12, 4, 1}));
  EXPECT_EQ(kcore::contiguous_strides(Shape{}), Strides{});
  EXPECT_EQ(kcore::contiguous_strides(Shape{2, 0, 3}), (Strides{3, 3, 1}));
  EXPECT_EQ(kcore::normalize_axis(-1, 3, "op"), 2);
  EXPECT_EQ(kcore::normalize_axis(0, 1, "op"), 0);
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::normalize_axis(3, 3, "myop"); }, "myop"));
  EXPECT_TRUE(
      throws_named<kcore::ValueError>([] { kcore::normalize_axis(-4, 3, "myop"); }, "myop"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::normalize_axis(0, 0, "myop"); }, "myop"));
}

TEST(Tensor, ElementAccess) {
  std::mt19937 rng(1);
  const auto v = random_values<double>(rng, 24);
  const Tensor x = scattered(v, {2, 3, 4}, rng);
  for (std::int64_t i = 0; i < 24; ++i) {
    const auto idx = unravel(i, {2, 3, 4});
    EXPECT_EQ(x.at<double>(idx), v[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ((x.at<double>({-1, -1, -1})), v[23]);
  EXPECT_EQ((x.at<double>({1, 0, -4})), v[12]);
  EXPECT_EQ(x.to_vector<double>(), v);
  std::vector<double> out(24);
  x.copy_to(out.data());
  EXPECT_EQ(out, v);
  EXPECT_TRUE(throws_named<kcore::IndexError>([&] { x.at<double>({2, 0, 0}); }, "at"));
  EXPECT_TRUE(throws_named<kcore::IndexError>([&] { x.at<double>({0, -4, 0}); }, "at"));
  EXPECT_TRUE(throws_named<kcore::IndexError>([&] { x.at<double>({0, 0}); }, "at"));
  // The element type must match the dtype.
  EXPECT_THROW(x.at<float>({0, 0, 0}), kcore::TypeError);
  EXPECT_THROW(x.to_vector<std::int64_t>(), kcore::TypeError);
  EXPECT_THROW(x.data<float>(), kcore::TypeError);
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { x.item<double>(); }, "item"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::zeros({0}).item<float>(); }, "item"));
  // item of a one-element view reads the viewed element.
  EXPECT_EQ(kcore::getitem(x, {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}}).item<double>(),
            v[23]);
  EXPECT_EQ(
      kcore::reshape(
          kcore::getitem(x, {kcore::Slice{1, 2}, kcore::Slice{2, 3}, kcore::Slice{3, 4}}), {1})
          .item<double>(),
      v[23]);
  // Broadcast views read repeated elements.
  const Tensor b = kcore::broadcast_to(kcore::convert_to_tensor({1, 2}), {3, 2});
  EXPECT_EQ(b.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 2, 1, 2, 1, 2}));
  EXPECT_EQ(kcore::convert_to_tensor({true, false}).to_vector<bool>(),
            (std::vector<bool>{true, false}));
}

TEST(Tensor, ElementAccessForEveryDtype) {
  std::mt19937 rng(2);
  for_each_type(NumericTypes{}, [&]<class T>() {
    const auto v = random_values<T>(rng, 12);
    const Tensor x = scattered(v, {3, 4}, rng);
    EXPECT_EQ(x.dtype(), kcore::dtype_of<T>);
    EXPECT_TRUE(all_same(x.to_vector<T>(), v)) << dtype_name(kcore::dtype_of<T>);
    EXPECT_TRUE(same_value(x.at<T>({2, 3}), v[11]));
    EXPECT_TRUE(same_value(kcore::getitem(x, {std::int64_t{1}, std::int64_t{-1}}).item<T>(), v[7]));
  });
}

// ---- Storage ------------------------------------------------------------------------------

TEST(Storage, OwnedBuffersAreAligned) {
  for (std::size_t n : {0U, 1U, 7U, 64U, 1000U}) {
    kcore::Storage s(n);
    EXPECT_EQ(s.nbytes(), n);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(s.data()) % 64, 0U);
  }
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(kcore::zeros({3}).bytes()) % 64, 0U);
}

TEST(Storage, BorrowedBuffersAreReleasedOnceWhenTheLastTensorGoes) {
  auto* data = new std::int32_t[6]{1, 2, 3, 4, 5, 6};
  int releases = 0;
  {
    auto storage = std::make_shared<kcore::Storage>(data, 6 * sizeof(std::int32_t), [&] {
      ++releases;
      delete[] data;
    });
    const Tensor t = Tensor::from_storage(storage, {2, 3}, {3, 1}, 0, DType::Int32);
    storage.reset();
    Tensor view = kcore::transpose(t);
    {
      const Tensor row = kcore::getitem(t, {std::int64_t{1}});
      EXPECT_EQ(row.to_vector<std::int32_t>(), (std::vector<std::int32_t>{4, 5, 6}));
      EXPECT_TRUE(row.shares_storage_with(t));
    }
    EXPECT_EQ(releases, 0);
    EXPECT_EQ(view.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 4, 2, 5, 3, 6}));
    // A computed result owns a new buffer.
    const Tensor doubled = view * 2;
    EXPECT_FALSE(doubled.shares_storage_with(t));
  }
  EXPECT_EQ(releases, 1);
}

TEST(Tensor, ViewsShareTheBuffer) {
  const Tensor x = kcore::reshape(kcore::arange(12), {3, 4});
  const Tensor v = Tensor::view(x, {2, 2}, {4, 2}, 5);
  EXPECT_TRUE(v.shares_storage_with(x));
  EXPECT_EQ(v.to_vector<std::int32_t>(), (std::vector<std::int32_t>{5, 7, 9, 11}));
  EXPECT_EQ(v.offset(), 5);
  EXPECT_FALSE(x.shares_storage_with(kcore::arange(12)));
}

TEST(Tensor, EmptyValidatesTheShape) {
  EXPECT_EQ(Tensor::empty({2, 0, 3}, DType::Float64).size(), 0);
  EXPECT_EQ(Tensor::empty({}, DType::Int8).size(), 1);
  EXPECT_THROW(Tensor::empty({2, -1}, DType::Float32), kcore::ValueError);
  EXPECT_THROW(Tensor::empty({std::int64_t{1} << 40, std::int64_t{1} << 40}, DType::Float32),
               kcore::ValueError);
  // Elements that fit in int64 whose bytes do not: no wrapped-around small buffer.
  EXPECT_THROW(Tensor::empty({std::int64_t{1} << 62}, DType::Complex128), kcore::ValueError);
  EXPECT_THROW(Tensor::empty({std::int64_t{1} << 61, 4}, DType::Int8), kcore::ValueError);
  EXPECT_EQ(Tensor::empty({0, std::int64_t{1} << 62, 4}, DType::Complex128).size(), 0);
}

// ---- Creation ops ---------------------------------------------------------------------------

TEST(Creation, ZerosOnesFullForEveryDtype) {
  for_each_type(NumericTypes{}, [&]<class T>() {
    const DType d = kcore::dtype_of<T>;
    const Tensor z = kcore::zeros({2, 3}, d);
    EXPECT_EQ(z.dtype(), d);
    EXPECT_EQ(z.shape(), (Shape{2, 3}));
    EXPECT_TRUE(all_same(z.to_vector<T>(), std::vector<T>(6, of<T>(0))));
    const Tensor o = kcore::ones({4}, d);
    EXPECT_TRUE(all_same(o.to_vector<T>(), std::vector<T>(4, of<T>(1))));
    const Tensor f = kcore::full({2, 2}, 3, d);
    EXPECT_EQ(f.dtype(), d);
    EXPECT_TRUE(all_same(f.to_vector<T>(), std::vector<T>(4, of<T>(3))));
    EXPECT_EQ(kcore::zeros({0, 5}, d).size(), 0);
    EXPECT_EQ(kcore::ones({}, d).size(), 1);
  });
  // float8 tensors can be created (storage only).
  for (DType f8 : {DType::Float8E4M3FN, DType::Float8E5M2}) {
    const Tensor o = kcore::ones({3}, f8);
    EXPECT_EQ(o.dtype(), f8);
    EXPECT_EQ(kcore::cast(o, DType::Float32).to_vector<float>(), (std::vector<float>{1, 1, 1}));
  }
  EXPECT_EQ(kcore::zeros({2}).dtype(), DType::Float32);
}

TEST(Creation, FullTakesTheFillValuesDtype) {
  EXPECT_EQ(kcore::full({2}, 7).dtype(), DType::Int32);
  EXPECT_FALSE(kcore::full({2}, 7).weak());
  EXPECT_EQ(kcore::full({2}, 2.5).dtype(), DType::Float32);
  EXPECT_EQ(kcore::full({2}, 2.5).to_vector<float>(), (std::vector<float>{2.5, 2.5}));
  EXPECT_EQ(kcore::full({2}, true).dtype(), DType::Bool);
  EXPECT_EQ(kcore::full({2}, std::int64_t{1} << 40).dtype(), DType::Int64);
  EXPECT_EQ(kcore::full({2}, kcore::ones({}, DType::UInt16)).dtype(), DType::UInt16);
  EXPECT_EQ(kcore::full({2}, 2.7, DType::Int8).to_vector<std::int8_t>(),
            (std::vector<std::int8_t>{2, 2}));
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::full({2}, kcore::zeros({1})); }, "full"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::full({2, -1}, 1); }, "full"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::zeros({-1}); }, "zeros"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::ones({3, -2}); }, "ones"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [] {
        kcore::zeros({std::int64_t{1} << 40, std::int64_t{1} << 40});
      },
      "zeros"));
  // Over the parallel threshold.
  const Tensor big = kcore::full({300000}, 1.25, DType::Float64);
  const auto bv = big.to_vector<double>();
  EXPECT_TRUE(std::all_of(bv.begin(), bv.end(), [](double x) { return x == 1.25; }));
}

TEST(Creation, Arange) {
  EXPECT_EQ(kcore::arange(5).to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(kcore::arange(5).dtype(), DType::Int32);
  EXPECT_EQ(kcore::arange(0).shape(), Shape{0});
  EXPECT_EQ(kcore::arange(-3).shape(), Shape{0});
  EXPECT_EQ(kcore::arange(2, 11, 3).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{2, 5, 8}));
  EXPECT_EQ(kcore::arange(5, 0, -2).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{5, 3, 1}));
  EXPECT_EQ(kcore::arange(5, 0, 1).shape(), Shape{0});
  const Tensor f = kcore::arange(0, 1, 0.1);
  EXPECT_EQ(f.dtype(), DType::Float32);
  ASSERT_EQ(f.shape(), Shape{10});
  const auto fv = f.to_vector<float>();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(fv[i], static_cast<float>(0.1 * i));
  EXPECT_EQ(kcore::arange(0.5, 3).to_vector<float>(), (std::vector<float>{0.5, 1.5, 2.5}));
  EXPECT_EQ(kcore::arange(0, 4, 1, DType::Float16).dtype(), DType::Float16);
  EXPECT_EQ(kcore::arange(kcore::ones({}, DType::Int8), 4).dtype(), DType::Int8);
  EXPECT_EQ(kcore::arange(std::int64_t{1} << 40, (std::int64_t{1} << 40) + 2).dtype(),
            DType::Int64);
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::arange(0, 5, 0); }, "arange"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::arange(0, 1e300); }, "arange"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::arange(0, INFINITY); }, "arange"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([] { kcore::arange(0, 1, NAN); }, "arange"));
  EXPECT_EQ(kcore::arange(0, NAN).shape(), Shape{0});
  EXPECT_TRUE(
      throws_named<kcore::ValueError>([] { kcore::arange(kcore::zeros({2}), 5); }, "arange"));
}

TEST(Creation, ArrayCopies) {
  const Tensor x = kcore::convert_to_tensor({1.0F, 2.0F});
  const Tensor a = kcore::array(x);
  EXPECT_FALSE(a.shares_storage_with(x));
  EXPECT_EQ(a.to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(kcore::array(x, DType::Int32).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(kcore::array({{1, 2}, {3, 4}}).shape(), (Shape{2, 2}));
  const Tensor t = kcore::transpose(kcore::reshape(kcore::arange(6), {2, 3}));
  const Tensor c = kcore::array(t);
  EXPECT_FALSE(c.shares_storage_with(t));
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.to_vector<std::int32_t>(), t.to_vector<std::int32_t>());
}

// ---- repr -------------------------------------------------------------------------------------

struct ReprCase {
  Tensor tensor;
  std::string expected;
};

TEST(Repr, MatchesNumPy) {
  const std::vector<ReprCase> cases = {
      // Generated from NumPy 2.4.6 (np.array_repr with the dtype always shown).
      {from_doubles({1.0, 2.0, 3.0, 4.0}, {2, 2}, DType::Int32),
       "array([[1, 2],\n       [3, 4]], dtype=int32)"},
      {from_doubles({2.5}, {}, DType::Float32), "array(2.5, dtype=float32)"},
      {from_doubles({1.0, 0.0}, {2}, DType::Bool), "array([ True, False], dtype=bool)"},
      {from_doubles({1.0, 1.0}, {2}, DType::Bool), "array([ True,  True], dtype=bool)"},
      {from_doubles({1.0}, {}, DType::Bool), "array(True, dtype=bool)"},
      {from_doubles({1.0, 0.0, 0.0, 1.0}, {2, 2}, DType::Bool),
       "array([[ True, False],\n       [False,  True]], dtype=bool)"},
      {from_doubles({-5.0, 100.0, 7.0}, {3}, DType::Int8), "array([ -5, 100,   7], dtype=int8)"},
      {from_doubles({-5.0, 10.0, 200.0}, {3}, DType::Int16), "array([ -5,  10, 200], dtype=int16)"},
      {from_doubles({7.0}, {}, DType::Int64), "array(7, dtype=int64)"},
      {ramp(0, 1, 30, {30}, DType::Int32),
       "array([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16,\n       17, 18, "
       "19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dtype=int32)"},
      {ramp(0, 1, 2000, {2000}, DType::Int32),
       "array([   0,    1,    2, ..., 1997, 1998, 1999],\n      shape=(2000,), dtype=int32)"},
      {ramp(0, 1, 2000, {2, 10, 100}, DType::Int32),
       "array([[[   0,    1,    2, ...,   97,   98,   99],\n        [ 100,  101,  102, ...,  197,  "
       "198,  199],\n        [ 200,  201,  202, ...,  297,  298,  299],\n        ...,\n        [ "
       "700,  701,  702, ...,  797,  798,  799],\n        [ 800,  801,  802, ...,  897,  898,  "
       "899],\n        [ 900,  901,  902, ...,  997,  998,  999]],\n\n       [[1000, 1001, 1002, "
       "..., 1097, 1098, 1099],\n        [1100, 1101, 1102, ..., 1197, 1198, 1199],\n        "
       "[1200, 1201, 1202, ..., 1297, 1298, 1299],\n        ...,\n        [1700, 1701, 1702, ..., "
       "1797, 1798, 1799],\n        [1800, 1801, 1802, ..., 1897, 1898, 1899],\n        [1900, "
       "1901, 1902, ..., 1997, 1998, 1999]]],\n      shape=(2, 10, 100), dtype=int32)"},
      {ramp(0, 1, 1001, {1001}, DType::UInt8),
       "array([  0,   1,   2, ..., 230, 231, 232], shape=(1001,), dtype=uint8)"},
      {ramp(0, 1, 3000, {30, 100}, DType::Int64),
       "array([[   0,    1,    2, ...,   97,   98,   99],\n       [ 100,  101,  102, ...,  197,  "
       "198,  199],\n       [ 200,  201,  202, ...,  297,  298,  299],\n       ...,\n       [2700, "
       "2701, 2702, ..., 2797, 2798, 2799],\n       [2800, 2801, 2802, ..., 2897, 2898, 2899],\n   "
       "    [2900, 2901, 2902, ..., 2997, 2998, 2999]],\n      shape=(30, 100), dtype=int64)"},
      {ramp(0, 1, 24, {2, 3, 4}, DType::Int16),
       "array([[[ 0,  1,  2,  3],\n        [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]],\n\n       "
       "[[12, 13, 14, 15],\n        [16, 17, 18, 19],\n        [20, 21, 22, 23]]], dtype=int16)"},
      {ramp(-123456, 0, 120, {3, 40}, DType::Int32),
       "array([[-123456, -123456, -123456, -123456, -123456, -123456, -123456,\n        -123456, "
       "-123456, -123456, -123456, -123456, -123456, -123456,\n        -123456, -123456, -123456, "
       "-123456, -123456, -123456, -123456,\n        -123456, -123456, -123456, -123456, -123456, "
       "-123456, -123456,\n        -123456, -123456, -123456, -123456, -123456, -123456, "
       "-123456,\n        -123456, -123456, -123456, -123456, -123456],\n       [-123456, -123456, "
       "-123456, -123456, -123456, -123456, -123456,\n        -123456, -123456, -123456, -123456, "
       "-123456, -123456, -123456,\n        -123456, -123456, -123456, -123456, -123456, -123456, "
       "-123456,\n        -123456, -123456, -123456, -123456, -123456, -123456, -123456,\n        "
       "-123456, -123456, -123456, -123456, -123456, -123456, -123456,\n        -123456, -123456, "
       "-123456, -123456, -123456],\n       [-123456, -123456, -123456, -123456, -123456, -123456, "
       "-123456,\n        -123456, -123456, -123456, -123456, -123456, -123456, -123456,\n        "
       "-123456, -123456, -123456, -123456, -123456, -123456, -123456,\n        -123456, -123456, "
       "-123456, -123456, -123456, -123456, -123456,\n        -123456, -123456, -123456, -123456, "
       "-123456, -123456, -123456,\n        -123456, -123456, -123456, -123456, -123456]], "
       "dtype=int32)"},
      {ramp(0, 1, 48, {2, 2, 3, 4}, DType::UInt16),
       "array([[[[ 0,  1,  2,  3],\n         [ 4,  5,  6,  7],\n         [ 8,  9, 10, 11]],\n\n    "
       "    [[12, 13, 14, 15],\n         [16, 17, 18, 19],\n         [20, 21, 22, 23]]],\n\n\n     "
       "  [[[24, 25, 26, 27],\n         [28, 29, 30, 31],\n         [32, 33, 34, 35]],\n\n        "
       "[[36, 37, 38, 39],\n         [40, 41, 42, 43],\n         [44, 45, 46, 47]]]], "
       "dtype=uint16)"},
      {from_doubles({1.5, 2.0, -3.25}, {3}, DType::Float32),
       "array([ 1.5 ,  2.  , -3.25], dtype=float32)"},
      {from_doubles({1e-05, 1.0}, {2}, DType::Float32), "array([1.e-05, 1.e+00], dtype=float32)"},
      {from_doubles({100000000.0}, {}, DType::Float32), "array(1.e+08, dtype=float32)"},
      {from_doubles({1e-05}, {}, DType::Float64), "array(1.e-05, dtype=float64)"},
      {from_doubles({0.1, 100.0}, {2}, DType::Float32), "array([  0.1, 100. ], dtype=float32)"},
      {from_doubles({NAN, 1.0, -INFINITY}, {3}, DType::Float32),
       "array([ nan,   1., -inf], dtype=float32)"},
      {from_doubles({NAN, INFINITY}, {2}, DType::Float32), "array([nan, inf], dtype=float32)"},
      {from_doubles({1.5, NAN, INFINITY}, {3}, DType::Float32),
       "array([1.5, nan, inf], dtype=float32)"},
      {from_doubles({0.3333333333333333, 0.6666666666666666}, {2}, DType::Float64),
       "array([0.33333333, 0.66666667], dtype=float64)"},
      {from_doubles({0.3333333333333333, 0.6666666666666666}, {2}, DType::Float32),
       "array([0.33333334, 0.6666667 ], dtype=float32)"},
      {from_doubles({0.1}, {1}, DType::Float16), "array([0.1], dtype=float16)"},
      {from_doubles({0.0, 1.0, 2.0, 3.0}, {4}, DType::Float16),
       "array([0., 1., 2., 3.], dtype=float16)"},
      // bfloat16 follows NumPy's rule for its own float types (ml_dtypes prints it unaligned).
      {from_doubles({1.5, -2.25}, {2}, DType::BFloat16), "array([ 1.5 , -2.25], dtype=bfloat16)"},
      {from_doubles({123456789.0}, {1}, DType::Float64), "array([1.23456789e+08], dtype=float64)"},
      {from_doubles({-0.0, 0.0}, {2}, DType::Float32), "array([-0.,  0.], dtype=float32)"},
      {from_doubles({-0.0, 0.0, -1.0}, {3}, DType::Float64),
       "array([-0.,  0., -1.], dtype=float64)"},
      {from_doubles({1e+20, 1.0}, {2}, DType::Float64), "array([1.e+20, 1.e+00], dtype=float64)"},
      {from_doubles({1.0, 2.5, 3.0, 4.0}, {2, 2}, DType::Float32),
       "array([[1. , 2.5],\n       [3. , 4. ]], dtype=float32)"},
      {from_doubles({0.0, 1.1, 2.2, 3.3, 4.4, 5.5}, {2, 3}, DType::Float64),
       "array([[0. , 1.1, 2.2],\n       [3.3, 4.4, 5.5]], dtype=float64)"},
      {from_doubles({1e-05, 10000000000.0}, {2}, DType::Float32),
       "array([1.e-05, 1.e+10], dtype=float32)"},
      {from_doubles({123456.789, 0.001}, {2}, DType::Float64),
       "array([1.23456789e+05, 1.00000000e-03], dtype=float64)"},
      {from_doubles({0.1, 0.25, -3.0}, {3}, DType::Float64),
       "array([ 0.1 ,  0.25, -3.  ], dtype=float64)"},
      {from_doubles({0.0, 1e-05}, {2}, DType::Float64), "array([0.e+00, 1.e-05], dtype=float64)"},
      {from_doubles({-1.5e-05, 2.0, 1000.0}, {3}, DType::Float64),
       "array([-1.5e-05,  2.0e+00,  1.0e+03], dtype=float64)"},
      {from_doubles({1e+100, -1e-100}, {2}, DType::Float64),
       "array([ 1.e+100, -1.e-100], dtype=float64)"},
      {from_doubles({NAN, NAN}, {2}, DType::Float64), "array([nan, nan], dtype=float64)"},
      {from_doubles({-INFINITY}, {1}, DType::Float64), "array([-inf], dtype=float64)"},
      {from_doubles({65504.0, -0.5}, {2}, DType::Float16),
       "array([ 6.55e+04, -5.00e-01], dtype=float16)"},
      {from_doubles({1024.0}, {1}, DType::Float16), "array([1.024e+03], dtype=float16)"},
      {from_doubles({999.0, 1.0}, {2}, DType::Float16), "array([999.,   1.], dtype=float16)"},
      {from_doubles({1000.0, 1.0}, {2}, DType::Float16), "array([1.e+03, 1.e+00], dtype=float16)"},
      {from_doubles({79324344.0}, {}, DType::Float32), "array(7.9324344e+07, dtype=float32)"},
      {from_doubles({999999.0, 70000.0}, {2}, DType::Float32),
       "array([999999.,  70000.], dtype=float32)"},
      {from_doubles({1000000.0}, {1}, DType::Float32), "array([1.e+06], dtype=float32)"},
      {from_doubles({99999999.0}, {1}, DType::Float64), "array([99999999.], dtype=float64)"},
      {ramp(0, 0.034482758620689655, 30, {30}, DType::Float32),
       "array([0.        , 0.03448276, 0.06896552, 0.10344828, 0.13793103,\n       0.1724138 , "
       "0.20689656, 0.2413793 , 0.27586207, 0.31034482,\n       0.3448276 , 0.37931034, "
       "0.41379312, 0.44827586, 0.4827586 ,\n       0.51724136, 0.55172414, 0.5862069 , "
       "0.62068963, 0.6551724 ,\n       0.6896552 , 0.7241379 , 0.7586207 , 0.79310346, "
       "0.82758623,\n       0.86206895, 0.8965517 , 0.9310345 , 0.9655172 , 1.        ],\n      "
       "dtype=float32)"},
      {ramp(0, 0.00066711140760507, 1500, {1500}, DType::Float32),
       "array([0.0000000e+00, 6.6711142e-04, 1.3342228e-03, ..., 9.9866575e-01,\n       "
       "9.9933290e-01, 1.0000000e+00], shape=(1500,), dtype=float32)"},
      {ramp(-1, 0.37, 12, {3, 4}, DType::Float64),
       "array([[-1.  , -0.63, -0.26,  0.11],\n       [ 0.48,  0.85,  1.22,  1.59],\n       [ 1.96, "
       " 2.33,  2.7 ,  3.07]], dtype=float64)"},
      {ramp(1000000, 0.5, 60, {60}, DType::Float64),
       "array([1000000. , 1000000.5, 1000001. , 1000001.5, 1000002. , 1000002.5,\n       1000003. "
       ", 1000003.5, 1000004. , 1000004.5, 1000005. , 1000005.5,\n       1000006. , 1000006.5, "
       "1000007. , 1000007.5, 1000008. , 1000008.5,\n       1000009. , 1000009.5, 1000010. , "
       "1000010.5, 1000011. , 1000011.5,\n       1000012. , 1000012.5, 1000013. , 1000013.5, "
       "1000014. , 1000014.5,\n       1000015. , 1000015.5, 1000016. , 1000016.5, 1000017. , "
       "1000017.5,\n       1000018. , 1000018.5, 1000019. , 1000019.5, 1000020. , 1000020.5,\n     "
       "  1000021. , 1000021.5, 1000022. , 1000022.5, 1000023. , 1000023.5,\n       1000024. , "
       "1000024.5, 1000025. , 1000025.5, 1000026. , 1000026.5,\n       1000027. , 1000027.5, "
       "1000028. , 1000028.5, 1000029. , 1000029.5],\n      dtype=float64)"},
      {from_doubles({1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.25}, {2, 2, 2}, DType::Float32),
       "array([[[1.5 , 2.  ],\n        [3.  , 4.  ]],\n\n       [[5.  , 6.  ],\n        [7.  , "
       "8.25]]], dtype=float32)"},
      {complex_tensor<c64>({{1.0, 2.0}, {3.0, -4.5}}),
       "array([1.+2.j , 3.-4.5j], dtype=complex64)"},
      {complex_tensor<c128>({{0.5, -0.0}, {NAN, INFINITY}}),
       "array([0.5 -0.j, nan+infj], dtype=complex128)"},
      {complex_tensor<c128>({{1e-05, 1.0}, {2.0, 3.0}}),
       "array([1.e-05+1.j, 2.e+00+3.j], dtype=complex128)"},
      {complex_tensor<c64>({{1.0, 1.0}}), "array([1.+1.j], dtype=complex64)"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.tensor.repr(), c.expected);
    // The layout in memory does not matter.
    const Tensor flipped = kcore::transpose(kcore::ascontiguous(kcore::transpose(c.tensor)));
    EXPECT_EQ(flipped.repr(), c.expected);
  }
}

TEST(Repr, TheBriefsExamples) {
  EXPECT_EQ(kcore::convert_to_tensor({{1, 2}, {3, 4}}).repr(),
            "array([[1, 2],\n       [3, 4]], dtype=int32)");
  EXPECT_EQ(kcore::convert_to_tensor(2.5).repr(), "array(2.5, dtype=float32)");
  EXPECT_EQ(kcore::convert_to_tensor({true, false}).repr(), "array([ True, False], dtype=bool)");
  EXPECT_EQ(kcore::convert_to_tensor(false).repr(), "array(False, dtype=bool)");
  // Every empty tensor shows its shape, (0,) included.
  EXPECT_EQ(kcore::zeros({0}).repr(), "array([], shape=(0,), dtype=float32)");
  EXPECT_EQ(kcore::zeros({2, 0}, DType::Int8).repr(), "array([], shape=(2, 0), dtype=int8)");
  EXPECT_EQ(kcore::zeros({0, 3}, DType::Bool).repr(), "array([], shape=(0, 3), dtype=bool)");
  std::ostringstream os;
  os << kcore::arange(3);
  EXPECT_EQ(os.str(), "array([0, 1, 2], dtype=int32)");
}

TEST(Repr, TensorsWithoutValues) {
  // A tracer of vectorized_map has a shape and a dtype but no values.
  const Tensor t = Tensor::traced({3, 2}, DType::Float16, false, nullptr);
  EXPECT_EQ(t.repr(), "array(<traced>, shape=(3, 2), dtype=float16)");
}

TEST(Repr, ViewsPrintTheirOwnElements) {
  const Tensor x = kcore::reshape(kcore::arange(12), {3, 4});
  EXPECT_EQ(kcore::transpose(x).repr(),
            "array([[ 0,  4,  8],\n       [ 1,  5,  9],\n       [ 2,  6, 10],\n"
            "       [ 3,  7, 11]], dtype=int32)");
  EXPECT_EQ(
      kcore::getitem(x, {kcore::Slice{std::nullopt, std::nullopt, -2}, std::int64_t{-1}}).repr(),
      "array([11,  3], dtype=int32)");
  EXPECT_EQ(kcore::broadcast_to(kcore::convert_to_tensor({7, 8}), {2, 2}).repr(),
            "array([[7, 8],\n       [7, 8]], dtype=int32)");
}

TEST(Repr, EveryDtypeIsNamed) {
  for (DType d : kcore::kAllDTypes) {
    const std::string r = kcore::ones({2}, d).repr();
    EXPECT_EQ(r.substr(0, 7), "array([") << r;
    EXPECT_EQ(r.substr(r.size() - dtype_name(d).size() - 7), "dtype=" + dtype_name(d) + ")") << r;
  }
  EXPECT_EQ(kcore::ones({2}, DType::Float8E4M3FN).repr(), "array([1., 1.], dtype=float8_e4m3fn)");
  EXPECT_EQ(kcore::full({2}, -1.5, DType::Float8E5M2).repr(),
            "array([-1.5, -1.5], dtype=float8_e5m2)");
  EXPECT_EQ(kcore::convert_to_tensor(std::vector<std::uint64_t>{~0ULL}).repr(),
            "array([18446744073709551615], dtype=uint64)");
  EXPECT_EQ(kcore::convert_to_tensor(std::vector<std::int64_t>{INT64_MIN}).repr(),
            "array([-9223372036854775808], dtype=int64)");
}

// Printed floats read back to the same values (each is the shortest such decimal, and
// values of one magnitude print positionally with at most 8 digits after the point).
template <class T>
void check_round_trip(std::mt19937& rng) {
  for (int trial = 0; trial < 20; ++trial) {
    const Shape shape = random_shape(rng, 1, 3, 6);
    std::vector<T> v;
    for (std::int64_t i = 0; i < numel(shape); ++i) {
      const double m = std::uniform_real_distribution<double>(1.0, 900.0)(rng);
      v.push_back(T(std::uniform_int_distribution<int>(0, 1)(rng) ? m : -m));
    }
    const std::string r = make(v, shape).repr();
    std::string body = r.substr(6, r.rfind("dtype=") - 6);
    for (char& c : body) {
      if (c == '[' || c == ']' || c == ',' || c == '\n') c = ' ';
    }
    std::istringstream in(body);
    std::vector<T> back;
    for (std::string tok; in >> tok;) back.push_back(T(std::strtod(tok.c_str(), nullptr)));
    ASSERT_TRUE(all_same(back, v)) << r;
  }
}

TEST(Repr, FloatsReadBack) {
  std::mt19937 rng(10);
  check_round_trip<float>(rng);
  check_round_trip<float16>(rng);
  check_round_trip<bfloat16>(rng);
}

TEST(Repr, LongRowsWrapAndLargeTensorsAreSummarised) {
  const Tensor big = kcore::reshape(kcore::arange(100000), {100, 1000});
  const std::string r = big.repr();
  EXPECT_EQ(r,
            "array([[    0,     1,     2, ...,   997,   998,   999],\n"
            "       [ 1000,  1001,  1002, ...,  1997,  1998,  1999],\n"
            "       [ 2000,  2001,  2002, ...,  2997,  2998,  2999],\n"
            "       ...,\n"
            "       [97000, 97001, 97002, ..., 97997, 97998, 97999],\n"
            "       [98000, 98001, 98002, ..., 98997, 98998, 98999],\n"
            "       [99000, 99001, 99002, ..., 99997, 99998, 99999]],\n"
            "      shape=(100, 1000), dtype=int32)");
  // No line is longer than NumPy's 75 columns.
  const std::string wide = ramp(-50, 1.0 / 3, 200, {4, 50}, DType::Float64).repr();
  std::istringstream lines(wide);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 75U) << line;
}

// The address of a float32 buffer of `shape`, written and then freed.
const std::byte* freed_buffer(const Shape& shape) {
  Tensor t = Tensor::empty(shape, DType::Float32);
  std::memset(t.mutable_bytes(), 1, static_cast<std::size_t>(t.size()) * sizeof(float));
  return t.bytes();
}

// Why freed buffers are not reused in this build or environment, or nullptr when they are:
// AddressSanitizer must see every buffer freed, and KCORE_BUFFER_CACHE_MIB=0 turns reuse off.
const char* reuse_off_reason() {
#if defined(__SANITIZE_ADDRESS__)
  return "reuse is off under AddressSanitizer";
#else
  const char* cap = std::getenv("KCORE_BUFFER_CACHE_MIB");
  return cap != nullptr && *cap == '0' ? "reuse turned off by KCORE_BUFFER_CACHE_MIB=0" : nullptr;
#endif
}

// Freed buffers of 1 MiB and more are reused (src/core/buffer_pool.h).
TEST(Storage, LargeFreedBuffersAreReused) {
  const Shape shape = {1 << 20};  // 4 MiB of float32
  const std::byte* first = freed_buffer(shape);
  const Tensor again = Tensor::empty(shape, DType::Float32);
  if (const char* why = reuse_off_reason()) GTEST_SKIP() << why;
  EXPECT_EQ(again.bytes(), first);
  // A buffer in use is never handed out twice.
  const Tensor other = Tensor::empty(shape, DType::Float32);
  EXPECT_NE(other.bytes(), again.bytes());
}

// Freed buffers from 1 KiB to 1 MiB are reused too, the most recent 32 of them.
TEST(Storage, SmallFreedBuffersAreReusedNewestFirst) {
  const Shape shape = {10000};  // 40 KB of float32
  const std::byte* first = freed_buffer(shape);
  const Tensor again = Tensor::empty(shape, DType::Float32);
  const Tensor other = Tensor::empty(shape, DType::Float32);
  EXPECT_NE(other.bytes(), again.bytes());
  // More distinct sizes than the ring holds, freed and asked for again: every buffer is
  // distinct while alive and keeps what was written to it (AddressSanitizer checks the bounds).
  std::vector<std::pair<Tensor, int>> many;  // each buffer and the byte it was filled with
  for (int round = 0; round < 3; ++round) {
    for (std::int64_t k = 0; k < 80; ++k) {
      Tensor t = Tensor::empty({256 + 97 * k}, DType::Float32);
      const int fill = static_cast<int>(round * 80 + k) % 251;
      std::memset(t.mutable_bytes(), fill, static_cast<std::size_t>(t.size()) * 4);
      many.emplace_back(std::move(t), fill);
    }
    std::set<const std::byte*> seen;
    for (const auto& [t, fill] : many) {
      EXPECT_TRUE(seen.insert(t.bytes()).second);
      const auto* b = reinterpret_cast<const unsigned char*>(t.bytes());
      EXPECT_EQ(b[0], fill);
      EXPECT_EQ(b[t.size() * 4 - 1], fill);
    }
    many.erase(many.begin(), many.begin() + 40);  // frees some; the rest stay in use
  }
  if (const char* why = reuse_off_reason()) GTEST_SKIP() << why;
  EXPECT_EQ(again.bytes(), first);
}

}  // namespace
}  // namespace kcore_test
