// scatter, scatter_update, slice, slice_update, unstack, extract_sequences (SEMANTICS §4):
// values against reference loops, every dtype, every error, views and buffer reuse, malformed
// inputs, gradients and batching.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kcore/autodiff.h"
#include "kcore/batching.h"
#include "kcore/kcore.h"

using namespace kcore;

namespace {

Tensor i32(const Nested& v) {
  return convert_to_tensor(v, DType::Int32);
}
Tensor f64(const Nested& v) {
  return convert_to_tensor(v, DType::Float64);
}

std::vector<double> values(const Tensor& t) {
  return ascontiguous(cast(t, DType::Float64)).to_vector<double>();
}

// The tensor's bytes, row-major.
std::vector<std::byte> bytes_of(const Tensor& t) {
  std::vector<std::byte> b(static_cast<std::size_t>(t.size()) * itemsize(t.dtype()));
  t.copy_to(b.data());
  return b;
}

// The bytes of rows of t (along axis 0) in the order given; -1 stands for a row of zeros.
std::vector<std::byte> rows_bytes(const Tensor& t, std::initializer_list<int> rows) {
  const auto all = bytes_of(t);
  const std::size_t row = all.size() / static_cast<std::size_t>(t.shape()[0]);
  std::vector<std::byte> out;
  for (int r : rows) {
    if (r < 0) {
      out.insert(out.end(), row, std::byte{0});
    } else {
      const auto at = all.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(r) * row);
      out.insert(out.end(), at, at + static_cast<std::ptrdiff_t>(row));
    }
  }
  return out;
}

std::vector<std::byte> join(std::vector<std::byte> a, const std::vector<std::byte>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::byte* buffer(const Tensor& t) {
  return t.storage()->data();
}

// Every dtype, with a tensor of `shape` holding distinct nonzero values where the dtype allows.
Tensor filled(const Shape& shape, DType dtype, double start = 1) {
  const std::int64_t n = shape_size(shape);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[i] = start + static_cast<double>(i % 7);
  return cast(reshape(convert_to_tensor(v), shape), dtype);
}

template <class F>
void expect_error(F&& f, const std::string& starts_with) {
  try {
    f();
    ADD_FAILURE() << "expected an error starting with " << starts_with;
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(starts_with, 0), 0u) << e.what();
  }
}

