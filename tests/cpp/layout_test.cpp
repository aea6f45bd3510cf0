// Shape ops and indexing: values against reference index arithmetic over random shapes and
// layouts; which results are views of the input's buffer; copies of non-contiguous views;
// promotion in stack/concatenate; errors that name the op.

#include <gtest/gtest.h>

#include <optional>
#include <variant>

#include "core_test_helpers.h"

namespace kcore_test {
namespace {

using kcore::Axes;
using kcore::Ellipsis;
using kcore::Index;
using kcore::NewAxis;
using kcore::Slice;

// Row-major values of a random int32 tensor with a random layout, and the tensor.
struct Sample {
  std::vector<std::int32_t> values;
  Tensor tensor;
};

Sample sample(std::mt19937& rng, const Shape& shape, bool contiguous = false) {
  Sample s;
  s.values = random_values<std::int32_t>(rng, numel(shape));
  s.tensor = contiguous ? make(s.values, shape) : scattered(s.values, shape, rng);
  return s;
}

// Element (row-major position) of the input behind each output element, for a permutation.
std::vector<std::int32_t> permuted(const std::vector<std::int32_t>& v, const Shape& shape,
                                   const std::vector<std::int64_t>& perm) {
  Shape out_shape;
  for (auto p : perm) out_shape.push_back(shape[static_cast<std::size_t>(p)]);
  std::vector<std::int32_t> out;
  for (std::int64_t i = 0; i < numel(out_shape); ++i) {
    const auto oi = unravel(i, out_shape);
    std::vector<std::int64_t> ii(shape.size());
    for (std::size_t d = 0; d < perm.size(); ++d) ii[static_cast<std::size_t>(perm[d])] = oi[d];
    out.push_back(v[static_cast<std::size_t>(ravel(ii, shape))]);
  }
  return out;
}

// A random shape with the same number of elements as `shape`.
Shape refactor(std::mt19937& rng, const Shape& shape) {
  std::vector<std::int64_t> primes;
  for (auto d : shape) {
    for (std::int64_t n = d, f = 2; n > 1;) {
      if (n % f == 0) {
        primes.push_back(f);
        n /= f;
      } else {
        ++f;
      }
    }
  }
  std::shuffle(primes.begin(), primes.end(), rng);
  const int rank = std::uniform_int_distribution<int>(0, 4)(rng);
  Shape out(static_cast<std::size_t>(std::max(rank, primes.empty() ? 0 : 1)), 1);
  for (auto p : primes)
    out[std::uniform_int_distribution<std::size_t>(0, out.size() - 1)(rng)] *= p;
  // Sprinkle size-1 axes.
  if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
    out.insert(out.begin() + std::uniform_int_distribution<std::ptrdiff_t>(
                                 0, static_cast<std::ptrdiff_t>(out.size()))(rng),
               1);
  }
  return out;
}

// ---- reshape --------------------------------------------------------------------------------

TEST(Reshape, ContiguousInputsGiveViews) {
  const Tensor x = kcore::arange(24);
  for (const Shape& s : {Shape{2, 3, 4}, Shape{4, 6}, Shape{24}, Shape{1, 24, 1}, Shape{2, 12}}) {
    const Tensor r = kcore::reshape(x, s);
    EXPECT_EQ(r.shape(), s);
    EXPECT_TRUE(r.shares_storage_with(x));
    EXPECT_TRUE(r.is_contiguous());
    EXPECT_EQ(r.to_vector<std::int32_t>(), x.to_vector<std::int32_t>());
  }
  EXPECT_EQ(kcore::reshape(x, {-1, 4}).shape(), (Shape{6, 4}));
  EXPECT_EQ(kcore::reshape(x, {2, -1, 3}).shape(), (Shape{2, 4, 3}));
  EXPECT_EQ(kcore::reshape(kcore::zeros({0, 3}), {-1, 3}).shape(), (Shape{0, 3}));
  EXPECT_EQ(kcore::reshape(kcore::zeros({0, 3}), {3, 0, 5}).shape(), (Shape{3, 0, 5}));
  EXPECT_EQ(kcore::reshape(Tensor(5), {1, 1}).shape(), (Shape{1, 1}));
  EXPECT_EQ(kcore::reshape(kcore::ones({1, 1}), {}).shape(), Shape{});
}

TEST(Reshape, NonContiguousViewsThatAllowIt) {
  const Tensor base = kcore::reshape(kcore::arange(48), {8, 6});
  // Every other row: splitting or merging within the column axis keeps a view.
  const Tensor rows = kcore::getitem(base, {Slice{std::nullopt, std::nullopt, 2}});
  ASSERT_FALSE(rows.is_contiguous());
  const Tensor split = kcore::reshape(rows, {2, 2, 2, 3});
  EXPECT_TRUE(split.shares_storage_with(base));
  std::vector<std::int32_t> expected;
  for (int r = 0; r < 8; r += 2) {
    for (int c = 0; c < 6; ++c) expected.push_back(r * 6 + c);
  }
  EXPECT_EQ(split.to_vector<std::int32_t>(), expected);
  // Every other column of every row is one stride-2 walk: a flat view.
  const Tensor cols = kcore::getitem(base, {Slice{}, Slice{std::nullopt, std::nullopt, 2}});
  const Tensor flat = kcore::reshape(cols, {24});
  EXPECT_TRUE(flat.shares_storage_with(base));
  EXPECT_EQ(flat.strides(), Strides{2});
  // Adding and removing size-1 axes of a transposed tensor needs no copy.
  const Tensor t = kcore::transpose(base);
  const Tensor t1 = kcore::reshape(t, {6, 1, 8});
  EXPECT_TRUE(t1.shares_storage_with(base));
  EXPECT_EQ(t1.to_vector<std::int32_t>(), t.to_vector<std::int32_t>());
  // Reversed axes stay views when not merged.
  const Tensor rev = kcore::getitem(base, {Slice{std::nullopt, std::nullopt, -1}});
  const Tensor rev2 = kcore::reshape(rev, {2, 4, 6});
  EXPECT_TRUE(rev2.shares_storage_with(base));
  EXPECT_EQ(rev2.to_vector<std::int32_t>(), rev.to_vector<std::int32_t>());
}

TEST(Reshape, NonContiguousViewsThatNeedACopy) {
  const Tensor base = kcore::reshape(kcore::arange(24), {4, 6});
  const Tensor t = kcore::transpose(base);  // (6, 4)
  const Tensor flat = kcore::reshape(t, {24});
  EXPECT_FALSE(flat.shares_storage_with(base));
  EXPECT_TRUE(flat.is_contiguous());
  std::vector<std::int32_t> expected;
  for (int c = 0; c < 6; ++c) {
    for (int r = 0; r < 4; ++r) expected.push_back(r * 6 + c);
  }
  EXPECT_EQ(flat.to_vector<std::int32_t>(), expected);
  const Tensor sliced = kcore::getitem(base, {Slice{1, 3}, Slice{std::nullopt, std::nullopt, -2}});
  const Tensor r = kcore::reshape(sliced, {6});
  EXPECT_EQ(r.to_vector<std::int32_t>(), (std::vector<std::int32_t>{11, 9, 7, 17, 15, 13}));
  // The base is unchanged (tensors are immutable).
  EXPECT_EQ(base.to_vector<std::int32_t>()[0], 0);
}

TEST(Reshape, RandomLayoutsKeepRowMajorValues) {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 300; ++trial) {
    const Shape shape = random_shape(rng, 0, 4, 6);
    const Sample s = sample(rng, shape);
    const Shape target = refactor(rng, shape);
    ASSERT_EQ(numel(target), numel(shape));
    const Tensor r = kcore::reshape(s.tensor, target);
    ASSERT_EQ(r.shape(), target);
    ASSERT_EQ(r.to_vector<std::int32_t>(), s.values)
        << kcore::format_shape(shape) << " strides " << kcore::format_shape(s.tensor.strides())
        << " -> " << kcore::format_shape(target) << " strides " << kcore::format_shape(r.strides());
    // Reshaping back gives the original values again.
    ASSERT_EQ(kcore::reshape(r, shape).to_vector<std::int32_t>(), s.values);
  }
}

