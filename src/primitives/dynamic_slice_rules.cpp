// Transform rules of DynamicSlice and DynamicUpdateSlice.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/dynamic_slice.h"
#include "primitives/examples.h"

namespace kcore {
namespace {

// operand by value: a fresh tensor moved in has its buffer reused by the kernel.
Tensor update_window(Tensor operand, const Tensor& update, const Tensor& starts) {
  std::vector<Tensor> args;
  args.reserve(3);
  args.push_back(std::move(operand));
  args.push_back(update);
  args.push_back(starts);
  return kcore::bind(std::make_shared<DynamicUpdateSlice>(), args).front();
}

std::int64_t batch_size(std::span<const Tensor> inputs, std::span<const int> batch_axes) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (batch_axes[i] >= 0) return inputs[i].shape()[static_cast<std::size_t>(batch_axes[i])];
  }
  return 1;
}

// Unbatched starts (shape batch + [n]) for an operand whose batch sits at position nb: a zero
// start for that new dimension.
Tensor with_zero_start(const Tensor& starts) {
  Shape zshape(starts.shape().begin(), starts.shape().end());
  zshape.back() = 1;
  return concatenate({zeros(zshape, DType::Int64), cast(starts, DType::Int64)}, -1);
}

Tensor batch_at(const Tensor& x, int axis, std::int64_t size, std::int64_t position) {
  return moveaxis(move_batch_axis_to_front(x, axis, size), {0}, {position});
}

}  // namespace

std::vector<std::optional<Tensor>> DynamicSlice::vjp(std::span<const Tensor> primals,
                                                     std::span<const Tensor> /*outputs*/,
                                                     std::span<const Tensor> cotangents) const {
  const Tensor& ct = cotangents[0];
  return {update_window(zeros(primals[0].shape(), ct.dtype()), ct, primals[1]), std::nullopt};
}

Primitive::Batched DynamicSlice::batch(std::span<const Tensor> inputs,
                                       std::span<const int> batch_axes) const {
  const std::int64_t size = batch_size(inputs, batch_axes);
  if (batch_axes[1] < 0) {
    const std::int64_t nb = inputs[1].ndim() - 1;
    const Tensor x = batch_at(inputs[0], batch_axes[0], size, nb);
    Shape sizes = sizes_;
    sizes.insert(sizes.begin(), size);
    return {{bind1(std::make_shared<DynamicSlice>(sizes), {x, with_zero_start(inputs[1])})},
            {static_cast<int>(nb)}};
  }
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], size);
  const Tensor starts = move_batch_axis_to_front(inputs[1], batch_axes[1], size);
  return {{bind1(std::make_shared<DynamicSlice>(sizes_), {x, starts})}, {0}};
}

std::vector<std::optional<Tensor>> DynamicUpdateSlice::vjp(
    std::span<const Tensor> primals, std::span<const Tensor> /*outputs*/,
    std::span<const Tensor> cotangents) const {
  const Tensor& u = primals[1];
  const Tensor& starts = primals[2];
  const Tensor& ct = cotangents[0];
  const auto nb = static_cast<std::ptrdiff_t>(starts.ndim() - 1);
  const Shape window(u.shape().begin() + nb, u.shape().end());
  return {update_window(ct, zeros(u.shape(), ct.dtype()), starts),
          bind1(std::make_shared<DynamicSlice>(window), {ct, starts}), std::nullopt};
}

Primitive::Batched DynamicUpdateSlice::batch(std::span<const Tensor> inputs,
                                             std::span<const int> batch_axes) const {
  const std::int64_t size = batch_size(inputs, batch_axes);
  const auto p = std::make_shared<DynamicUpdateSlice>();
  if (batch_axes[2] < 0) {
    const std::int64_t nb = inputs[2].ndim() - 1;
    const Tensor x = batch_at(inputs[0], batch_axes[0], size, nb);
    const Tensor u = batch_at(inputs[1], batch_axes[1], size, nb);
    return {{bind1(p, {x, u, with_zero_start(inputs[2])})}, {static_cast<int>(nb)}};
  }
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], size);
  const Tensor u = move_batch_axis_to_front(inputs[1], batch_axes[1], size);
  const Tensor starts = move_batch_axis_to_front(inputs[2], batch_axes[2], size);
  return {{bind1(p, {x, u, starts})}, {0}};
}

namespace {

using examples::make;
using examples::uniform;

Tensor ints(const std::vector<std::int64_t>& v, DType dtype) {
  return cast(convert_to_tensor(v), dtype);
}

std::vector<PrimitiveExample> dynamic_slice_examples() {
  return {make<DynamicSlice>({uniform({4, 5}, -1, 1), ints({1, -2}, DType::Int32)}, Shape{2, 3}),
          make<DynamicSlice>({uniform({4, 5}, -1, 1), ints({5, -9}, DType::Int64)}, Shape{2, 5})};
}

std::vector<PrimitiveExample> dynamic_update_slice_examples() {
  return {
      make<DynamicUpdateSlice>({uniform({4, 5}, -1, 1), uniform({2, 3}, -1, 1, DType::Float64, 2),
                                ints({3, -1}, DType::Int32)}),
      make<DynamicUpdateSlice>({uniform({4, 5}, -1, 1), uniform({4, 1}, -1, 1, DType::Float64, 3),
                                ints({-7, 2}, DType::Int64)})};
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("dynamic_slice", dynamic_slice_examples);
REGISTER_PRIMITIVE_EXAMPLES("dynamic_update_slice", dynamic_update_slice_examples);

}  // namespace kcore