// Reference scatter with the semantics of SEMANTICS §4, on float64 values.
std::vector<double> reference_scatter(std::vector<double> out, const Shape& shape,
                                      const std::vector<std::int64_t>& idx, std::int64_t depth,
                                      const std::vector<double>& upd, const std::string& op) {
  std::int64_t slice = 1;
  for (std::size_t k = static_cast<std::size_t>(depth); k < shape.size(); ++k) slice *= shape[k];
  const std::int64_t rows =
      static_cast<std::int64_t>(upd.size()) / std::max<std::int64_t>(slice, 1);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t off = 0;
    for (std::int64_t k = 0; k < depth; ++k) {
      std::int64_t i = idx[static_cast<std::size_t>(r * depth + k)];
      if (i < 0) i += shape[k];
      off = off * shape[k] + i;
    }
    off *= slice;
    for (std::int64_t j = 0; j < slice; ++j) {
      double& o = out[static_cast<std::size_t>(off + j)];
      const double u = upd[static_cast<std::size_t>(r * slice + j)];
      if (op == "set") o = u;
      if (op == "add") o += u;
      if (op == "mul") o *= u;
      if (op == "max") o = std::max(o, u);
      if (op == "min") o = std::min(o, u);
    }
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// scatter

TEST(Scatter, SeedExample) {
  const Tensor out = scatter(i32({{0, 1}, {1, 1}}), f64({1., 1.}), {2, 2});
  EXPECT_EQ(out.shape(), (Shape{2, 2}));
  EXPECT_EQ(out.dtype(), DType::Float64);
  EXPECT_EQ(values(out), (std::vector<double>{0, 1, 0, 1}));
}

TEST(Scatter, DuplicatesAddAndNegativeIndicesWrap) {
  const Tensor out = scatter(i32({{0}, {0}, {-1}, {2}}), f64({1., 2., 4., 8.}), {3});
  EXPECT_EQ(values(out), (std::vector<double>{3, 0, 12}));
  const Tensor b = scatter(i32({{1}, {1}}), convert_to_tensor({true, true}), {3});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_EQ(b.to_vector<bool>(), (std::vector<bool>{false, true, false}));
}

TEST(Scatter, SlicesAndDepthZero) {
  // depth 1 < rank 2: whole rows.
  const Tensor rows = scatter(i32({{2}, {0}}), f64({{1., 2.}, {3., 4.}}), {3, 2});
  EXPECT_EQ(values(rows), (std::vector<double>{3, 4, 0, 0, 1, 2}));
  // depth 0: every row is the whole tensor.
  const Tensor all = scatter(convert_to_tensor(std::vector<std::int32_t>{}), f64({1., 2.}), {2});
  EXPECT_EQ(values(all), (std::vector<double>{1, 2}));
  const Tensor idx0 = reshape(convert_to_tensor(std::vector<std::int32_t>{}), {2, 0});
  EXPECT_EQ(values(scatter(idx0, f64({{1., 2.}, {3., 4.}}), {2})), (std::vector<double>{4, 6}));
}

TEST(Scatter, EmptyIndicesAndZeroSizeShapes) {
  const Tensor none = reshape(convert_to_tensor(std::vector<std::int64_t>{}), {0, 1});
  const Tensor out = scatter(none, zeros({0, 4}), {3, 4});
  EXPECT_EQ(values(out), std::vector<double>(12, 0.0));
  EXPECT_EQ(scatter(none, zeros({0}), {0}).shape(), (Shape{0}));
  // A zero-size slice: indices are still checked, nothing is written.
  EXPECT_EQ(scatter(i32({{1}}), zeros({1, 0}), {2, 0}).shape(), (Shape{2, 0}));
  expect_error([] { scatter(i32({{2}}), zeros({1, 0}), {2, 0}); }, "scatter: index [2]");
  // Any index into a zero-size dimension is out of range.
  expect_error([] { scatter(i32({{0}}), zeros({1}), {0}); }, "scatter:");
}

TEST(Scatter, Errors) {
  EXPECT_THROW(scatter(i32({{2}}), f64({1.}), {2}), IndexError);
  EXPECT_THROW(scatter(i32({{-3}}), f64({1.}), {2}), IndexError);
  expect_error(
      [] {
        scatter(i32({{0}, {5}}), f64({1., 1.}), {2});
      },
      "scatter: index [5] (row 1 of indices of shape (2, 1))");
  // Extreme values: no overflow in the check.
  for (std::int64_t bad : {std::numeric_limits<std::int64_t>::max(),
                           std::numeric_limits<std::int64_t>::min(), std::int64_t{-3}}) {
    const Tensor idx = reshape(convert_to_tensor(std::vector<std::int64_t>{bad}), {1, 1});
    EXPECT_THROW(scatter(idx, f64({1.}), {2}), IndexError) << bad;
  }
  const Tensor huge = reshape(convert_to_tensor(std::vector<std::uint64_t>{~0ULL}), {1, 1});
  expect_error([&] { scatter(huge, f64({1.}), {2}); }, "scatter: index [18446744073709551615]");
  // int8 and uint8 indices work.
  EXPECT_EQ(values(scatter(cast(i32({{-1}}), DType::Int8), f64({5.}), {3})),
            (std::vector<double>{0, 0, 5}));
  EXPECT_EQ(values(scatter(cast(i32({{1}}), DType::UInt8), f64({5.}), {3})),
            (std::vector<double>{0, 5, 0}));
  // Shapes and dtypes.
  EXPECT_THROW(scatter(i32({{0, 0, 0}}), f64({1.}), {2, 2}), ValueError);  // depth > rank
  EXPECT_THROW(scatter(i32({{0}}), f64({1., 2.}), {2}), ValueError);       // values shape
  EXPECT_THROW(scatter(i32({{0}}), f64({{1.}}), {2}), ValueError);
  EXPECT_THROW(scatter(i32(0), f64(1.), {2}), ValueError);        // rank-0 indices
  EXPECT_THROW(scatter(f64({{0.}}), f64({1.}), {2}), TypeError);  // float indices
  EXPECT_THROW(scatter(convert_to_tensor({{true}}), f64({1.}), {2}), TypeError);
  EXPECT_THROW(scatter(i32({{0}}), f64({1.}), {-2}), ValueError);  // negative shape
  EXPECT_THROW(scatter(i32({{0, 0}}), f64({1.}), {1LL << 40, 1LL << 40}), ValueError);
}

// The bounds check of depth-1 rows runs over vectors of indices: an index just out of range (or
// at either extreme of the index type) at any position of up to 70 rows, in int32 and int64, is
// the reported row; indices at the edges of the range pass.
TEST(Scatter, OutOfRangeAtEveryPosition) {
  constexpr std::int64_t dim = 5;
  for (DType dt : {DType::Int32, DType::Int64}) {
    const std::int64_t type_min = dt == DType::Int32 ? std::numeric_limits<std::int32_t>::min()
                                                     : std::numeric_limits<std::int64_t>::min();
    const std::int64_t type_max = dt == DType::Int32 ? std::numeric_limits<std::int32_t>::max()
                                                     : std::numeric_limits<std::int64_t>::max();
    for (std::int64_t n = 1; n <= 70; ++n) {
      for (std::int64_t at = 0; at < n; ++at) {
        std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
        for (std::int64_t r = 0; r < n; ++r)
          idx[static_cast<std::size_t>(r)] = r % 2 ? -dim : dim - 1;
        const Tensor values = ones({n}, DType::Float32);
        auto run = [&](std::int64_t v) {
          idx[static_cast<std::size_t>(at)] = v;
          return scatter(cast(reshape(convert_to_tensor(idx), {n, 1}), dt), values, {dim});
        };
        for (std::int64_t bad : {dim, -dim - 1, type_min, type_max}) {
          SCOPED_TRACE(std::string(name(dt)) + " n=" + std::to_string(n) +
                       " at=" + std::to_string(at) + " index=" + std::to_string(bad));
          try {
            run(bad);
            ADD_FAILURE() << "expected an IndexError";
          } catch (const IndexError& e) {
            EXPECT_NE(std::string(e.what()).find("(row " + std::to_string(at) + " of indices"),
                      std::string::npos)
                << e.what();
          }
        }
        EXPECT_NO_THROW(run(-dim));
        EXPECT_NO_THROW(run(dim - 1));
      }
    }
  }
}

// Single-element rows check their indices block by block (2048 rows) while they are added: an
// index out of range in any block, at its edges or in the last, short block, is the row
// reported; with none, every block is added (into a 64 MB output too, which prefetches ahead).
TEST(Scatter, SingleElementsCheckedBlockByBlock) {
  std::mt19937 rng(11);
  for (const std::int64_t dim : {std::int64_t{3000}, std::int64_t{1} << 24}) {
    const std::int64_t n = 5000;
    std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
    std::vector<float> upd(static_cast<std::size_t>(n));
    std::vector<double> expected(static_cast<std::size_t>(dim), 0.0);
    for (std::int64_t r = 0; r < n; ++r) {
      // Negative indices only in the second block: blocks without any take a path without the
      // wrap.
      const bool negatives = r >= 2048 && r < 4096;
      const auto i =
          negatives ? static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * dim)) - dim
                    : static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(dim));
      idx[static_cast<std::size_t>(r)] = i;
      upd[static_cast<std::size_t>(r)] = static_cast<float>(rng() % 17) - 8;
      expected[static_cast<std::size_t>(i < 0 ? i + dim : i)] += upd[static_cast<std::size_t>(r)];
    }
    const Tensor values_tensor = convert_to_tensor(upd);
    for (DType dt : {DType::Int32, DType::Int64}) {
      SCOPED_TRACE(std::string(name(dt)) + " dim=" + std::to_string(dim));
      const Tensor indices = cast(reshape(convert_to_tensor(idx), {n, 1}), dt);
      EXPECT_EQ(values(scatter(indices, values_tensor, {dim})), expected);
      for (std::int64_t at : {0, 1, 2047, 2048, 2049, 4095, 4096, 4999}) {
        for (std::int64_t bad : {dim, -dim - 1}) {
          std::vector<std::int64_t> wrong = idx;
          wrong[static_cast<std::size_t>(at)] = bad;
          // A second bad index later, in another block: the first is the one reported.
          if (at + 2100 < n) wrong[static_cast<std::size_t>(at + 2100)] = dim + 7;
          expect_error(
              [&] {
                scatter(cast(reshape(convert_to_tensor(wrong), {n, 1}), dt), values_tensor, {dim});
              },
              "scatter: index [" + std::to_string(bad) + "] (row " + std::to_string(at) +
                  " of indices of shape (5000, 1))");
        }
      }
    }
  }
}

TEST(Scatter, EveryDtype) {
  for (DType d : kAllDTypes) {
    SCOPED_TRACE(std::string(name(d)));
    const Tensor v = filled({3, 2}, d);
    const Tensor out = scatter(i32({{2}, {0}, {3}}), v, {4, 2});
    EXPECT_EQ(out.dtype(), d);
    EXPECT_EQ(bytes_of(out), rows_bytes(v, {1, -1, 0, 2}));
  }
}

