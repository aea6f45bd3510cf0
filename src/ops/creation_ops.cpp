#include <cmath>
#include <cstring>
#include <string>

#include "cpu/convert.h"
#include "cpu/dispatch.h"
#include "cpu/parallel.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "primitives/layout.h"

namespace kcore {
namespace {

Tensor filled(const Shape& shape, const Tensor& fill_value, std::optional<DType> dtype,
              std::string_view op) {
  checked_size(shape, op);
  if (fill_value.ndim() != 0) {
    throw ValueError(std::string(op) + ": received fill_value of shape " +
                     format_shape(fill_value.shape()) + "; expected a scalar");
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

}  // namespace

Tensor full(const Shape& shape, const Tensor& fill_value, std::optional<DType> dtype) {
  return filled(shape, fill_value, dtype, "full");
}
Tensor zeros(const Shape& shape, DType dtype) {
  return filled(shape, false, dtype, "zeros");
}
Tensor ones(const Shape& shape, DType dtype) {
  return filled(shape, true, dtype, "ones");
}

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
  const auto as_double = [](const Tensor& t) { return cast(t, DType::Float64).item<double>(); };
  const double b = as_double(start);
  const double e = as_double(stop);
  const double s = as_double(step);
  if (s == 0 || std::isnan(s)) {
    throw ValueError("arange: received step=" + std::to_string(s) + "; expected a nonzero step");
  }
  const double count = std::ceil((e - b) / s);
  if (count >= 0x1p62) {
    throw ValueError("arange: start=" + std::to_string(b) + ", stop=" + std::to_string(e) +
                     ", step=" + std::to_string(s) + " give " + std::to_string(count) +
                     " elements; expected a finite range that fits in memory");
  }
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

Tensor arange(const Tensor& stop) {
  return arange(0, stop, 1);
}

Tensor array(const Nested& value, std::optional<DType> dtype) {
  Tensor t = convert_to_tensor(value, dtype);
  if (!value.is_list() && t.shares_storage_with(value.leaf())) {
    Tensor out = Tensor::empty(t.shape(), t.dtype());
    t.copy_to(out.mutable_bytes());
    return out;
  }
  return t;
}

}  // namespace kcore
