#pragma once

#include <cstddef>
#include <optional>
#include <variant>

#include "kcore/nested.h"
#include "kcore/sparse.h"
#include "kcore/tensor.h"

namespace kcore {

// The seed's conversion and inspection ops (SEMANTICS §2).

// A tensor of `value`, with `dtype` or the default of SEMANTICS §1 (bool -> bool, int -> int32,
// float -> float32, mixed lists -> the promotion of their elements, [] -> float32 (0,)).
// A tensor already of that dtype is returned as is; a ragged list is ValueError.
Tensor convert_to_tensor(const Nested& value, std::optional<DType> dtype = std::nullopt);
// A copy of a host buffer of `shape`, row-major, with the element type of `dtype`.
Tensor convert_to_tensor(const void* data, const Shape& shape, DType dtype);
// A copy of typed data; the dtype is T's (like a NumPy array's), unless `dtype` is given.
template <Element T>
Tensor convert_to_tensor(const std::vector<T>& data, std::optional<DType> dtype = std::nullopt);

// SparseTensor: kept sparse when `sparse` is unset or true, densified when false.
using MaybeSparse = std::variant<Tensor, SparseTensor>;
MaybeSparse convert_to_tensor(const SparseTensor& value, std::optional<DType> dtype,
                              std::optional<bool> sparse);

bool is_tensor(const Tensor&);
bool is_tensor(const SparseTensor&);
template <class T>
bool is_tensor(const T&) {
  return false;
}

Shape shape(const Tensor& x);
Shape shape(const SparseTensor& x);

// Same shape, new dtype, with the value rules of SEMANTICS §2; the same dtype returns x itself.
Tensor cast(const Tensor& x, DType dtype);
SparseTensor cast(const SparseTensor& x, DType dtype);

template <Element T>
Tensor convert_to_tensor(const std::vector<T>& data, std::optional<DType> dtype) {
  Tensor t;
  if constexpr (std::is_same_v<T, bool>) {
    // std::vector<bool> is packed: copy through bytes.
    std::vector<std::uint8_t> bytes(data.begin(), data.end());
    t = convert_to_tensor(bytes.data(), {static_cast<std::int64_t>(data.size())}, DType::Bool);
  } else {
    t = convert_to_tensor(data.data(), {static_cast<std::int64_t>(data.size())}, dtype_of<T>);
  }
  return dtype ? cast(t, *dtype) : t;
}

}  // namespace kcore
