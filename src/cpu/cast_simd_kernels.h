#pragma once

#include <cstddef>
#include <cstdint>

namespace kcore::cpu {

// float32 <-> float16 and bfloat16 over contiguous arrays, as bit patterns, SIMD with run-time
// ISA dispatch (Highway). Each gives exactly what the scalar conversions of kcore/float_types.h
// give: round to nearest even, overflow to inf, NaN to the quiet NaN of its sign.
void float_to_float16(const float* in, std::uint16_t* out, std::size_t n);
void float16_to_float(const std::uint16_t* in, float* out, std::size_t n);
void float_to_bfloat16(const float* in, std::uint16_t* out, std::size_t n);
void bfloat16_to_float(const std::uint16_t* in, float* out, std::size_t n);

// float32 -> int32 and float64 -> int64 over contiguous arrays, SIMD: exactly float_to_int of
// cpu/convert.h (truncation toward zero, saturation at the integer range, NaN -> 0).
void float_to_int32(const float* in, std::int32_t* out, std::size_t n);
void double_to_int64(const double* in, std::int64_t* out, std::size_t n);

}  // namespace kcore::cpu
