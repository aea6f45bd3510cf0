#include <array>
#include <memory>

#include "kcore/ops.h"
#include "primitives/elementwise.h"

namespace kcore {
namespace {

// The primitives carry no state but their op: one shared instance per op.
Tensor unary(UnaryOp op, const Tensor& x) {
  static const std::array<PrimitivePtr, kNumUnaryOps> prims = [] {
    std::array<PrimitivePtr, kNumUnaryOps> p;
    for (int i = 0; i < kNumUnaryOps; ++i) p[i] = std::make_shared<Unary>(static_cast<UnaryOp>(i));
    return p;
  }();
  return bind1(prims[static_cast<std::size_t>(op)], std::span<const Tensor>(&x, 1));
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  static const std::array<PrimitivePtr, kNumBinaryOps> prims = [] {
    std::array<PrimitivePtr, kNumBinaryOps> p;
    for (int i = 0; i < kNumBinaryOps; ++i)
      p[i] = std::make_shared<Binary>(static_cast<BinaryOp>(i));
    return p;
  }();
  return bind1(prims[static_cast<std::size_t>(op)], {a, b});
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Add, a, b);
}
Tensor subtract(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Subtract, a, b);
}
Tensor multiply(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Multiply, a, b);
}
Tensor divide(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Divide, a, b);
}
Tensor negative(const Tensor& x) {
  return unary(UnaryOp::Negative, x);
}
Tensor abs(const Tensor& x) {
  return unary(UnaryOp::Abs, x);
}
Tensor exp(const Tensor& x) {
  return unary(UnaryOp::Exp, x);
}
Tensor log(const Tensor& x) {
  return unary(UnaryOp::Log, x);
}
Tensor sqrt(const Tensor& x) {
  return unary(UnaryOp::Sqrt, x);
}

Tensor equal(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Equal, a, b);
}
Tensor not_equal(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::NotEqual, a, b);
}
Tensor less(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Less, a, b);
}
Tensor less_equal(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::LessEqual, a, b);
}
Tensor greater(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Greater, a, b);
}
Tensor greater_equal(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::GreaterEqual, a, b);
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::LogicalAnd, a, b);
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::LogicalOr, a, b);
}
Tensor logical_not(const Tensor& x) {
  return unary(UnaryOp::LogicalNot, x);
}

Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y) {
  return bind1(std::make_shared<Where>(), {condition, x, y});
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return subtract(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return multiply(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return divide(a, b);
}
Tensor operator-(const Tensor& x) {
  return negative(x);
}
Tensor operator==(const Tensor& a, const Tensor& b) {
  return equal(a, b);
}
Tensor operator!=(const Tensor& a, const Tensor& b) {
  return not_equal(a, b);
}
Tensor operator<(const Tensor& a, const Tensor& b) {
  return less(a, b);
}
Tensor operator<=(const Tensor& a, const Tensor& b) {
  return less_equal(a, b);
}
Tensor operator>(const Tensor& a, const Tensor& b) {
  return greater(a, b);
}
Tensor operator>=(const Tensor& a, const Tensor& b) {
  return greater_equal(a, b);
}
Tensor operator!(const Tensor& x) {
  return logical_not(x);
}

}  // namespace kcore
