// Transform rules of Scatter, ScatterUpdate and Gather.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/examples.h"
#include "primitives/scatter.h"

namespace kcore {
namespace {

Tensor gather_rows(const Tensor& x, const Tensor& indices) {
  return bind1(std::make_shared<Gather>(), {x, indices});
}

// operand is taken by value so that a fresh tensor (zeros, ones) is moved in and its buffer
// reused by the kernel.
Tensor update_rows(Tensor operand, const Tensor& indices, const Tensor& updates,
                   ScatterReduction reduction) {
  std::vector<Tensor> args;
  args.reserve(3);
  args.push_back(std::move(operand));
  args.push_back(indices);
  args.push_back(updates);
  return kcore::bind(std::make_shared<ScatterUpdate>(reduction), args).front();
}

Tensor scalar_of(double v, DType dtype) {
  return full({}, v, dtype);
}

// Batched indices [B, ..., d] with the batch position prepended to each index row:
// [B, ..., d + 1], int64.
Tensor with_batch_column(const Tensor& indices) {
  const Tensor ib = cast(indices, DType::Int64);
  const std::int64_t size = ib.shape()[0];
  Shape col_shape(ib.shape().begin(), ib.shape().end());
  col_shape.back() = 1;
  Shape ones_shape(col_shape.size(), 1);
  ones_shape[0] = size;
  const Tensor col = broadcast_to(reshape(arange(0, size, 1, DType::Int64), ones_shape), col_shape);
  return concatenate({col, ib}, -1);
}

std::int64_t batch_size(std::span<const Tensor> inputs, std::span<const int> batch_axes) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (batch_axes[i] >= 0) return inputs[i].shape()[static_cast<std::size_t>(batch_axes[i])];
  }
  return 1;
}

// Where the rows of `rows` (shape indices.shape[:-1] + operand[d:]) differ from their batched
// form: the batch goes after the index positions.
Tensor batch_after(const Tensor& x, int axis, std::int64_t size, std::int64_t position) {
  return moveaxis(move_batch_axis_to_front(x, axis, size), {0}, {position});
}

}  // namespace

std::vector<std::optional<Tensor>> Scatter::vjp(std::span<const Tensor> primals,
                                                std::span<const Tensor> /*outputs*/,
                                                std::span<const Tensor> cotangents) const {
  return {std::nullopt, gather_rows(cotangents[0], primals[0])};
}

Primitive::Batched Scatter::batch(std::span<const Tensor> inputs,
                                  std::span<const int> batch_axes) const {
  const std::int64_t size = batch_size(inputs, batch_axes);
  if (batch_axes[0] < 0) {
    const Tensor& indices = inputs[0];
    const std::int64_t d = indices.shape().back();
    const Tensor values = batch_after(inputs[1], batch_axes[1], size, indices.ndim() - 1);
    Shape shape = shape_;
    shape.insert(shape.begin() + d, size);
    return {{bind1(std::make_shared<Scatter>(shape), {indices, values})}, {static_cast<int>(d)}};
  }
  const Tensor indices =
      with_batch_column(move_batch_axis_to_front(inputs[0], batch_axes[0], size));
  const Tensor values = move_batch_axis_to_front(inputs[1], batch_axes[1], size);
  Shape shape = shape_;
  shape.insert(shape.begin(), size);
  return {{bind1(std::make_shared<Scatter>(shape), {indices, values})}, {0}};
}

std::vector<std::optional<Tensor>> ScatterUpdate::vjp(std::span<const Tensor> primals,
                                                      std::span<const Tensor> outputs,
                                                      std::span<const Tensor> cotangents) const {
  const Tensor& x = primals[0];
  const Tensor& indices = primals[1];
  const Tensor& u = primals[2];
  const Tensor& ct = cotangents[0];
  const DType dt = ct.dtype();
  switch (reduction_) {
    case ScatterReduction::Add:
      return {ct, std::nullopt, gather_rows(ct, indices)};
    case ScatterReduction::None: {
      const Tensor dx = update_rows(ct, indices, zeros(u.shape(), dt), ScatterReduction::None);
      // Only the last duplicate (in index order) reaches the output: mark each element's owner.
      const Shape lead(indices.shape().begin(), indices.shape().end() - 1);
      Shape expanded = lead;
      expanded.resize(static_cast<std::size_t>(u.ndim()), 1);
      const Tensor ids =
          broadcast_to(reshape(arange(0, shape_size(lead), 1, DType::Int64), expanded), u.shape());
      const Tensor owner =
          update_rows(full(x.shape(), -1, DType::Int64), indices, ids, ScatterReduction::None);
      const Tensor won = equal(gather_rows(owner, indices), ids);
      return {dx, std::nullopt, where(won, gather_rows(ct, indices), scalar_of(0, dt))};
    }
    case ScatterReduction::Mul: {
      const Tensor dx =
          ct * update_rows(ones(x.shape(), u.dtype()), indices, u, ScatterReduction::Mul);
      // The product of the other updates at each row's target, without dividing by zero: count
      // the zero updates there and multiply the nonzero ones.
      const Tensor zero = equal(u, scalar_of(0, u.dtype()));
      const Tensor u_safe = where(zero, scalar_of(1, u.dtype()), u);
      const Tensor zeros_at =
          gather_rows(update_rows(zeros(x.shape(), DType::Int32), indices, cast(zero, DType::Int32),
                                  ScatterReduction::Add),
                      indices);
      const Tensor product_at = gather_rows(
          update_rows(ones(x.shape(), u.dtype()), indices, u_safe, ScatterReduction::Mul), indices);
      const Tensor none = scalar_of(0, u.dtype());
      const Tensor others = where(zero, where(equal(zeros_at, 1), product_at, none),
                                  where(equal(zeros_at, 0), product_at / u_safe, none));
      return {dx, std::nullopt, gather_rows(ct * x, indices) * others};
    }
    case ScatterReduction::Max:
    case ScatterReduction::Min: {
      // The output's cotangent goes to every value equal to the result, shared equally.
      const Tensor& out = outputs[0];
      const Tensor at_x = equal(x, out);
      const Tensor at_u = equal(u, gather_rows(out, indices));
      const Tensor count = cast(at_x, dt) + update_rows(zeros(x.shape(), dt), indices,
                                                        cast(at_u, dt), ScatterReduction::Add);
      const Tensor share = ct / where(greater(count, scalar_of(0, dt)), count, scalar_of(1, dt));
      return {where(at_x, share, scalar_of(0, dt)), std::nullopt,
              where(at_u, gather_rows(share, indices), scalar_of(0, dt))};
    }
  }
  return {std::nullopt, std::nullopt, std::nullopt};
}

