// Transform rules of the elementwise primitives (Unary, Binary, Where).
#include <memory>

#include "kcore/autodiff.h"
#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/elementwise.h"

namespace kcore {
namespace {

// Batched operands of a broadcasting op: batch axes moved to the front, and each batched
// operand given the rank of the result so that unbatched operands broadcast from the right.
std::vector<Tensor> align_batched(std::span<const Tensor> inputs, std::span<const int> axes) {
  std::int64_t rank = 0;
  std::int64_t size = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::int64_t r = inputs[i].ndim() - (axes[i] >= 0 ? 1 : 0);
    rank = std::max(rank, r);
    if (axes[i] >= 0) size = inputs[i].shape()[static_cast<std::size_t>(axes[i])];
  }
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (axes[i] < 0) {
      out.push_back(inputs[i]);
      continue;
    }
    Tensor x = move_batch_axis_to_front(inputs[i], axes[i], size);
    Shape shape = {size};
    for (std::int64_t k = x.ndim() - 1; k < rank; ++k) shape.push_back(1);
    shape.insert(shape.end(), x.shape().begin() + 1, x.shape().end());
    out.push_back(reshape(x, shape));
  }
  return out;
}

}  // namespace

std::vector<std::optional<Tensor>> Unary::vjp(std::span<const Tensor> primals,
                                              std::span<const Tensor> outputs,
                                              std::span<const Tensor> cotangents) const {
  const Tensor& x = primals[0];
  const Tensor& y = outputs[0];
  const Tensor& ct = cotangents[0];
  switch (op_) {
    case UnaryOp::Negative:
      return {negative(ct)};
    case UnaryOp::Abs:
      return {where(x > 0, ct, where(x < 0, negative(ct), zeros({}, ct.dtype())))};
    case UnaryOp::Exp:
      return {ct * y};
    case UnaryOp::Log:
      return {ct / x};
    case UnaryOp::Sqrt:
      return {ct / (y * 2)};
    case UnaryOp::LogicalNot:
      return {std::nullopt};
  }
  return {std::nullopt};
}

Primitive::Batched Unary::batch(std::span<const Tensor> inputs,
                                std::span<const int> batch_axes) const {
  return {{bind1(std::make_shared<Unary>(op_), {inputs[0]})}, {batch_axes[0]}};
}

std::vector<std::optional<Tensor>> Binary::vjp(std::span<const Tensor> primals,
                                               std::span<const Tensor> /*outputs*/,
                                               std::span<const Tensor> cotangents) const {
  const Tensor& a = primals[0];
  const Tensor& b = primals[1];
  const Tensor& ct = cotangents[0];
  switch (op_) {
    case BinaryOp::Add:
      return {ct, ct};
    case BinaryOp::Subtract:
      return {ct, negative(ct)};
    case BinaryOp::Multiply:
      return {ct * b, ct * a};
    case BinaryOp::Divide:
      return {ct / b, negative(ct) * a / (b * b)};
    default:
      return {std::nullopt, std::nullopt};
  }
}

Primitive::Batched Binary::batch(std::span<const Tensor> inputs,
                                 std::span<const int> batch_axes) const {
  const auto aligned = align_batched(inputs, batch_axes);
  return {{bind1(std::make_shared<Binary>(op_), aligned)}, {0}};
}

std::vector<std::optional<Tensor>> Where::vjp(std::span<const Tensor> primals,
                                              std::span<const Tensor> /*outputs*/,
                                              std::span<const Tensor> cotangents) const {
  const Tensor& c = primals[0];
  const Tensor& ct = cotangents[0];
  const Tensor zero = zeros({}, ct.dtype());
  return {std::nullopt, where(c, ct, zero), where(c, zero, ct)};
}

Primitive::Batched Where::batch(std::span<const Tensor> inputs,
                                std::span<const int> batch_axes) const {
  const auto aligned = align_batched(inputs, batch_axes);
  return {{bind1(std::make_shared<Where>(), aligned)}, {0}};
}

}  // namespace kcore
