#include <gtest/gtest.h>

#include "kcore/autodiff.h"
#include "kcore/batching.h"
#include "kcore/control_flow.h"
#include "kcore/kcore.h"

using namespace kcore;

TEST(WhileLoop, SeedExamples) {
  const Tree r = while_loop([](const Tree& v) { return v.leaf() < 10; },
                            [](const Tree& v) { return Tree(v.leaf() + 1); }, Tree(0));
  EXPECT_EQ(r.leaf().item<std::int32_t>(), 10);
  EXPECT_EQ(r.leaf().dtype(), DType::Int32);
  const Tree xy = while_loop([](const Tree& v) { return v[0].leaf() < 10; },
                             [](const Tree& v) {
                               return Tree::tuple({Tree(v[0].leaf() + 1), Tree(v[1].leaf() + 1)});
                             },
                             Tree::tuple({Tree(0), Tree(1)}));
  EXPECT_EQ(xy[0].leaf().item<std::int32_t>(), 10);
  EXPECT_EQ(xy[1].leaf().item<std::int32_t>(), 11);
}

TEST(WhileLoop, MaximumIterations) {
  auto count = [](std::optional<std::int64_t> max_iter) {
    return while_loop([](const Tree&) { return Tensor(true); },
                      [](const Tree& v) { return Tree(v.leaf() + 1); }, Tree(0), max_iter)
        .leaf()
        .item<std::int32_t>();
  };
  EXPECT_EQ(count(5), 5);
  EXPECT_EQ(count(0), 0);
  EXPECT_EQ(count(-3), 0);
}

TEST(WhileLoop, BodyMustKeepShapesAndDtypes) {
  EXPECT_THROW(
      while_loop([](const Tree& v) { return v.leaf() < 3; },
                 [](const Tree& v) { return Tree(cast(v.leaf() + 1, DType::Int64)); }, Tree(0)),
      ValueError);
  EXPECT_THROW(while_loop([](const Tree& v) { return sum(v.leaf()) < 3; },
                          [](const Tree& v) {
                            return Tree(concatenate({v.leaf(), v.leaf()}));
                          },
                          Tree(zeros({1}))),
               ValueError);
  EXPECT_THROW(while_loop([](const Tree& v) { return v[0].leaf() < 3; },
                          [](const Tree& v) { return Tree::list({v[0]}); }, Tree::tuple({Tree(0)})),
               ValueError);
  EXPECT_THROW(while_loop([](const Tree&) { return zeros({2}, DType::Bool); },
                          [](const Tree& v) { return v; }, Tree(0)),
               ValueError);
}

TEST(ForiLoop, SumsIndices) {
  const Tree r = fori_loop(
      0, 10, [](const Tensor& i, const Tree& v) { return Tree(v.leaf() + i); }, Tree(0));
  EXPECT_EQ(r.leaf().item<std::int32_t>(), 45);
  const Tree empty = fori_loop(
      5, 2, [](const Tensor&, const Tree& v) { return v; }, Tree(7));
  EXPECT_EQ(empty.leaf().item<std::int32_t>(), 7);
}

TEST(Cond, ChoosesOneBranch) {
  int calls = 0;
  const Tree r = cond(
      Tensor(3),
      [&] {
        ++calls;
        return Tree(1.0);
      },
      [&] {
        ++calls;
        return Tree(2.0);
      });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.leaf().dtype(), DType::Float64);
  EXPECT_THROW(cond(
                   zeros({2}), [] { return Tree(); }, [] { return Tree(); }),
               ValueError);
}

TEST(ControlFlow, GradThroughLoops) {
  // x**5 by repeated multiplication in a while_loop, and in fori_loop
  auto power = [](const Tensor& x) {
    const Tree r = while_loop([](const Tree& c) { return c[0].leaf() < 5; },
                              [&](const Tree& c) {
                                return Tree::tuple({Tree(c[0].leaf() + 1), Tree(c[1].leaf() * x)});
                              },
                              Tree::tuple({Tree(0), Tree(ones({}, DType::Float64))}));
    return r[1].leaf();
  };
  const Tensor x = convert_to_tensor(1.5, DType::Float64);
  EXPECT_NEAR(grad(power)(x).item<double>(), 5 * std::pow(1.5, 4), 1e-12);
  auto fori_power = [](const Tensor& v) {
    return fori_loop(
               0, 5, [&](const Tensor&, const Tree& acc) { return Tree(acc.leaf() * v); },
               Tree(ones({}, DType::Float64)))
        .leaf();
  };
  EXPECT_NEAR(grad(fori_power)(x).item<double>(), 5 * std::pow(1.5, 4), 1e-12);
}

TEST(ControlFlow, LongLoopGradientCompletes) {
  auto f = [](const Tensor& x) {
    return fori_loop(
               0, 100000,
               [](const Tensor&, const Tree& acc) { return Tree(acc.leaf() + 1e-5 * acc.leaf()); },
               Tree(x))
        .leaf();
  };
  const Tensor x = convert_to_tensor(1.0, DType::Float64);
  EXPECT_NEAR(grad(f)(x).item<double>(), std::pow(1 + 1e-5, 100000), 1e-9);
}

TEST(ControlFlow, BatchedPredicatesSelectPerElement) {
  const Tensor xs = convert_to_tensor({1.0, 5.0, 20.0, 0.25});
  auto newton = [](const Tensor& a) {
    return while_loop(
        [&](const Tree& c) { return abs(c[0].leaf() * c[0].leaf() - a) > 1e-4; },
        [&](const Tree& c) {
          return Tree::tuple({Tree((c[0].leaf() + a / c[0].leaf()) / 2.0), Tree(c[1].leaf() + 1)});
        },
        Tree::tuple({Tree(a), Tree(0)}));
  };
  const Tree batched = vectorized_map([&](const Tree& t) { return newton(t.leaf()); }, Tree(xs));
  for (std::int64_t i = 0; i < xs.size(); ++i) {
    const Tree single = newton(getitem(xs, {i}));
    EXPECT_EQ(getitem(batched[0].leaf(), {i}).item<float>(), single[0].leaf().item<float>());
    EXPECT_EQ(getitem(batched[1].leaf(), {i}).item<std::int32_t>(),
              single[1].leaf().item<std::int32_t>());
  }
  const Tensor selected = vectorized_map(
      [](const Tensor& v) {
        return cond(
                   v > 2, [&] { return Tree(v * 10.0); }, [&] { return Tree(-v); })
            .leaf();
      },
      xs);
  EXPECT_EQ(selected.to_vector<float>(), (std::vector<float>{-1, 50, 200, -0.25}));
}

TEST(ControlFlow, BatchSizeZero) {
  const Tensor empty = zeros({0, 3});
  const Tensor r = vectorized_map([](const Tensor& row) { return sum(row * 2.0); }, empty);
  EXPECT_EQ(r.shape(), (Shape{0}));
}
