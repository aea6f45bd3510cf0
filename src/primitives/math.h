#pragma once

#include <cstdint>
#include <vector>

#include "kcore/primitive.h"

namespace kcore {

enum class MathOp { Erf, Erfinv, Rsqrt };

std::string_view op_name(MathOp op);

// erf, erfinv, rsqrt (SEMANTICS §3): float dtypes keep theirs, bool and integers give float32.
class MathUnary final : public Primitive {
 public:
  explicit MathUnary(MathOp op) : op_(op) {}
  std::string_view name() const override { return op_name(op_); }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  MathOp op() const { return op_; }

 private:
  MathOp op_;
};

// logsumexp over `axes` (non-negative, sorted, distinct: normalize_reduction_axes).
class LogSumExp final : public Primitive {
 public:
  LogSumExp(std::vector<std::int64_t> axes, bool keepdims)
      : axes_(std::move(axes)), keepdims_(keepdims) {}
  std::string_view name() const override { return "logsumexp"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  const std::vector<std::int64_t>& axes() const { return axes_; }
  bool keepdims() const { return keepdims_; }

 private:
  std::vector<std::int64_t> axes_;
  bool keepdims_;
};

}  // namespace kcore