TEST(Reshape, Errors) {
  const Tensor x = kcore::arange(12);
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::reshape(x, {5, 2}); }, "reshape"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::reshape(x, {-1, -1}); }, "reshape"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::reshape(x, {-2, 6}); }, "reshape"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::reshape(x, {-1, 5}); }, "reshape"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::reshape(x, {0, -1}); }, "reshape"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::reshape(x, {}); }, "reshape"));
  // Dimensions whose product wraps around 2^64 to the right count are still rejected.
  const std::int64_t wraps = 1676976733973595602;  // 11 * wraps == 6 (mod 2^64)
  const Tensor six = kcore::arange(6);
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::reshape(six, {11, wraps});
      },
      "reshape"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::reshape(six, {-1, 11, wraps});
      },
      "reshape"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::reshape(kcore::zeros({0}), {0, std::int64_t{1} << 62, 8});
      },
      "reshape"));
}

// ---- transpose, moveaxis --------------------------------------------------------------------

TEST(Transpose, RandomPermutationsAreViews) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape shape = random_shape(rng, 0, 5, 4, trial % 10 == 0 ? 0 : 1);
    const Sample s = sample(rng, shape, trial % 2 == 0);
    std::vector<std::int64_t> perm(shape.size());
    std::iota(perm.begin(), perm.end(), std::int64_t{0});
    std::shuffle(perm.begin(), perm.end(), rng);
    Axes axes = perm;
    for (auto& a : axes) {
      if (std::uniform_int_distribution<int>(0, 1)(rng) == 1) {
        a -= static_cast<std::int64_t>(shape.size());
      }
    }
    const Tensor t = kcore::transpose(s.tensor, axes);
    ASSERT_TRUE(t.shares_storage_with(s.tensor));
    ASSERT_EQ(t.to_vector<std::int32_t>(), permuted(s.values, shape, perm));
  }
  const Tensor x = kcore::reshape(kcore::arange(24), {2, 3, 4});
  EXPECT_EQ(kcore::transpose(x).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(kcore::transpose(x).to_vector<std::int32_t>(),
            permuted(x.to_vector<std::int32_t>(), {2, 3, 4}, {2, 1, 0}));
  EXPECT_EQ(kcore::transpose(Tensor(1)).shape(), Shape{});
}

