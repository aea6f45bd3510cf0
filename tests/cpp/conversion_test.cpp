// convert_to_tensor (nested lists with Python's defaults, typed vectors, raw buffers, tensors,
// sparse tensors), SparseTensor validation and densification, is_tensor, shape.

#include <gtest/gtest.h>

#include <variant>

#include "core_test_helpers.h"

namespace kcore_test {
namespace {

using kcore::MaybeSparse;
using kcore::Nested;
using kcore::SparseTensor;

// ---- Nested lists: Python's defaults ------------------------------------------------------

TEST(ConvertNested, PythonScalarDefaults) {
  const Tensor i = kcore::convert_to_tensor(3);
  EXPECT_EQ(i.dtype(), DType::Int32);
  EXPECT_FALSE(i.weak());
  EXPECT_EQ(i.shape(), Shape{});
  EXPECT_EQ(i.item<std::int32_t>(), 3);
  const Tensor f = kcore::convert_to_tensor(2.5);
  EXPECT_EQ(f.dtype(), DType::Float32);
  EXPECT_FALSE(f.weak());
  EXPECT_EQ(f.item<float>(), 2.5F);
  EXPECT_EQ(kcore::convert_to_tensor(true).dtype(), DType::Bool);
  EXPECT_EQ(kcore::convert_to_tensor(std::int64_t{1} << 40).dtype(), DType::Int64);
  EXPECT_EQ(kcore::convert_to_tensor(-(std::int64_t{1} << 31)).dtype(), DType::Int32);
  EXPECT_EQ(kcore::convert_to_tensor(-(std::int64_t{1} << 31) - 1).dtype(), DType::Int64);
  EXPECT_EQ(kcore::convert_to_tensor(std::int64_t{2147483647}).dtype(), DType::Int32);
  EXPECT_EQ(kcore::convert_to_tensor(std::int64_t{2147483648}).dtype(), DType::Int64);
  // A float scalar is rounded once, from its full double value.
  EXPECT_EQ(kcore::convert_to_tensor(0.1).item<float>(), 0.1F);
  EXPECT_EQ(kcore::convert_to_tensor(0.1, DType::Float64).item<double>(), 0.1);
  EXPECT_EQ(kcore::convert_to_tensor(0.1, DType::Float16).item<float16>().bits, float16(0.1).bits);
  EXPECT_EQ(kcore::convert_to_tensor(1.9, DType::Int32).item<std::int32_t>(), 1);
  EXPECT_EQ(kcore::convert_to_tensor(3, DType::Bool).item<bool>(), true);
}

TEST(ConvertNested, ListsByHand) {
  const Tensor m = kcore::convert_to_tensor({{1, 2}, {3, 4.5}});
  EXPECT_EQ(m.dtype(), DType::Float32);
  EXPECT_EQ(m.shape(), (Shape{2, 2}));
  EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{1, 2, 3, 4.5}));
  EXPECT_EQ(kcore::convert_to_tensor({1, 2, 3}).dtype(), DType::Int32);
  EXPECT_EQ(kcore::convert_to_tensor({true, false}).dtype(), DType::Bool);
  EXPECT_EQ(kcore::convert_to_tensor({true, 2}).dtype(), DType::Int32);
  EXPECT_EQ(kcore::convert_to_tensor({true, 2}).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(kcore::convert_to_tensor({true, 2.5}).dtype(), DType::Float32);
  const Tensor big = kcore::convert_to_tensor({Nested(1), Nested(std::int64_t{1} << 40)});
  EXPECT_EQ(big.dtype(), DType::Int64);
  EXPECT_EQ(big.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, std::int64_t{1} << 40}));
  EXPECT_EQ(kcore::convert_to_tensor({Nested(2.5), Nested(std::int64_t{1} << 40)}).dtype(),
            DType::Float32);
  // An int beyond int32 keeps 64 bits beside a bool too.
  const Tensor wide = kcore::convert_to_tensor({Nested(true), Nested(std::int64_t{1} << 40)});
  EXPECT_EQ(wide.dtype(), DType::Int64);
  EXPECT_EQ(wide.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, std::int64_t{1} << 40}));
  EXPECT_EQ(kcore::convert_to_tensor({Nested(false), Nested(~std::uint64_t{0})}).dtype(),
            DType::UInt64);
  EXPECT_EQ(kcore::convert_to_tensor({{{1}, {2}}, {{3}, {4}}}).shape(), (Shape{2, 2, 1}));
  EXPECT_EQ(kcore::convert_to_tensor({{1, 2}}, DType::UInt8).dtype(), DType::UInt8);
  EXPECT_EQ(kcore::convert_to_tensor({1.5, -2.7}, DType::Int8).to_vector<std::int8_t>(),
            (std::vector<std::int8_t>{1, -2}));
  EXPECT_EQ(kcore::convert_to_tensor({1, 2}, DType::BFloat16).dtype(), DType::BFloat16);
  // float8 is a storage dtype: conversion into it works.
  const Tensor f8 = kcore::convert_to_tensor({1.0, -2.0}, DType::Float8E4M3FN);
  EXPECT_EQ(kcore::cast(f8, DType::Float32).to_vector<float>(), (std::vector<float>{1, -2}));
}

