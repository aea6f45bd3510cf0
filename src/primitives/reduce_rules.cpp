// Transform rules of Reduce.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
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

}  // namespace kcore
