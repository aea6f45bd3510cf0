#pragma once

#include <cstdint>
#include <vector>

#include "kcore/primitive.h"

namespace kcore {

// The transpose of StridedSlice: zeros of `shape` with the input written at positions
// start[d] + i * step[d]. It is the gradient of slicing.
class StridedScatter final : public Primitive {
 public:
  StridedScatter(std::vector<std::int64_t> start, std::vector<std::int64_t> step, Shape shape)
      : start_(std::move(start)), step_(std::move(step)), shape_(std::move(shape)) {}
  std::string_view name() const override { return "strided_scatter"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;

 private:
  std::vector<std::int64_t> start_;
  std::vector<std::int64_t> step_;
  Shape shape_;
};

}  // namespace kcore
