#pragma once

#include <cstdint>

#include "kcore/primitive.h"

namespace kcore {

// top_k over the last axis: outputs (values, indices), both of shape x.shape[:-1] + (k,);
// indices are int32. The order is total (SEMANTICS §4): descending, NaN above +inf, -0.0 and
// +0.0 equal, ties to the lower index. With sorted=false the k elements come in an unspecified
// (but deterministic) order. The op validates k against the shape in `infer`.
class TopK final : public Primitive {
 public:
  TopK(std::int64_t k, bool sorted) : k_(k), sorted_(sorted) {}
  std::string_view name() const override { return "top_k"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  std::int64_t k() const { return k_; }
  bool sorted() const { return sorted_; }

 private:
  std::int64_t k_;
  bool sorted_;
};

// in_top_k(targets, predictions): for each row, count(predictions[..., j] > predictions[..., t])
// < k, where t is the row's target; False for a NaN at the target, a target outside [0, n) or
// k <= 0. Inputs: targets (integer, shape predictions.shape[:-1]), predictions.
class InTopK final : public Primitive {
 public:
  explicit InTopK(std::int64_t k) : k_(k) {}
  std::string_view name() const override { return "in_top_k"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  Differentiability differentiability() const override {
    return Differentiability::NonDifferentiable;
  }
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  std::int64_t k() const { return k_; }

 private:
  std::int64_t k_;
};

}  // namespace kcore
