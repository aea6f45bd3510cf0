#pragma once

#include "kcore/primitive.h"

namespace kcore {

// The identity, without a copy, through which no gradient flows.
class StopGradient final : public Primitive {
 public:
  std::string_view name() const override { return "stop_gradient"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  Differentiability differentiability() const override {
    return Differentiability::NonDifferentiable;
  }
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
};

}  // namespace kcore