TEST(ConvertNested, EmptyListsAreFloat32) {
  const Tensor e = kcore::convert_to_tensor(Nested::List{});
  EXPECT_EQ(e.dtype(), DType::Float32);
  EXPECT_EQ(e.shape(), Shape{0});
  const Tensor e2 = kcore::convert_to_tensor({Nested::List{}, Nested::List{}});
  EXPECT_EQ(e2.shape(), (Shape{2, 0}));
  EXPECT_EQ(e2.dtype(), DType::Float32);
  EXPECT_EQ(kcore::convert_to_tensor(Nested::List{}, DType::Int64).dtype(), DType::Int64);
}

TEST(ConvertNested, RaggedListsAreValueErrors) {
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [] {
        kcore::convert_to_tensor({{1, 2}, {3}});
      },
      "convert_to_tensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [] {
        kcore::convert_to_tensor({Nested{1, 2}, Nested(3)});
      },
      "convert_to_tensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [] {
        kcore::convert_to_tensor({Nested(3), Nested{1, 2}});
      },
      "convert_to_tensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [] {
        kcore::convert_to_tensor({Nested::List{}, Nested{1}});
      },
      "convert_to_tensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [] {
        kcore::convert_to_tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8, 9}}});
      },
      "convert_to_tensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [] {
        kcore::convert_to_tensor({kcore::zeros({2}), kcore::zeros({3})});
      },
      "convert_to_tensor"));
}

TEST(ConvertNested, TensorLeaves) {
  const Tensor a = kcore::convert_to_tensor(std::vector<std::int8_t>{1, 2});
  const Tensor b = kcore::transpose(kcore::convert_to_tensor(std::vector<std::int8_t>{3, 4}));
  const Tensor s = kcore::convert_to_tensor({a, b});
  EXPECT_EQ(s.dtype(), DType::Int8);
  EXPECT_EQ(s.shape(), (Shape{2, 2}));
  EXPECT_EQ(s.to_vector<std::int8_t>(), (std::vector<std::int8_t>{1, 2, 3, 4}));
  // Tensor leaves promote with each other and with weak scalars.
  EXPECT_EQ(kcore::convert_to_tensor({Nested(a), Nested{5, 6}}).dtype(), DType::Int8);
  const Tensor u = kcore::convert_to_tensor(std::vector<std::uint8_t>{200, 100});
  EXPECT_EQ(kcore::convert_to_tensor({a, u}).dtype(), DType::Int16);
  EXPECT_EQ(kcore::convert_to_tensor({a, u}).to_vector<std::int16_t>(),
            (std::vector<std::int16_t>{1, 2, 200, 100}));
  const Tensor t = kcore::transpose(kcore::reshape(kcore::arange(6), {2, 3}));
  EXPECT_EQ(kcore::convert_to_tensor({t, t}).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{0, 3, 1, 4, 2, 5, 0, 3, 1, 4, 2, 5}));
}

