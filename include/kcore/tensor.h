#pragma once

#include <complex>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kcore/dtype.h"
#include "kcore/errors.h"
#include "kcore/float_types.h"
#include "kcore/small_vector.h"

namespace kcore {

using Shape = SmallVector<std::int64_t, 6>;
// Strides count elements, not bytes.
using Strides = SmallVector<std::int64_t, 6>;

std::string format_shape(std::span<const std::int64_t> shape);  // "(2, 3)", "(5,)", "()"
std::int64_t shape_size(std::span<const std::int64_t> shape);
Strides contiguous_strides(std::span<const std::int64_t> shape);
// Shape of broadcasting `a` with `b` (NumPy rules); ValueError naming `op` otherwise.
Shape broadcast_shapes(std::span<const std::int64_t> a, std::span<const std::int64_t> b,
                       std::string_view op = "broadcast_shapes");
// `axis` in [-ndim, ndim) made non-negative; ValueError naming `op` otherwise.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, std::string_view op);

// The C++ type that stores one element of each dtype.
template <class T>
struct DTypeOf;
template <>
struct DTypeOf<bool> {
  static constexpr DType value = DType::Bool;
};
template <>
struct DTypeOf<std::int8_t> {
  static constexpr DType value = DType::Int8;
};
template <>
struct DTypeOf<std::int16_t> {
  static constexpr DType value = DType::Int16;
};
template <>
struct DTypeOf<std::int32_t> {
  static constexpr DType value = DType::Int32;
};
template <>
struct DTypeOf<std::int64_t> {
  static constexpr DType value = DType::Int64;
};
template <>
struct DTypeOf<std::uint8_t> {
  static constexpr DType value = DType::UInt8;
};
template <>
struct DTypeOf<std::uint16_t> {
  static constexpr DType value = DType::UInt16;
};
template <>
struct DTypeOf<std::uint32_t> {
  static constexpr DType value = DType::UInt32;
};
template <>
struct DTypeOf<std::uint64_t> {
  static constexpr DType value = DType::UInt64;
};
template <>
struct DTypeOf<bfloat16> {
  static constexpr DType value = DType::BFloat16;
};
template <>
struct DTypeOf<float16> {
  static constexpr DType value = DType::Float16;
};
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::Float32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::Float64;
};
template <>
struct DTypeOf<std::complex<float>> {
  static constexpr DType value = DType::Complex64;
};
template <>
struct DTypeOf<std::complex<double>> {
  static constexpr DType value = DType::Complex128;
};
template <>
struct DTypeOf<float8_e4m3fn> {
  static constexpr DType value = DType::Float8E4M3FN;
};
template <>
struct DTypeOf<float8_e5m2> {
  static constexpr DType value = DType::Float8E5M2;
};

template <class T>
inline constexpr DType dtype_of = DTypeOf<T>::value;

template <class T>
concept Element = requires {
  DTypeOf<T>::value;
};

// Bytes shared by tensors; owned, or borrowed from an outside owner that `release` lets go.
class Storage {
 public:
  explicit Storage(std::size_t nbytes);
  Storage(void* data, std::size_t nbytes, std::function<void()> release);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  std::byte* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  static constexpr std::size_t kInlineBytes = 64;
  std::byte* data_;
  std::size_t nbytes_;
  std::function<void()> release_;
  // Room for kInlineBytes at a 64-byte boundary inside an object that malloc aligns to 16 (an
  // over-aligned Storage would need the slower aligned new).
  alignas(16) std::byte inline_[kInlineBytes + 48];
};

class Tracer;

// An immutable n-d value: a shared buffer seen through shape, strides and offset, with a dtype.
// `weak` marks a value that stands for a bare Python/C++ scalar in type promotion.
// A tensor may be a tracer of a transform (autodiff, batching): its shape and dtype are what the
// traced function sees, and ops on it go to the transform (see primitive.h). A tracer of
// vectorized_map has no values of its own; reading them is ValueError.
class Tensor {
 public:
  // A float32 scalar 0; exists so that tensors can live in containers.
  Tensor();

  // Scalars convert implicitly, as weak types, so that `x + 1` and `i < 10` promote like Keras.
  template <class T>
  requires(std::is_arithmetic_v<T>) Tensor(T value);  // NOLINT(google-explicit-constructor)

  // A fresh contiguous tensor whose bytes the caller fills (kernels and conversions only).
  static Tensor empty(const Shape& shape, DType dtype, bool weak = false);
  // A view of `base`'s buffer.
  static Tensor view(const Tensor& base, Shape shape, Strides strides, std::int64_t offset);
  // A tracer seen as a tensor: `values`' buffer, shape, dtype and weak flag (a tensor without
  // storage for tracers that have no values).
  static Tensor traced(const Tensor& values, std::shared_ptr<const Tracer> tracer);
  static Tensor traced(Shape shape, DType dtype, bool weak, std::shared_ptr<const Tracer> tracer);
  const std::shared_ptr<const Tracer>& tracer() const { return tracer_; }
  // False for a tracer of vectorized_map, whose values exist only for the whole batch.
  bool has_values() const { return storage_ != nullptr; }
  // Wraps an existing storage.
  static Tensor from_storage(std::shared_ptr<Storage> storage, Shape shape, Strides strides,
                             std::int64_t offset, DType dtype);

  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  std::int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  bool weak() const { return weak_; }
  std::int64_t ndim() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t size() const { return shape_size(shape_); }
  std::int64_t dim(std::int64_t axis) const;  // negative axes count from the end
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool shares_storage_with(const Tensor& other) const { return storage_ == other.storage_; }

