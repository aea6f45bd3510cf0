#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace kcore {

// Every dtype of SEMANTICS §1. The order is fixed: tables indexed by DType rely on it.
enum class DType : std::uint8_t {
  Bool,
  Int8,
  Int16,
  Int32,
  Int64,
  UInt8,
  UInt16,
  UInt32,
  UInt64,
  BFloat16,
  Float16,
  Float32,
  Float64,
  Complex64,
  Complex128,
  Float8E4M3FN,
  Float8E5M2,
};

inline constexpr int kNumDTypes = 17;

inline constexpr DType kAllDTypes[kNumDTypes] = {
    DType::Bool,         DType::Int8,      DType::Int16,   DType::Int32,     DType::Int64,
    DType::UInt8,        DType::UInt16,    DType::UInt32,  DType::UInt64,    DType::BFloat16,
    DType::Float16,      DType::Float32,   DType::Float64, DType::Complex64, DType::Complex128,
    DType::Float8E4M3FN, DType::Float8E5M2};

// The Keras name ("float32", "bool", ...).
std::string_view name(DType dtype);
// Parses an exact Keras name; anything else is ValueError("Invalid dtype: ...").
DType dtype_from_name(std::string_view name);

std::size_t itemsize(DType dtype);

bool is_bool(DType dtype);
bool is_integer(DType dtype);  // signed or unsigned, not bool
bool is_signed_integer(DType dtype);
bool is_unsigned_integer(DType dtype);
bool is_floating(DType dtype);  // bfloat16, float16, float32, float64, float8 types
bool is_float8(DType dtype);
bool is_complex(DType dtype);
// Floating types that arithmetic is defined on (float8 excluded).
bool is_inexact(DType dtype);

// One argument of result_type: a dtype, weak when it stands for a Python scalar (Keras' `int`
// and `float` types; a Python bool is never weak).
struct DTypeArg {
  DType dtype;
  bool weak = false;
};

struct Promoted {
  DType dtype;
  bool weak;  // true when every argument was weak (the result stands for a Python scalar)
};

// Keras' type promotion lattice with 64-bit kept (SEMANTICS §1). float8 anywhere raises
// ValueError; `op` names the caller in error messages.
Promoted promote(std::span<const DTypeArg> args, std::string_view op = "result_type");
inline Promoted promote(std::initializer_list<DTypeArg> args, std::string_view op = "result_type") {
  return promote(std::span<const DTypeArg>(args.begin(), args.size()), op);
}
DType result_type(std::initializer_list<DTypeArg> args);

}  // namespace kcore