// A random nested list of Python-like scalars, its row-major leaves, and the dtype and values
// Python's rules give it.
struct RandomList {
  Nested value = Nested::List{};
  Shape shape;
  std::vector<double> numbers;  // every leaf as a double (exact for the values used)
  bool any_float = false;
  bool any_int = false;
  bool any_wide_int = false;
};

Nested build(std::mt19937& rng, const Shape& shape, std::size_t d, RandomList& out, int kinds) {
  if (d == shape.size()) {
    const int kind = std::uniform_int_distribution<int>(0, kinds)(rng);
    if (kind == 0) {
      const bool b = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
      out.numbers.push_back(b ? 1 : 0);
      return Nested(b);
    }
    if (kind == 1) {
      const int v = std::uniform_int_distribution<int>(-1000000, 1000000)(rng);
      out.numbers.push_back(v);
      out.any_int = true;
      return Nested(v);
    }
    if (kind == 2) {
      const double v = std::uniform_int_distribution<int>(-64, 64)(rng) / 8.0;
      out.numbers.push_back(v);
      out.any_float = true;
      return Nested(v);
    }
    const std::int64_t v = (std::int64_t{1} << 40) + std::uniform_int_distribution<int>(0, 99)(rng);
    out.numbers.push_back(static_cast<double>(v));
    out.any_int = out.any_wide_int = true;
    return Nested(v);
  }
  Nested::List items;
  for (std::int64_t i = 0; i < shape[d]; ++i) items.push_back(build(rng, shape, d + 1, out, kinds));
  return Nested(items);
}

template <class T>
void expect_numbers(const Tensor& t, const std::vector<double>& numbers) {
  const auto got = t.to_vector<T>();
  ASSERT_EQ(got.size(), numbers.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(static_cast<double>(got[i]), numbers[i]) << "element " << i;
  }
}

TEST(ConvertNested, RandomListsFollowPythonsRules) {
  std::mt19937 rng(606);
  for (int trial = 0; trial < 300; ++trial) {
    RandomList r;
    r.shape = random_shape(rng, 1, 4, 4, trial % 10 == 0 ? 0 : 1);
    // A list's shape ends at its first empty list.
    const auto zero = std::find(r.shape.begin(), r.shape.end(), 0);
    if (zero != r.shape.end()) r.shape.erase(zero + 1, r.shape.end());
    // Some lists hold one kind of scalar only.
    const int kinds = trial % 4 == 0 ? 0 : trial % 4 == 1 ? 1 : 3;
    r.value = build(rng, r.shape, 0, r, kinds);
    const Tensor t = kcore::convert_to_tensor(r.value);
    ASSERT_EQ(t.shape(), r.shape);
    ASSERT_FALSE(t.weak());
    const DType expected = r.numbers.empty() ? DType::Float32
                           : r.any_float     ? DType::Float32
                           : r.any_wide_int  ? DType::Int64
                           : r.any_int       ? DType::Int32
                                             : DType::Bool;
    ASSERT_EQ(t.dtype(), expected) << "shape " << kcore::format_shape(r.shape);
    switch (expected) {
      case DType::Float32: {
        std::vector<double> rounded;
        for (double v : r.numbers) rounded.push_back(static_cast<float>(v));
        expect_numbers<float>(t, rounded);
        break;
      }
      case DType::Int64:
        expect_numbers<std::int64_t>(t, r.numbers);
        break;
      case DType::Int32:
        expect_numbers<std::int32_t>(t, r.numbers);
        break;
      default:
        expect_numbers<bool>(t, r.numbers);
        break;
    }
    // With a dtype, every leaf converts to it directly.
    const Tensor d = kcore::convert_to_tensor(r.value, DType::Float64);
    ASSERT_EQ(d.dtype(), DType::Float64);
    expect_numbers<double>(d, r.numbers);
  }
}

// ---- Typed vectors, raw buffers, tensors ----------------------------------------------------

