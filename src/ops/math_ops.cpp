#include "kcore/math_ops.h"

#include <memory>

#include "primitives/math.h"
#include "primitives/reduce.h"

namespace kcore {

Tensor erf(const Tensor& x) {
  return bind1(std::make_shared<MathUnary>(MathOp::Erf), {x});
}
Tensor erfinv(const Tensor& x) {
  return bind1(std::make_shared<MathUnary>(MathOp::Erfinv), {x});
}
Tensor rsqrt(const Tensor& x) {
  return bind1(std::make_shared<MathUnary>(MathOp::Rsqrt), {x});
}

Tensor logsumexp(const Tensor& x, const std::optional<Axes>& axis, bool keepdims) {
  auto axes = normalize_reduction_axes(axis, x.ndim(), "logsumexp");
  return bind1(std::make_shared<LogSumExp>(std::move(axes), keepdims), {x});
}

}  // namespace kcore
