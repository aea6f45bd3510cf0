#include "kcore/primitive.h"
#include "kcore/tensor.h"

namespace kcore {

Tensor Tensor::traced(const Tensor& values, std::shared_ptr<const Tracer> tracer) {
  Tensor t = values;
  t.tracer_ = std::move(tracer);
  return t;
}

Tensor Tensor::traced(Shape shape, DType dtype, bool weak, std::shared_ptr<const Tracer> tracer) {
  Tensor t(nullptr, shape, contiguous_strides(shape), 0, dtype, weak);
  t.tracer_ = std::move(tracer);
  return t;
}

}  // namespace kcore