TEST(ConvertTyped, VectorsKeepTheirElementType) {
  std::mt19937 rng(7);
  for_each_type(NumericTypes{}, [&]<class T>() {
    const auto v = random_values<T>(rng, 17);
    const Tensor t = kcore::convert_to_tensor(v);
    EXPECT_EQ(t.dtype(), kcore::dtype_of<T>);
    EXPECT_EQ(t.shape(), Shape{17});
    EXPECT_TRUE(all_same(t.to_vector<T>(), v));
    // Through a raw buffer too (std::vector<bool> has none).
    if constexpr (!std::is_same_v<T, bool>) {
      const Tensor r = kcore::convert_to_tensor(v.data(), {17}, kcore::dtype_of<T>);
      EXPECT_TRUE(all_same(r.to_vector<T>(), v));
    }
  });
  EXPECT_EQ(kcore::convert_to_tensor(std::vector<std::int64_t>{1, 2}).dtype(), DType::Int64);
  EXPECT_EQ(kcore::convert_to_tensor(std::vector<double>{1, 2}).dtype(), DType::Float64);
  EXPECT_EQ(
      kcore::convert_to_tensor(std::vector<double>{1.5, 2}, DType::Int32).to_vector<std::int32_t>(),
      (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(kcore::convert_to_tensor(std::vector<float>{}).shape(), Shape{0});
}

TEST(ConvertTyped, RawBuffersAreCopied) {
  std::vector<float> data = {1, 2, 3, 4, 5, 6};
  const Tensor t = kcore::convert_to_tensor(data.data(), {2, 3}, DType::Float32);
  data[0] = 100;
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(kcore::convert_to_tensor(nullptr, {0, 3}, DType::Int32).shape(), (Shape{0, 3}));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [] { kcore::convert_to_tensor(nullptr, {2}, DType::Int32); }, "convert_to_tensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::convert_to_tensor(data.data(), {-2, 3}, DType::Float32);
      },
      "convert_to_tensor"));
  // Any nonzero byte of a bool buffer is true, and reads back as 1.
  const std::uint8_t bytes[] = {0, 1, 2, 255};
  const Tensor b = kcore::convert_to_tensor(bytes, {4}, DType::Bool);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{false, true, true, true}));
  EXPECT_EQ(kcore::cast(b, DType::UInt8).to_vector<std::uint8_t>(),
            (std::vector<std::uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(kcore::sum(b).item<std::int32_t>(), 3);
}

TEST(ConvertTyped, TensorsOfTheRightDtypeAreReturnedAsIs) {
  const Tensor x = kcore::transpose(kcore::reshape(kcore::arange(6), {2, 3}));
  const Tensor same = kcore::convert_to_tensor(x);
  EXPECT_TRUE(same.shares_storage_with(x));
  EXPECT_EQ(same.strides(), x.strides());
  const Tensor same2 = kcore::convert_to_tensor(x, DType::Int32);
  EXPECT_TRUE(same2.shares_storage_with(x));
  const Tensor f = kcore::convert_to_tensor(x, DType::Float16);
  EXPECT_EQ(f.dtype(), DType::Float16);
  EXPECT_EQ(f.shape(), (Shape{3, 2}));
  EXPECT_EQ(kcore::cast(f, DType::Int32).to_vector<std::int32_t>(), x.to_vector<std::int32_t>());
  // A weak scalar tensor becomes a strong one of its resolved dtype.
  const Tensor w = kcore::convert_to_tensor(Tensor(2.5));
  EXPECT_EQ(w.dtype(), DType::Float32);
  EXPECT_FALSE(w.weak());
}

// ---- SparseTensor -------------------------------------------------------------------------

Tensor indices_of(const std::vector<std::vector<std::int64_t>>& rows, std::int64_t nd) {
  std::vector<std::int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return make(flat, {static_cast<std::int64_t>(rows.size()), nd});
}

TEST(Sparse, ValidatesItsParts) {
  const Tensor idx = indices_of({{0, 1}, {1, 2}}, 2);
  const Tensor vals = kcore::convert_to_tensor({1.0F, 2.0F});
  const SparseTensor s(idx, vals, {2, 3});
  EXPECT_EQ(s.shape(), (Shape{2, 3}));
  EXPECT_EQ(s.dtype(), DType::Float32);
  EXPECT_EQ(s.indices().dtype(), DType::Int64);
  // Indices of any integer dtype are stored as int64.
  EXPECT_EQ(SparseTensor(kcore::cast(idx, DType::UInt8), vals, {2, 3}).indices().dtype(),
            DType::Int64);
  EXPECT_EQ(SparseTensor(kcore::convert_to_tensor({{0, 1}, {1, 2}}), vals, {2, 3})
                .to_dense()
                .to_vector<float>(),
            (std::vector<float>{0, 1, 0, 0, 0, 2}));
  auto sparse = [](Tensor i, Tensor v, Shape s) {
    SparseTensor t(std::move(i), std::move(v), std::move(s));
  };
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        sparse(kcore::cast(idx, DType::Float32), vals, {2, 3});
      },
      "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        sparse(idx, vals, {2, 3, 4});
      },
      "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        sparse(idx, kcore::convert_to_tensor({1.0F}), {2, 3});
      },
      "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        sparse(idx, kcore::reshape(vals, {2, 1}), {2, 3});
      },
      "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        sparse(kcore::reshape(idx, {4}), vals, {2, 3});
      },
      "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { sparse(idx, vals, {2, -3}); }, "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::IndexError>(
      [&] {
        sparse(indices_of({{0, 1}, {2, 0}}, 2), vals, {2, 3});
      },
      "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::IndexError>(
      [&] {
        sparse(indices_of({{0, 3}, {1, 0}}, 2), vals, {2, 3});
      },
      "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::IndexError>(
      [&] {
        sparse(indices_of({{0, -1}, {1, 0}}, 2), vals, {2, 3});
      },
      "SparseTensor"));
  EXPECT_TRUE(throws_named<kcore::IndexError>(
      [&] {
        sparse(
            kcore::reshape(kcore::convert_to_tensor(std::vector<std::uint64_t>{~0ULL, 0}), {2, 1}),
            kcore::convert_to_tensor({1.0F, 2.0F}), {3});
      },
      "SparseTensor"));
}

