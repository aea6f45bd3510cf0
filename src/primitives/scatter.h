#pragma once

#include <cstdint>
#include <string_view>

#include "kcore/primitive.h"

namespace kcore {

// Index rows: `indices` of shape [..., d] holds one index row of depth d per leading position;
// row r addresses the slice operand[i0, ..., i(d-1)] of shape operand.shape[d:]. An index
// -dim <= i < 0 wraps once; anything else out of range is IndexError. Kernels check every index
// first, then move rows without checks.

enum class ScatterReduction { None, Add, Max, Min, Mul };
std::string_view reduction_name(ScatterReduction r);

// Inputs (indices, values): zeros of `shape` and values.dtype with each values row added at
// its index row (duplicates add, in index order; bool: or).
class Scatter final : public Primitive {
 public:
  explicit Scatter(Shape shape) : shape_(std::move(shape)) {}
  std::string_view name() const override { return "scatter"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  const Shape& shape() const { return shape_; }

 private:
  Shape shape_;
};

// Inputs (operand, indices, updates), updates of operand's dtype and of shape
// indices.shape[:-1] + operand.shape[d:]: operand with each updates row written (None: the last
// duplicate in index order wins) or combined (Add, Max, Min, Mul) at its index row. The kernel
// writes into operand's buffer when nothing else holds it (indexing::can_reuse_buffer).
class ScatterUpdate final : public Primitive {
 public:
  explicit ScatterUpdate(ScatterReduction reduction) : reduction_(reduction) {}
  std::string_view name() const override { return "scatter_update"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  ScatterReduction reduction() const { return reduction_; }

 private:
  ScatterReduction reduction_;
};

// Inputs (operand, indices): the operand rows at the index rows, of shape
// indices.shape[:-1] + operand.shape[d:]. The transpose of Scatter.
class Gather final : public Primitive {
 public:
  std::string_view name() const override { return "gather"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
};

}  // namespace kcore
