#include <memory>

#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/reduce.h"

namespace kcore {
namespace {

Tensor reduce(ReduceOp op, std::string_view name, const Tensor& x, const std::optional<Axes>& axis,
              bool keepdims) {
  auto axes = normalize_reduction_axes(axis, x.ndim(), name);
  return bind1(std::make_shared<Reduce>(op, std::move(axes), keepdims), {x});
}

}  // namespace

Tensor sum(const Tensor& x, const std::optional<Axes>& axis, bool keepdims) {
  return reduce(ReduceOp::Sum, "sum", x, axis, keepdims);
}

Tensor max(const Tensor& x, const std::optional<Axes>& axis, bool keepdims) {
  return reduce(ReduceOp::Max, "max", x, axis, keepdims);
}

Tensor min(const Tensor& x, const std::optional<Axes>& axis, bool keepdims) {
  return reduce(ReduceOp::Min, "min", x, axis, keepdims);
}

// Integers and bool average in float32; float16 and bfloat16 sum in float32 and round once.
Tensor mean(const Tensor& x, const std::optional<Axes>& axis, bool keepdims) {
  const auto axes = normalize_reduction_axes(axis, x.ndim(), "mean");
  const DType d = promote({{x.dtype(), x.weak()}}, "mean").dtype;
  const DType out = is_inexact(d) || is_complex(d) ? d : DType::Float32;
  const DType acc = out == DType::Float16 || out == DType::BFloat16 ? DType::Float32 : out;
  std::int64_t count = 1;
  for (auto a : axes) count *= x.shape()[a];
  const Tensor total = sum(cast(x, acc), axes, keepdims);
  return cast(divide(total, cast(Tensor(count), acc)), out);
}

}  // namespace kcore
