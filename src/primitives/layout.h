#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kcore/primitive.h"

namespace kcore {

// The number of elements of `shape`; ValueError naming `op` for a negative dimension, or when
// the dimensions (zeros counted as ones, as strides do) multiply beyond int64.
std::int64_t checked_size(std::span<const std::int64_t> shape, std::string_view op);

// Primitives that change how a buffer is seen. All but Concatenate and Copy return views when
// the strides allow it.

class Reshape final : public Primitive {
 public:
  explicit Reshape(Shape shape) : shape_(std::move(shape)) {}  // fully resolved, no -1
  std::string_view name() const override { return "reshape"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  Tensor evaluate_single(std::span<const Tensor> inputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  const Shape& shape() const { return shape_; }

 private:
  void check_size(const Tensor& x) const;
  Tensor reshaped(const Tensor& x) const;
  Shape shape_;
};

class Transpose final : public Primitive {
 public:
  explicit Transpose(std::vector<std::int64_t> perm) : perm_(std::move(perm)) {}
  std::string_view name() const override { return "transpose"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  const std::vector<std::int64_t>& perm() const { return perm_; }

 private:
  std::vector<std::int64_t> perm_;
};

class BroadcastTo final : public Primitive {
 public:
  explicit BroadcastTo(Shape shape) : shape_(std::move(shape)) {}
  std::string_view name() const override { return "broadcast_to"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  const Shape& shape() const { return shape_; }

 private:
  Shape shape_;
};

// The view of x holding elements start[d], start[d] + step[d], ... (size[d] of them) along each
// axis d; step may be negative. The caller has checked every index against x's shape.
Tensor strided_view(const Tensor& x, std::span<const std::int64_t> start,
                    std::span<const std::int64_t> step, const Shape& size);

// strided_view as a primitive (what slices of traced values go through).
class StridedSlice final : public Primitive {
 public:
  StridedSlice(std::vector<std::int64_t> start, std::vector<std::int64_t> step, Shape size)
      : start_(std::move(start)), step_(std::move(step)), size_(std::move(size)) {}
  std::string_view name() const override { return "strided_slice"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;

 private:
  std::vector<std::int64_t> start_;
  std::vector<std::int64_t> step_;
  Shape size_;
};

class Concatenate final : public Primitive {
 public:
  explicit Concatenate(std::int64_t axis) : axis_(axis) {}
  std::string_view name() const override { return "concatenate"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
  std::int64_t axis() const { return axis_; }

 private:
  std::int64_t axis_;
};

// A contiguous copy.
class Copy final : public Primitive {
 public:
  std::string_view name() const override { return "copy"; }
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const override;
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const override;
  std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                         std::span<const Tensor> outputs,
                                         std::span<const Tensor> cotangents) const override;
  Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const override;
};

}  // namespace kcore
