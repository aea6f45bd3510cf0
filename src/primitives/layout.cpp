#include "primitives/layout.h"

#include <algorithm>
#include <optional>
#include <string>

#include "cpu/cast_kernel.h"
#include "cpu/copy.h"

namespace kcore {

REGISTER_PRIMITIVE("reshape", "Reshape");
REGISTER_PRIMITIVE("transpose", "Transpose");
REGISTER_PRIMITIVE("broadcast_to", "BroadcastTo");
REGISTER_PRIMITIVE("strided_slice", "StridedSlice");
REGISTER_PRIMITIVE("concatenate", "Concatenate");
REGISTER_PRIMITIVE("copy", "Copy");

std::int64_t checked_size(std::span<const std::int64_t> shape, std::string_view op) {
  std::int64_t product = 1;
  bool zero = false;
  for (auto d : shape) {
    if (d < 0) {
      throw ValueError(std::string(op) + ": received shape " + format_shape(shape) +
                       "; expected non-negative dimensions");
    }
    zero = zero || d == 0;
    if (__builtin_mul_overflow(product, std::max<std::int64_t>(d, 1), &product)) {
      throw ValueError(std::string(op) + ": shape " + format_shape(shape) +
                       " has too many elements; expected at most 2^63 - 1");
    }
  }
  return zero ? 0 : product;
}

namespace {

Tensor contiguous_copy(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype()).with_weak(x.weak());
  cpu::copy_elements(out.mutable_bytes(), out.strides(), x);
  return out;
}

// Strides that show x's elements in row-major order with `shape`, without moving them, if any
// exist (NumPy's no-copy reshape).
std::optional<Strides> reshape_strides(const Tensor& x, const Shape& shape) {
  if (x.size() == 0) return contiguous_strides(shape);
  Shape old_dims;
  Strides old_strides;
  for (std::int64_t i = 0; i < x.ndim(); ++i) {
    if (x.shape()[i] != 1) {
      old_dims.push_back(x.shape()[i]);
      old_strides.push_back(x.strides()[i]);
    }
  }
  const std::size_t old_nd = old_dims.size();
  const std::size_t new_nd = shape.size();
  Strides strides(new_nd, 1);
  std::size_t oi = 0;
  std::size_t oj = 1;
  std::size_t ni = 0;
  std::size_t nj = 1;
  while (ni < new_nd && oi < old_nd) {
    std::int64_t np = shape[ni];
    std::int64_t op = old_dims[oi];
    while (np != op) {
      if (np < op) {
        np *= shape[nj++];
      } else {
        op *= old_dims[oj++];
      }
    }
    for (std::size_t ok = oi; ok + 1 < oj; ++ok) {
      if (old_strides[ok] != old_dims[ok + 1] * old_strides[ok + 1]) return std::nullopt;
    }
    strides[nj - 1] = old_strides[oj - 1];
    for (std::size_t nk = nj - 1; nk > ni; --nk) strides[nk - 1] = strides[nk] * shape[nk];
    ni = nj++;
    oi = oj++;
  }
  return strides;
}

}  // namespace

void Reshape::check_size(const Tensor& x) const {
  if (checked_size(shape_, "reshape") != x.size()) {
    throw ValueError("reshape: cannot reshape a tensor of shape " + format_shape(x.shape()) + " (" +
                     std::to_string(x.size()) + " elements) into shape " + format_shape(shape_) +
                     "; expected the same number of elements");
  }
}

std::vector<TensorSpec> Reshape::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  check_size(x);
  return {{shape_, x.dtype(), x.weak()}};
}

std::vector<Tensor> Reshape::eval_cpu(std::span<const Tensor> inputs,
                                      std::span<const TensorSpec> /*outputs*/) const {
  return single_output(reshaped(inputs[0]));
}

Tensor Reshape::evaluate_single(std::span<const Tensor> inputs) const {
  check_size(inputs[0]);
  return reshaped(inputs[0]);
}

Tensor Reshape::reshaped(const Tensor& x) const {
  if (auto strides = reshape_strides(x, shape_))
    return Tensor::view(x, shape_, *strides, x.offset());
  const Tensor c = contiguous_copy(x);
  return Tensor::view(c, shape_, contiguous_strides(shape_), 0);
}

std::vector<TensorSpec> Transpose::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  std::vector<std::int64_t> sorted = perm_;
  std::sort(sorted.begin(), sorted.end());
  bool valid = static_cast<std::int64_t>(perm_.size()) == x.ndim();
  for (std::size_t i = 0; valid && i < sorted.size(); ++i)
    valid = sorted[i] == static_cast<std::int64_t>(i);
  if (!valid) {
    throw ValueError("transpose: axes " + format_shape(perm_) +
                     " are not a permutation of the axes of a tensor of shape " +
                     format_shape(x.shape()));
  }
  Shape shape;
  for (auto p : perm_) shape.push_back(x.shape()[p]);
  return {{shape, x.dtype(), x.weak()}};
}

std::vector<Tensor> Transpose::eval_cpu(std::span<const Tensor> inputs,
                                        std::span<const TensorSpec> outputs) const {
  const Tensor& x = inputs[0];
  Strides strides;
  for (auto p : perm_) strides.push_back(x.strides()[p]);
  return single_output(Tensor::view(x, outputs[0].shape, strides, x.offset()));
}