TEST(Transpose, Errors) {
  const Tensor x = kcore::zeros({2, 3, 4});
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::transpose(x, Axes{0, 0, 1});
      },
      "transpose"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::transpose(x, Axes{0, 1});
      },
      "transpose"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::transpose(x, Axes{0, 1, 3});
      },
      "transpose"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::transpose(x, Axes{2, -1, 0});
      },
      "transpose"));
}

// NumPy's moveaxis: source axis src[i] lands at dst[i]; the others keep their order.
std::vector<std::int64_t> moveaxis_perm(std::size_t nd, const Axes& src, const Axes& dst) {
  std::vector<std::int64_t> perm(nd, -1);
  std::vector<bool> used(nd, false);
  for (std::size_t i = 0; i < src.size(); ++i) {
    perm[static_cast<std::size_t>(dst[i])] = src[i];
    used[static_cast<std::size_t>(src[i])] = true;
  }
  std::size_t next = 0;
  for (auto& p : perm) {
    if (p >= 0) continue;
    while (used[next]) ++next;
    p = static_cast<std::int64_t>(next++);
  }
  return perm;
}

TEST(MoveAxis, RandomMoves) {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 150; ++trial) {
    const Shape shape = random_shape(rng, 1, 5, 4);
    const auto nd = shape.size();
    const Sample s = sample(rng, shape);
    std::vector<std::int64_t> all(nd);
    std::iota(all.begin(), all.end(), std::int64_t{0});
    std::shuffle(all.begin(), all.end(), rng);
    const auto k = std::uniform_int_distribution<std::size_t>(0, nd)(rng);
    Axes src(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
    std::shuffle(all.begin(), all.end(), rng);
    Axes dst(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
    const auto perm = moveaxis_perm(nd, src, dst);
    for (auto& a : src) {
      if (std::uniform_int_distribution<int>(0, 1)(rng) == 1) a -= static_cast<std::int64_t>(nd);
    }
    const Tensor m = kcore::moveaxis(s.tensor, src, dst);
    ASSERT_TRUE(m.shares_storage_with(s.tensor));
    ASSERT_EQ(m.to_vector<std::int32_t>(), permuted(s.values, shape, perm));
  }
  const Tensor x = kcore::zeros({3, 4, 5});
  EXPECT_EQ(kcore::moveaxis(x, {0}, {-1}).shape(), (Shape{4, 5, 3}));
  EXPECT_EQ(kcore::moveaxis(x, {-1}, {0}).shape(), (Shape{5, 3, 4}));
  EXPECT_EQ(kcore::moveaxis(x, {0, 1}, {-1, -2}).shape(), (Shape{5, 4, 3}));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::moveaxis(x, {0, 1}, {0});
      },
      "moveaxis"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::moveaxis(x, {0, 0}, {1, 2});
      },
      "moveaxis"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::moveaxis(x, {0, 1}, {2, -1});
      },
      "moveaxis"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::moveaxis(x, {3}, {0}); }, "moveaxis"));
}

// ---- expand_dims, squeeze, broadcast_to ------------------------------------------------------

TEST(ExpandDimsSqueeze, ShapesAndViews) {
  const Tensor x = kcore::transpose(kcore::reshape(kcore::arange(6), {2, 3}));  // (3, 2)
  const auto values = x.to_vector<std::int32_t>();
  const std::vector<std::pair<Axes, Shape>> cases = {
      {{0}, {1, 3, 2}},       {{1}, {3, 1, 2}},       {{2}, {3, 2, 1}},
      {{-1}, {3, 2, 1}},      {{-3}, {1, 3, 2}},      {{0, 1}, {1, 1, 3, 2}},
      {{0, 3}, {1, 3, 2, 1}}, {{3, 0}, {1, 3, 2, 1}}, {{-1, -2}, {3, 2, 1, 1}},
      {{1, 3}, {3, 1, 2, 1}}};
  for (const auto& [axes, shape] : cases) {
    const Tensor e = kcore::expand_dims(x, axes);
    EXPECT_EQ(e.shape(), shape) << kcore::format_shape(axes);
    EXPECT_TRUE(e.shares_storage_with(x));
    EXPECT_EQ(e.to_vector<std::int32_t>(), values);
    const Tensor back = kcore::squeeze(e);
    EXPECT_EQ(back.shape(), (Shape{3, 2}));
    EXPECT_TRUE(back.shares_storage_with(x));
    EXPECT_EQ(back.to_vector<std::int32_t>(), values);
  }
  EXPECT_EQ(kcore::expand_dims(Tensor(1), {0}).shape(), Shape{1});
  EXPECT_EQ(kcore::expand_dims(Tensor(1), {-1, 0}).shape(), (Shape{1, 1}));
  const Tensor y = kcore::zeros({1, 3, 1, 1});
  EXPECT_EQ(kcore::squeeze(y).shape(), Shape{3});
  EXPECT_EQ(kcore::squeeze(y, Axes{0}).shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(kcore::squeeze(y, Axes{-1, 2}).shape(), (Shape{1, 3}));
  EXPECT_EQ(kcore::squeeze(kcore::zeros({1, 1})).shape(), Shape{});
  EXPECT_EQ(kcore::squeeze(kcore::zeros({0, 1})).shape(), Shape{0});
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::squeeze(y, Axes{1}); }, "squeeze"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::squeeze(y, Axes{4}); }, "squeeze"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::expand_dims(x, {3}); }, "expand_dims"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::expand_dims(x, {0, 0});
      },
      "expand_dims"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::expand_dims(x, {1, -3});
      },
      "expand_dims"));
}

