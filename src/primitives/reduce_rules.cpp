// Transform rules of Reduce.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/examples.h"
#include "primitives/reduce.h"

namespace kcore {

std::vector<std::optional<Tensor>> Reduce::vjp(std::span<const Tensor> primals,
                                               std::span<const Tensor> outputs,
                                               std::span<const Tensor> cotangents) const {
  const Tensor& x = primals[0];
  // Output and cotangent with the reduced axes kept, so that they broadcast against x.
  Shape kept = x.shape();
  for (auto a : axes_) kept[static_cast<std::size_t>(a)] = 1;
  const Tensor ct = reshape(cotangents[0], kept);
  if (op_ == ReduceOp::Sum) return {broadcast_to(ct, x.shape())};
  // max and min: the elements equal to the result share the cotangent equally.
  const Tensor mask = cast(equal(x, reshape(outputs[0], kept)), ct.dtype());
  const Tensor count = sum(mask, axes_, true);
  return {mask * (ct / count)};
}

Primitive::Batched Reduce::batch(std::span<const Tensor> inputs,
                                 std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  std::vector<std::int64_t> axes;
  for (auto a : axes_) axes.push_back(a + 1);
  return {{bind1(std::make_shared<Reduce>(op_, axes, keepdims_), {x})}, {0}};
}

namespace {

std::vector<PrimitiveExample> reduce_examples(ReduceOp op) {
  using examples::make;
  using examples::uniform;
  return {make<Reduce>({uniform({2, 3, 4}, -2, 2)}, op, std::vector<std::int64_t>{1}, false),
          make<Reduce>({uniform({2, 3, 4}, -2, 2, DType::Float64, 2)}, op,
                       std::vector<std::int64_t>{0, 2}, true),
          make<Reduce>({uniform({5}, -2, 2, DType::Float32, 3)}, op, std::vector<std::int64_t>{0},
                       false)};
}

std::vector<PrimitiveExample> sum_examples() {
  return reduce_examples(ReduceOp::Sum);
}
std::vector<PrimitiveExample> max_examples() {
  return reduce_examples(ReduceOp::Max);
}
std::vector<PrimitiveExample> min_examples() {
  return reduce_examples(ReduceOp::Min);
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("sum", sum_examples);
REGISTER_PRIMITIVE_EXAMPLES("max", max_examples);
REGISTER_PRIMITIVE_EXAMPLES("min", min_examples);

}  // namespace kcore
