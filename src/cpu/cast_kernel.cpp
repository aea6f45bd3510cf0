#include "cpu/cast_kernel.h"

#include "cpu/convert.h"
#include "cpu/dispatch.h"
#include "cpu/strided_loop.h"

namespace kcore::cpu {

Tensor cast_kernel(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = Tensor::empty(x.shape(), dtype);
  if (x.size() == 1) {
    dispatch(dtype, [&]<class To>() {
      *reinterpret_cast<To*>(out.mutable_bytes()) = load_converted<To>(x);
    });
    return out;
  }
  StridedLoop<2> loop(x.shape(), {out.mutable_bytes(), const_cast<std::byte*>(x.bytes())},
                      {out.strides(), x.strides()}, {itemsize(dtype), itemsize(x.dtype())});
  dispatch(dtype, [&]<class To>() {
    dispatch(x.dtype(), [&]<class From>() {
      loop.run([](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
        if (s[0] == sizeof(To) && s[1] == sizeof(From)) {
          auto* dst = reinterpret_cast<To*>(p[0]);
          const auto* src = reinterpret_cast<const From*>(p[1]);
          for (std::int64_t i = 0; i < n; ++i) dst[i] = convert_value<To>(src[i]);
        } else {
          for (std::int64_t i = 0; i < n; ++i) {
            *reinterpret_cast<To*>(p[0] + i * s[0]) =
                convert_value<To>(*reinterpret_cast<const From*>(p[1] + i * s[1]));
          }
        }
      });
    });
  });
  return out;
}

}  // namespace kcore::cpu