TEST(BroadcastTo, ViewsWithZeroStrides) {
  std::mt19937 rng(13);
  for (int trial = 0; trial < 100; ++trial) {
    const Shape target = random_shape(rng, 0, 4, 5, trial % 10 == 0 ? 0 : 1);
    const Shape shape = broadcastable_shape(rng, target);
    const Sample s = sample(rng, shape);
    const Tensor b = kcore::broadcast_to(s.tensor, target);
    ASSERT_EQ(b.shape(), target);
    ASSERT_TRUE(b.shares_storage_with(s.tensor));
    const std::size_t lead = target.size() - shape.size();
    for (std::size_t d = 0; d < target.size(); ++d) {
      if ((d < lead || shape[d - lead] == 1) && target[d] != 1) {
        ASSERT_EQ(b.strides()[d], 0);
      }
    }
    std::vector<std::int32_t> expected;
    for (std::int64_t i = 0; i < numel(target); ++i) {
      expected.push_back(
          s.values[static_cast<std::size_t>(broadcast_source(unravel(i, target), shape))]);
    }
    ASSERT_EQ(b.to_vector<std::int32_t>(), expected);
    // A contiguous copy of a broadcast view holds every element.
    const Tensor c = kcore::ascontiguous(b);
    ASSERT_TRUE(c.is_contiguous());
    ASSERT_EQ(c.to_vector<std::int32_t>(), expected);
  }
  const Tensor x = kcore::zeros({3, 1});
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::broadcast_to(x, {3, 2, 2});
      },
      "broadcast_to"));
  EXPECT_TRUE(
      throws_named<kcore::ValueError>([&] { kcore::broadcast_to(x, {1}); }, "broadcast_to"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::broadcast_to(x, {-1, 3, 1});
      },
      "broadcast_to"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::broadcast_to(x, {0, 1});
      },
      "broadcast_to"));
  EXPECT_EQ(kcore::broadcast_to(x, {3, 0}).shape(), (Shape{3, 0}));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::broadcast_to(x, {std::int64_t{1} << 40, 3, std::int64_t{1} << 40});
      },
      "broadcast_to"));
}

// ---- stack, concatenate ----------------------------------------------------------------------

TEST(Concatenate, RandomPiecesAlongEveryAxis) {
  std::mt19937 rng(44);
  for (int trial = 0; trial < 150; ++trial) {
    const Shape shape = random_shape(rng, 1, 4, 4);
    const auto nd = static_cast<std::int64_t>(shape.size());
    const std::int64_t axis = std::uniform_int_distribution<std::int64_t>(-nd, nd - 1)(rng);
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + nd : axis);
    const int pieces = std::uniform_int_distribution<int>(1, 4)(rng);
    std::vector<Sample> parts;
    std::vector<Tensor> tensors;
    Shape out_shape = shape;
    out_shape[a] = 0;
    for (int p = 0; p < pieces; ++p) {
      Shape s = shape;
      s[a] = std::uniform_int_distribution<std::int64_t>(0, 3)(rng);
      out_shape[a] += s[a];
      parts.push_back(sample(rng, s));
      tensors.push_back(parts.back().tensor);
    }
    const Tensor c = kcore::concatenate(tensors, axis);
    ASSERT_EQ(c.shape(), out_shape);
    ASSERT_EQ(c.dtype(), DType::Int32);
    std::vector<std::int32_t> expected;
    for (std::int64_t i = 0; i < numel(out_shape); ++i) {
      auto idx = unravel(i, out_shape);
      std::size_t p = 0;
      while (idx[a] >= parts[p].tensor.shape()[a]) idx[a] -= parts[p++].tensor.shape()[a];
      expected.push_back(
          parts[p].values[static_cast<std::size_t>(ravel(idx, parts[p].tensor.shape()))]);
    }
    ASSERT_EQ(c.to_vector<std::int32_t>(), expected);
  }
}

