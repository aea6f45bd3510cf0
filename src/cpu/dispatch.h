#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kcore/dtype.h"
#include "kcore/float_types.h"

namespace kcore::cpu {

// An element type of 16 bytes (complex128), for kernels that only move elements.
struct Bytes16 {
  std::uint64_t a, b;
};

// Calls f.template operator()<W>() with W an unsigned integer type of `n` bytes (1, 2, 4 or 8)
// or Bytes16 (anything else): for kernels that only move elements.
template <class F>
decltype(auto) dispatch_bytes(std::size_t n, F&& f) {
  switch (n) {
    case 1:
      return f.template operator()<std::uint8_t>();
    case 2:
      return f.template operator()<std::uint16_t>();
    case 4:
      return f.template operator()<std::uint32_t>();
    case 8:
      return f.template operator()<std::uint64_t>();
    default:
      return f.template operator()<Bytes16>();
  }
}

// Calls f.template operator()<T>() with T the element type of `dtype`.
template <class F>
decltype(auto) dispatch(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Bool:
      return f.template operator()<bool>();
    case DType::Int8:
      return f.template operator()<std::int8_t>();
    case DType::Int16:
      return f.template operator()<std::int16_t>();
    case DType::Int32:
      return f.template operator()<std::int32_t>();
    case DType::Int64:
      return f.template operator()<std::int64_t>();
    case DType::UInt8:
      return f.template operator()<std::uint8_t>();
    case DType::UInt16:
      return f.template operator()<std::uint16_t>();
    case DType::UInt32:
      return f.template operator()<std::uint32_t>();
    case DType::UInt64:
      return f.template operator()<std::uint64_t>();
    case DType::BFloat16:
      return f.template operator()<bfloat16>();
    case DType::Float16:
      return f.template operator()<float16>();
    case DType::Float32:
      return f.template operator()<float>();
    case DType::Float64:
      return f.template operator()<double>();
    case DType::Complex64:
      return f.template operator()<std::complex<float>>();
    case DType::Complex128:
      return f.template operator()<std::complex<double>>();
    case DType::Float8E4M3FN:
      return f.template operator()<float8_e4m3fn>();
    case DType::Float8E5M2:
      return f.template operator()<float8_e5m2>();
  }
  return f.template operator()<float>();
}

template <class T>
inline constexpr bool is_narrow_float_v =
    std::is_same_v<T, bfloat16> || std::is_same_v<T, float16> || std::is_same_v<T, float8_e4m3fn> ||
    std::is_same_v<T, float8_e5m2>;

template <class T>
inline constexpr bool is_complex_v =
    std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>;

// The type arithmetic on T is carried out in: narrow floats compute in float and round once.
template <class T>
using compute_t = std::conditional_t<is_narrow_float_v<T>, float, T>;

template <class T>
inline compute_t<T> to_compute(T v) {
  if constexpr (is_narrow_float_v<T>) {
    return static_cast<float>(v);
  } else {
    return v;
  }
}

template <class T>
inline T from_compute(compute_t<T> v) {
  if constexpr (is_narrow_float_v<T>) {
    return T(v);
  } else {
    return v;
  }
}

}  // namespace kcore::cpu
