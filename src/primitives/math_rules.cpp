// Transform rules of MathUnary (erf, erfinv, rsqrt) and LogSumExp.
#include <memory>
#include <numbers>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/math_ops.h"
#include "kcore/ops.h"
#include "primitives/examples.h"
#include "primitives/math.h"

namespace kcore {

std::vector<std::optional<Tensor>> MathUnary::vjp(std::span<const Tensor> primals,
                                                  std::span<const Tensor> outputs,
                                                  std::span<const Tensor> cotangents) const {
  const Tensor& x = primals[0];
  const Tensor& y = outputs[0];
  const Tensor& ct = cotangents[0];
  switch (op_) {
    case MathOp::Erf:  // 2/sqrt(pi) exp(-x^2)
      return {ct * (exp(negative(x * x)) * (2.0 * std::numbers::inv_sqrtpi))};
    case MathOp::Erfinv:  // sqrt(pi)/2 exp(erfinv(x)^2)
      return {ct * (exp(y * y) * (0.5 / std::numbers::inv_sqrtpi))};
    case MathOp::Rsqrt:  // -x^(-3/2) / 2
      return {ct * (y * y * y * -0.5)};
  }
  return {std::nullopt};
}

Primitive::Batched MathUnary::batch(std::span<const Tensor> inputs,
                                    std::span<const int> batch_axes) const {
  return {{bind1(std::make_shared<MathUnary>(op_), {inputs[0]})}, {batch_axes[0]}};
}

std::vector<std::optional<Tensor>> LogSumExp::vjp(std::span<const Tensor> primals,
                                                  std::span<const Tensor> outputs,
                                                  std::span<const Tensor> cotangents) const {
  // softmax over the reduced axes, times the cotangent broadcast back.
  const Tensor& x = primals[0];
  Shape kept = x.shape();
  for (auto a : axes_) kept[static_cast<std::size_t>(a)] = 1;
  const Tensor out = reshape(outputs[0], kept);
  const Tensor ct = reshape(cotangents[0], kept);
  return {exp(x - out) * ct};
}

Primitive::Batched LogSumExp::batch(std::span<const Tensor> inputs,
                                    std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  std::vector<std::int64_t> axes;
  for (auto a : axes_) axes.push_back(a + 1);
  return {{bind1(std::make_shared<LogSumExp>(axes, keepdims_), {x})}, {0}};
}

namespace {

using examples::make;
using examples::uniform;

std::vector<PrimitiveExample> math_examples(MathOp op, double lo, double hi) {
  return {make<MathUnary>({uniform({2, 3}, lo, hi)}, op),
          make<MathUnary>({uniform({4}, lo, hi, DType::Float32, 2)}, op)};
}

std::vector<PrimitiveExample> erf_examples() {
  return math_examples(MathOp::Erf, -2, 2);
}
std::vector<PrimitiveExample> erfinv_examples() {
  // The batching test shifts inputs by up to 0.5: stay inside (-1, 1).
  return math_examples(MathOp::Erfinv, -0.9, 0.4);
}
std::vector<PrimitiveExample> rsqrt_examples() {
  return math_examples(MathOp::Rsqrt, 0.5, 3);
}
std::vector<PrimitiveExample> logsumexp_examples() {
  return {make<LogSumExp>({uniform({2, 3, 4}, -2, 2)}, std::vector<std::int64_t>{2}, false),
          make<LogSumExp>({uniform({2, 3, 4}, -2, 2, DType::Float64, 2)},
                          std::vector<std::int64_t>{0, 2}, true),
          make<LogSumExp>({uniform({5}, -2, 2, DType::Float32, 3)}, std::vector<std::int64_t>{0},
                          false)};
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("erf", erf_examples);
REGISTER_PRIMITIVE_EXAMPLES("erfinv", erfinv_examples);
REGISTER_PRIMITIVE_EXAMPLES("rsqrt", rsqrt_examples);
REGISTER_PRIMITIVE_EXAMPLES("logsumexp", logsumexp_examples);

}  // namespace kcore