template <class T>
void check_densify(std::mt19937& rng) {
  for (int trial = 0; trial < 25; ++trial) {
    const Shape shape = random_shape(rng, 0, 3, 5, trial % 8 == 0 ? 0 : 1);
    const auto nd = static_cast<std::int64_t>(shape.size());
    const std::int64_t n = numel(shape);
    const std::int64_t nnz =
        n == 0 ? 0 : std::uniform_int_distribution<std::int64_t>(0, 2 * n)(rng);
    std::vector<std::int64_t> flat_idx;
    std::vector<std::int64_t> positions;
    for (std::int64_t k = 0; k < nnz; ++k) {
      const std::int64_t pos = std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng);
      positions.push_back(pos);
      const auto idx = unravel(pos, shape);
      flat_idx.insert(flat_idx.end(), idx.begin(), idx.end());
    }
    const auto values = random_values<T>(rng, nnz);
    const SparseTensor s(make(flat_idx, {nnz, nd}), make(values, {nnz}), shape);
    // Reference: duplicates add (bool: or), in the value's own arithmetic.
    std::vector<T> expected(static_cast<std::size_t>(n), of<T>(0));
    for (std::int64_t k = 0; k < nnz; ++k) {
      auto&& e = expected[static_cast<std::size_t>(positions[static_cast<std::size_t>(k)])];
      const T v = values[static_cast<std::size_t>(k)];
      if constexpr (std::is_same_v<T, bool>) {
        e = e || v;
      } else if constexpr (is_int_v<T>) {
        e = static_cast<T>(static_cast<std::uint64_t>(e) + static_cast<std::uint64_t>(v));
      } else {
        e = narrow<T>(widen(T(e)) + widen(v));
      }
    }
    const Tensor dense = s.to_dense();
    ASSERT_EQ(dense.dtype(), kcore::dtype_of<T>);
    ASSERT_EQ(dense.shape(), shape);
    ASSERT_TRUE(all_same(dense.to_vector<T>(), expected)) << dtype_name(kcore::dtype_of<T>);
    // convert_to_tensor: sparse unless asked to densify.
    const MaybeSparse kept = kcore::convert_to_tensor(s, std::nullopt, std::nullopt);
    ASSERT_TRUE(std::holds_alternative<SparseTensor>(kept));
    ASSERT_TRUE(
        std::holds_alternative<SparseTensor>(kcore::convert_to_tensor(s, std::nullopt, true)));
    const MaybeSparse densified = kcore::convert_to_tensor(s, std::nullopt, false);
    ASSERT_TRUE(std::holds_alternative<Tensor>(densified));
    ASSERT_TRUE(all_same(std::get<Tensor>(densified).to_vector<T>(), expected));
  }
}

