#include <cstring>
#include <memory>
#include <string>

#include "cpu/cast_kernel.h"
#include "kcore/core_ops.h"
#include "kcore/primitive.h"
#include "primitives/cast.h"
#include "primitives/layout.h"

namespace kcore {
namespace {

// The shape of a nested list, and its leaves in row-major order; ValueError when ragged.
struct Flattened {
  Shape shape;
  std::vector<const Tensor*> leaves;
};

Shape nested_shape(const Nested& n, std::vector<const Tensor*>& leaves) {
  if (!n.is_list()) {
    leaves.push_back(&n.leaf());
    return n.leaf().shape();
  }
  const auto& items = n.list();
  Shape shape = {static_cast<std::int64_t>(items.size())};
  if (items.empty()) return shape;
  const Shape first = nested_shape(items[0], leaves);
  for (std::size_t i = 1; i < items.size(); ++i) {
    const Shape s = nested_shape(items[i], leaves);
    if (s != first) {
      throw ValueError("convert_to_tensor: received a ragged nested list: element " +
                       std::to_string(i) + " has shape " + format_shape(s) +
                       ", element 0 has shape " + format_shape(first) +
                       "; expected every element of a list to have the same shape");
    }
  }
  shape.insert(shape.end(), first.begin(), first.end());
  return shape;
}

}  // namespace

Tensor convert_to_tensor(const Nested& value, std::optional<DType> dtype) {
  if (!value.is_list()) {
    const Tensor& t = value.leaf();
    if (dtype) return cast(t, *dtype);
    if (t.weak()) return cpu::cast_kernel(t, promote({{t.dtype(), true}}).dtype).with_weak(false);
    return t;
  }
  std::vector<const Tensor*> leaves;
  const Shape shape = nested_shape(value, leaves);
  DType out_dtype = DType::Float32;
  if (dtype) {
    out_dtype = *dtype;
  } else if (!leaves.empty()) {
    std::vector<DTypeArg> args;
    args.reserve(leaves.size());
    for (const Tensor* t : leaves) {
      // An int that needs 64 bits keeps them whatever it is listed with (as a weak int beside
      // a bool it would resolve to int32 and wrap).
      const bool wide = t->dtype() == DType::Int64 || t->dtype() == DType::UInt64;
      args.push_back({t->dtype(), t->weak() && !wide});
    }
    out_dtype = promote(args, "convert_to_tensor").dtype;
  }
  Tensor out = Tensor::empty(shape, out_dtype);
  std::byte* dst = out.mutable_bytes();
  const std::size_t isz = itemsize(out_dtype);
  for (const Tensor* t : leaves) {
    const Tensor c = cpu::cast_kernel(*t, out_dtype);
    c.copy_to(dst);
    dst += static_cast<std::size_t>(c.size()) * isz;
  }
  return out;
}

Tensor convert_to_tensor(const void* data, const Shape& shape, DType dtype) {
  checked_size(shape, "convert_to_tensor");
  Tensor out = Tensor::empty(shape, dtype);
  const std::size_t n = static_cast<std::size_t>(out.size()) * itemsize(dtype);
  if (n > 0) {
    if (data == nullptr) {
      throw ValueError("convert_to_tensor: received a null buffer for shape " +
                       format_shape(shape) + "; expected " + std::to_string(n) + " bytes");
    }
    std::memcpy(out.mutable_bytes(), data, n);
  }
  if (dtype == DType::Bool) {
    // Any nonzero byte is true; store canonical 0/1.
    auto* b = reinterpret_cast<std::uint8_t*>(out.mutable_bytes());
    for (std::size_t i = 0; i < n; ++i) b[i] = b[i] != 0;
  }
  return out;
}

MaybeSparse convert_to_tensor(const SparseTensor& value, std::optional<DType> dtype,
                              std::optional<bool> sparse) {
  const SparseTensor converted = dtype ? cast(value, *dtype) : value;
  if (sparse.has_value() && !*sparse) return converted.to_dense();
  return converted;
}

bool is_tensor(const Tensor& /*x*/) {
  return true;
}
bool is_tensor(const SparseTensor& /*x*/) {
  return true;
}

Shape shape(const Tensor& x) {
  return x.shape();
}
Shape shape(const SparseTensor& x) {
  return x.shape();
}

Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype && !x.weak()) return x;
  return bind1(std::make_shared<Cast>(dtype), {x});
}

SparseTensor cast(const SparseTensor& x, DType dtype) {
  return SparseTensor(x.indices(), cast(x.values(), dtype), x.shape());
}

}  // namespace kcore