TEST(Concatenate, PromotesAndRejects) {
  const Tensor i8 = kcore::convert_to_tensor(std::vector<std::int8_t>{-1, 2});
  const Tensor u8 = kcore::convert_to_tensor(std::vector<std::uint8_t>{255});
  const Tensor c = kcore::concatenate({i8, u8});
  EXPECT_EQ(c.dtype(), DType::Int16);
  EXPECT_EQ(c.to_vector<std::int16_t>(), (std::vector<std::int16_t>{-1, 2, 255}));
  const Tensor f =
      kcore::concatenate({kcore::convert_to_tensor({true}), kcore::ones({2}, DType::Float16)});
  EXPECT_EQ(f.dtype(), DType::Float16);
  EXPECT_EQ(static_cast<float>(f.to_vector<float16>()[0]), 1.0F);
  const Tensor x = kcore::zeros({2, 3});
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::concatenate({}); }, "concatenate"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::concatenate({x, kcore::zeros({2, 4})}, 0);
      },
      "concatenate"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::concatenate({x, kcore::zeros({3})}, 0);
      },
      "concatenate"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::concatenate({Tensor(1.0F), Tensor(2.0F)});
      },
      "concatenate"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::concatenate({x, x}, 2);
      },
      "concatenate"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::concatenate({x, x}, -3);
      },
      "concatenate"));
  EXPECT_EQ(kcore::concatenate({x, x}, -1).shape(), (Shape{2, 6}));
}

TEST(Stack, RandomAxes) {
  std::mt19937 rng(45);
  for (int trial = 0; trial < 100; ++trial) {
    const Shape shape = random_shape(rng, 0, 3, 4);
    const auto nd = static_cast<std::int64_t>(shape.size());
    const std::int64_t axis = std::uniform_int_distribution<std::int64_t>(-nd - 1, nd)(rng);
    const auto a = static_cast<std::size_t>(axis < 0 ? axis + nd + 1 : axis);
    const int count = std::uniform_int_distribution<int>(1, 4)(rng);
    std::vector<Sample> parts;
    std::vector<Tensor> tensors;
    for (int p = 0; p < count; ++p) {
      parts.push_back(sample(rng, shape));
      tensors.push_back(parts.back().tensor);
    }
    Shape out_shape = shape;
    out_shape.insert(out_shape.begin() + static_cast<std::ptrdiff_t>(a), count);
    const Tensor s = kcore::stack(tensors, axis);
    ASSERT_EQ(s.shape(), out_shape);
    std::vector<std::int32_t> expected;
    for (std::int64_t i = 0; i < numel(out_shape); ++i) {
      auto idx = unravel(i, out_shape);
      const auto p = static_cast<std::size_t>(idx[a]);
      idx.erase(idx.begin() + static_cast<std::ptrdiff_t>(a));
      expected.push_back(parts[p].values[static_cast<std::size_t>(ravel(idx, shape))]);
    }
    ASSERT_EQ(s.to_vector<std::int32_t>(), expected);
  }
  const Tensor x = kcore::zeros({2});
  EXPECT_EQ(kcore::stack({Tensor(1), Tensor(2.5)}).dtype(), DType::Float32);
  EXPECT_EQ(kcore::stack({Tensor(1), Tensor(2.5)}).to_vector<float>(),
            (std::vector<float>{1, 2.5}));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::stack({}); }, "stack"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::stack({x, kcore::zeros({3})});
      },
      "stack"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::stack({x, x}, 2); }, "stack"));
  EXPECT_TRUE(throws_named<kcore::ValueError>([&] { kcore::stack({x, x}, -3); }, "stack"));
}

TEST(AsContiguous, SameTensorOrACopy) {
  const Tensor x = kcore::reshape(kcore::arange(6), {2, 3});
  const Tensor same = kcore::ascontiguous(x);
  EXPECT_TRUE(same.shares_storage_with(x));
  EXPECT_EQ(same.strides(), x.strides());
  const Tensor t = kcore::transpose(x);
  const Tensor c = kcore::ascontiguous(t);
  EXPECT_FALSE(c.shares_storage_with(x));
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.strides(), (Strides{2, 1}));
  EXPECT_EQ(c.to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 3, 1, 4, 2, 5}));
  std::mt19937 rng(2);
  for_each_type(NumericTypes{}, [&]<class T>() {
    const Shape shape = {3, 4, 2};
    const auto v = random_values<T>(rng, 24);
    const Tensor s = scattered(v, shape, rng);
    const Tensor a = kcore::ascontiguous(s);
    EXPECT_TRUE(a.is_contiguous());
    EXPECT_EQ(a.dtype(), kcore::dtype_of<T>);
    EXPECT_TRUE(all_same(a.to_vector<T>(), v)) << dtype_name(kcore::dtype_of<T>);
  });
}