  // Address of the element at index (0, ..., 0).
  const std::byte* bytes() const;
  template <Element T>
  const T* data() const {
    check_element_type(dtype_of<T>);
    return reinterpret_cast<const T*>(bytes());
  }
  // Writable access to a tensor made by `empty`, before anyone else sees it.
  std::byte* mutable_bytes();
  template <Element T>
  T* mutable_data() {
    check_element_type(dtype_of<T>);
    return reinterpret_cast<T*>(mutable_bytes());
  }

  // The element at a multi-index (checked); T must be the element type of the dtype.
  template <Element T>
  T at(std::span<const std::int64_t> index) const {
    check_element_type(dtype_of<T>);
    return *reinterpret_cast<const T*>(bytes() + element_offset(index) * itemsize(dtype_));
  }
  template <Element T>
  T at(std::initializer_list<std::int64_t> index) const {
    return at<T>(std::span<const std::int64_t>(index.begin(), index.size()));
  }
  // The single element of a one-element tensor.
  template <Element T>
  T item() const {
    check_element_type(dtype_of<T>);
    if (size() != 1) {
      throw ValueError("item: expected a tensor with one element, received shape " +
                       format_shape(shape_));
    }
    std::int64_t off = 0;
    return *reinterpret_cast<const T*>(bytes() + off);
  }
  // All elements in row-major order.
  template <Element T>
  std::vector<T> to_vector() const {
    check_element_type(dtype_of<T>);
    if constexpr (std::is_same_v<T, bool>) {
      // std::vector<bool> is packed: copy through bytes.
      std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size()));
      copy_to(bytes.data());
      return std::vector<bool>(bytes.begin(), bytes.end());
    } else {
      std::vector<T> out(static_cast<std::size_t>(size()));
      copy_to(out.data());
      return out;
    }
  }
  // Copies all elements, row-major, into `dst` (size() * itemsize bytes).
  void copy_to(void* dst) const;

  // NumPy-like text: array([[1, 2], [3, 4]], dtype=int32).
  std::string repr() const;

  Tensor with_weak(bool weak) const;

 private:
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, std::int64_t offset,
         DType dtype, bool weak);
  // A view of base's storage, copied into place rather than passed in: a freshly made handle
  // would be read back with wider loads than it was written with (docs/design.md, "Shapes").
  Tensor(const Tensor& base, Shape shape, Strides strides, std::int64_t offset);
  template <class T>
  static Tensor scalar(T value, DType dtype, bool weak);
  template <class T>
  static Tensor scalar_of(T value);
  void check_element_type(DType requested) const;
  std::int64_t element_offset(std::span<const std::int64_t> index) const;

  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Strides strides_;
  std::int64_t offset_ = 0;
  DType dtype_ = DType::Float32;
  bool weak_ = false;
  std::shared_ptr<const Tracer> tracer_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// A bare scalar, as Python's would be: bool -> bool (strong); integers -> weak int32 (int64, then
// uint64, when the value does not fit); floating -> weak, held as float64 so that no precision is
// lost before promotion picks the result dtype (a weak float alone resolves to float32).
template <class T>
requires(std::is_arithmetic_v<T>) Tensor::Tensor(T value) : Tensor(scalar_of(value)) {}

template <class T>
Tensor Tensor::scalar_of(T value) {
  if constexpr (std::is_same_v<T, bool>) {
    return scalar(value, DType::Bool, false);
  } else if constexpr (std::is_floating_point_v<T>) {
    return scalar(static_cast<double>(value), DType::Float64, true);
  } else if constexpr (std::is_signed_v<T>) {
    const auto v = static_cast<std::int64_t>(value);
    if (v >= INT32_MIN && v <= INT32_MAX)
      return scalar(static_cast<std::int32_t>(v), DType::Int32, true);
    return scalar(v, DType::Int64, true);
  } else {
    const auto v = static_cast<std::uint64_t>(value);
    if (v <= static_cast<std::uint64_t>(INT32_MAX)) {
      return scalar(static_cast<std::int32_t>(v), DType::Int32, true);
    }
    if (v <= static_cast<std::uint64_t>(INT64_MAX)) {
      return scalar(static_cast<std::int64_t>(v), DType::Int64, true);
    }
    return scalar(v, DType::UInt64, true);
  }
}

template <class T>
Tensor Tensor::scalar(T value, DType dtype, bool weak) {
  Tensor t = empty({}, dtype);
  *reinterpret_cast<T*>(t.mutable_bytes()) = value;
  t.weak_ = weak;
  return t;
}

}  // namespace kcore