TEST(Scatter, RandomAgainstReference) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 40; ++trial) {
    const Shape shape = {1 + static_cast<std::int64_t>(rng() % 5),
                         1 + static_cast<std::int64_t>(rng() % 4),
                         1 + static_cast<std::int64_t>(rng() % 3)};
    const std::int64_t depth = rng() % 4;
    const std::int64_t rows = rng() % 9;
    std::vector<std::int64_t> idx;
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t k = 0; k < depth; ++k) {
        const auto dim = shape[static_cast<std::size_t>(k)];
        idx.push_back(static_cast<std::int64_t>(rng() % (2 * dim)) - dim);
      }
    }
    Shape rows_shape = {rows};
    std::int64_t slice = 1;
    for (std::size_t k = static_cast<std::size_t>(depth); k < 3; ++k) {
      rows_shape.push_back(shape[k]);
      slice *= shape[k];
    }
    std::vector<double> upd(static_cast<std::size_t>(rows * slice));
    for (auto& u : upd) u = static_cast<double>(rng() % 100) - 50;
    const Tensor indices = reshape(convert_to_tensor(idx), {rows, depth});
    const Tensor updates = reshape(convert_to_tensor(upd), rows_shape);
    const auto expected =
        reference_scatter(std::vector<double>(static_cast<std::size_t>(shape_size(shape)), 0.0),
                          shape, idx, depth, upd, "add");
    EXPECT_EQ(values(scatter(indices, updates, shape)), expected) << trial;
    // The same through a transposed (non-contiguous) copy of the updates and int32 indices.
    if (rows_shape.size() >= 2) {
      const Tensor t = transpose(ascontiguous(transpose(updates)));
      EXPECT_EQ(values(scatter(cast(indices, DType::Int32), t, shape)), expected) << trial;
    }
  }
}

TEST(Scatter, LargeParallelMatchesSerial) {
  // Many rows with duplicates, on several threads: deterministic index-order sums.
  const std::int64_t n = 200000;
  std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
  std::vector<double> upd(static_cast<std::size_t>(n));
  std::mt19937 rng(5);
  for (std::int64_t i = 0; i < n; ++i) {
    idx[i] = static_cast<std::int64_t>(rng() % 1000);
    upd[i] = 1.0 / static_cast<double>(1 + rng() % 97);
  }
  const Tensor indices = reshape(convert_to_tensor(idx), {n, 1});
  const Tensor updates = convert_to_tensor(upd);
  const int threads = num_threads();
  set_num_threads(1);
  const auto serial = values(scatter(indices, updates, {1000}));
  const auto set_serial = values(scatter_update(zeros({1000}, DType::Float64), indices, updates));
  set_num_threads(4);
  EXPECT_EQ(values(scatter(indices, updates, {1000})), serial);
  EXPECT_EQ(values(scatter_update(zeros({1000}, DType::Float64), indices, updates)), set_serial);
  // Short rows split by output ranges (work above the one-thread limit): still index order.
  const Tensor rows16 = broadcast_to(reshape(updates, {n, 1}), {n, 16});
  set_num_threads(1);
  const auto rows_serial = values(scatter(indices, rows16, {1000, 16}));
  set_num_threads(4);
  EXPECT_EQ(values(scatter(indices, rows16, {1000, 16})), rows_serial);
  // Long rows split across threads.
  const Tensor wide = reshape(arange(0, 40000, 1, DType::Float32), {4, 10000});
  const Tensor w = scatter(i32({{1}, {1}, {0}, {2}}), wide, {3, 10000});
  set_num_threads(threads);
  const auto wv = values(w);
  EXPECT_EQ(wv[0], 20000.0);
  EXPECT_EQ(wv[10000], 0.0 + 10000.0);
  EXPECT_EQ(wv[20000], 30000.0);
  expect_error(
      [&] {
        std::vector<std::int64_t> bad = idx;
        bad[150000] = 1000;
        bad[190000] = -2000;
        scatter(reshape(convert_to_tensor(bad), {n, 1}), updates, {1000});
      },
      "scatter: index [1000] (row 150000");
}

// ------------------------------------------------------------------------------------------------
// scatter_update

TEST(ScatterUpdate, SeedExamples) {
  const Tensor a = scatter_update(zeros({4, 4, 4}), i32({{1, 2, 3}, {0, 1, 3}}), f64({1., 1.}));
  EXPECT_EQ(a.dtype(), DType::Float32);
  EXPECT_EQ(a.at<float>({1, 2, 3}), 1.0f);
  EXPECT_EQ(a.at<float>({0, 1, 3}), 1.0f);
  EXPECT_EQ(sum(a).item<float>(), 2.0f);
  const Tensor b = scatter_update(zeros({4, 4, 4}), i32({{1, 2}, {2, 3}}), ones({2, 4}));
  EXPECT_EQ(sum(b).item<float>(), 8.0f);
  EXPECT_EQ(b.at<float>({2, 3, 0}), 1.0f);
}