// Transposing copies (the tiled path) of every element width, at sizes around the tile, from
// plain and from strided sources, on 1 and 2 threads.
template <class T>
void check_transposed_copy(std::mt19937& rng, std::int64_t rows, std::int64_t cols,
                           std::int64_t step) {
  SCOPED_TRACE(dtype_name(kcore::dtype_of<T>) + " " + std::to_string(rows) + "x" +
               std::to_string(cols) + " step " + std::to_string(step));
  const auto v = random_values<T>(rng, rows * cols * step);
  const Tensor base = make(v, {rows, cols * step});
  const Tensor t =
      kcore::transpose(kcore::getitem(base, {Slice{}, Slice{std::nullopt, std::nullopt, step}}));
  std::vector<T> expected;
  for (std::int64_t j = 0; j < cols; ++j) {
    for (std::int64_t i = 0; i < rows; ++i) {
      expected.push_back(v[static_cast<std::size_t>(i * cols * step + j * step)]);
    }
  }
  const Tensor c = kcore::ascontiguous(t);
  ASSERT_TRUE(c.is_contiguous());
  ASSERT_TRUE(all_same(c.to_vector<T>(), expected));
}

TEST(AsContiguous, TransposedCopiesOfEveryWidth) {
  ThreadCountGuard guard;
  std::mt19937 rng(5);
  for (int threads : {1, 2}) {
    kcore::set_num_threads(threads);
    for (auto [rows, cols, step] : std::vector<std::array<std::int64_t, 3>>{
             {9, 200, 1}, {200, 9, 1}, {70, 130, 1}, {64, 64, 2}, {129, 257, 1}, {1000, 70, 3}}) {
      check_transposed_copy<bool>(rng, rows, cols, step);
      check_transposed_copy<float16>(rng, rows, cols, step);
      check_transposed_copy<float>(rng, rows, cols, step);
      check_transposed_copy<std::int64_t>(rng, rows, cols, step);
      check_transposed_copy<c128>(rng, rows, cols, step);
    }
  }
}

TEST(AsContiguous, LargeCopiesAreIndependentOfTheThreadCount) {
  ThreadCountGuard guard;
  std::mt19937 rng(3);
  const std::int64_t A = 101, B = 100, C = 100;  // over 10^6 elements
  const auto v = random_values<std::int32_t>(rng, A * B * C);
  const Tensor base = make(v, {A, B, C});
  auto at = [&](std::int64_t a, std::int64_t b, std::int64_t c) {
    return v[static_cast<std::size_t>((a * B + b) * C + c)];
  };
  // t[c][a][b] = base[a][b][c]; r[a][b][c] = base[A-1-a][b][C-1-2c].
  const Tensor t = kcore::transpose(base, Axes{2, 0, 1});
  const Tensor r = kcore::getitem(base, {Slice{std::nullopt, std::nullopt, -1}, Slice{},
                                         Slice{std::nullopt, std::nullopt, -2}});
  std::vector<std::int32_t> expected_t;
  for (std::int64_t c = 0; c < C; ++c) {
    for (std::int64_t a = 0; a < A; ++a) {
      for (std::int64_t b = 0; b < B; ++b) expected_t.push_back(at(a, b, c));
    }
  }
  std::vector<std::int32_t> expected_r;
  for (std::int64_t a = 0; a < A; ++a) {
    for (std::int64_t b = 0; b < B; ++b) {
      for (std::int64_t c = 0; c < C / 2; ++c)
        expected_r.push_back(at(A - 1 - a, b, C - 1 - 2 * c));
    }
  }
  for (int threads : {1, 2}) {
    kcore::set_num_threads(threads);
    EXPECT_EQ(kcore::ascontiguous(t).to_vector<std::int32_t>(), expected_t) << threads;
    EXPECT_EQ(kcore::ascontiguous(r).to_vector<std::int32_t>(), expected_r) << threads;
    const auto cv = kcore::concatenate({t, t}, 1).to_vector<std::int32_t>();
    ASSERT_EQ(cv.size(), 2 * expected_t.size());
    for (std::size_t i = 0; i < cv.size(); i += 7919) {
      const std::size_t c = i / (2 * A * B);
      const std::size_t rest = i % (2 * A * B) % (A * B);
      ASSERT_EQ(cv[i], expected_t[c * A * B + rest]) << threads;
    }
  }
}

// ---- getitem --------------------------------------------------------------------------------

// The positions Python's range(*slice(start, stop, step).indices(n)) visits, written from the
// language reference: clamp, then walk.
std::vector<std::int64_t> python_slice(const Slice& s, std::int64_t n) {
  const std::int64_t step = s.step.value_or(1);
  std::int64_t start;
  std::int64_t stop;
  if (step > 0) {
    start = s.start
                ? (*s.start < 0 ? std::max<std::int64_t>(*s.start + n, 0) : std::min(*s.start, n))
                : 0;
    stop =
        s.stop ? (*s.stop < 0 ? std::max<std::int64_t>(*s.stop + n, 0) : std::min(*s.stop, n)) : n;
  } else {
    start = s.start ? (*s.start < 0 ? std::max<std::int64_t>(*s.start + n, -1)
                                    : std::min(*s.start, n - 1))
                    : n - 1;
    stop = s.stop
               ? (*s.stop < 0 ? std::max<std::int64_t>(*s.stop + n, -1) : std::min(*s.stop, n - 1))
               : -1;
  }
  std::vector<std::int64_t> out;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(i);
  return out;
}

