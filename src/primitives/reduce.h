#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "kcore/primitive.h"
#include "primitives/single_output.h"

namespace kcore {

enum class ReduceOp { Sum, Max, Min };

// Reduces over `axes` (non-negative, sorted, distinct; ReduceAxes normalises them).
class Reduce final : public SingleOutputPrimitive<Reduce> {
 public:
  Reduce(ReduceOp op, std::vector<std::int64_t> axes, bool keepdims)
      : op_(op), axes_(std::move(axes)), keepdims_(keepdims) {}
  std::string_view name() const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  ReduceOp op() const { return op_; }
  const std::vector<std::int64_t>& axes() const { return axes_; }
  bool keepdims() const { return keepdims_; }

 private:
  friend class SingleOutputPrimitive<Reduce>;
  TensorSpec output_spec(std::span<const Tensor> inputs) const;
  Tensor run(std::span<const Tensor> inputs, const TensorSpec& spec) const;
  ReduceOp op_;
  std::vector<std::int64_t> axes_;
  bool keepdims_;
};

// Axes of a reduction made non-negative and sorted: all axes when unset; ValueError naming `op`
// for an axis out of range or repeated.
std::vector<std::int64_t> normalize_reduction_axes(
    const std::optional<std::vector<std::int64_t>>& axis, std::int64_t ndim, std::string_view op);

}  // namespace kcore