TEST(ScatterUpdate, Reductions) {
  const Tensor x = f64({10., 20., 30.});
  const Tensor idx = i32({{0}, {2}, {0}, {-1}});
  const Tensor u = f64({1., 2., 3., 4.});
  EXPECT_EQ(values(scatter_update(x, idx, u)), (std::vector<double>{3, 20, 4}));  // last wins
  EXPECT_EQ(values(scatter_update(x, idx, u, "add")), (std::vector<double>{14, 20, 36}));
  EXPECT_EQ(values(scatter_update(x, idx, u, "ADD")), (std::vector<double>{14, 20, 36}));
  EXPECT_EQ(values(scatter_update(x, idx, u, "Mul")), (std::vector<double>{30, 20, 240}));
  EXPECT_EQ(values(scatter_update(x, idx, u, "max")), (std::vector<double>{10, 20, 30}));
  EXPECT_EQ(values(scatter_update(x, idx, u, "min")), (std::vector<double>{1, 20, 2}));
  expect_error([&] { scatter_update(x, idx, u, "sum"); },
               "scatter_update: Invalid reduction: sum. Supported values are: None, 'add', 'max', "
               "'min', 'mul'.");
  // NaN propagates through max and min, in either position.
  const double nan = std::nan("");
  const auto m = values(scatter_update(f64({nan, 1.}), i32({{0}, {1}}), f64({5., nan}), "max"));
  EXPECT_TRUE(std::isnan(m[0]) && std::isnan(m[1]));
  // Integers wrap; bool combines logically.
  const Tensor i8 = cast(i32({100}), DType::Int8);
  EXPECT_EQ(values(scatter_update(i8, i32({{0}, {0}}), i32({100, 100}), "add")),
            (std::vector<double>{44}));
  EXPECT_EQ(
      values(scatter_update(cast(i32({1 << 20}), DType::Int64), i32({{0}}), i32({1 << 22}), "mul")),
      (std::vector<double>{static_cast<double>(1LL << 42)}));
  const Tensor bx = convert_to_tensor({true, false});
  const Tensor bi = i32({{0}, {1}});
  const Tensor bu = convert_to_tensor({false, true});
  EXPECT_EQ(scatter_update(bx, bi, bu, "add").to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_EQ(scatter_update(bx, bi, bu, "mul").to_vector<bool>(), (std::vector<bool>{false, false}));
  EXPECT_EQ(scatter_update(bx, bi, bu, "max").to_vector<bool>(), (std::vector<bool>{true, true}));
  EXPECT_EQ(scatter_update(bx, bi, bu, "min").to_vector<bool>(), (std::vector<bool>{false, false}));
  // Complex: no order.
  const Tensor c = cast(x, DType::Complex64);
  EXPECT_THROW(scatter_update(c, idx, u, "max"), TypeError);
  EXPECT_EQ(values(scatter_update(c, idx, u, "add")), (std::vector<double>{14, 20, 36}));
}

TEST(ScatterUpdate, CastBroadcastAndErrors) {
  const Tensor x = i32({1, 2, 3});
  const Tensor out = scatter_update(x, i32({{1}}), f64({7.9}));
  EXPECT_EQ(out.dtype(), DType::Int32);
  EXPECT_EQ(values(out), (std::vector<double>{1, 7, 3}));
  // A scalar update broadcasts to every row.
  EXPECT_EQ(values(scatter_update(x, i32({{0}, {2}}), 0)), (std::vector<double>{0, 2, 0}));
  const Tensor m = zeros({2, 3});
  EXPECT_EQ(values(scatter_update(m, i32({{1}}), f64({1., 2., 3.}))),
            (std::vector<double>{0, 0, 0, 1, 2, 3}));
  EXPECT_THROW(scatter_update(m, i32({{1}}), f64({1., 2.})), ValueError);
  EXPECT_THROW(scatter_update(m, i32({{0, 0, 0}}), f64({1.})), ValueError);
  EXPECT_THROW(scatter_update(m, f64({{0.}}), f64({1.})), TypeError);
  EXPECT_THROW(scatter_update(m, i32({{2}}), f64({{1., 2., 3.}})), IndexError);
  EXPECT_THROW(scatter_update(m, i32({{0, -4}}), f64({1.})), IndexError);
  EXPECT_THROW(scatter_update(m, i32(0), f64({1.})), ValueError);
}

TEST(ScatterUpdate, EveryDtype) {
  for (DType d : kAllDTypes) {
    SCOPED_TRACE(std::string(name(d)));
    const Tensor x = filled({3, 2}, d);
    const Tensor u = filled({2, 2}, d, 3);
    const Tensor out = scatter_update(x, i32({{2}, {-3}}), u);
    EXPECT_EQ(out.dtype(), d);
    EXPECT_EQ(bytes_of(out),
              join(join(rows_bytes(u, {1}), rows_bytes(x, {1})), rows_bytes(u, {0})));
    if (d != DType::Complex64 && d != DType::Complex128) {
      for (const char* r : {"add", "max", "min", "mul"}) {
        EXPECT_EQ(scatter_update(x, i32({{0}}), getitem(u, {Slice{0, 1, {}}}), r).shape(),
                  x.shape());
      }
    }
  }
}

TEST(ScatterUpdate, RandomAgainstReference) {
  std::mt19937 rng(11);
  for (const char* op : {"set", "add", "mul", "max", "min"}) {
    for (int trial = 0; trial < 12; ++trial) {
      const Shape shape = {1 + static_cast<std::int64_t>(rng() % 6),
                           1 + static_cast<std::int64_t>(rng() % 3)};
      const std::int64_t depth = 1 + rng() % 2;
      const std::int64_t rows = rng() % 12;
      std::vector<std::int64_t> idx;
      for (std::int64_t r = 0; r < rows * depth; ++r) {
        const auto dim = shape[static_cast<std::size_t>(r % depth)];
        idx.push_back(static_cast<std::int64_t>(rng() % (2 * dim)) - dim);
      }
      const std::int64_t slice = depth == 1 ? shape[1] : 1;
      std::vector<double> x(static_cast<std::size_t>(shape_size(shape)));
      std::vector<double> upd(static_cast<std::size_t>(rows * slice));
      for (auto& v : x) v = static_cast<double>(rng() % 9) - 4;
      for (auto& v : upd) v = static_cast<double>(rng() % 9) - 4;
      Shape ushape = {rows};
      if (depth == 1) ushape.push_back(shape[1]);
      const Tensor xt = reshape(convert_to_tensor(x), shape);
      const auto expected = reference_scatter(x, shape, idx, depth, upd, op);
      const Tensor got = scatter_update(
          xt, reshape(convert_to_tensor(idx), {rows, depth}),
          reshape(convert_to_tensor(upd), ushape),
          std::string(op) == "set" ? std::nullopt : std::optional<std::string_view>(op));
      EXPECT_EQ(values(got), expected) << op << " " << trial;
      EXPECT_EQ(values(xt), x);  // the input is never modified
    }
  }
}

// Single-element rows without a negative index skip the wrap: whether any is negative is found
// while checking, in parallel pieces of 2^18 rows; one negative index in a later piece, on 1 to
// 3 threads, still wraps.
TEST(ScatterUpdate, OneNegativeIndexInAnyCheckedPieceWraps) {
  const int threads = num_threads();
  constexpr std::int64_t rows = 600000;
  constexpr std::int64_t dim = 1000;
  std::vector<std::int64_t> idx(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) idx[static_cast<std::size_t>(r)] = r % (dim - 1);
  for (const std::int64_t at : {std::int64_t{0}, std::int64_t{300000}, rows - 1}) {
    std::vector<std::int64_t> with_negative = idx;
    with_negative[static_cast<std::size_t>(at)] = -1;  // the last element, never hit otherwise
    const Tensor indices = reshape(convert_to_tensor(with_negative), {rows, 1});
    const Tensor updates = full({rows}, 1.0, DType::Float32);
    for (int t : {1, 2, 3}) {
      set_num_threads(t);
      SCOPED_TRACE("at=" + std::to_string(at) + " threads=" + std::to_string(t));
      const auto out =
          values(scatter_update(zeros({dim}, DType::Float32), indices, updates, "add"));
      EXPECT_EQ(out[dim - 1], 1.0);
      double total = 0;
      for (double v : out) total += v;
      EXPECT_EQ(total, static_cast<double>(rows));
    }
  }
  set_num_threads(threads);
}

TEST(ScatterUpdate, ReusesTheBufferOfAnUnsharedRvalue) {
  Tensor x = zeros({1000}, DType::Float64);
  const std::byte* original = buffer(x);
  for (int i = 0; i < 10; ++i) {
    x = scatter_update(std::move(x), i32({{i}}), f64({static_cast<double>(i)}));
  }
  EXPECT_EQ(buffer(x), original);
  EXPECT_EQ(values(x)[9], 9.0);
  // An lvalue is copied, and stays as it was.
  const Tensor y = scatter_update(x, i32({{0}}), f64({5.}));
  EXPECT_NE(buffer(y), buffer(x));
  EXPECT_EQ(values(x)[0], 0.0);
  // A view alive elsewhere keeps the buffer from being reused.
  Tensor z = zeros({4}, DType::Float64);
  const Tensor view = getitem(z, {Slice{1, 3, {}}});
  const std::byte* zb = buffer(z);
  z = scatter_update(std::move(z), i32({{1}}), f64({7.}));
  EXPECT_NE(buffer(z), zb);
  EXPECT_EQ(values(view), (std::vector<double>{0, 0}));
  // A failing call leaves the rvalue as it was.
  Tensor w = f64({1., 2.});
  EXPECT_THROW(w = scatter_update(std::move(w), i32({{3}}), f64({9.})), IndexError);
  ASSERT_TRUE(w.has_values());
  EXPECT_EQ(values(w), (std::vector<double>{1, 2}));
  // Non-contiguous inputs are copied, not written through.
  Tensor t = transpose(reshape(arange(0, 6, 1, DType::Float64), {2, 3}));
  const Tensor base = t;
  t = scatter_update(std::move(t), i32({{0, 1}}), f64({-1.}));
  EXPECT_EQ(values(base), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(values(t), (std::vector<double>{0, -1, 1, 4, 2, 5}));
}

// ------------------------------------------------------------------------------------------------
// slice

TEST(Slice, ViewsClampingAndWrapping) {
  const Tensor x = reshape(arange(0, 12, 1, DType::Float64), {3, 4});
  const Tensor s = slice(x, {1, 1}, {2, 2});
  EXPECT_TRUE(s.shares_storage_with(x));
  EXPECT_EQ(values(s), (std::vector<double>{5, 6, 9, 10}));
  // XLA: the start is clamped so the whole size fits.
  EXPECT_EQ(values(slice(x, {1, 1}, {2, 4})), (std::vector<double>{4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(values(slice(x, {5, 100}, {1, 1})), (std::vector<double>{11}));
  EXPECT_EQ(values(slice(x, {-1, -2}, {1, 2})), (std::vector<double>{10, 11}));
  EXPECT_EQ(values(slice(x, {-100, -2}, {1, 1})), (std::vector<double>{2}));
  EXPECT_EQ(
      values(slice(
          x, {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()},
          {1, 1})),
      (std::vector<double>{3}));
  // -1: to the end.
  EXPECT_EQ(values(slice(x, {1, 2}, {-1, -1})), (std::vector<double>{6, 7, 10, 11}));
  EXPECT_EQ(slice(x, {1, 9}, {-1, -1}).shape(), (Shape{2, 0}));
  EXPECT_EQ(values(slice(x, {-1, -1}, {-1, -1})), (std::vector<double>{11}));
  // Sizes 0, full sizes, rank 0, zero-size inputs.
  EXPECT_EQ(slice(x, {2, 3}, {0, 4}).shape(), (Shape{0, 4}));
  EXPECT_EQ(values(slice(x, {0, 0}, {3, 4})), values(x));
  EXPECT_EQ(values(slice(f64(3.), std::vector<std::int64_t>{}, {})), (std::vector<double>{3}));
  EXPECT_EQ(slice(zeros({0, 3}), {0, 1}, {0, 2}).shape(), (Shape{0, 2}));
  // A non-contiguous input.
  const Tensor t = transpose(x);
  EXPECT_EQ(values(slice(t, {1, 1}, {2, 2})), (std::vector<double>{5, 9, 6, 10}));
}

TEST(Slice, TensorStarts) {
  const Tensor x = reshape(arange(0, 12, 1, DType::Float64), {3, 4});
  for (DType d : {DType::Int8, DType::Int32, DType::Int64, DType::UInt8, DType::UInt64}) {
    const Tensor s = slice(x, cast(i32({1, 2}), d), {2, 2});
    EXPECT_TRUE(s.shares_storage_with(x));
    EXPECT_EQ(values(s), (std::vector<double>{6, 7, 10, 11}));
  }
  EXPECT_EQ(values(slice(x, i32({-1, 3}), {1, 2})), (std::vector<double>{10, 11}));
  const Tensor huge = convert_to_tensor(std::vector<std::uint64_t>{~0ULL, 0});
  EXPECT_EQ(values(slice(x, huge, {1, 1})), (std::vector<double>{8}));
  EXPECT_EQ(values(slice(x, i32({2, 1}), {-1, -1})), (std::vector<double>{9, 10, 11}));
  // A strided start tensor.
  const Tensor strided = getitem(i32({1, 9, 2, 9}), {Slice{{}, {}, 2}});
  EXPECT_EQ(values(slice(x, strided, {1, 1})), (std::vector<double>{6}));
}

TEST(Slice, ViewIsSlicesFastPath) {
  // slice_is_view and slice_view, for bindings: the same view as slice for valid arguments;
  // slice_is_view is false otherwise.
  std::mt19937 rng(17);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t nd = rng() % 4;
    Shape shape;
    for (std::size_t i = 0; i < nd; ++i) shape.push_back(static_cast<std::int64_t>(rng() % 5));
    const Tensor x =
        reshape(arange(0, static_cast<double>(shape_size(shape)), 1, DType::Float64), shape);
    const Tensor base = trial % 2 == 0 || nd == 0 ? x : transpose(x);
    std::vector<std::int64_t> starts;
    std::vector<std::int64_t> sizes;
    for (const std::int64_t dim : base.shape()) {
      starts.push_back(static_cast<std::int64_t>(rng() % 13) - 6);
      sizes.push_back(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(dim + 2)) - 1);
    }
    ASSERT_TRUE(slice_is_view(base, starts, sizes));
    const Tensor view = slice_view(base, starts, sizes);
    const Tensor expected = slice(base, StartIndices(starts), Shape(sizes));
    EXPECT_EQ(view.shape(), expected.shape());
    EXPECT_EQ(values(view), values(expected));
    EXPECT_TRUE(view.shares_storage_with(base));
  }
  const Tensor x = zeros({3, 4});
  const std::vector<std::int64_t> two = {0, 0};
  EXPECT_FALSE(slice_is_view(x, two, std::vector<std::int64_t>{1}));
  EXPECT_FALSE(slice_is_view(x, std::vector<std::int64_t>{0}, two));
  EXPECT_FALSE(slice_is_view(x, two, std::vector<std::int64_t>{4, 1}));
  EXPECT_FALSE(slice_is_view(x, two, std::vector<std::int64_t>{1, -2}));
  // A traced input goes through slice's primitive, which autodiff sees.
  bool traced_is_view = true;
  grad([&](const Tensor& t) {
    traced_is_view = slice_is_view(t, two, std::vector<std::int64_t>{1, 1});
    return sum(t);
  })(x);
  EXPECT_FALSE(traced_is_view);
}

TEST(Slice, Errors) {
  const Tensor x = zeros({3, 4});
  expect_error(
      [&] {
        slice(x, {0, 0}, {1});
      },
      "slice: The number of dimensions in `inputs` must match the number of dimensions in "
      "`shape`");
  expect_error(
      [&] {
        slice(x, {0}, {1, 1});
      },
      "slice: The number of dimensions in `start_indices` must match");
  EXPECT_THROW(slice(x, {0, 0}, {4, 1}), ValueError);
  EXPECT_THROW(slice(x, {0, 0}, {1, -2}), ValueError);
  EXPECT_THROW(slice(x, f64({0., 0.}), {1, 1}), TypeError);
  EXPECT_THROW(slice(x, i32({{0, 0}}), {1, 1}), ValueError);
  EXPECT_THROW(slice(x, i32({0, 0, 0}), {1, 1}), ValueError);
  EXPECT_THROW(slice(x, i32(0), {1, 1}), ValueError);
}

// ------------------------------------------------------------------------------------------------
// slice_update

TEST(SliceUpdate, ValuesClampingAndCasting) {
  const Tensor x = zeros({5, 5});
  const Tensor out = slice_update(x, {3, 3}, ones({2, 2}));
  EXPECT_EQ(sum(out).item<float>(), 4.0f);
  EXPECT_EQ(out.at<float>({4, 4}), 1.0f);
  EXPECT_EQ(sum(x).item<float>(), 0.0f);  // unchanged
  // Clamped so the update fits; negative starts wrap once.
  const Tensor y = slice_update(zeros({4}, DType::Int32), {3}, f64({1.5, 2.5}));
  EXPECT_EQ(values(y), (std::vector<double>{0, 0, 1, 2}));
  EXPECT_EQ(values(slice_update(zeros({4}, DType::Int32), {-4}, i32({7}))),
            (std::vector<double>{7, 0, 0, 0}));
  EXPECT_EQ(values(slice_update(zeros({4}, DType::Int32), {-9}, i32({7}))),
            (std::vector<double>{7, 0, 0, 0}));
  EXPECT_EQ(values(slice_update(zeros({4}, DType::Int32), cast(i32({2}), DType::UInt16), i32({7}))),
            (std::vector<double>{0, 0, 7, 0}));
  // Empty updates, rank 0, zero-size inputs.
  EXPECT_EQ(values(slice_update(f64({1., 2.}), {1}, zeros({0}))), (std::vector<double>{1, 2}));
  EXPECT_EQ(values(slice_update(f64(1.), std::vector<std::int64_t>{}, f64(4.))),
            (std::vector<double>{4}));
  EXPECT_EQ(slice_update(zeros({0, 3}), {0, 0}, zeros({0, 2})).shape(), (Shape{0, 3}));
  // A non-contiguous input and update.
  const Tensor t = transpose(reshape(arange(0, 6, 1, DType::Float64), {2, 3}));
  const Tensor u = transpose(f64({{-1., -2.}, {-3., -4.}}));
  EXPECT_EQ(values(slice_update(t, {1, 0}, u)), (std::vector<double>{0, 3, -1, -3, -2, -4}));
}

// A shared input is copied around the window when the window is one run of its bytes (dimensions
// before the first partial one 1 wide, those after it whole), else copied whole and overwritten:
// random shapes, windows of every kind (whole, one run, several runs), starts negative or beyond
// the end (clamped), inputs that are views at an offset, against an element-by-element reference;
// the input is unchanged.
TEST(SliceUpdate, RandomWindowsAgainstReference) {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 400; ++trial) {
    const auto nd = static_cast<std::int64_t>(1 + rng() % 4);
    Shape shape;
    Shape window;
    std::vector<std::int64_t> starts;
    for (std::int64_t i = 0; i < nd; ++i) {
      const auto d = static_cast<std::int64_t>(1 + rng() % 5);
      shape.push_back(d);
      const auto kind = rng() % 3;  // 1 wide, whole, or anything
      window.push_back(kind == 0 ? 1 : kind == 1 ? d : static_cast<std::int64_t>(rng() % (d + 1)));
      starts.push_back(static_cast<std::int64_t>(rng() % 13) - 6);
    }
    // A contiguous view at an offset: row 1 of a stack of two.
    const Tensor base =
        reshape(arange(0, static_cast<double>(2 * shape_size(shape)), 1, DType::Float64), [&] {
          Shape s = {2};
          s.insert(s.end(), shape.begin(), shape.end());
          return s;
        }());
    const Tensor x = unstack(base)[1];
    const Tensor u =
        add(arange(0, static_cast<double>(shape_size(window)), 1, DType::Float64), f64(-1000.));
    const Tensor updates = reshape(u, window);
    const auto before = values(x);
    const Tensor got = slice_update(x, starts, updates);
    // Reference: clamp each start, then write element by element.
    std::vector<double> expected = before;
    std::vector<std::int64_t> begin(static_cast<std::size_t>(nd));
    for (std::int64_t i = 0; i < nd; ++i) {
      std::int64_t st = starts[i] < 0 ? starts[i] + shape[i] : starts[i];
      begin[i] = std::clamp<std::int64_t>(st, 0, shape[i] - window[i]);
    }
    const auto uv = values(updates);
    for (std::int64_t e = 0; e < shape_size(window); ++e) {
      std::int64_t rest = e;
      std::int64_t flat = 0;
      std::int64_t stride = 1;
      for (std::int64_t i = nd; i-- > 0;) {
        flat += (begin[i] + rest % window[i]) * stride;
        rest /= window[i];
        stride *= shape[i];
      }
      expected[static_cast<std::size_t>(flat)] = uv[static_cast<std::size_t>(e)];
    }
    SCOPED_TRACE("trial " + std::to_string(trial) + " shape " + format_shape(shape) + " window " +
                 format_shape(window));
    EXPECT_EQ(values(got), expected);
    EXPECT_EQ(values(x), before);
  }
}

// Inputs of several MB are copied around the window in parallel pieces of 1 MB: windows that
// start or end inside a piece, on a piece's edge, or cover whole pieces, on 1 to 3 threads.
TEST(SliceUpdate, LargeWindowsAcrossParallelPieces) {
  const int threads = num_threads();
  constexpr std::int64_t n = 3 * (std::int64_t{1} << 18) + 5;  // float32: 3 MB and 20 bytes
  constexpr std::int64_t piece = std::int64_t{1} << 18;        // elements in 1 MB
  const Tensor x = arange(0, static_cast<double>(n), 1, DType::Float32);
  const auto before = values(x);
  for (int t : {1, 2, 3}) {
    set_num_threads(t);
    for (auto [start, len] :
         std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 1},
                                                            {piece - 1, 2},
                                                            {piece, piece},
                                                            {piece / 2, 2 * piece},
                                                            {n - 3, 3},
                                                            {1, n - 2},
                                                            {0, n}}) {
      SCOPED_TRACE("threads=" + std::to_string(t) + " start=" + std::to_string(start) +
                   " len=" + std::to_string(len));
      const Tensor got = slice_update(x, {start}, full({len}, -1.0, DType::Float32));
      std::vector<double> expected = before;
      std::fill(expected.begin() + start, expected.begin() + start + len, -1.0);
      EXPECT_EQ(values(got), expected);
    }
  }
  set_num_threads(threads);
  EXPECT_EQ(values(x), before);
}

