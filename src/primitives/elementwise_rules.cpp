// Transform rules of the elementwise primitives (Unary, Binary, Where).
#include <memory>

#include "kcore/autodiff.h"
#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/elementwise.h"
#include "primitives/examples.h"

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

namespace {

using examples::make;
using examples::uniform;

std::vector<PrimitiveExample> unary_examples(UnaryOp op, double lo, double hi) {
  return {make<Unary>({uniform({2, 3}, lo, hi)}, op),
          make<Unary>({uniform({4}, lo, hi, DType::Float32, 2)}, op)};
}

std::vector<PrimitiveExample> binary_examples(BinaryOp op) {
  return {make<Binary>({uniform({2, 3}, 0.5, 2.0), uniform({3}, 0.5, 2.0, DType::Float64, 2)}, op),
          make<Binary>({uniform({3, 1}, -2.0, 2.0, DType::Float32, 3),
                        uniform({1, 2}, 0.5, 2.0, DType::Float32, 4)},
                       op)};
}

std::vector<PrimitiveExample> negative_examples() {
  return unary_examples(UnaryOp::Negative, -2, 2);
}
std::vector<PrimitiveExample> abs_examples() {
  return unary_examples(UnaryOp::Abs, 0.1, 2);
}
std::vector<PrimitiveExample> exp_examples() {
  return unary_examples(UnaryOp::Exp, -2, 2);
}
std::vector<PrimitiveExample> log_examples() {
  return unary_examples(UnaryOp::Log, 0.5, 3);
}
std::vector<PrimitiveExample> sqrt_examples() {
  return unary_examples(UnaryOp::Sqrt, 0.5, 3);
}
std::vector<PrimitiveExample> logical_not_examples() {
  return unary_examples(UnaryOp::LogicalNot, -1, 1);
}
std::vector<PrimitiveExample> add_examples() {
  return binary_examples(BinaryOp::Add);
}
std::vector<PrimitiveExample> subtract_examples() {
  return binary_examples(BinaryOp::Subtract);
}
std::vector<PrimitiveExample> multiply_examples() {
  return binary_examples(BinaryOp::Multiply);
}
std::vector<PrimitiveExample> divide_examples() {
  return binary_examples(BinaryOp::Divide);
}
std::vector<PrimitiveExample> equal_examples() {
  return binary_examples(BinaryOp::Equal);
}
std::vector<PrimitiveExample> not_equal_examples() {
  return binary_examples(BinaryOp::NotEqual);
}
std::vector<PrimitiveExample> less_examples() {
  return binary_examples(BinaryOp::Less);
}
std::vector<PrimitiveExample> less_equal_examples() {
  return binary_examples(BinaryOp::LessEqual);
}
std::vector<PrimitiveExample> greater_examples() {
  return binary_examples(BinaryOp::Greater);
}
std::vector<PrimitiveExample> greater_equal_examples() {
  return binary_examples(BinaryOp::GreaterEqual);
}
std::vector<PrimitiveExample> logical_and_examples() {
  return binary_examples(BinaryOp::LogicalAnd);
}
std::vector<PrimitiveExample> logical_or_examples() {
  return binary_examples(BinaryOp::LogicalOr);
}
std::vector<PrimitiveExample> where_examples() {
  return {make<Where>({uniform({2, 3}, -1, 1) > 0, uniform({2, 3}, -1, 1, DType::Float64, 2),
                       uniform({3}, -1, 1, DType::Float64, 3)})};
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("negative", negative_examples);
REGISTER_PRIMITIVE_EXAMPLES("abs", abs_examples);
REGISTER_PRIMITIVE_EXAMPLES("exp", exp_examples);
REGISTER_PRIMITIVE_EXAMPLES("log", log_examples);
REGISTER_PRIMITIVE_EXAMPLES("sqrt", sqrt_examples);
REGISTER_PRIMITIVE_EXAMPLES("logical_not", logical_not_examples);
REGISTER_PRIMITIVE_EXAMPLES("add", add_examples);
REGISTER_PRIMITIVE_EXAMPLES("subtract", subtract_examples);
REGISTER_PRIMITIVE_EXAMPLES("multiply", multiply_examples);
REGISTER_PRIMITIVE_EXAMPLES("divide", divide_examples);
REGISTER_PRIMITIVE_EXAMPLES("equal", equal_examples);
REGISTER_PRIMITIVE_EXAMPLES("not_equal", not_equal_examples);
REGISTER_PRIMITIVE_EXAMPLES("less", less_examples);
REGISTER_PRIMITIVE_EXAMPLES("less_equal", less_equal_examples);
REGISTER_PRIMITIVE_EXAMPLES("greater", greater_examples);
REGISTER_PRIMITIVE_EXAMPLES("greater_equal", greater_equal_examples);
REGISTER_PRIMITIVE_EXAMPLES("logical_and", logical_and_examples);
REGISTER_PRIMITIVE_EXAMPLES("logical_or", logical_or_examples);
REGISTER_PRIMITIVE_EXAMPLES("where", where_examples);

}  // namespace kcore
