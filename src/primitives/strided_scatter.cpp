#include "primitives/strided_scatter.h"

#include <cstring>
#include <memory>
#include <string>

#include "cpu/copy.h"
#include "kcore/batching.h"
#include "kcore/ops.h"
#include "primitives/layout.h"

namespace kcore {

REGISTER_PRIMITIVE("strided_scatter", "StridedScatter");

std::vector<TensorSpec> StridedScatter::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const auto nd = static_cast<std::size_t>(x.ndim());
  bool ok = start_.size() == nd && step_.size() == nd && shape_.size() == nd;
  for (std::size_t d = 0; ok && d < nd; ++d) {
    const std::int64_t n = x.shape()[d];
    const std::int64_t last = start_[d] + (n - 1) * step_[d];
    ok = step_[d] != 0 &&
         (n == 0 || (start_[d] >= 0 && start_[d] < shape_[d] && last >= 0 && last < shape_[d]));
  }
  if (!ok) {
    throw IndexError("strided_scatter: values of shape " + format_shape(x.shape()) +
                     " at start=" + format_shape(start_) + " step=" + format_shape(step_) +
                     " do not fit shape " + format_shape(shape_));
  }
  return {{shape_, x.dtype(), false}};
}

std::vector<Tensor> StridedScatter::eval_cpu(std::span<const Tensor> inputs,
                                             std::span<const TensorSpec> outputs) const {
  const Tensor& x = inputs[0];
  Tensor out = Tensor::empty(outputs[0].shape, outputs[0].dtype);
  std::memset(out.mutable_bytes(), 0, static_cast<std::size_t>(out.size()) * itemsize(x.dtype()));
  if (x.size() == 0) return {out};
  std::int64_t offset = 0;
  Strides strides(out.strides().size());
  for (std::size_t d = 0; d < strides.size(); ++d) {
    offset += start_[d] * out.strides()[d];
    strides[d] = out.strides()[d] * step_[d];
  }
  cpu::copy_elements(out.mutable_bytes() + offset * static_cast<std::int64_t>(itemsize(x.dtype())),
                     strides, x);
  return {out};
}

std::vector<std::optional<Tensor>> StridedScatter::vjp(std::span<const Tensor> primals,
                                                       std::span<const Tensor> /*outputs*/,
                                                       std::span<const Tensor> cotangents) const {
  return {
      bind1(std::make_shared<StridedSlice>(start_, step_, primals[0].shape()), {cotangents[0]})};
}

Primitive::Batched StridedScatter::batch(std::span<const Tensor> inputs,
                                         std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  std::vector<std::int64_t> start = {0};
  std::vector<std::int64_t> step = {1};
  Shape shape = {x.shape()[0]};
  start.insert(start.end(), start_.begin(), start_.end());
  step.insert(step.end(), step_.begin(), step_.end());
  shape.insert(shape.end(), shape_.begin(), shape_.end());
  return {{bind1(std::make_shared<StridedScatter>(start, step, shape), {x})}, {0}};
}

}  // namespace kcore
