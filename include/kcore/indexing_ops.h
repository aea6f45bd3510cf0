#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "kcore/tensor.h"

namespace kcore {

// The seed's indexing ops (SEMANTICS §4). Errors name the op: ValueError for shapes and
// arguments, TypeError for dtypes, IndexError for index values out of range.
//
// slice, unstack and extract_sequences return views of the input's buffer. scatter_update and
// slice_update called with an rvalue input (`x = slice_update(std::move(x), start, u)`) write
// into x's buffer when nothing else holds it (it is contiguous and no other tensor or view shares
// it), so an update loop costs in proportion to the updates; otherwise they copy. The input is
// never modified as seen by anyone: a buffer is reused only when no one else can see it. If the
// call fails, an rvalue input is left as it was.

// Start indices of slice and slice_update: integers, or a 1-D integer tensor (read when the op
// runs, so it may be computed, batched by vectorized_map, or traced).
class StartIndices {
 public:
  StartIndices(std::initializer_list<std::int64_t> starts)  // NOLINT(google-explicit-constructor)
      : value_(std::in_place_type<Ints>, starts) {}
  StartIndices(std::span<const std::int64_t> starts)  // NOLINT(google-explicit-constructor)
      : value_(std::in_place_type<Ints>, starts) {}
  StartIndices(const std::vector<std::int64_t>& starts)  // NOLINT(google-explicit-constructor)
      : value_(std::in_place_type<Ints>, starts) {}
  StartIndices(Tensor starts) : value_(std::move(starts)) {}  // NOLINT(google-explicit-constructor)

  bool is_tensor() const { return std::holds_alternative<Tensor>(value_); }
  const Tensor& tensor() const { return std::get<Tensor>(value_); }
  std::span<const std::int64_t> ints() const { return std::get<Ints>(value_); }

 private:
  // Inline for up to 6 dimensions, like Shape: static starts cost no allocation.
  using Ints = SmallVector<std::int64_t, 6>;
  std::variant<Ints, Tensor> value_;
};

// Zeros of `shape` and values.dtype with `values` added at `indices` (duplicates add; bool: or).
// indices: integer, shape [..., d] with d <= len(shape); values: shape
// indices.shape[:-1] + shape[d:]. An index -dim <= i < 0 wraps once; others out of range are
// IndexError.
Tensor scatter(const Tensor& indices, const Tensor& values, const Shape& shape);

// inputs with `updates` written at `indices` (same index rules as scatter). reduction: unset
// (overwrite; among duplicate indices the last in index order wins), "add", "max", "min" or
// "mul" (case-insensitive; duplicates and the original value are combined). updates are cast to
// inputs.dtype and broadcast to indices.shape[:-1] + inputs.shape[d:].
Tensor scatter_update(const Tensor& inputs, const Tensor& indices, const Tensor& updates,
                      std::optional<std::string_view> reduction = std::nullopt);
Tensor scatter_update(Tensor&& inputs, const Tensor& indices, const Tensor& updates,
                      std::optional<std::string_view> reduction = std::nullopt);

// inputs[s0:s0+shape0, ...], a view. shape: -1 means "to the end". Starts follow XLA's
// dynamic_slice: a negative start wraps once, then the start is clamped to [0, dim - size].
Tensor slice(const Tensor& inputs, const StartIndices& start_indices, const Shape& shape);

// slice's fast path, for bindings that parse their own arguments. With static starts, an
// untraced input and valid arguments (slice_is_view), slice_view is the same view, returned as
// a value that the caller can construct in place; otherwise slice itself traces the call or
// reports the error.
bool slice_is_view(const Tensor& inputs, std::span<const std::int64_t> starts,
                   std::span<const std::int64_t> shape);
Tensor slice_view(const Tensor& inputs, std::span<const std::int64_t> starts,
                  std::span<const std::int64_t> shape);

// inputs with `updates` written at start_indices (wrapped and clamped like slice's so that the
// whole of updates fits); updates are cast to inputs.dtype and have inputs' rank.
Tensor slice_update(const Tensor& inputs, const StartIndices& start_indices, const Tensor& updates);
Tensor slice_update(Tensor&& inputs, const StartIndices& start_indices, const Tensor& updates);

// The x.shape[axis] tensors x[..., i, ...] along `axis`, views. num, when given, must equal the
// dimension.
std::vector<Tensor> unstack(const Tensor& x, std::optional<std::int64_t> num = std::nullopt,
                            std::int64_t axis = 0);

// unstack, handing each part to `consume` in order instead of collecting them: no vector of
// x.shape[axis] tensors (for long axes, its allocation costs more than the views).
void unstack_each(const Tensor& x, std::optional<std::int64_t> num, std::int64_t axis,
                  const std::function<void(Tensor&&)>& consume);

// Windows of sequence_length with hop sequence_stride over the last axis: shape
// x.shape[:-1] + (1 + (N - L) // S, L), or (..., 0, L) when L > N. A view of x's buffer whose
// windows overlap when S < L.
Tensor extract_sequences(const Tensor& x, std::int64_t sequence_length,
                         std::int64_t sequence_stride);

// The transpose of scatter: x[indices], of shape indices.shape[:-1] + x.shape[d:] (same index
// rules). Used by the gradients of scatter and scatter_update.
Tensor gather(const Tensor& x, const Tensor& indices);

}  // namespace kcore
