// Transform rules of the layout primitives and Cast.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/cast.h"
#include "primitives/layout.h"
#include "primitives/strided_scatter.h"

namespace kcore {
namespace {

Shape with_batch(std::int64_t size, const Shape& shape) {
  Shape s = {size};
  s.insert(s.end(), shape.begin(), shape.end());
  return s;
}

}  // namespace

std::vector<std::optional<Tensor>> Reshape::vjp(std::span<const Tensor> primals,
                                                std::span<const Tensor> /*outputs*/,
                                                std::span<const Tensor> cotangents) const {
  return {reshape(cotangents[0], primals[0].shape())};
}

Primitive::Batched Reshape::batch(std::span<const Tensor> inputs,
                                  std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  return {{reshape(x, with_batch(x.shape()[0], shape_))}, {0}};
}

std::vector<std::optional<Tensor>> Transpose::vjp(std::span<const Tensor> /*primals*/,
                                                  std::span<const Tensor> /*outputs*/,
                                                  std::span<const Tensor> cotangents) const {
  Axes inverse(perm_.size());
  for (std::size_t i = 0; i < perm_.size(); ++i) {
    inverse[static_cast<std::size_t>(perm_[i])] = static_cast<std::int64_t>(i);
  }
  return {transpose(cotangents[0], inverse)};
}

Primitive::Batched Transpose::batch(std::span<const Tensor> inputs,
                                    std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  Axes perm = {0};
  for (auto p : perm_) perm.push_back(p + 1);
  return {{transpose(x, perm)}, {0}};
}

std::vector<std::optional<Tensor>> BroadcastTo::vjp(std::span<const Tensor> /*primals*/,
                                                    std::span<const Tensor> /*outputs*/,
                                                    std::span<const Tensor> cotangents) const {
  return {cotangents[0]};  // summed down to the input's shape by the autodiff transform
}

Primitive::Batched BroadcastTo::batch(std::span<const Tensor> inputs,
                                      std::span<const int> batch_axes) const {
  Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  const std::int64_t size = x.shape()[0];
  Shape aligned = {size};
  for (auto k = static_cast<std::size_t>(x.ndim() - 1); k < shape_.size(); ++k)
    aligned.push_back(1);
  aligned.insert(aligned.end(), x.shape().begin() + 1, x.shape().end());
  return {{broadcast_to(reshape(x, aligned), with_batch(size, shape_))}, {0}};
}

std::vector<std::optional<Tensor>> StridedSlice::vjp(std::span<const Tensor> primals,
                                                     std::span<const Tensor> /*outputs*/,
                                                     std::span<const Tensor> cotangents) const {
  return {
      bind1(std::make_shared<StridedScatter>(start_, step_, primals[0].shape()), {cotangents[0]})};
}

Primitive::Batched StridedSlice::batch(std::span<const Tensor> inputs,
                                       std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  std::vector<std::int64_t> start = {0};
  std::vector<std::int64_t> step = {1};
  start.insert(start.end(), start_.begin(), start_.end());
  step.insert(step.end(), step_.begin(), step_.end());
  return {
      {bind1(std::make_shared<StridedSlice>(start, step, with_batch(x.shape()[0], size_)), {x})},
      {0}};
}

std::vector<std::optional<Tensor>> Concatenate::vjp(std::span<const Tensor> primals,
                                                    std::span<const Tensor> /*outputs*/,
                                                    std::span<const Tensor> cotangents) const {
  const Tensor& ct = cotangents[0];
  const std::int64_t axis = normalize_axis(axis_, ct.ndim(), "concatenate");
  std::vector<std::optional<Tensor>> out;
  std::int64_t position = 0;
  for (const Tensor& x : primals) {
    std::vector<std::int64_t> start(static_cast<std::size_t>(ct.ndim()), 0);
    std::vector<std::int64_t> step(static_cast<std::size_t>(ct.ndim()), 1);
    start[static_cast<std::size_t>(axis)] = position;
    Shape size = ct.shape();
    size[static_cast<std::size_t>(axis)] = x.shape()[static_cast<std::size_t>(axis)];
    out.emplace_back(bind1(std::make_shared<StridedSlice>(start, step, size), {ct}));
    position += x.shape()[static_cast<std::size_t>(axis)];
  }
  return out;
}

Primitive::Batched Concatenate::batch(std::span<const Tensor> inputs,
                                      std::span<const int> batch_axes) const {
  std::int64_t size = 0;
  std::int64_t rank = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (batch_axes[i] >= 0) {
      size = inputs[i].shape()[static_cast<std::size_t>(batch_axes[i])];
      rank = inputs[i].ndim() - 1;
    }
  }
  std::vector<Tensor> xs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    xs.push_back(move_batch_axis_to_front(inputs[i], batch_axes[i], size));
  }
  const std::int64_t axis = normalize_axis(axis_, rank, "concatenate");
  return {{concatenate(xs, axis + 1)}, {0}};
}

std::vector<std::optional<Tensor>> Copy::vjp(std::span<const Tensor> /*primals*/,
                                             std::span<const Tensor> /*outputs*/,
                                             std::span<const Tensor> cotangents) const {
  return {cotangents[0]};
}

Primitive::Batched Copy::batch(std::span<const Tensor> inputs,
                               std::span<const int> batch_axes) const {
  return {{bind1(std::make_shared<Copy>(), {inputs[0]})}, {batch_axes[0]}};
}

Differentiability Cast::differentiability() const {
  return is_inexact(dtype_) ? Differentiability::Differentiable
                            : Differentiability::NonDifferentiable;
}

std::vector<std::optional<Tensor>> Cast::vjp(std::span<const Tensor> primals,
                                             std::span<const Tensor> /*outputs*/,
                                             std::span<const Tensor> cotangents) const {
  if (!is_inexact(primals[0].dtype())) return {std::nullopt};
  return {cast(cotangents[0], primals[0].dtype())};
}

Primitive::Batched Cast::batch(std::span<const Tensor> inputs,
                               std::span<const int> batch_axes) const {
  return {{cast(inputs[0], dtype_)}, {batch_axes[0]}};
}

}  // namespace kcore