TEST(SliceUpdate, EveryDtype) {
  for (DType d : kAllDTypes) {
    SCOPED_TRACE(std::string(name(d)));
    const Tensor x = filled({4}, d);
    const Tensor u = filled({2}, d, 5);
    const Tensor out = slice_update(x, {1}, u);
    EXPECT_EQ(bytes_of(out), join(join(rows_bytes(x, {0}), bytes_of(u)), rows_bytes(x, {3})));
    EXPECT_EQ(bytes_of(slice(out, {1}, {2})), bytes_of(u));
  }
}

TEST(SliceUpdate, Errors) {
  const Tensor x = zeros({3, 4});
  EXPECT_THROW(slice_update(x, {0, 0}, zeros({1})), ValueError);
  EXPECT_THROW(slice_update(x, {0, 0}, zeros({4, 1})), ValueError);
  EXPECT_THROW(slice_update(x, {0}, zeros({1, 1})), ValueError);
  EXPECT_THROW(slice_update(x, f64({0., 0.}), zeros({1, 1})), TypeError);
  EXPECT_THROW(slice_update(x, i32({{0, 0}}), zeros({1, 1})), ValueError);
}

TEST(SliceUpdate, UpdateLoopReusesTheBuffer) {
  Tensor x = zeros({100, 8}, DType::Float32);
  const std::byte* original = buffer(x);
  for (std::int64_t i = 0; i < 100; ++i) {
    x = slice_update(std::move(x), {i, 0}, full({1, 8}, static_cast<double>(i)));
  }
  EXPECT_EQ(buffer(x), original);
  EXPECT_EQ(x.at<float>({42, 3}), 42.0f);
  // Tensor starts too.
  x = slice_update(std::move(x), i32({7, 7}), full({1, 1}, -1.0));
  EXPECT_EQ(buffer(x), original);
  EXPECT_EQ(x.at<float>({7, 7}), -1.0f);
  // Another holder: copied; the holder is unchanged.
  const Tensor keep = x;
  x = slice_update(std::move(x), {0, 0}, full({1, 1}, 9.0));
  EXPECT_NE(buffer(x), original);
  EXPECT_EQ(keep.at<float>({0, 0}), 0.0f);
  // A failing call gives the rvalue back.
  Tensor w = zeros({2});
  EXPECT_THROW(w = slice_update(std::move(w), {0, 0}, zeros({1})), ValueError);
  ASSERT_TRUE(w.has_values());
  EXPECT_EQ(w.shape(), (Shape{2}));
}

