// Every registered primitive's transform rules, checked on its registered examples: the
// registry has no missing rule, batching equals loop-and-stack exactly, and vjp matches finite
// differences in float64.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "kcore/autodiff.h"
#include "kcore/batching.h"
#include "kcore/kcore.h"

using namespace kcore;

namespace {

constexpr std::int64_t kBatch = 3;

// Variant k of an example input: floats shifted by k / 4, other dtypes as they are (indices
// and masks stay valid).
Tensor variant(const Tensor& x, std::int64_t k) {
  if (!is_inexact(x.dtype())) return x;
  return cast(add(cast(x, DType::Float64), static_cast<double>(k) * 0.25), x.dtype());
}

std::vector<Tensor> outputs_of(const PrimitiveExample& e, const std::vector<Tensor>& inputs) {
  return kcore::bind(e.primitive, inputs);
}

void expect_identical(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  ASSERT_EQ(a.dtype(), b.dtype()) << what;
  const Tensor ab = ascontiguous(a);
  const Tensor bb = ascontiguous(b);
  const std::size_t n = static_cast<std::size_t>(ab.size()) * itemsize(a.dtype());
  std::vector<std::byte> x(n), y(n);
  ab.copy_to(x.data());
  bb.copy_to(y.data());
  EXPECT_EQ(x, y) << what << "\nbatched: " << a << "\nlooped:  " << b;
}

}  // namespace

TEST(Registry, EveryPrimitiveHasExamplesAndRules) {
  const auto kinds = registered_primitives();
  ASSERT_FALSE(kinds.empty());
  for (const auto& kind : kinds) {
    SCOPED_TRACE(kind.name);
    ASSERT_NE(kind.examples, nullptr) << kind.name << " registers no examples";
    const auto examples = kind.examples();
    ASSERT_FALSE(examples.empty()) << kind.name;
    for (const auto& e : examples) {
      EXPECT_EQ(e.primitive->name(), kind.name);
      const auto outputs = outputs_of(e, e.inputs);
      std::vector<int> axes(e.inputs.size(), -1);
      std::vector<Tensor> batched;
      for (std::size_t i = 0; i < e.inputs.size(); ++i) {
        batched.push_back(expand_dims(e.inputs[i], {0}));
        axes[i] = 0;
      }
      EXPECT_NO_THROW(e.primitive->batch(batched, axes)) << kind.name << " lacks a batching rule";
      if (e.primitive->differentiability() == Differentiability::Differentiable) {
        std::vector<Tensor> cts;
        for (const auto& o : outputs) cts.push_back(ones(o.shape(), o.dtype()));
        EXPECT_NO_THROW(e.primitive->vjp(e.inputs, outputs, cts)) << kind.name << " lacks a vjp";
      }
    }
  }
}

TEST(Registry, EvaluateSingleMatchesEvaluate) {
  for (const auto& kind : registered_primitives()) {
    SCOPED_TRACE(kind.name);
    for (const auto& e : kind.examples()) {
      // Held twice, so that no kernel reuses an input's buffer between the two evaluations.
      const std::vector<Tensor> inputs = e.inputs;
      const auto specs = e.primitive->infer(inputs);
      const auto outputs = evaluate(*e.primitive, inputs);
      const Tensor single = e.primitive->evaluate_single(inputs);
      expect_identical(single, outputs.front(), kind.name);
      EXPECT_EQ(single.shape(), specs.front().shape) << kind.name;
      EXPECT_EQ(single.dtype(), specs.front().dtype) << kind.name;
      EXPECT_EQ(single.weak(), specs.front().weak) << kind.name;
    }
  }
}

