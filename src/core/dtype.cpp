#include "kcore/dtype.h"

#include <array>
#include <bit>
#include <string>
#include <vector>

#include "kcore/errors.h"

namespace kcore {
namespace {

struct DTypeInfo {
  std::string_view name;
  std::size_t itemsize;
};

constexpr std::array<DTypeInfo, kNumDTypes> kInfo = {{
    {"bool", 1},
    {"int8", 1},
    {"int16", 2},
    {"int32", 4},
    {"int64", 8},
    {"uint8", 1},
    {"uint16", 2},
    {"uint32", 4},
    {"uint64", 8},
    {"bfloat16", 2},
    {"float16", 2},
    {"float32", 4},
    {"float64", 8},
    {"complex64", 8},
    {"complex128", 16},
    {"float8_e4m3fn", 1},
    {"float8_e5m2", 1},
}};

// Nodes of Keras' promotion lattice: the dtypes (float8 excluded) plus the two weak types.
constexpr int kWeakInt = kNumDTypes;
constexpr int kWeakFloat = kNumDTypes + 1;
constexpr int kNumNodes = kNumDTypes + 2;
using NodeSet = std::uint32_t;

constexpr int node(DType d) {
  return static_cast<int>(d);
}

// Immediate supertypes, from keras/src/backend/common/dtypes.py.
std::vector<int> supertypes(int n) {
  switch (n) {
    case node(DType::Bool):
      return {kWeakInt};
    case node(DType::UInt8):
      return {node(DType::Int16), node(DType::UInt16)};
    case node(DType::UInt16):
      return {node(DType::Int32), node(DType::UInt32)};
    case node(DType::UInt32):
      return {node(DType::Int64), node(DType::UInt64)};
    case node(DType::UInt64):
      return {kWeakFloat};
    case kWeakInt:
      return {node(DType::UInt8), node(DType::Int8), node(DType::Complex64)};
    case node(DType::Int8):
      return {node(DType::Int16)};
    case node(DType::Int16):
      return {node(DType::Int32)};
    case node(DType::Int32):
      return {node(DType::Int64)};
    case node(DType::Int64):
      return {kWeakFloat};
    case kWeakFloat:
      return {node(DType::BFloat16), node(DType::Float16)};
    case node(DType::BFloat16):
    case node(DType::Float16):
      return {node(DType::Float32)};
    case node(DType::Float32):
      return {node(DType::Float64), node(DType::Complex64)};
    case node(DType::Float64):
    case node(DType::Complex64):
      return {node(DType::Complex128)};
    default:
      return {};
  }
}

// upper_bounds[n]: n and everything above it in the lattice.
std::array<NodeSet, kNumNodes> compute_upper_bounds() {
  std::array<NodeSet, kNumNodes> ub{};
  for (int n = 0; n < kNumNodes; ++n) {
    NodeSet seen = 0;
    std::vector<int> stack = {n};
    while (!stack.empty()) {
      const int cur = stack.back();
      stack.pop_back();
      if (seen & (1U << cur)) continue;
      seen |= 1U << cur;
      for (int s : supertypes(cur)) stack.push_back(s);
    }
    ub[n] = seen;
  }
  return ub;
}

const std::array<NodeSet, kNumNodes>& upper_bounds() {
  static const auto ub = compute_upper_bounds();
  return ub;
}

std::string describe(std::span<const DTypeArg> args) {
  std::string s = "(";
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i) s += ", ";
    s += name(args[i].dtype);
    if (args[i].weak) s += " (weak)";
  }
  return s + ")";
}

// The join of two lattice nodes, -1 where none exists. The lattice's join is associative, so the
// join of many nodes is a fold of this table.
using JoinTable = std::array<std::array<int, kNumNodes>, kNumNodes>;

JoinTable compute_joins() {
  JoinTable t{};
  for (int a = 0; a < kNumNodes; ++a) {
    for (int b = 0; b < kNumNodes; ++b) {
      const NodeSet common = upper_bounds()[a] & upper_bounds()[b];
      t[a][b] = -1;
      for (int n = 0; n < kNumNodes; ++n) {
        if ((common & (1U << n)) && upper_bounds()[n] == common) t[a][b] = n;
      }
    }
  }
  return t;
}

const JoinTable& joins() {
  static const JoinTable t = compute_joins();
  return t;
}

}  // namespace

std::string_view name(DType dtype) {
  return kInfo[static_cast<int>(dtype)].name;
}

DType dtype_from_name(std::string_view n) {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (kInfo[i].name == n) return static_cast<DType>(i);
  }
  throw ValueError("Invalid dtype: " + std::string(n) +
                   "; expected one of bool, int8, int16, int32, int64, uint8, uint16, uint32, "
                   "uint64, bfloat16, float16, float32, float64, complex64, complex128, "
                   "float8_e4m3fn, float8_e5m2");
}