// ------------------------------------------------------------------------------------------------
// unstack

TEST(Unstack, ViewsAlongEachAxis) {
  const Tensor x = reshape(arange(0, 24, 1, DType::Int32), {2, 3, 4});
  const auto a = unstack(x);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].shape(), (Shape{3, 4}));
  EXPECT_TRUE(a[1].shares_storage_with(x));
  EXPECT_EQ(values(a[1])[0], 12.0);
  const auto b = unstack(x, 3, 1);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(values(b[2]), values(getitem(x, {Slice{}, std::int64_t{2}})));
  const auto c = unstack(x, std::nullopt, -1);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(values(c[3]), values(getitem(x, {Ellipsis{}, std::int64_t{3}})));
  EXPECT_EQ(values(stack(c, -1)), values(x));
  // Seed example.
  const auto s = unstack(i32({{1, 2}, {3, 4}}), std::nullopt, 0);
  EXPECT_EQ(values(s[0]), (std::vector<double>{1, 2}));
  EXPECT_EQ(values(s[1]), (std::vector<double>{3, 4}));
  // Zero-length axis, zero-size pieces, non-contiguous input, every dtype.
  EXPECT_TRUE(unstack(zeros({0, 3})).empty());
  const auto z = unstack(zeros({2, 0}));
  ASSERT_EQ(z.size(), 2u);
  EXPECT_EQ(z[1].shape(), (Shape{0}));
  const auto t = unstack(transpose(x), std::nullopt, 0);
  EXPECT_EQ(values(t[1]), values(transpose(getitem(x, {Slice{}, Slice{}, std::int64_t{1}}))));
  for (DType d : kAllDTypes) {
    const Tensor v = filled({3, 2}, d);
    EXPECT_EQ(bytes_of(unstack(v, 2, 1)[1]), bytes_of(getitem(v, {Slice{}, std::int64_t{1}})));
  }
}

