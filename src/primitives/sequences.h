#pragma once

#include <cstdint>
#include <functional>

#include "kcore/primitive.h"

namespace kcore {

// The x.shape[axis] tensors x[..., i, ...] along `axis` (in [0, x.ndim())): views of x's buffer.
std::vector<Tensor> unstack_views(const Tensor& x, std::int64_t axis);
// The same views, handed to `consume` one at a time.
void for_each_unstacked_view(const Tensor& x, std::int64_t axis,
                             const std::function<void(Tensor&&)>& consume);

// unstack_views as a primitive (what traced values go through). Its vjp stacks the cotangents.
class Unstack final : public Primitive {
 public:
  explicit Unstack(std::int64_t axis) : axis_(axis) {}
  std::string_view name() const override { return "unstack"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;

 private:
  std::int64_t axis_;
};

// Windows of `length` with hop `stride` over the last axis: x.shape[:-1] + (num, length) with
// num = 1 + (N - length) // stride (0 when length > N). A view with strides (..., stride * s, s):
// windows overlap when stride < length.
class ExtractSequences final : public Primitive {
 public:
  ExtractSequences(std::int64_t length, std::int64_t stride) : length_(length), stride_(stride) {}
  std::string_view name() const override { return "extract_sequences"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;

 private:
  std::int64_t length_;
  std::int64_t stride_;
};

// The transpose of ExtractSequences: frames (..., num, L) overlap-added into (..., size) with
// hop `stride`; num must be what ExtractSequences(L, stride) gives for `size`. Each output
// element is the sum, in frame order, of the frame elements that cover it.
class OverlapAdd final : public Primitive {
 public:
  OverlapAdd(std::int64_t size, std::int64_t stride) : size_(size), stride_(stride) {}
  std::string_view name() const override { return "overlap_add"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;

 private:
  std::int64_t size_;
  std::int64_t stride_;
};

}  // namespace kcore
