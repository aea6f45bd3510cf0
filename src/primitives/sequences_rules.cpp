// Transform rules of Unstack, ExtractSequences and OverlapAdd.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/examples.h"
#include "primitives/sequences.h"

namespace kcore {

std::vector<std::optional<Tensor>> Unstack::vjp(std::span<const Tensor> /*primals*/,
                                                std::span<const Tensor> /*outputs*/,
                                                std::span<const Tensor> cotangents) const {
  return {stack(std::vector<Tensor>(cotangents.begin(), cotangents.end()), axis_)};
}

Primitive::Batched Unstack::batch(std::span<const Tensor> inputs,
                                  std::span<const int> batch_axes) const {
  const int b = batch_axes[0];
  const std::int64_t axis = b <= axis_ ? axis_ + 1 : axis_;
  const int out_axis = b <= axis_ ? b : b - 1;
  std::vector<Tensor> outs = kcore::bind(std::make_shared<Unstack>(axis), inputs);
  return {outs, std::vector<int>(outs.size(), out_axis)};
}

std::vector<std::optional<Tensor>> ExtractSequences::vjp(std::span<const Tensor> primals,
                                                         std::span<const Tensor> /*outputs*/,
                                                         std::span<const Tensor> cotangents) const {
  return {bind1(std::make_shared<OverlapAdd>(primals[0].shape().back(), stride_), {cotangents[0]})};
}

Primitive::Batched ExtractSequences::batch(std::span<const Tensor> inputs,
                                           std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  return {{bind1(std::make_shared<ExtractSequences>(length_, stride_), {x})}, {0}};
}

std::vector<std::optional<Tensor>> OverlapAdd::vjp(std::span<const Tensor> primals,
                                                   std::span<const Tensor> /*outputs*/,
                                                   std::span<const Tensor> cotangents) const {
  return {bind1(std::make_shared<ExtractSequences>(primals[0].shape().back(), stride_),
                {cotangents[0]})};
}

Primitive::Batched OverlapAdd::batch(std::span<const Tensor> inputs,
                                     std::span<const int> batch_axes) const {
  const Tensor x = move_batch_axis_to_front(inputs[0], batch_axes[0], 0);
  return {{bind1(std::make_shared<OverlapAdd>(size_, stride_), {x})}, {0}};
}

namespace {

using examples::make;
using examples::uniform;

std::vector<PrimitiveExample> unstack_examples() {
  return {make<Unstack>({uniform({3, 2, 4}, -1, 1)}, 1),
          make<Unstack>({uniform({2, 3}, -1, 1, DType::Float64, 2)}, 0)};
}

std::vector<PrimitiveExample> extract_sequences_examples() {
  return {make<ExtractSequences>({uniform({2, 7}, -1, 1)}, 3, 2),
          make<ExtractSequences>({uniform({8}, -1, 1, DType::Float64, 2)}, 2, 3),
          make<ExtractSequences>({uniform({2, 3}, -1, 1, DType::Float64, 3)}, 4, 1)};
}

std::vector<PrimitiveExample> overlap_add_examples() {
  return {make<OverlapAdd>({uniform({2, 3, 3}, -1, 1)}, 7, 2),
          make<OverlapAdd>({uniform({2, 2}, -1, 1, DType::Float64, 2)}, 7, 3)};
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("unstack", unstack_examples);
REGISTER_PRIMITIVE_EXAMPLES("extract_sequences", extract_sequences_examples);
REGISTER_PRIMITIVE_EXAMPLES("overlap_add", overlap_add_examples);

}  // namespace kcore