std::size_t itemsize(DType dtype) {
  return kInfo[static_cast<int>(dtype)].itemsize;
}

bool is_bool(DType d) {
  return d == DType::Bool;
}
bool is_signed_integer(DType d) {
  return d >= DType::Int8 && d <= DType::Int64;
}
bool is_unsigned_integer(DType d) {
  return d >= DType::UInt8 && d <= DType::UInt64;
}
bool is_integer(DType d) {
  return is_signed_integer(d) || is_unsigned_integer(d);
}
bool is_float8(DType d) {
  return d == DType::Float8E4M3FN || d == DType::Float8E5M2;
}
bool is_inexact(DType d) {
  return d >= DType::BFloat16 && d <= DType::Float64;
}
bool is_floating(DType d) {
  return is_inexact(d) || is_float8(d);
}
bool is_complex(DType d) {
  return d == DType::Complex64 || d == DType::Complex128;
}

namespace {

Promoted promote_by_lattice(std::span<const DTypeArg> args, std::string_view op) {
  if (args.empty()) return {DType::Float32, false};
  for (const auto& a : args) {
    if (is_float8(a.dtype)) {
      throw ValueError(std::string(op) +
                       ": there is no implicit conversion from float8 dtypes to others; "
                       "received dtypes " +
                       describe(args) + ", expected an explicit cast first");
    }
  }
  auto weak = [](const DTypeArg& a) { return a.weak && !is_bool(a.dtype) && !is_complex(a.dtype); };
  // A weak float stands for a Python float, whose own dtype is float32 (it may be held wider).
  auto own_dtype = [&](const DTypeArg& a) {
    return weak(a) && is_inexact(a.dtype) ? DType::Float32 : a.dtype;
  };
  if (args.size() == 1) return {own_dtype(args[0]), weak(args[0])};

  bool all_weak = true;
  bool all_equal = true;
  for (const auto& a : args) {
    all_weak = all_weak && weak(a);
    all_equal = all_equal && a.dtype == args[0].dtype;
  }
  if (all_equal && !all_weak) return {args[0].dtype, false};

  int lub = -2;
  for (const auto& a : args) {
    const int n =
        !all_weak && weak(a) ? (is_inexact(a.dtype) ? kWeakFloat : kWeakInt) : node(own_dtype(a));
    lub = lub == -2 ? n : joins()[static_cast<std::size_t>(lub)][static_cast<std::size_t>(n)];
    if (lub < 0) {
      throw ValueError(std::string(op) + ": input dtypes " + describe(args) +
                       " have no available implicit dtype promotion path");
    }
  }
  // Only a mix of strong and weak arguments can meet at a weak node; the result is then strong
  // (docs/semantics.md), where Keras would mark it weak.
  if (lub == kWeakInt) return {DType::Int32, false};
  if (lub == kWeakFloat) return {DType::Float32, false};
  return {static_cast<DType>(lub), all_weak};
}

// Every pair of arguments promoted once: most ops have two operands, and the lattice walk costs
// more than the op itself on small tensors.
class PairTable {
 public:
  PairTable() {
    for (int a = 0; a < kNumDTypes; ++a) {
      for (int wa = 0; wa < 2; ++wa) {
        for (int b = 0; b < kNumDTypes; ++b) {
          for (int wb = 0; wb < 2; ++wb) {
            const std::array<DTypeArg, 2> args = {DTypeArg{static_cast<DType>(a), wa == 1},
                                                  DTypeArg{static_cast<DType>(b), wb == 1}};
            Entry& e = entries_[index(args[0], args[1])];
            try {
              e.result = promote_by_lattice(args, "");
              e.valid = true;
            } catch (const ValueError&) {
              e.valid = false;
            }
          }
        }
      }
    }
  }
  // Nullptr when the pair does not promote.
  const Promoted* find(const DTypeArg& a, const DTypeArg& b) const {
    const Entry& e = entries_[index(a, b)];
    return e.valid ? &e.result : nullptr;
  }

 private:
  struct Entry {
    Promoted result{DType::Float32, false};
    bool valid = false;
  };
  static std::size_t index(const DTypeArg& a, const DTypeArg& b) {
    return ((static_cast<std::size_t>(a.dtype) * 2 + (a.weak ? 1 : 0)) * kNumDTypes +
            static_cast<std::size_t>(b.dtype)) *
               2 +
           (b.weak ? 1 : 0);
  }
  std::array<Entry, kNumDTypes * 2 * kNumDTypes * 2> entries_;
};

}  // namespace

Promoted promote(std::span<const DTypeArg> args, std::string_view op) {
  if (args.size() == 2) {
    static const PairTable pairs;
    if (const Promoted* p = pairs.find(args[0], args[1])) return *p;
  }
  return promote_by_lattice(args, op);
}

DType result_type(std::initializer_list<DTypeArg> args) {
  return promote(std::span<const DTypeArg>(args.begin(), args.size())).dtype;
}

}  // namespace kcore
