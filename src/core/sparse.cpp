#include "kcore/sparse.h"

#include <string>

#include "cpu/convert.h"
#include "cpu/dispatch.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"

namespace kcore {

SparseTensor::SparseTensor(const Tensor& indices, Tensor values, Shape dense_shape)
    : dense_shape_(std::move(dense_shape)) {
  const auto nd = static_cast<std::int64_t>(dense_shape_.size());
  if (!is_integer(indices.dtype())) {
    throw ValueError("SparseTensor: received indices of dtype " +
                     std::string(name(indices.dtype())) + "; expected an integer dtype");
  }
  for (auto d : dense_shape_) {
    if (d < 0) {
      throw ValueError("SparseTensor: received dense shape " + format_shape(dense_shape_) +
                       "; expected non-negative dimensions");
    }
  }
  if (indices.ndim() != 2 || indices.shape()[1] != nd || values.ndim() != 1 ||
      values.shape()[0] != indices.shape()[0]) {
    throw ValueError("SparseTensor: received indices of shape " + format_shape(indices.shape()) +
                     " and values of shape " + format_shape(values.shape()) + " for dense shape " +
                     format_shape(dense_shape_) + "; expected indices (nnz, " + std::to_string(nd) +
                     ") and values (nnz,)");
  }
  indices_ = ascontiguous(cast(indices, DType::Int64));
  values_ = std::move(values);
  const std::int64_t* idx = indices_.data<std::int64_t>();
  for (std::int64_t i = 0; i < indices_.shape()[0]; ++i) {
    for (std::int64_t d = 0; d < nd; ++d) {
      const std::int64_t v = idx[i * nd + d];
      if (v < 0 || v >= dense_shape_[d]) {
        throw IndexError("SparseTensor: index " + std::to_string(v) + " (entry " +
                         std::to_string(i) + ", axis " + std::to_string(d) +
                         ") is out of range for dense shape " + format_shape(dense_shape_));
      }
    }
  }
}

Tensor SparseTensor::to_dense() const {
  Tensor out = zeros(dense_shape_, values_.dtype());
  const Strides strides = contiguous_strides(dense_shape_);
  const auto nd = static_cast<std::int64_t>(dense_shape_.size());
  const std::int64_t* idx = indices_.data<std::int64_t>();
  const Tensor vals = ascontiguous(values_);
  cpu::dispatch(values_.dtype(), [&]<class T>() {
    T* dst = out.mutable_data<T>();
    const T* src = vals.data<T>();
    for (std::int64_t i = 0; i < vals.size(); ++i) {
      std::int64_t off = 0;
      for (std::int64_t d = 0; d < nd; ++d) off += idx[i * nd + d] * strides[d];
      if constexpr (std::is_same_v<T, bool>) {
        dst[off] = dst[off] || src[i];
      } else if constexpr (cpu::is_narrow_float_v<T>) {
        dst[off] = T(static_cast<float>(dst[off]) + static_cast<float>(src[i]));
      } else if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        dst[off] = static_cast<T>(static_cast<U>(dst[off]) + static_cast<U>(src[i]));
      } else {
        dst[off] = dst[off] + src[i];
      }
    }
  });
  return out;
}

}  // namespace kcore
