#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "kcore/nested.h"
#include "kcore/tensor.h"

namespace kcore {

// The NumPy-like basics around the seed ops. Elementwise ops broadcast like NumPy and promote
// like Keras (SEMANTICS §1); errors name the op.

using Axes = std::vector<std::int64_t>;

// Creation.
Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
Tensor ones(const Shape& shape, DType dtype = DType::Float32);
// dtype unset: the fill value's dtype (a C++/Python scalar: int32, float32 or bool).
Tensor full(const Shape& shape, const Tensor& fill_value,
            std::optional<DType> dtype = std::nullopt);
// [start, stop) by step; dtype unset: the promotion of the three (int32 for integers).
Tensor arange(const Tensor& start, const Tensor& stop, const Tensor& step = 1,
              std::optional<DType> dtype = std::nullopt);
Tensor arange(const Tensor& stop);
// A fresh copy of `value` (NumPy's array).
Tensor array(const Nested& value, std::optional<DType> dtype = std::nullopt);

// Arithmetic.
Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
Tensor divide(const Tensor& a, const Tensor& b);  // true division: integers give float32
Tensor negative(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);

// Comparison and logic (bool results).
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);
Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y);

// Reductions over `axis` (all axes when unset; negative axes count from the end).
Tensor sum(const Tensor& x, const std::optional<Axes>& axis = std::nullopt, bool keepdims = false);
Tensor max(const Tensor& x, const std::optional<Axes>& axis = std::nullopt, bool keepdims = false);
Tensor min(const Tensor& x, const std::optional<Axes>& axis = std::nullopt, bool keepdims = false);
Tensor mean(const Tensor& x, const std::optional<Axes>& axis = std::nullopt, bool keepdims = false);

// Shape manipulation. Views of the input's buffer wherever the strides allow it.
Tensor reshape(const Tensor& x, const Shape& new_shape);  // one -1 allowed
Tensor transpose(const Tensor& x, std::optional<Axes> axes = std::nullopt);
Tensor moveaxis(const Tensor& x, const Axes& source, const Axes& destination);
Tensor expand_dims(const Tensor& x, const Axes& axis);
Tensor squeeze(const Tensor& x, std::optional<Axes> axis = std::nullopt);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis = 0);
Tensor concatenate(const std::vector<Tensor>& xs, std::int64_t axis = 0);
// A contiguous copy (the same tensor if it already is contiguous).
Tensor ascontiguous(const Tensor& x);

// Basic indexing, as Python's x[...]: integers (drop the axis), slices, new axes and one
// ellipsis. Results are views.
struct Slice {
  std::optional<std::int64_t> start, stop, step;
};
struct NewAxis {};
struct Ellipsis {};
using Index = std::variant<std::int64_t, Slice, NewAxis, Ellipsis>;
Tensor getitem(const Tensor& x, const std::vector<Index>& index);

// Operators.
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator!(const Tensor& x);

}  // namespace kcore
