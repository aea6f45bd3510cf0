// Transform rules of SegmentReduce and SegmentGather.
#include <memory>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/examples.h"
#include "primitives/segment.h"

namespace kcore {
namespace {

// Batched ids (batch axis 0, shape (B, N)) made into ids of one flat problem of B * segments
// segments: element b's id i becomes b * segments + i; ids outside [0, segments) stay dropped.
Tensor flat_ids(const Tensor& ids, std::int64_t segments) {
  const std::int64_t b = ids.shape()[0];
  const Tensor i = cast(ids, DType::Int64);
  const Tensor offsets = reshape(arange(0, b, 1, DType::Int64) * Tensor(segments), {b, 1});
  const Tensor valid = logical_and(i >= 0, i < Tensor(segments));
  return reshape(where(valid, i + offsets, Tensor(std::int64_t{-1})), {-1});
}

// x with its batch axis at `axis` moved to 1 (x's rows stay on axis 0).
Tensor batch_axis_to_second(const Tensor& x, int axis) {
  return axis == 1 ? x : moveaxis(x, {axis}, {1});
}

Shape with_front(std::int64_t a, std::int64_t b, const Tensor& x, std::size_t skip) {
  Shape s = {a, b};
  s.insert(s.end(), x.shape().begin() + static_cast<std::ptrdiff_t>(skip), x.shape().end());
  return s;
}

}  // namespace

std::vector<std::optional<Tensor>> SegmentReduce::vjp(std::span<const Tensor> primals,
                                                      std::span<const Tensor> outputs,
                                                      std::span<const Tensor> cotangents) const {
  const Tensor& data = primals[0];
  const Tensor& ids = primals[1];
  const Tensor& ct = cotangents[0];
  if (op_ == SegmentOp::Sum) return {segment_gather(ct, ids), std::nullopt};
  // max: the elements equal to their segment's max share its cotangent equally.
  const Tensor mask = cast(equal(data, segment_gather(outputs[0], ids)), ct.dtype());
  const Tensor count = segment_reduce(SegmentOp::Sum, mask, ids, num_segments_, sorted_);
  const Tensor share =
      where(count > 0, ct / where(count > 0, count, ones({}, ct.dtype())), zeros({}, ct.dtype()));
  return {mask * segment_gather(share, ids), std::nullopt};
}

Primitive::Batched SegmentReduce::batch(std::span<const Tensor> inputs,
                                        std::span<const int> batch_axes) const {
  const Tensor& data = inputs[0];
  const Tensor& ids = inputs[1];
  if (batch_axes[1] < 0) {
    // One set of ids: the batch rides along as an inner axis of the rows.
    const Tensor d = batch_axis_to_second(data, batch_axes[0]);
    return {{segment_reduce(op_, d, ids, num_segments_, sorted_)}, {1}};
  }
  const std::int64_t b = ids.shape()[static_cast<std::size_t>(batch_axes[1])];
  const Tensor i = move_batch_axis_to_front(ids, batch_axes[1], b);
  const Tensor d = move_batch_axis_to_front(data, batch_axes[0], b);
  Shape flat(d.shape().begin() + 1, d.shape().end());
  flat[0] *= b;
  // The flattened ids are sorted no more (dropped ids become -1): the unsorted path, which
  // folds each segment in the same order.
  const Tensor out =
      segment_reduce(op_, reshape(d, flat), flat_ids(i, num_segments_), b * num_segments_, false);
  return {{reshape(out, with_front(b, num_segments_, d, 2))}, {0}};
}

std::vector<std::optional<Tensor>> SegmentGather::vjp(std::span<const Tensor> primals,
                                                      std::span<const Tensor> /*outputs*/,
                                                      std::span<const Tensor> cotangents) const {
  const Tensor& x = primals[0];
  return {segment_reduce(SegmentOp::Sum, cotangents[0], primals[1], x.shape()[0], false),
          std::nullopt};
}

Primitive::Batched SegmentGather::batch(std::span<const Tensor> inputs,
                                        std::span<const int> batch_axes) const {
  const Tensor& x = inputs[0];
  const Tensor& ids = inputs[1];
  if (batch_axes[1] < 0) {
    return {{segment_gather(batch_axis_to_second(x, batch_axes[0]), ids)}, {1}};
  }
  const std::int64_t b = ids.shape()[static_cast<std::size_t>(batch_axes[1])];
  const Tensor i = move_batch_axis_to_front(ids, batch_axes[1], b);
  const Tensor v = move_batch_axis_to_front(x, batch_axes[0], b);
  const std::int64_t segments = v.shape()[1];
  Shape flat(v.shape().begin() + 1, v.shape().end());
  flat[0] *= b;
  const Tensor out = segment_gather(reshape(v, flat), flat_ids(i, segments));
  return {{reshape(out, with_front(b, i.shape()[1], v, 2))}, {0}};
}

namespace {

using examples::make;
using examples::uniform;

std::vector<PrimitiveExample> segment_examples(SegmentOp op) {
  // Every segment non-empty (an empty segment_max is -inf, which finite differences cannot
  // take); dropped ids (negative, too large) included.
  const Tensor ids = convert_to_tensor({0, 2, 0, 1, 2, 2, -1});
  const Tensor sorted_ids = convert_to_tensor({0, 1, 1, 2, 3});
  std::vector<PrimitiveExample> out = {
      make<SegmentReduce>({uniform({7}, -2, 2), ids}, op, 3, false),
      make<SegmentReduce>({uniform({7, 2}, -2, 2, DType::Float64, 2), ids}, op, 3, false),
      make<SegmentReduce>({uniform({5, 3}, -2, 2, DType::Float64, 3), sorted_ids}, op, 4, true),
      make<SegmentReduce>({uniform({7}, -2, 2, DType::Float32, 4), ids}, op, 2, false)};
  if (op == SegmentOp::Sum) {
    out.push_back(
        make<SegmentReduce>({uniform({7, 2}, -2, 2, DType::Float64, 5), ids}, op, 5, false));
  }
  return out;
}

std::vector<PrimitiveExample> segment_sum_examples() {
  return segment_examples(SegmentOp::Sum);
}
std::vector<PrimitiveExample> segment_max_examples() {
  return segment_examples(SegmentOp::Max);
}
std::vector<PrimitiveExample> segment_gather_examples() {
  return {
      make<SegmentGather>({uniform({3, 2}, -2, 2), convert_to_tensor({2, 0, 5, 2, -1})}),
      make<SegmentGather>({uniform({4}, -2, 2, DType::Float32, 2), convert_to_tensor({3, 3, 1})})};
}

}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("segment_sum", segment_sum_examples);
REGISTER_PRIMITIVE_EXAMPLES("segment_max", segment_max_examples);
REGISTER_PRIMITIVE_EXAMPLES("segment_gather", segment_gather_examples);

}  // namespace kcore