std::vector<TensorSpec> BroadcastTo::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  bool ok = x.ndim() <= static_cast<std::int64_t>(shape_.size());
  const std::size_t lead = ok ? shape_.size() - x.shape().size() : 0;
  for (std::size_t i = 0; ok && i < x.shape().size(); ++i) {
    ok = x.shape()[i] == shape_[lead + i] || x.shape()[i] == 1;
  }
  for (auto d : shape_) ok = ok && d >= 0;
  if (ok) checked_size(shape_, "broadcast_to");
  if (!ok) {
    throw ValueError("broadcast_to: cannot broadcast a tensor of shape " + format_shape(x.shape()) +
                     " to shape " + format_shape(shape_) +
                     "; expected each dimension to match or be 1");
  }
  return {{shape_, x.dtype(), x.weak()}};
}

std::vector<Tensor> BroadcastTo::eval_cpu(std::span<const Tensor> inputs,
                                          std::span<const TensorSpec> /*outputs*/) const {
  const Tensor& x = inputs[0];
  Strides strides(shape_.size(), 0);
  const std::size_t lead = shape_.size() - x.shape().size();
  for (std::size_t i = 0; i < x.shape().size(); ++i) {
    strides[lead + i] = x.shape()[i] == 1 ? 0 : x.strides()[i];
  }
  return single_output(Tensor::view(x, shape_, strides, x.offset()));
}

std::vector<TensorSpec> StridedSlice::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const auto nd = static_cast<std::size_t>(x.ndim());
  bool ok = start_.size() == nd && step_.size() == nd && size_.size() == nd;
  for (std::size_t d = 0; ok && d < nd; ++d) {
    const std::int64_t last = start_[d] + (size_[d] - 1) * step_[d];
    ok = size_[d] >= 0 && step_[d] != 0 &&
         (size_[d] == 0 ||
          (start_[d] >= 0 && start_[d] < x.shape()[d] && last >= 0 && last < x.shape()[d]));
  }
  if (!ok) {
    throw IndexError("strided_slice: the slice start=" + format_shape(start_) +
                     " step=" + format_shape(step_) + " size=" + format_shape(size_) +
                     " does not fit a tensor of shape " + format_shape(x.shape()));
  }
  return {{size_, x.dtype(), x.weak()}};
}

Tensor strided_view(const Tensor& x, std::span<const std::int64_t> start,
                    std::span<const std::int64_t> step, const Shape& size) {
  std::int64_t offset = x.offset();
  Strides strides(x.strides().size());
  for (std::size_t d = 0; d < strides.size(); ++d) {
    if (size[d] > 0) offset += start[d] * x.strides()[d];
    strides[d] = x.strides()[d] * step[d];
  }
  if (shape_size(size) == 0) offset = x.offset();
  return Tensor::view(x, size, strides, offset);
}

std::vector<Tensor> StridedSlice::eval_cpu(std::span<const Tensor> inputs,
                                           std::span<const TensorSpec> /*outputs*/) const {
  return single_output(strided_view(inputs[0], start_, step_, size_));
}

std::vector<TensorSpec> Concatenate::infer(std::span<const Tensor> inputs) const {
  if (inputs.empty()) {
    throw ValueError("concatenate: received no tensors; expected at least one");
  }
  const Tensor& first = inputs[0];
  if (first.ndim() == 0) {
    throw ValueError("concatenate: received a zero-rank tensor; expected rank >= 1");
  }
  const std::int64_t axis = normalize_axis(axis_, first.ndim(), "concatenate");
  Shape shape = first.shape();
  std::vector<DTypeArg> dtypes;
  bool all_weak = true;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    dtypes.push_back({t.dtype(), t.weak()});
    all_weak = all_weak && t.weak();
    bool ok = t.ndim() == first.ndim();
    for (std::int64_t d = 0; ok && d < t.ndim(); ++d) {
      ok = d == axis || t.shape()[d] == first.shape()[d];
    }
    if (!ok) {
      throw ValueError(
          "concatenate: tensor " + std::to_string(i) + " has shape " + format_shape(t.shape()) +
          ", tensor 0 has shape " + format_shape(first.shape()) +
          "; expected equal ranks and equal dimensions except along axis " + std::to_string(axis));
    }
    if (i > 0) shape[axis] += t.shape()[axis];
  }
  const Promoted p = promote(dtypes, "concatenate");
  return {{shape, p.dtype, p.weak && all_weak}};
}

std::vector<Tensor> Concatenate::eval_cpu(std::span<const Tensor> inputs,
                                          std::span<const TensorSpec> outputs) const {
  const TensorSpec& spec = outputs[0];
  Tensor out = Tensor::empty(spec.shape, spec.dtype).with_weak(spec.weak);
  const std::int64_t axis =
      normalize_axis(axis_, static_cast<std::int64_t>(spec.shape.size()), "concatenate");
  const auto isz = static_cast<std::int64_t>(itemsize(spec.dtype));
  std::int64_t position = 0;
  for (const Tensor& t : inputs) {
    const Tensor c = cpu::cast_kernel(t, spec.dtype);
    if (c.size() > 0) {
      cpu::copy_elements(out.mutable_bytes() + position * out.strides()[axis] * isz, out.strides(),
                         c);
    }
    position += t.shape()[axis];
  }
  return {out};
}

std::vector<TensorSpec> Copy::infer(std::span<const Tensor> inputs) const {
  return {{inputs[0].shape(), inputs[0].dtype(), inputs[0].weak()}};
}

std::vector<Tensor> Copy::eval_cpu(std::span<const Tensor> inputs,
                                   std::span<const TensorSpec> /*outputs*/) const {
  return {contiguous_copy(inputs[0])};
}

}  // namespace kcore