TEST(Sparse, DensifyAddsDuplicates) {
  std::mt19937 rng(88);
  for_each_type(NumericTypes{}, [&]<class T>() { check_densify<T>(rng); });
  // By hand.
  const SparseTensor s(indices_of({{1, 0}, {0, 2}, {1, 0}}, 2), kcore::convert_to_tensor({1, 2, 5}),
                       {2, 3});
  EXPECT_EQ(s.to_dense().to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 0, 2, 6, 0, 0}));
  const SparseTensor scalar(kcore::zeros({3, 0}, DType::Int64), kcore::convert_to_tensor({1, 2, 3}),
                            {});
  EXPECT_EQ(scalar.to_dense().item<std::int32_t>(), 6);
}

TEST(Sparse, ConvertWithADtypeCastsTheValues) {
  const SparseTensor s(indices_of({{0}, {2}}, 1), kcore::convert_to_tensor({1.7F, -2.5F}), {4});
  const MaybeSparse c = kcore::convert_to_tensor(s, DType::Int32, std::nullopt);
  ASSERT_TRUE(std::holds_alternative<SparseTensor>(c));
  EXPECT_EQ(std::get<SparseTensor>(c).dtype(), DType::Int32);
  EXPECT_EQ(std::get<SparseTensor>(c).to_dense().to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{1, 0, -2, 0}));
  const MaybeSparse d = kcore::convert_to_tensor(s, DType::Float64, false);
  ASSERT_TRUE(std::holds_alternative<Tensor>(d));
  EXPECT_EQ(std::get<Tensor>(d).to_vector<double>(), (std::vector<double>{1.7F, 0, -2.5, 0}));
  EXPECT_EQ(kcore::cast(s, DType::Float16).dtype(), DType::Float16);
}

// ---- is_tensor, shape ---------------------------------------------------------------------

TEST(Inspection, IsTensor) {
  const SparseTensor s(indices_of({{0}}, 1), kcore::convert_to_tensor({1.0F}), {3});
  EXPECT_TRUE(kcore::is_tensor(kcore::zeros({2})));
  EXPECT_TRUE(kcore::is_tensor(Tensor(1)));
  EXPECT_TRUE(kcore::is_tensor(s));
  EXPECT_FALSE(kcore::is_tensor(3));
  EXPECT_FALSE(kcore::is_tensor(2.5));
  EXPECT_FALSE(kcore::is_tensor(true));
  EXPECT_FALSE(kcore::is_tensor(std::vector<float>{1, 2}));
  EXPECT_FALSE(kcore::is_tensor(Nested{1, 2}));
  EXPECT_FALSE(kcore::is_tensor(std::string("tensor")));
}

TEST(Inspection, Shape) {
  EXPECT_EQ(kcore::shape(kcore::zeros({8, 12})), (Shape{8, 12}));
  EXPECT_EQ(kcore::shape(Tensor(1)), Shape{});
  EXPECT_EQ(kcore::shape(kcore::transpose(kcore::zeros({2, 3, 4}))), (Shape{4, 3, 2}));
  EXPECT_EQ(kcore::shape(kcore::zeros({0, 5})), (Shape{0, 5}));
  const SparseTensor s(indices_of({{0, 1}}, 2), kcore::convert_to_tensor({1.0F}), {2, 3});
  EXPECT_EQ(kcore::shape(s), (Shape{2, 3}));
  EXPECT_EQ(kcore::format_shape(kcore::shape(s)), "(2, 3)");
}

}  // namespace
}  // namespace kcore_test