std::optional<std::int64_t> random_bound(std::mt19937& rng, std::int64_t n) {
  if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) return std::nullopt;
  return std::uniform_int_distribution<std::int64_t>(-n - 3, n + 3)(rng);
}

// A random index for `shape` and, per output axis, the input axis and positions it reads (an
// integer index contributes a fixed position and no output axis; a new axis contributes an
// output axis of size 1 and no input axis).
struct RandomIndex {
  std::vector<Index> index;
  std::vector<std::vector<std::int64_t>> positions;  // per input axis
  std::vector<bool> dropped;                         // per input axis: integer-indexed
  Shape out_shape;
};

RandomIndex random_index(std::mt19937& rng, const Shape& shape) {
  RandomIndex r;
  const auto nd = shape.size();
  const auto used = std::uniform_int_distribution<std::size_t>(0, nd)(rng);
  const bool ellipsis = std::uniform_int_distribution<int>(0, 2)(rng) == 0;
  const auto ellipsis_at = std::uniform_int_distribution<std::size_t>(0, used)(rng);
  std::size_t axis = 0;
  auto full_axis = [&](std::size_t d) {
    std::vector<std::int64_t> all(static_cast<std::size_t>(shape[d]));
    std::iota(all.begin(), all.end(), std::int64_t{0});
    r.positions.push_back(all);
    r.dropped.push_back(false);
    r.out_shape.push_back(shape[d]);
  };
  for (std::size_t k = 0; k <= used; ++k) {
    if (ellipsis && k == ellipsis_at) {
      r.index.emplace_back(Ellipsis{});
      for (std::size_t j = 0; j < nd - used; ++j) full_axis(axis++);
    }
    while (std::uniform_int_distribution<int>(0, 5)(rng) == 0) {
      r.index.emplace_back(NewAxis{});
      r.out_shape.push_back(1);
    }
    if (k == used) break;
    const std::int64_t n = shape[axis];
    if (n > 0 && std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
      const std::int64_t i = std::uniform_int_distribution<std::int64_t>(-n, n - 1)(rng);
      r.index.emplace_back(i);
      r.positions.push_back({i < 0 ? i + n : i});
      r.dropped.push_back(true);
    } else {
      Slice s{random_bound(rng, n), random_bound(rng, n), std::nullopt};
      if (std::uniform_int_distribution<int>(0, 1)(rng) == 1) {
        s.step = std::uniform_int_distribution<int>(0, 1)(rng) == 1
                     ? std::uniform_int_distribution<std::int64_t>(1, 3)(rng)
                     : std::uniform_int_distribution<std::int64_t>(-3, -1)(rng);
      }
      r.index.emplace_back(s);
      r.positions.push_back(python_slice(s, n));
      r.dropped.push_back(false);
      r.out_shape.push_back(static_cast<std::int64_t>(r.positions.back().size()));
    }
    ++axis;
  }
  while (axis < nd) full_axis(axis++);
  return r;
}

TEST(GetItem, RandomIndicesAgainstPythonSemantics) {
  std::mt19937 rng(314);
  for (int trial = 0; trial < 400; ++trial) {
    const Shape shape = random_shape(rng, 0, 4, 6, trial % 10 == 0 ? 0 : 1);
    const Sample s = sample(rng, shape, trial % 3 == 0);
    const RandomIndex ri = random_index(rng, shape);
    const Tensor r = kcore::getitem(s.tensor, ri.index);
    ASSERT_EQ(r.shape(), ri.out_shape) << "input " << kcore::format_shape(shape);
    ASSERT_TRUE(r.shares_storage_with(s.tensor));
    // Walk the kept input axes in order (new axes do not change the element order).
    Shape kept_shape;
    std::vector<std::size_t> kept_axes;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (!ri.dropped[d]) {
        kept_shape.push_back(static_cast<std::int64_t>(ri.positions[d].size()));
        kept_axes.push_back(d);
      }
    }
    std::vector<std::int32_t> expected;
    for (std::int64_t i = 0; i < numel(kept_shape); ++i) {
      const auto k = unravel(i, kept_shape);
      std::vector<std::int64_t> idx(shape.size());
      for (std::size_t d = 0; d < shape.size(); ++d) {
        if (ri.dropped[d]) idx[d] = ri.positions[d][0];
      }
      for (std::size_t j = 0; j < kept_axes.size(); ++j) {
        idx[kept_axes[j]] = ri.positions[kept_axes[j]][static_cast<std::size_t>(k[j])];
      }
      expected.push_back(s.values[static_cast<std::size_t>(ravel(idx, shape))]);
    }
    ASSERT_EQ(r.to_vector<std::int32_t>(), expected) << "input " << kcore::format_shape(shape);
    // A slice of the slice, and a reshape of it, still read the right elements.
    if (r.ndim() > 0 && r.shape()[0] > 1) {
      const Tensor rr = kcore::getitem(r, {Slice{std::nullopt, std::nullopt, -1}});
      const auto rv = rr.to_vector<std::int32_t>();
      const std::int64_t inner = numel(r.shape()) / r.shape()[0];
      for (std::int64_t i = 0; i < numel(r.shape()); ++i) {
        const std::int64_t row = r.shape()[0] - 1 - i / inner;
        ASSERT_EQ(rv[static_cast<std::size_t>(i)],
                  expected[static_cast<std::size_t>(row * inner + i % inner)]);
      }
      ASSERT_EQ(kcore::reshape(rr, {-1}).to_vector<std::int32_t>(), rv);
    }
  }
}

