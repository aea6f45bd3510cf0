#include <cmath>
#include <cstring>
#include <string>

#include "cpu/convert.h"
#include "cpu/dispatch.h"
#include "cpu/parallel.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"

namespace kcore {

Tensor full(const Shape& shape, const Tensor& fill_value, std::optional<DType> dtype) {
  if (fill_value.ndim() != 0) {
    throw ValueError("full: received fill_value of shape " + format_shape(fill_value.shape()) +
                     "; expected a scalar");
  }
  const DType d = dtype ? *dtype : convert_to_tensor(fill_value).dtype();
  const Tensor v = cast(fill_value, d);
  Tensor out = Tensor::empty(shape, d);
  const std::size_t isz = itemsize(d);
  std::byte* dst = out.mutable_bytes();
  const std::byte* src = v.bytes();
  cpu::parallel_for(out.size(), 1 << 16, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) std::memcpy(dst + i * isz, src, isz);
  });
  return out;
}

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, false, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, true, dtype); }

Tensor arange(const Tensor& start, const Tensor& stop, const Tensor& step,
              std::optional<DType> dtype) {
  for (const Tensor* t : {&start, &stop, &step}) {
    if (t->ndim() != 0) {
      throw ValueError("arange: received an argument of shape " + format_shape(t->shape()) +
                       "; expected scalars");
    }
  }
  const DType d = dtype ? *dtype
                        : promote({{start.dtype(), start.weak()},
                                                        {stop.dtype(), stop.weak()},
                                                        {step.dtype(), step.weak()}},
                                  "arange")
                              .dtype;
  const auto as_double = [](const Tensor& t) {
    return cast(t, DType::Float64).item<double>();
  };
  const double b = as_double(start);
  const double e = as_double(stop);
  const double s = as_double(step);
  if (s == 0 || std::isnan(s)) {
    throw ValueError("arange: received step=" + std::to_string(s) + "; expected a nonzero step");
  }
  const double count = std::ceil((e - b) / s);
  const auto n = static_cast<std::int64_t>(std::isnan(count) || count < 0 ? 0 : count);
  Tensor out = Tensor::empty({n}, d);
  cpu::dispatch(d, [&]<class T>() {
    T* dst = out.mutable_data<T>();
    for (std::int64_t i = 0; i < n; ++i) {
      dst[i] = cpu::convert_value<T>(b + static_cast<double>(i) * s);
    }
  });
  return out;
}

Tensor arange(const Tensor& stop) { return arange(0, stop, 1); }

Tensor array(const Nested& value, std::optional<DType> dtype) {
  const Tensor t = convert_to_tensor(value, dtype);
  if (!value.is_list() && t.shares_storage_with(value.leaf())) {
    Tensor out = Tensor::empty(t.shape(), t.dtype());
    t.copy_to(out.mutable_bytes());
    return out;
  }
  return t;
}

}  // namespace kcore
