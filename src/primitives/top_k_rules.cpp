// Transform rules of TopK and InTopK.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/examples.h"
#include "primitives/segment.h"
#include "primitives/top_k.h"

namespace kcore {

// The values' cotangent goes back to the chosen indices: a segment_sum over the flattened x,
// row r's index i landing in segment r * n + i. The indices get none.
std::vector<std::optional<Tensor>> TopK::vjp(std::span<const Tensor> primals,
                                             std::span<const Tensor> outputs,
                                             std::span<const Tensor> cotangents) const {
  const Tensor& x = primals[0];
  const std::int64_t n = x.shape().back();
  std::int64_t rows = 1;
  for (std::int64_t i = 0; i + 1 < x.ndim(); ++i) rows *= x.shape()[static_cast<std::size_t>(i)];
  const Tensor offsets = reshape(arange(0, rows, 1, DType::Int64) * Tensor(n), {rows, 1});
  const Tensor indices = reshape(cast(outputs[1], DType::Int64), {rows, k_}) + offsets;
  const Tensor g = segment_reduce(SegmentOp::Sum, reshape(cotangents[0], {rows * k_}),
                                  reshape(indices, {rows * k_}), rows * n, false);
  return {reshape(g, x.shape())};
}

Primitive::Batched TopK::batch(std::span<const Tensor> inputs,
                               std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  return {kcore::bind(std::make_shared<TopK>(k_, sorted_), std::vector<Tensor>{x}), {0, 0}};
}

Primitive::Batched InTopK::batch(std::span<const Tensor> inputs,
                                 std::span<const int> batch_axes) const {
  std::int64_t size = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (batch_axes[i] >= 0) size = inputs[i].shape()[static_cast<std::size_t>(batch_axes[i])];
  }
  const Tensor targets = move_batch_axis_to_front(inputs[0], batch_axes[0], size);
  const Tensor predictions = move_batch_axis_to_front(inputs[1], batch_axes[1], size);
  return {{bind1(std::make_shared<InTopK>(k_), {targets, predictions})}, {0}};
}

namespace {

using examples::make;
using examples::uniform;

std::vector<PrimitiveExample> top_k_examples() {
  return {make<TopK>({uniform({3, 7}, -2, 2)}, 3, true),
          make<TopK>({uniform({2, 2, 5}, -2, 2, DType::Float64, 2)}, 5, true),
          make<TopK>({uniform({6}, -2, 2, DType::Float32, 3)}, 2, false),
          make<TopK>({uniform({2, 4}, -2, 2, DType::Float64, 4)}, 0, true)};
}

std::vector<PrimitiveExample> in_top_k_examples() {
  const Tensor targets = convert_to_tensor({0, 3, 2});
  return {make<InTopK>({targets, uniform({3, 5}, -1, 1)}, 2),
          make<InTopK>({convert_to_tensor({4, -1}), uniform({2, 5}, -1, 1, DType::Float32, 2)}, 5)};
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("top_k", top_k_examples);
REGISTER_PRIMITIVE_EXAMPLES("in_top_k", in_top_k_examples);

}  // namespace kcore
