#include "primitives/dynamic_slice.h"

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

#include "cpu/copy.h"
#include "cpu/parallel.h"
#include "cpu/vector_copy.h"
#include "primitives/indexing_util.h"

namespace kcore {

REGISTER_PRIMITIVE("dynamic_slice", "DynamicSlice");
REGISTER_PRIMITIVE("dynamic_update_slice", "DynamicUpdateSlice");

namespace {

// The batch rank of `starts` (shape batch + [n]) after checking it against the operand.
std::size_t check_starts(const Tensor& starts, const Tensor& operand, std::size_t n,
                         std::string_view op) {
  indexing::require_integer(starts, op, "start_indices");
  if (starts.ndim() < 1 || static_cast<std::size_t>(starts.shape().back()) != n) {
    throw ValueError(std::string(op) + ": start_indices of shape " + format_shape(starts.shape()) +
                     " do not match the " + std::to_string(n) +
                     " sliced dimensions; expected shape (" + std::to_string(n) + ",)");
  }
  const std::size_t nb = starts.shape().size() - 1;
  bool ok = operand.shape().size() == nb + n;
  for (std::size_t k = 0; ok && k < nb; ++k) ok = operand.shape()[k] == starts.shape()[k];
  if (!ok) {
    throw ValueError(std::string(op) + ": inputs of shape " + format_shape(operand.shape()) +
                     " do not match start_indices of shape " + format_shape(starts.shape()) +
                     "; expected one start per dimension of inputs");
  }
  return nb;
}

// Element offset of batch position b (row-major over shape[:nb]) in a tensor with `strides`.
std::int64_t batch_offset(std::int64_t b, const Shape& shape, const Strides& strides,
                          std::size_t nb) {
  std::int64_t off = 0;
  for (std::size_t k = nb; k-- > 0;) {
    off += (b % shape[k]) * strides[k];
    b /= shape[k];
  }
  return off;
}

Shape tail(const Shape& s, std::size_t nb) {
  return Shape(s.begin() + static_cast<std::ptrdiff_t>(nb), s.end());
}

}  // namespace

std::vector<TensorSpec> DynamicSlice::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const std::size_t nb = check_starts(inputs[1], x, sizes_.size(), "slice");
  for (std::size_t i = 0; i < sizes_.size(); ++i) {
    if (sizes_[i] < 0 || sizes_[i] > x.shape()[nb + i]) {
      throw ValueError("slice: shape " + format_shape(sizes_) + " does not fit inputs of shape " +
                       format_shape(tail(x.shape(), nb)) +
                       "; expected 0 <= shape[i] <= inputs.shape[i]");
    }
  }
  Shape shape(x.shape().begin(), x.shape().begin() + static_cast<std::ptrdiff_t>(nb));
  shape.insert(shape.end(), sizes_.begin(), sizes_.end());
  return {{shape, x.dtype(), x.weak()}};
}

std::vector<Tensor> DynamicSlice::eval_cpu(std::span<const Tensor> inputs,
                                           std::span<const TensorSpec> outputs) const {
  const Tensor& x = inputs[0];
  const std::vector<std::int64_t> starts = indexing::read_int64(inputs[1]);
  const std::size_t n = sizes_.size();
  const std::size_t nb = x.shape().size() - n;
  auto window_offset = [&](std::int64_t b) {
    std::int64_t off = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t s = indexing::clamp_start(starts[static_cast<std::size_t>(b) * n + i],
                                                   x.shape()[nb + i], sizes_[i]);
      off += s * x.strides()[nb + i];
    }
    return off;
  };
  const Strides window_strides(x.strides().begin() + static_cast<std::ptrdiff_t>(nb),
                               x.strides().end());
  if (nb == 0) {
    const std::int64_t offset =
        shape_size(sizes_) == 0 ? x.offset() : x.offset() + window_offset(0);
    return single_output(Tensor::view(x, sizes_, window_strides, offset));
  }
  Tensor out = Tensor::empty(outputs[0].shape, outputs[0].dtype).with_weak(outputs[0].weak);
  const std::int64_t window = shape_size(sizes_);
  if (out.size() == 0) return {out};
  const std::int64_t batches = out.size() / window;
  const auto isz = static_cast<std::int64_t>(itemsize(x.dtype()));
  const Strides dst_strides = contiguous_strides(sizes_);
  std::byte* dst = out.mutable_bytes();
  cpu::parallel_for(
      batches, std::max<std::int64_t>(1, 32768 / window), [&](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t b = b0; b < b1; ++b) {
          const Tensor src = Tensor::view(
              x, sizes_, window_strides,
              x.offset() + batch_offset(b, x.shape(), x.strides(), nb) + window_offset(b));
          cpu::copy_elements(dst + b * window * isz, dst_strides, src);
        }
      });
  return {out};
}

void write_window(std::byte* base, std::span<const std::int64_t> dims, const Strides& strides,
                  const Tensor& u, const std::int64_t* starts) {
  std::int64_t off = 0;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    off += indexing::clamp_start(starts[i], dims[i], u.shape()[i]) * strides[i];
  }
  cpu::copy_elements(base + off * static_cast<std::int64_t>(itemsize(u.dtype())), strides, u);
}

