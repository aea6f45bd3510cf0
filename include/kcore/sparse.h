#pragma once

#include "kcore/tensor.h"

namespace kcore {

// A COO sparse tensor: `indices` (nnz, ndim) int64, `values` (nnz,), and the dense shape.
// Duplicate indices add up when densified, as in TensorFlow and JAX's BCOO.
class SparseTensor {
 public:
  // Validates the parts: ValueError for mismatched shapes or a non-integer index dtype,
  // IndexError for an index outside the dense shape.
  SparseTensor(const Tensor& indices, Tensor values, Shape dense_shape);

  const Tensor& indices() const { return indices_; }
  const Tensor& values() const { return values_; }
  const Shape& shape() const { return dense_shape_; }
  DType dtype() const { return values_.dtype(); }

  Tensor to_dense() const;

 private:
  Tensor indices_;
  Tensor values_;
  Shape dense_shape_;
};

}  // namespace kcore
