#include "primitives/indexing_util.h"

#include <cstring>
#include <limits>
#include <type_traits>

#include "cpu/copy.h"
#include "cpu/dispatch.h"
#include "cpu/parallel.h"

namespace kcore::indexing {

namespace {

Tensor contiguous(const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor out = Tensor::empty(t.shape(), t.dtype());
  cpu::copy_elements(out.mutable_bytes(), out.strides(), t);
  return out;
}

template <class T>
std::int64_t to_int64(T v) {
  if constexpr (std::is_same_v<T, std::uint64_t>) {
    constexpr auto top = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(v > top ? top : v);
  } else {
    return static_cast<std::int64_t>(v);
  }
}

}  // namespace

void require_integer(const Tensor& t, std::string_view op, std::string_view what) {
  if (!is_integer(t.dtype())) {
    throw TypeError(std::string(op) + ": " + std::string(what) +
                    " must have an integer dtype; received " + std::string(name(t.dtype())) +
                    " of shape " + format_shape(t.shape()));
  }
}

std::vector<std::int64_t> read_int64(const Tensor& t) {
  require_integer(t, "read_int64", "the tensor");
  const Tensor c = contiguous(t);
  std::vector<std::int64_t> out(static_cast<std::size_t>(c.size()));
  cpu::dispatch(c.dtype(), [&]<class T>() {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const T* p = c.data<T>();
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = to_int64(p[i]);
    }
  });
  return out;
}

Tensor contiguous_indices(const Tensor& indices) {
  if (indices.dtype() == DType::Int32 || indices.dtype() == DType::Int64)
    return contiguous(indices);
  const std::vector<std::int64_t> v = read_int64(indices);
  Tensor out = Tensor::empty(indices.shape(), DType::Int64);
  std::copy(v.begin(), v.end(), out.mutable_data<std::int64_t>());
  return out;
}

bool can_reuse_buffer(const Tensor& x) {
  // use_count() == 1 is exact here: the caller's reference is the only one, and no weak_ptr to a
  // Storage exists anywhere, so no other thread can obtain one meanwhile.
  const auto& s = x.storage();
  return s != nullptr && x.tracer() == nullptr && s.use_count() == 1 && x.offset() == 0 &&
         x.is_contiguous() &&
         static_cast<std::size_t>(x.size()) * itemsize(x.dtype()) == s->nbytes();
}

Tensor writable_copy(const Tensor& x) {
  if (can_reuse_buffer(x)) return x;
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (x.size() == 0) return out;
  if (!x.is_contiguous()) {
    cpu::copy_elements(out.mutable_bytes(), out.strides(), x);
    return out;
  }
  cpu::copy_bytes(
      out.mutable_bytes(), x.bytes(),
      static_cast<std::int64_t>(static_cast<std::size_t>(x.size()) * itemsize(x.dtype())));
  return out;
}

std::string format_ints(std::span<const std::int64_t> v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

std::int64_t checked_size(std::span<const std::int64_t> shape, std::string_view op,
                          std::string_view what) {
  std::int64_t n = 1;
  bool zero = false;
  for (auto d : shape) {
    if (d < 0) {
      throw ValueError(std::string(op) + ": " + std::string(what) + " " + format_shape(shape) +
                       " has a negative dimension; expected dimensions >= 0");
    }
    if (d == 0) {
      zero = true;
      continue;
    }
    if (n > std::numeric_limits<std::int64_t>::max() / d) {
      throw ValueError(std::string(op) + ": " + std::string(what) + " " + format_shape(shape) +
                       " has too many elements; expected a size that fits in int64");
    }
    n *= d;
  }
  return zero ? 0 : n;
}

}  // namespace kcore::indexing
