#include <gtest/gtest.h>

#include <cmath>

#include "kcore/autodiff.h"
#include "kcore/batching.h"
#include "kcore/kcore.h"

using namespace kcore;

TEST(Autodiff, GradOfPolynomialAndExp) {
  auto f = [](const Tensor& x) { return sum(x * x * 3.0 + exp(x)); };
  const Tensor x = convert_to_tensor({0.5, -1.0, 2.0}, DType::Float64);
  const Tensor g = grad(f)(x);
  const auto v = g.to_vector<double>();
  const double xs[] = {0.5, -1.0, 2.0};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(v[i], 6 * xs[i] + std::exp(xs[i]), 1e-12);
}

TEST(Autodiff, GradOfGrad) {
  auto f = [](const Tensor& x) { return sum(x * x * x); };
  const Tensor x = convert_to_tensor({2.0}, DType::Float64);
  auto df = grad(f);
  auto d2f = grad([&](const Tensor& y) { return sum(df(y)); });
  EXPECT_DOUBLE_EQ(d2f(x).to_vector<double>()[0], 12.0);
}

TEST(Autodiff, StopGradientBlocks) {
  auto f = [](const Tensor& x) { return sum(x * stop_gradient(x)); };
  const Tensor x = convert_to_tensor({3.0}, DType::Float64);
  EXPECT_DOUBLE_EQ(grad(f)(x).to_vector<double>()[0], 3.0);
}

TEST(Autodiff, IntegerArgumentIsTypeError) {
  auto f = [](const Tensor& x) { return sum(cast(x, DType::Float32)); };
  EXPECT_THROW(grad(f)(arange(3)), TypeError);
}

TEST(Batching, MatchesLoop) {
  const Tensor x = reshape(cast(arange(12), DType::Float32), {4, 3});
  auto f = [](const Tensor& row) { return sum(exp(row) * 2.0 + transpose(row), Axes{0}) / 3.0; };
  const Tensor batched = vectorized_map(f, x);
  ASSERT_EQ(batched.shape(), (Shape{4}));
  for (std::int64_t i = 0; i < 4; ++i) {
    const Tensor expected = f(getitem(x, {i}));
    EXPECT_EQ(batched.to_vector<float>()[i], expected.item<float>());
  }
}

TEST(Batching, GradInsideVectorizedMap) {
  const Tensor x = convert_to_tensor({1.0, 2.0, 3.0}, DType::Float64);
  auto df = grad([](const Tensor& v) { return sum(v * v); });
  const Tensor g = vectorized_map(df, x);
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{2.0, 4.0, 6.0}));
}
