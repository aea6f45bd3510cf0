#pragma once

#include "kcore/primitive.h"
#include "primitives/single_output.h"

namespace kcore {

enum class UnaryOp { Negative, Abs, Exp, Log, Sqrt, LogicalNot };
enum class BinaryOp {
  Add,
  Subtract,
  Multiply,
  Divide,
  Equal,
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  LogicalAnd,
  LogicalOr,
};
inline constexpr int kNumUnaryOps = static_cast<int>(UnaryOp::LogicalNot) + 1;
inline constexpr int kNumBinaryOps = static_cast<int>(BinaryOp::LogicalOr) + 1;

std::string_view op_name(UnaryOp op);
std::string_view op_name(BinaryOp op);

class Unary final : public SingleOutputPrimitive<Unary> {
 public:
  explicit Unary(UnaryOp op) : op_(op) {}
  std::string_view name() const override { return op_name(op_); }
  Differentiability differentiability() const override;
  UnaryOp op() const { return op_; }
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;

 private:
  friend class SingleOutputPrimitive<Unary>;
  TensorSpec output_spec(std::span<const Tensor> inputs) const;
  Tensor run(std::span<const Tensor> inputs, const TensorSpec& spec) const;
  UnaryOp op_;
};

class Binary final : public SingleOutputPrimitive<Binary> {
 public:
  explicit Binary(BinaryOp op) : op_(op) {}
  std::string_view name() const override { return op_name(op_); }
  Differentiability differentiability() const override;
  BinaryOp op() const { return op_; }
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;

 private:
  friend class SingleOutputPrimitive<Binary>;
  // The dtype both operands are converted to before the kernel runs.
  Promoted operand_dtype(std::span<const Tensor> inputs) const;
  TensorSpec output_spec(std::span<const Tensor> inputs) const;
  Tensor run(std::span<const Tensor> inputs, const TensorSpec& spec) const;
  BinaryOp op_;
};

// where(condition, x, y): x where condition is nonzero, else y.
class Where final : public Primitive {
 public:
  std::string_view name() const override { return "where"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
};

}  // namespace kcore