Primitive::Batched ScatterUpdate::batch(std::span<const Tensor> inputs,
                                        std::span<const int> batch_axes) const {
  const std::int64_t size = batch_size(inputs, batch_axes);
  const auto p = std::make_shared<ScatterUpdate>(reduction_);
  if (batch_axes[1] < 0) {
    const Tensor& indices = inputs[1];
    const std::int64_t d = indices.shape().back();
    const Tensor x = batch_after(inputs[0], batch_axes[0], size, d);
    const Tensor u = batch_after(inputs[2], batch_axes[2], size, indices.ndim() - 1);
    return {{bind1(p, {x, indices, u})}, {static_cast<int>(d)}};
  }
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], size);
  const Tensor indices =
      with_batch_column(move_batch_axis_to_front(inputs[1], batch_axes[1], size));
  const Tensor u = move_batch_axis_to_front(inputs[2], batch_axes[2], size);
  return {{bind1(p, {x, indices, u})}, {0}};
}

std::vector<std::optional<Tensor>> Gather::vjp(std::span<const Tensor> primals,
                                               std::span<const Tensor> /*outputs*/,
                                               std::span<const Tensor> cotangents) const {
  return {bind1(std::make_shared<Scatter>(primals[0].shape()), {primals[1], cotangents[0]}),
          std::nullopt};
}

Primitive::Batched Gather::batch(std::span<const Tensor> inputs,
                                 std::span<const int> batch_axes) const {
  const std::int64_t size = batch_size(inputs, batch_axes);
  if (batch_axes[1] < 0) {
    const Tensor& indices = inputs[1];
    const std::int64_t d = indices.shape().back();
    const Tensor x = batch_after(inputs[0], batch_axes[0], size, d);
    return {{gather_rows(x, indices)}, {static_cast<int>(indices.ndim() - 1)}};
  }
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], size);
  const Tensor indices =
      with_batch_column(move_batch_axis_to_front(inputs[1], batch_axes[1], size));
  return {{gather_rows(x, indices)}, {0}};
}

namespace {

using examples::make;
using examples::uniform;

Tensor int_tensor(const std::vector<std::int64_t>& v, const Shape& shape, DType dtype) {
  return cast(reshape(convert_to_tensor(v), shape), dtype);
}

std::vector<PrimitiveExample> scatter_examples() {
  return {
      make<Scatter>({int_tensor({0, 1, 1, 1, 0, -1}, {3, 2}, DType::Int32), uniform({3}, -1, 1)},
                    Shape{2, 2}),
      make<Scatter>({int_tensor({2, 0, -1}, {3, 1}, DType::Int64), uniform({3, 4}, -1, 1)},
                    Shape{3, 4})};
}

std::vector<PrimitiveExample> scatter_update_examples() {
  const Tensor rows = int_tensor({1, -1, 1}, {3, 1}, DType::Int64);
  std::vector<PrimitiveExample> out;
  for (auto r : {ScatterReduction::None, ScatterReduction::Add, ScatterReduction::Max,
                 ScatterReduction::Min}) {
    out.push_back(make<ScatterUpdate>(
        {uniform({4, 3}, -1, 1), rows, uniform({3, 3}, -1, 1, DType::Float64, 2)}, r));
  }
  out.push_back(make<ScatterUpdate>(
      {uniform({4, 3}, 0.5, 1.5), rows, uniform({3, 3}, 0.5, 1.5, DType::Float64, 2)},
      ScatterReduction::Mul));
  out.push_back(make<ScatterUpdate>(
      {uniform({3, 4}, -1, 1), int_tensor({0, 1, 2, 3, 0, 1}, {3, 2}, DType::Int32),
       uniform({3}, -1, 1, DType::Float64, 3)},
      ScatterReduction::None));
  return out;
}

std::vector<PrimitiveExample> gather_examples() {
  return {make<Gather>({uniform({4, 3}, -1, 1), int_tensor({3, 0, -1, 0}, {4, 1}, DType::Int32)}),
          make<Gather>({uniform({3, 4}, -1, 1), int_tensor({0, 1, 2, -1}, {2, 2}, DType::Int64)})};
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("scatter", scatter_examples);
REGISTER_PRIMITIVE_EXAMPLES("scatter_update", scatter_update_examples);
REGISTER_PRIMITIVE_EXAMPLES("gather", gather_examples);

}  // namespace kcore