TEST(GetItem, ByHand) {
  const Tensor x = kcore::reshape(kcore::arange(24), {2, 3, 4});
  EXPECT_EQ(kcore::getitem(x, {std::int64_t{1}}).shape(), (Shape{3, 4}));
  EXPECT_EQ(kcore::getitem(x, {std::int64_t{-1}, std::int64_t{2}}).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{20, 21, 22, 23}));
  EXPECT_EQ(kcore::getitem(x, {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}}).shape(),
            Shape{});
  EXPECT_EQ(
      kcore::getitem(x, {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}}).item<std::int32_t>(),
      23);
  EXPECT_EQ(kcore::getitem(x, {Ellipsis{}, std::int64_t{0}}).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{0, 4, 8, 12, 16, 20}));
  EXPECT_EQ(kcore::getitem(x, {NewAxis{}, Ellipsis{}, NewAxis{}}).shape(), (Shape{1, 2, 3, 4, 1}));
  EXPECT_EQ(kcore::getitem(x, {Slice{}, Slice{std::nullopt, std::nullopt, -2}, Slice{1, -1}})
                .to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{9, 10, 1, 2, 21, 22, 13, 14}));
  EXPECT_EQ(kcore::getitem(x, {Slice{5, 10}}).shape(), (Shape{0, 3, 4}));
  EXPECT_EQ(kcore::getitem(x, {Slice{std::nullopt, std::nullopt, -1}}).strides(),
            (Strides{-12, 4, 1}));
  // Steps longer than the axis take one element, at any magnitude.
  const auto lo = std::numeric_limits<std::int64_t>::min();
  const auto hi = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(
      kcore::getitem(x, {std::int64_t{0}, std::int64_t{0}, Slice{std::nullopt, std::nullopt, lo}})
          .to_vector<std::int32_t>(),
      (std::vector<std::int32_t>{3}));
  EXPECT_EQ(kcore::getitem(x, {std::int64_t{0}, std::int64_t{0}, Slice{1, std::nullopt, hi}})
                .to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{1}));
  EXPECT_EQ(kcore::getitem(x, {Ellipsis{}, Slice{lo, hi, 3}}).shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(kcore::getitem(x, {Ellipsis{}, Slice{hi, lo, -3}}).to_vector<std::int32_t>()[1], 0);
  const Tensor s = Tensor(7);
  EXPECT_EQ(kcore::getitem(s, {}).item<std::int32_t>(), 7);
  EXPECT_EQ(kcore::getitem(s, {Ellipsis{}}).shape(), Shape{});
  EXPECT_EQ(kcore::getitem(s, {NewAxis{}}).shape(), Shape{1});
  // A view outlives the tensor it was taken from.
  Tensor view;
  {
    const Tensor tmp = kcore::reshape(kcore::arange(10), {2, 5});
    view = kcore::getitem(tmp, {std::int64_t{1}, Slice{std::nullopt, std::nullopt, -2}});
  }
  EXPECT_EQ(view.to_vector<std::int32_t>(), (std::vector<std::int32_t>{9, 7, 5}));
}

TEST(GetItem, Errors) {
  const Tensor x = kcore::zeros({2, 3});
  EXPECT_TRUE(
      throws_named<kcore::IndexError>([&] { kcore::getitem(x, {std::int64_t{2}}); }, "getitem"));
  EXPECT_TRUE(throws_named<kcore::IndexError>(
      [&] {
        kcore::getitem(x, {Slice{}, std::int64_t{-4}});
      },
      "getitem"));
  EXPECT_TRUE(throws_named<kcore::IndexError>(
      [&] {
        kcore::getitem(x, {std::int64_t{0}, std::int64_t{0}, std::int64_t{0}});
      },
      "getitem"));
  EXPECT_TRUE(throws_named<kcore::IndexError>(
      [&] {
        kcore::getitem(x, {Ellipsis{}, Ellipsis{}});
      },
      "getitem"));
  EXPECT_TRUE(throws_named<kcore::ValueError>(
      [&] {
        kcore::getitem(x, {Slice{std::nullopt, std::nullopt, 0}});
      },
      "getitem"));
  EXPECT_TRUE(throws_named<kcore::IndexError>(
      [&] { kcore::getitem(kcore::zeros({0}), {std::int64_t{0}}); }, "getitem"));
  EXPECT_TRUE(throws_named<kcore::IndexError>([&] { kcore::getitem(Tensor(1), {std::int64_t{0}}); },
                                              "getitem"));
}

}  // namespace
}  // namespace kcore_test
