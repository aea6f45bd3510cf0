#include "kcore/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <ostream>
#include <string>
#include <utility>

#include "core/buffer_pool.h"
#include "cpu/copy.h"

namespace kcore {

std::string format_shape(std::span<const std::int64_t> shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::int64_t shape_size(std::span<const std::int64_t> shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

Strides contiguous_strides(std::span<const std::int64_t> shape) {
  Strides s(shape.size());
  std::int64_t acc = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    // Only a zero-size shape can overflow here (its zero dimension is counted as 1); its
    // strides address no element, so the outer ones are left at 0.
    if (__builtin_mul_overflow(acc, std::max<std::int64_t>(shape[i], 1), &acc)) acc = 0;
  }
  return s;
}

Shape broadcast_shapes(std::span<const std::int64_t> a, std::span<const std::int64_t> b,
                       std::string_view op) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ValueError(std::string(op) + ": shapes " + format_shape(a) + " and " + format_shape(b) +
                       " cannot be broadcast together; expected equal " +
                       "dimensions or 1 in each position");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, std::string_view op) {
  if (axis < -ndim || axis >= ndim) {
    throw ValueError(std::string(op) + ": axis " + std::to_string(axis) +
                     " is out of range; expected an axis in [" + std::to_string(-ndim) + ", " +
                     std::to_string(ndim) + ") for a tensor of rank " + std::to_string(ndim));
  }
  return axis < 0 ? axis + ndim : axis;
}

namespace {
constexpr std::size_t kAlignment = 64;
}  // namespace

Storage::Storage(std::size_t nbytes) : nbytes_(nbytes) {
  if (nbytes <= kInlineBytes) {
    const auto address = reinterpret_cast<std::uintptr_t>(inline_);
    data_ = inline_ + ((kAlignment - address % kAlignment) % kAlignment);
    return;
  }
  data_ = detail::allocate_buffer(nbytes);
}

Storage::Storage(void* data, std::size_t nbytes, std::function<void()> release)
    : data_(static_cast<std::byte*>(data)), nbytes_(nbytes), release_(std::move(release)) {}

Storage::~Storage() {
  if (release_) {
    release_();
  } else if (data_ < inline_ || data_ >= inline_ + sizeof(inline_)) {
    detail::free_buffer(data_, nbytes_);
  }
}

Tensor::Tensor() : Tensor(empty({}, DType::Float32)) {
  std::memset(mutable_bytes(), 0, sizeof(float));
}

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, std::int64_t offset,
               DType dtype, bool weak)
    : storage_(std::move(storage)),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset),
      dtype_(dtype),
      weak_(weak) {}

Tensor Tensor::empty(const Shape& shape, DType dtype, bool weak) {
  std::int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) {
      throw ValueError("empty: received shape " + format_shape(shape) +
                       ", expected non-negative dimensions");
    }
    if (__builtin_mul_overflow(n, d, &n)) {
      throw ValueError("empty: shape " + format_shape(shape) + " has too many elements");
    }
  }
  std::int64_t bytes = 0;
  if (__builtin_mul_overflow(n, static_cast<std::int64_t>(itemsize(dtype)), &bytes)) {
    throw ValueError("empty: shape " + format_shape(shape) + " of " + std::string(name(dtype)) +
                     " needs more than 2**63 bytes");
  }
  return Tensor(std::make_shared<Storage>(static_cast<std::size_t>(bytes)), shape,
                contiguous_strides(shape), 0, dtype, weak);
}

Tensor::Tensor(const Tensor& base, Shape shape, Strides strides, std::int64_t offset)
    : storage_(base.storage_),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      offset_(offset),
      dtype_(base.dtype_),
      weak_(base.weak_) {}

Tensor Tensor::view(const Tensor& base, Shape shape, Strides strides, std::int64_t offset) {
  return Tensor(base, std::move(shape), std::move(strides), offset);
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, Shape shape, Strides strides,
                            std::int64_t offset, DType dtype) {
  return Tensor(std::move(storage), std::move(shape), std::move(strides), offset, dtype, false);
}

Tensor Tensor::with_weak(bool weak) const {
  Tensor t = *this;
  t.weak_ = weak;
  return t;
}

std::int64_t Tensor::dim(std::int64_t axis) const {
  const std::int64_t nd = ndim();
  if (axis < -nd || axis >= nd) {
    throw IndexError("dim: axis " + std::to_string(axis) +
                     " is out of range for a tensor of rank " + std::to_string(nd));
  }
  return shape_[static_cast<std::size_t>(axis < 0 ? axis + nd : axis)];
}

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (std::size_t i = shape_.size(); i-- > 0;) {
    if (shape_[i] == 1) continue;
    if (shape_[i] == 0) return true;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

const std::byte* Tensor::bytes() const {
  if (!storage_) {
    throw ValueError(
        "Tensor: this tensor is traced by vectorized_map and has no values inside "
        "the mapped function; expected an operation on it, not a read of its values");
  }
  return storage_->data() + offset_ * static_cast<std::int64_t>(itemsize(dtype_));
}

std::byte* Tensor::mutable_bytes() {
  if (!storage_) {
    throw ValueError("Tensor: this tensor is traced by vectorized_map and has no values");
  }
  return storage_->data() + offset_ * static_cast<std::int64_t>(itemsize(dtype_));
}

void Tensor::check_element_type(DType requested) const {
  if (requested != dtype_) {
    throw TypeError("Tensor: element access as " + std::string(name(requested)) +
                    " on a tensor of dtype " + std::string(name(dtype_)) +
                    "; expected the matching element type");
  }
}

std::int64_t Tensor::element_offset(std::span<const std::int64_t> index) const {
  if (static_cast<std::int64_t>(index.size()) != ndim()) {
    throw IndexError("at: received " + std::to_string(index.size()) +
                     " indices for a tensor of shape " + format_shape(shape_) + ", expected " +
                     std::to_string(ndim()));
  }
  std::int64_t off = 0;
  for (std::size_t d = 0; d < index.size(); ++d) {
    const std::int64_t i = index[d] < 0 ? index[d] + shape_[d] : index[d];
    if (i < 0 || i >= shape_[d]) {
      throw IndexError("at: index " + std::to_string(index[d]) + " is out of range for axis " +
                       std::to_string(d) + " with size " + std::to_string(shape_[d]));
    }
    off += i * strides_[d];
  }
  return off;
}

void Tensor::copy_to(void* dst) const {
  if (size() == 0) return;  // dst may be null then (an empty vector's data())
  if (is_contiguous()) {
    cpu::copy_bytes(static_cast<std::byte*>(dst), bytes(),
                    static_cast<std::int64_t>(static_cast<std::size_t>(size()) * itemsize(dtype_)));
    return;
  }
  cpu::copy_elements(static_cast<std::byte*>(dst), contiguous_strides(shape_), *this);
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  return os << t.repr();
}

}  // namespace kcore