// unstack_each hands over the same views as unstack, plain or traced, with the same errors.
TEST(Unstack, EachHandsOverTheSameParts) {
  const Tensor x = transpose(reshape(arange(0, 24, 1, DType::Float32), {2, 3, 4}));
  for (std::int64_t axis : {0, 1, -1}) {
    std::vector<Tensor> parts;
    unstack_each(x, std::nullopt, axis, [&](Tensor&& t) { parts.push_back(std::move(t)); });
    const auto want = unstack(x, std::nullopt, axis);
    ASSERT_EQ(parts.size(), want.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
      EXPECT_EQ(parts[i].shape(), want[i].shape());
      EXPECT_TRUE(parts[i].shares_storage_with(x));
      EXPECT_EQ(values(parts[i]), values(want[i]));
    }
  }
  const Tree traced = vectorized_map(
      [](const Tree& e) {
        std::vector<Tree> parts;
        unstack_each(e.leaf(), 3, 0, [&](Tensor&& t) { parts.emplace_back(std::move(t)); });
        return Tree::list(parts);
      },
      Tree(x));
  EXPECT_EQ(values(traced[2].leaf()), values(getitem(x, {Slice{}, std::int64_t{2}})));
  EXPECT_THROW(unstack_each(x, 5, 0, [](Tensor&&) {}), ValueError);
  EXPECT_THROW(unstack_each(x, std::nullopt, 3, [](Tensor&&) {}), ValueError);
}

TEST(Unstack, Errors) {
  expect_error(
      [] {
        unstack(zeros({2, 3}), std::nullopt, 2);
      },
      "unstack: axis 2 is out of bounds for an array with dimension 2");
  EXPECT_THROW(unstack(zeros({2, 3}), std::nullopt, -3), ValueError);
  EXPECT_THROW(unstack(zeros({})), ValueError);
  expect_error([] { unstack(zeros({2, 3}), 3); }, "unstack: num=3");
}

// ------------------------------------------------------------------------------------------------
// extract_sequences

TEST(ExtractSequences, SeedExampleAndShapes) {
  const Tensor x = i32({1, 2, 3, 4, 5, 6});
  const Tensor s = extract_sequences(x, 3, 2);
  EXPECT_EQ(s.shape(), (Shape{2, 3}));
  EXPECT_TRUE(s.shares_storage_with(x));
  EXPECT_EQ(values(s), (std::vector<double>{1, 2, 3, 3, 4, 5}));
  EXPECT_EQ(s.strides(), (Strides{2, 1}));
  EXPECT_EQ(extract_sequences(x, 7, 1).shape(), (Shape{0, 7}));
  EXPECT_EQ(extract_sequences(x, 6, 10).shape(), (Shape{1, 6}));
  EXPECT_EQ(values(extract_sequences(x, 1, 4)), (std::vector<double>{1, 5}));
  EXPECT_EQ(extract_sequences(zeros({2, 0}), 1, 1).shape(), (Shape{2, 0, 1}));
  EXPECT_EQ(extract_sequences(zeros({0, 5}), 2, 2).shape(), (Shape{0, 2, 2}));
  // Leading dimensions and a non-contiguous input.
  const Tensor m = reshape(arange(0, 10, 1, DType::Float64), {2, 5});
  EXPECT_EQ(values(extract_sequences(m, 2, 3)), (std::vector<double>{0, 1, 3, 4, 5, 6, 8, 9}));
  const Tensor t = transpose(reshape(arange(0, 10, 1, DType::Float64), {5, 2}));
  EXPECT_EQ(values(extract_sequences(t, 4, 1)),
            (std::vector<double>{0, 2, 4, 6, 2, 4, 6, 8, 1, 3, 5, 7, 3, 5, 7, 9}));
  for (DType d : kAllDTypes) {
    const Tensor v = filled({7}, d);
    EXPECT_EQ(bytes_of(getitem(extract_sequences(v, 3, 2), {std::int64_t{2}})),
              bytes_of(getitem(v, {Slice{4, 7, {}}})));
  }
}

