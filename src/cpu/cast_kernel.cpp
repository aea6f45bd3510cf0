#include "cpu/cast_kernel.h"

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "cpu/cast_simd_kernels.h"
#include "cpu/convert.h"
#include "cpu/dispatch.h"
#include "cpu/strided_loop.h"

namespace kcore::cpu {
namespace {

// float32 <-> float16/bfloat16, float32 -> int32 and float64 -> int64 runs go through the SIMD
// kernels; returns false for other pairs.
template <class To, class From>
bool convert_simd(std::byte* dst, const std::byte* src, std::size_t n) {
  if constexpr (std::is_same_v<From, float> && std::is_same_v<To, float16>) {
    float_to_float16(reinterpret_cast<const float*>(src), reinterpret_cast<std::uint16_t*>(dst), n);
  } else if constexpr (std::is_same_v<From, float> && std::is_same_v<To, bfloat16>) {
    float_to_bfloat16(reinterpret_cast<const float*>(src), reinterpret_cast<std::uint16_t*>(dst),
                      n);
  } else if constexpr (std::is_same_v<From, float16> && std::is_same_v<To, float>) {
    float16_to_float(reinterpret_cast<const std::uint16_t*>(src), reinterpret_cast<float*>(dst), n);
  } else if constexpr (std::is_same_v<From, bfloat16> && std::is_same_v<To, float>) {
    bfloat16_to_float(reinterpret_cast<const std::uint16_t*>(src), reinterpret_cast<float*>(dst),
                      n);
  } else if constexpr (std::is_same_v<From, float> && std::is_same_v<To, std::int32_t>) {
    float_to_int32(reinterpret_cast<const float*>(src), reinterpret_cast<std::int32_t*>(dst), n);
  } else if constexpr (std::is_same_v<From, double> && std::is_same_v<To, std::int64_t>) {
    double_to_int64(reinterpret_cast<const double*>(src), reinterpret_cast<std::int64_t*>(dst), n);
  } else {
    return false;
  }
  return true;
}

}  // namespace

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
          if (convert_simd<To, From>(p[0], p[1], static_cast<std::size_t>(n))) return;
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
