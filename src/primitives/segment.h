#pragma once

#include <cstdint>

#include "kcore/primitive.h"

namespace kcore {

enum class SegmentOp { Sum, Max };

// segment_sum / segment_max(data, segment_ids) into `num_segments` rows: output
// (num_segments,) + data.shape[1:], data's dtype. Rows whose id is outside [0, num_segments) are
// dropped. Every output element is the fold of its segment's rows in index order (whichever
// path and thread count computes it), so results are deterministic and batching is exact.
// `sorted` promises non-decreasing ids: a faster path that stays memory-safe when the promise
// is broken (the values are then unspecified).
class SegmentReduce final : public Primitive {
 public:
  SegmentReduce(SegmentOp op, std::int64_t num_segments, bool sorted)
      : op_(op), num_segments_(num_segments), sorted_(sorted) {}
  std::string_view name() const override;
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  SegmentOp op() const { return op_; }
  std::int64_t num_segments() const { return num_segments_; }
  bool sorted() const { return sorted_; }

 private:
  SegmentOp op_;
  std::int64_t num_segments_;
  bool sorted_;
};

// The transpose of segment_sum: rows of x (shape (S,) + rest) picked by ids (shape (N,)),
// giving (N,) + rest; a row whose id is outside [0, S) is zero. The gradient of segment_sum
// and segment_max.
class SegmentGather final : public Primitive {
 public:
  std::string_view name() const override { return "segment_gather"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
};

// Binds the primitives above (for rules written with them).
Tensor segment_reduce(SegmentOp op, const Tensor& data, const Tensor& segment_ids,
                      std::int64_t num_segments, bool sorted);
Tensor segment_gather(const Tensor& x, const Tensor& segment_ids);

}  // namespace kcore