TEST(Rules, BatchingEqualsLoopAndStack) {
  for (const auto& kind : registered_primitives()) {
    if (kind.examples == nullptr) continue;
    for (const auto& e : kind.examples()) {
      const std::size_t n = e.inputs.size();
      // Patterns: every input batched; only the first batched; only the last batched.
      std::vector<std::vector<bool>> patterns = {std::vector<bool>(n, true)};
      if (n > 1) {
        std::vector<bool> first(n, false), last(n, false);
        first[0] = true;
        last[n - 1] = true;
        patterns.push_back(first);
        patterns.push_back(last);
      }
      for (const auto& pattern : patterns) {
        std::vector<Tree> elements;
        for (std::size_t i = 0; i < n; ++i) {
          if (!pattern[i]) continue;
          std::vector<Tensor> rows;
          for (std::int64_t k = 0; k < kBatch; ++k) rows.push_back(variant(e.inputs[i], k));
          elements.emplace_back(stack(rows));
        }
        const Tree out = vectorized_map(
            [&](const Tree& slices) {
              std::vector<Tensor> inputs;
              std::size_t next = 0;
              for (std::size_t i = 0; i < n; ++i) {
                inputs.push_back(pattern[i] ? slices[next++].leaf() : e.inputs[i]);
              }
              std::vector<Tree> outs;
              for (const auto& o : outputs_of(e, inputs)) outs.emplace_back(o);
              return Tree::list(outs);
            },
            Tree::list(elements));
        for (std::int64_t k = 0; k < kBatch; ++k) {
          std::vector<Tensor> inputs;
          for (std::size_t i = 0; i < n; ++i) {
            inputs.push_back(pattern[i] ? variant(e.inputs[i], k) : e.inputs[i]);
          }
          const auto expected = outputs_of(e, inputs);
          for (std::size_t o = 0; o < expected.size(); ++o) {
            expect_identical(
                getitem(out[o].leaf(), {k}), expected[o],
                kind.name + " output " + std::to_string(o) + " row " + std::to_string(k));
          }
        }
      }
    }
  }
}

TEST(Rules, VjpMatchesFiniteDifferences) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal;
  for (const auto& kind : registered_primitives()) {
    if (kind.examples == nullptr) continue;
    for (const auto& e : kind.examples()) {
      if (e.primitive->differentiability() != Differentiability::Differentiable) continue;
      const auto outputs = outputs_of(e, e.inputs);
      // A random cotangent for every float64 output; the objective is sum(ct * f(x)).
      std::vector<Tensor> cts;
      for (const auto& o : outputs) {
        std::vector<double> v(static_cast<std::size_t>(o.size()));
        for (auto& x : v) x = normal(rng);
        cts.push_back(reshape(convert_to_tensor(v), o.shape()));
      }
      auto objective = [&](const std::vector<Tensor>& inputs) {
        const auto outs = outputs_of(e, inputs);
        double total = 0;
        for (std::size_t o = 0; o < outs.size(); ++o) {
          if (outs[o].dtype() != DType::Float64) continue;
          total += sum(outs[o] * cts[o]).item<double>();
        }
        return total;
      };
      const TreeFunction f = [&](const std::vector<Tree>& args) {
        std::vector<Tensor> inputs;
        for (const auto& a : args) inputs.push_back(a.leaf());
        std::vector<Tree> outs;
        for (const auto& o : outputs_of(e, inputs)) outs.emplace_back(o);
        return Tree::list(outs);
      };
      std::vector<Tree> primals(e.inputs.begin(), e.inputs.end());
      const VJPResult r = vjp(f, primals);
      std::vector<Tree> ct_trees;
      for (std::size_t o = 0; o < outputs.size(); ++o) {
        ct_trees.emplace_back(outputs[o].dtype() == DType::Float64
                                  ? cts[o]
                                  : zeros(outputs[o].shape(), outputs[o].dtype()));
      }
      const auto grads = r.pullback(Tree::list(ct_trees));
      for (std::size_t i = 0; i < e.inputs.size(); ++i) {
        if (e.inputs[i].dtype() != DType::Float64) continue;
        const auto g = ascontiguous(grads[i].leaf()).to_vector<double>();
        auto x = ascontiguous(e.inputs[i]).to_vector<double>();
        for (std::size_t j = 0; j < x.size(); ++j) {
          const double eps = 1e-6;
          std::vector<Tensor> plus = e.inputs, minus = e.inputs;
          auto xp = x, xm = x;
          xp[j] += eps;
          xm[j] -= eps;
          plus[i] = reshape(convert_to_tensor(xp), e.inputs[i].shape());
          minus[i] = reshape(convert_to_tensor(xm), e.inputs[i].shape());
          const double numeric = (objective(plus) - objective(minus)) / (2 * eps);
          EXPECT_NEAR(g[j], numeric, 1e-6 * std::max(1.0, std::fabs(numeric)))
              << kind.name << " input " << i << " element " << j;
        }
      }
    }
  }
}
