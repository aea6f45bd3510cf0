#include "primitives/sequences.h"

#include <algorithm>
#include <string>
#include <type_traits>

#include "cpu/dispatch.h"
#include "cpu/parallel.h"
#include "primitives/indexing_util.h"

namespace kcore {

REGISTER_PRIMITIVE("unstack", "Unstack");
REGISTER_PRIMITIVE("extract_sequences", "ExtractSequences");
REGISTER_PRIMITIVE("overlap_add", "OverlapAdd");

namespace {

std::int64_t num_sequences(std::int64_t n, std::int64_t length, std::int64_t stride) {
  return n >= length ? 1 + (n - length) / stride : 0;
}

void check_window(std::int64_t length, std::int64_t stride, std::string_view op) {
  if (length < 1 || stride < 1) {
    throw ValueError(std::string(op) + ": received sequence_length=" + std::to_string(length) +
                     " and sequence_stride=" + std::to_string(stride) +
                     "; expected both to be >= 1");
  }
}

// Sums run in: bool (or), unsigned wrapping integers, float for the narrow floats.
template <class T>
struct Accumulator {
  using type = cpu::compute_t<T>;
};
template <class T>
requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) struct Accumulator<T> {
  using type = std::make_unsigned_t<decltype(T() + T())>;
};

}  // namespace

std::vector<TensorSpec> Unstack::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  if (axis_ < 0 || axis_ >= x.ndim()) {
    throw ValueError("unstack: axis " + std::to_string(axis_) +
                     " is out of bounds for a tensor of shape " + format_shape(x.shape()) +
                     "; expected an axis in [" + std::to_string(-x.ndim()) + ", " +
                     std::to_string(x.ndim()) + ")");
  }
  Shape shape = x.shape();
  shape.erase(shape.begin() + axis_);
  return std::vector<TensorSpec>(static_cast<std::size_t>(x.shape()[axis_]),
                                 TensorSpec{shape, x.dtype(), x.weak()});
}

void for_each_unstacked_view(const Tensor& x, std::int64_t axis,
                             const std::function<void(Tensor&&)>& consume) {
  const std::int64_t n = x.shape()[axis];
  Shape shape = x.shape();
  shape.erase(shape.begin() + axis);
  Strides strides = x.strides();
  const std::int64_t step = strides[axis];
  strides.erase(strides.begin() + axis);
  const bool empty = shape_size(shape) == 0;
  for (std::int64_t i = 0; i < n; ++i) {
    consume(Tensor::view(x, shape, strides, empty ? x.offset() : x.offset() + i * step));
  }
}

std::vector<Tensor> unstack_views(const Tensor& x, std::int64_t axis) {
  std::vector<Tensor> out;
  out.reserve(static_cast<std::size_t>(x.shape()[axis]));
  for_each_unstacked_view(x, axis, [&](Tensor&& t) { out.push_back(std::move(t)); });
  return out;
}

std::vector<Tensor> Unstack::eval_cpu(std::span<const Tensor> inputs,
                                      std::span<const TensorSpec> /*outputs*/) const {
  return unstack_views(inputs[0], axis_);
}

std::vector<TensorSpec> ExtractSequences::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  if (x.ndim() < 1) {
    throw ValueError("extract_sequences: Input should have rank >= 1. Received: input.shape = " +
                     format_shape(x.shape()));
  }
  check_window(length_, stride_, "extract_sequences");
  Shape shape(x.shape().begin(), x.shape().end() - 1);
  shape.push_back(num_sequences(x.shape().back(), length_, stride_));
  shape.push_back(length_);
  indexing::checked_size(shape, "extract_sequences", "the output shape");
  return {{shape, x.dtype(), x.weak()}};
}

std::vector<Tensor> ExtractSequences::eval_cpu(std::span<const Tensor> inputs,
                                               std::span<const TensorSpec> outputs) const {
  const Tensor& x = inputs[0];
  const Shape& shape = outputs[0].shape;
  const std::int64_t num = shape[shape.size() - 2];
  const std::int64_t s = x.strides().back();
  Strides strides(x.strides().begin(), x.strides().end() - 1);
  strides.push_back(num > 1 ? stride_ * s : length_ * s);
  strides.push_back(s);
  if (num == 0) strides[strides.size() - 2] = 0;
  return single_output(Tensor::view(x, shape, strides, x.offset()));
}

std::vector<TensorSpec> OverlapAdd::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  if (x.ndim() < 2) {
    throw ValueError("overlap_add: frames of shape " + format_shape(x.shape()) +
                     "; expected rank >= 2 (..., num_sequences, sequence_length)");
  }
  const std::int64_t length = x.shape().back();
  check_window(length, stride_, "overlap_add");
  if (size_ < 0 || x.shape()[x.shape().size() - 2] != num_sequences(size_, length, stride_)) {
    throw ValueError("overlap_add: frames of shape " + format_shape(x.shape()) +
                     " do not tile a length of " + std::to_string(size_) + " with stride " +
                     std::to_string(stride_) + "; expected " +
                     std::to_string(num_sequences(size_, length, stride_)) + " frames");
  }
  Shape shape(x.shape().begin(), x.shape().end() - 2);
  shape.push_back(size_);
  return {{shape, x.dtype(), false}};
}

std::vector<Tensor> OverlapAdd::eval_cpu(std::span<const Tensor> inputs,
                                         std::span<const TensorSpec> outputs) const {
  const Tensor x = inputs[0].is_contiguous() ? inputs[0] : indexing::writable_copy(inputs[0]);
  Tensor out = Tensor::empty(outputs[0].shape, outputs[0].dtype);
  if (out.size() == 0) return {out};
  const std::int64_t length = x.shape().back();
  const std::int64_t num = x.shape()[x.shape().size() - 2];
  const std::int64_t n = size_;
  const std::int64_t S = stride_;
  cpu::dispatch(x.dtype(), [&]<class T>() {
    using Acc = typename Accumulator<T>::type;
    const T* src = reinterpret_cast<const T*>(x.bytes());
    T* dst = out.mutable_data<T>();
    cpu::parallel_for(out.size(), 1 << 14, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t k = b; k < e; ++k) {
        const std::int64_t lead = k / n;
        const std::int64_t p = k % n;
        const T* frames = src + lead * num * length;
        const std::int64_t hi = std::min(num - 1, p / S);
        const std::int64_t lo = p >= length ? (p - length) / S + 1 : 0;
        Acc acc{};
        for (std::int64_t i = lo; i <= hi; ++i) {
          // int8 sign-extends into the wrapping unsigned accumulator, as intended.
          // NOLINTNEXTLINE(bugprone-signed-char-misuse)
          const Acc v = static_cast<Acc>(cpu::to_compute(frames[i * length + (p - i * S)]));
          if constexpr (std::is_same_v<Acc, bool>) {
            acc = acc || v;
          } else {
            acc = acc + v;
          }
        }
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          dst[k] = static_cast<T>(acc);
        } else {
          dst[k] = cpu::from_compute<T>(acc);
        }
      }
    });
  });
  return {out};
}

}  // namespace kcore
