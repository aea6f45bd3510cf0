#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "kcore/primitive.h"

namespace kcore {

// Slicing with start indices read when the primitive runs (XLA's dynamic_slice and
// dynamic_update_slice). `starts` is an integer tensor of shape batch + [n]: its leading
// dimensions (usually none) index independent problems, each with its own window, which is how
// the batching rules handle batched starts. The operand has shape batch + D (n dimensions); each
// start wraps once if negative, then is clamped to [0, D[i] - size[i]].

// Inputs (operand, starts): the window of `sizes` at the starts, a view of the operand's buffer
// when there is no batch (a copy otherwise).
class DynamicSlice final : public Primitive {
 public:
  explicit DynamicSlice(Shape sizes) : sizes_(std::move(sizes)) {}
  std::string_view name() const override { return "dynamic_slice"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  const Shape& sizes() const { return sizes_; }

 private:
  Shape sizes_;
};

// Writes `u` into the window of an array of shape `dims` (strides `strides`, data at `base`) that
// starts at starts[0..dims.size()), each wrapped once if negative and clamped so that the window
// fits. u has the array's dtype and rank, u.shape()[i] <= dims[i]. DynamicUpdateSlice's kernel,
// and slice_update's on untraced inputs with static starts.
void write_window(std::byte* base, std::span<const std::int64_t> dims, const Strides& strides,
                  const Tensor& u, const std::int64_t* starts);

// x with `u` written at `starts` (as write_window), in x's buffer when nothing else holds it, else
// in a new one; a contiguous x whose window is one run of its bytes is copied around the window,
// so that each byte of the result is written once.
Tensor updated_window(Tensor&& x, const Tensor& u, const std::int64_t* starts);

// Inputs (operand, update, starts), update of the operand's dtype and shape batch + U with
// U[i] <= D[i]: the operand with the update written at the starts. The kernel writes into the
// operand's buffer when nothing else holds it (indexing::can_reuse_buffer).
class DynamicUpdateSlice final : public Primitive {
 public:
  std::string_view name() const override { return "dynamic_update_slice"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
};

}  // namespace kcore
