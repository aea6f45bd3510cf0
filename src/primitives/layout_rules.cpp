// Transform rules of the layout primitives and Cast.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/cast.h"
#include "primitives/examples.h"
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

namespace {

using examples::make;
using examples::uniform;

std::vector<PrimitiveExample> reshape_examples() {
  return {make<Reshape>({uniform({2, 3, 4}, -1, 1)}, Shape{6, 4}),
          make<Reshape>({transpose(uniform({3, 4}, -1, 1, DType::Float64, 2))}, Shape{12})};
}
std::vector<PrimitiveExample> transpose_examples() {
  return {make<Transpose>({uniform({2, 3, 4}, -1, 1)}, std::vector<std::int64_t>{2, 0, 1})};
}
std::vector<PrimitiveExample> broadcast_to_examples() {
  return {make<BroadcastTo>({uniform({3, 1}, -1, 1)}, Shape{2, 3, 4}),
          make<BroadcastTo>({uniform({}, -1, 1, DType::Float64, 2)}, Shape{2})};
}
std::vector<PrimitiveExample> strided_slice_examples() {
  return {make<StridedSlice>({uniform({3, 5}, -1, 1)}, std::vector<std::int64_t>{2, 0},
                             std::vector<std::int64_t>{-1, 2}, Shape{2, 3})};
}
std::vector<PrimitiveExample> concatenate_examples() {
  return {
      make<Concatenate>({uniform({2, 3}, -1, 1), uniform({2, 2}, -1, 1, DType::Float32, 2)}, 1)};
}
std::vector<PrimitiveExample> copy_examples() {
  return {make<Copy>({transpose(uniform({2, 3}, -1, 1))})};
}
std::vector<PrimitiveExample> cast_examples() {
  return {make<Cast>({uniform({2, 3}, -3, 3)}, DType::Float32),
          make<Cast>({uniform({2, 3}, -3, 3, DType::Float32, 2)}, DType::Float64),
          make<Cast>({uniform({4}, -300, 300, DType::Float64, 3)}, DType::Int8)};
}
std::vector<PrimitiveExample> strided_scatter_examples() {
  return {make<StridedScatter>({uniform({2, 3}, -1, 1)}, std::vector<std::int64_t>{0, 1},
                               std::vector<std::int64_t>{2, 1}, Shape{4, 4})};
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("reshape", reshape_examples);
REGISTER_PRIMITIVE_EXAMPLES("transpose", transpose_examples);
REGISTER_PRIMITIVE_EXAMPLES("broadcast_to", broadcast_to_examples);
REGISTER_PRIMITIVE_EXAMPLES("strided_slice", strided_slice_examples);
REGISTER_PRIMITIVE_EXAMPLES("concatenate", concatenate_examples);
REGISTER_PRIMITIVE_EXAMPLES("copy", copy_examples);
REGISTER_PRIMITIVE_EXAMPLES("cast", cast_examples);
REGISTER_PRIMITIVE_EXAMPLES("strided_scatter", strided_scatter_examples);

}  // namespace kcore