TEST(ExtractSequences, Errors) {
  expect_error([] { extract_sequences(zeros({}), 1, 1); },
               "extract_sequences: Input should have rank >= 1. Received: input.shape = ()");
  EXPECT_THROW(extract_sequences(zeros({4}), 0, 1), ValueError);
  EXPECT_THROW(extract_sequences(zeros({4}), 2, 0), ValueError);
  EXPECT_THROW(extract_sequences(zeros({4}), -1, 1), ValueError);
  EXPECT_THROW(extract_sequences(broadcast_to(zeros({1, 1}), {1LL << 40, 1}), 1LL << 40, 1),
               ValueError);
}

// ------------------------------------------------------------------------------------------------
// gradients and batching

TEST(IndexingGradients, SliceAndSliceUpdate) {
  const Tensor x = reshape(arange(0, 12, 1, DType::Float64), {3, 4});
  const auto pad = grad([](const Tensor& t) { return sum(slice(t, {1, 2}, {2, 2}) * 2.0); });
  EXPECT_EQ(values(pad(x)), (std::vector<double>{0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2}));
  const auto dyn = grad([](const Tensor& t) { return sum(slice(t, i32({-1, 5}), {1, 3})); });
  EXPECT_EQ(values(dyn(x)), (std::vector<double>{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}));
  const Tensor u = f64({{1., 2.}});
  const TreeFunction f = [](const std::vector<Tree>& a) {
    const Tensor w = reshape(arange(1, 13, 1, DType::Float64), {3, 4});
    return Tree(sum(slice_update(a[0].leaf(), {2, 3}, a[1].leaf()) * w));
  };
  const Tree g = grad(f, {0, 1})({Tree(x), Tree(u)});
  EXPECT_EQ(values(g[0].leaf()), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0}));
  EXPECT_EQ(values(g[1].leaf()), (std::vector<double>{11, 12}));
}

TEST(IndexingGradients, ScatterFamily) {
  const Tensor idx = i32({{0}, {2}, {0}});
  const Tensor w = f64({1., 10., 100.});
  const auto gs = grad([&](const Tensor& v) { return sum(scatter(idx, v, {3}) * w); });
  EXPECT_EQ(values(gs(f64({1., 2., 3.}))), (std::vector<double>{1, 100, 1}));
  const TreeFunction f = [&](const std::vector<Tree>& a) {
    return Tree(sum(scatter_update(a[0].leaf(), idx, a[1].leaf()) * w));
  };
  const Tree g = grad(f, {0, 1})({Tree(f64({5., 6., 7.})), Tree(f64({1., 2., 3.}))});
  EXPECT_EQ(values(g[0].leaf()), (std::vector<double>{0, 10, 0}));
  EXPECT_EQ(values(g[1].leaf()), (std::vector<double>{0, 100, 1}));  // only the last duplicate
  const TreeFunction m = [&](const std::vector<Tree>& a) {
    return Tree(sum(scatter_update(a[0].leaf(), idx, a[1].leaf(), "mul") * w));
  };
  const Tree gm = grad(m, {0, 1})({Tree(f64({5., 6., 7.})), Tree(f64({2., 0., 3.}))});
  EXPECT_EQ(values(gm[0].leaf()), (std::vector<double>{6, 10, 0}));
  EXPECT_EQ(values(gm[1].leaf()), (std::vector<double>{15, 700, 10}));
  const TreeFunction mx = [&](const std::vector<Tree>& a) {
    return Tree(sum(scatter_update(a[0].leaf(), idx, a[1].leaf(), "max") * w));
  };
  const Tree gx = grad(mx, {0, 1})({Tree(f64({3., 6., 7.})), Tree(f64({3., 9., 1.}))});
  EXPECT_EQ(values(gx[0].leaf()), (std::vector<double>{0.5, 10, 0}));  // tie shared
  EXPECT_EQ(values(gx[1].leaf()), (std::vector<double>{0.5, 100, 0}));
}

TEST(IndexingGradients, UnstackAndExtractSequences) {
  const Tensor x = reshape(arange(0, 6, 1, DType::Float64), {2, 3});
  const auto gu = grad([](const Tensor& t) {
    const auto parts = unstack(t, std::nullopt, 1);
    return sum(parts[0] * 1.0 + parts[2] * 3.0);
  });
  EXPECT_EQ(values(gu(x)), (std::vector<double>{1, 0, 3, 1, 0, 3}));
  const auto ge = grad([](const Tensor& t) { return sum(extract_sequences(t, 3, 2)); });
  EXPECT_EQ(values(ge(f64({1., 2., 3., 4., 5., 6.}))), (std::vector<double>{1, 1, 2, 1, 1, 0}));
  // Gradient of the gradient (overlap-add is linear: zero).
  const auto gg = grad([](const Tensor& t) {
    const auto inner = grad([](const Tensor& s) { return sum(extract_sequences(s * s, 2, 1)); });
    return sum(inner(t));
  });
  EXPECT_EQ(values(gg(f64({1., 2., 3.}))), (std::vector<double>{2, 4, 2}));
}

TEST(IndexingBatching, VectorizedMapEqualsLoop) {
  const Tensor x = reshape(arange(0, 60, 1, DType::Float64), {3, 4, 5});
  const Tensor starts = i32({{0, 1}, {3, -1}, {-2, 9}});
  const Tree out = vectorized_map(
      [](const Tree& e) {
        const Tensor xi = e[0].leaf();
        const Tensor si = e[1].leaf();
        const Tensor a = slice(xi, si, {2, 2});
        const Tensor b = slice_update(xi, si, a * -1.0);
        const Tensor c = scatter_update(xi, reshape(getitem(si, {Slice{0, 1, {}}}), {1, 1}),
                                        ones({1, 5}, DType::Float64), "add");
        return Tree::list({Tree(a), Tree(b), Tree(c), Tree(extract_sequences(xi, 3, 2))});
      },
      Tree::list({Tree(x), Tree(starts)}));
  for (std::int64_t k = 0; k < 3; ++k) {
    const Tensor xi = getitem(x, {k});
    const Tensor si = getitem(starts, {k});
    const Tensor a = slice(xi, si, {2, 2});
    EXPECT_EQ(values(getitem(out[0].leaf(), {k})), values(a));
    EXPECT_EQ(values(getitem(out[1].leaf(), {k})), values(slice_update(xi, si, a * -1.0)));
    EXPECT_EQ(values(getitem(out[2].leaf(), {k})),
              values(scatter_update(xi, reshape(getitem(si, {Slice{0, 1, {}}}), {1, 1}),
                                    ones({1, 5}, DType::Float64), "add")));
    EXPECT_EQ(values(getitem(out[3].leaf(), {k})), values(extract_sequences(xi, 3, 2)));
  }
  // -1 ("to the end") needs the values of the starts, which a batched start has not.
  EXPECT_THROW(vectorized_map(
                   [](const Tensor& s) {
                     return slice(zeros({4, 5}), s, {-1, 2});
                   },
                   starts),
               ValueError);
  // unstack inside vectorized_map.
  const Tree u = vectorized_map(
      [](const Tree& e) {
        const auto parts = unstack(e.leaf(), std::nullopt, 1);
        return Tree::list({Tree(parts[0]), Tree(parts[4])});
      },
      Tree(x));
  EXPECT_EQ(values(u[1].leaf()), values(getitem(x, {Slice{}, Slice{}, std::int64_t{4}})));
}
