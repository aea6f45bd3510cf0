#pragma once

#include "kcore/primitive.h"

namespace kcore {

class Cast final : public Primitive {
 public:
  explicit Cast(DType dtype) : dtype_(dtype) {}
  std::string_view name() const override { return "cast"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  Tensor evaluate_single(std::span<const Tensor> inputs) const override;
  Differentiability differentiability() const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  DType dtype() const { return dtype_; }

 private:
  DType dtype_;
};

}  // namespace kcore