namespace {

// Whether a window of shape `window` in a row-major array of shape `dims` is one run of its
// elements: the dimensions before its first partial one are 1 wide (those after it are whole).
bool window_is_one_run(std::span<const std::int64_t> dims, std::span<const std::int64_t> window) {
  std::size_t partial = dims.size();
  while (partial > 0 && window[partial - 1] == dims[partial - 1]) --partial;
  if (partial == 0) return true;  // the whole array
  return std::all_of(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(partial - 1),
                     [](std::int64_t w) { return w == 1; });
}

}  // namespace

Tensor updated_window(Tensor&& x, const Tensor& u, const std::int64_t* starts) {
  if (indexing::can_reuse_buffer(x) || !x.is_contiguous() || u.size() == 0 ||
      !window_is_one_run(x.shape(), u.shape())) {
    Tensor out = indexing::writable_copy(x);
    x = Tensor();
    if (u.size() > 0) write_window(out.mutable_bytes(), out.shape(), out.strides(), u, starts);
    return out;
  }
  const std::int64_t nd = x.ndim();
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const auto isz = static_cast<std::int64_t>(itemsize(x.dtype()));
  std::int64_t begin = 0;
  for (std::int64_t i = 0; i < nd; ++i) {
    begin += indexing::clamp_start(starts[i], x.shape()[i], u.shape()[i]) * x.strides()[i];
  }
  const std::int64_t hole_begin = begin * isz;
  const std::int64_t hole_end = (begin + u.size()) * isz;
  std::byte* dst = out.mutable_bytes();
  const std::byte* src = x.bytes();
  // One job for both sides of the window, split as one copy of the whole would be.
  cpu::parallel_for(x.size() * isz, cpu::kCopyGrainBytes, [&](std::int64_t b, std::int64_t e) {
    if (b < hole_begin) {
      cpu::vector_copy(dst + b, src + b, static_cast<std::size_t>(std::min(e, hole_begin) - b));
    }
    if (e > hole_end) {
      const std::int64_t from = std::max(b, hole_end);
      cpu::vector_copy(dst + from, src + from, static_cast<std::size_t>(e - from));
    }
  });
  write_window(dst, out.shape(), out.strides(), u, starts);
  return out;
}

std::vector<TensorSpec> DynamicUpdateSlice::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const Tensor& u = inputs[1];
  const Tensor& starts = inputs[2];
  indexing::require_integer(starts, "slice_update", "start_indices");
  const std::size_t n = starts.ndim() >= 1 ? static_cast<std::size_t>(starts.shape().back()) : 0;
  const std::size_t nb = check_starts(starts, x, n, "slice_update");
  bool ok = u.ndim() == x.ndim();
  for (std::size_t k = 0; ok && k < x.shape().size(); ++k) {
    ok = k < nb ? u.shape()[k] == x.shape()[k] : u.shape()[k] <= x.shape()[k];
  }
  if (!ok) {
    throw ValueError("slice_update: updates of shape " + format_shape(u.shape()) +
                     " do not fit inputs of shape " + format_shape(x.shape()) +
                     "; expected the same rank and updates.shape[i] <= inputs.shape[i]");
  }
  if (u.dtype() != x.dtype()) {
    throw TypeError("slice_update: updates have dtype " + std::string(kcore::name(u.dtype())) +
                    ", inputs " + std::string(kcore::name(x.dtype())) + "; expected equal dtypes");
  }
  return {{x.shape(), x.dtype(), x.weak()}};
}

std::vector<Tensor> DynamicUpdateSlice::eval_cpu(std::span<const Tensor> inputs,
                                                 std::span<const TensorSpec> outputs) const {
  const Tensor& x = inputs[0];
  const Tensor& u = inputs[1];
  const std::vector<std::int64_t> starts = indexing::read_int64(inputs[2]);
  // Nothing below fails: reusing the input's buffer is safe.
  Tensor out = indexing::writable_copy(x).with_weak(outputs[0].weak);
  if (u.size() == 0) return {out};
  const std::size_t n = static_cast<std::size_t>(inputs[2].shape().back());
  const std::size_t nb = x.shape().size() - n;
  const Shape window = tail(u.shape(), nb);
  const Strides u_strides = tail(u.strides(), nb);
  const Shape dims = tail(x.shape(), nb);
  const Strides out_strides = tail(out.strides(), nb);
  const std::int64_t batches = shape_size(std::span(u.shape()).first(nb));
  const std::int64_t batch_bytes =
      shape_size(dims) * static_cast<std::int64_t>(itemsize(x.dtype()));
  std::byte* base = out.mutable_bytes();
  cpu::parallel_for(
      batches, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, u.size() / batches)),
      [&](std::int64_t b0, std::int64_t b1) {
        for (std::int64_t b = b0; b < b1; ++b) {
          const Tensor src = Tensor::view(u, window, u_strides,
                                          u.offset() + batch_offset(b, u.shape(), u.strides(), nb));
          write_window(base + b * batch_bytes, dims, out_strides, src,
                       starts.data() + static_cast<std::size_t>(b) * n);
        }
      });
  return {out};
}

}  // namespace kcore
