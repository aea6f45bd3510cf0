#pragma once

// What a Python kcore.Tensor instance holds, and the type caster that lets every binding take and
// return plain kcore::Tensor values.
//
// Beside the tensor, the instance keeps its shape as a Python tuple once `.shape` has been read:
// a tensor never changes shape, and shape arithmetic reads it over and over (three times in
// `slice(x, [x.shape[0] // 4, 0], [x.shape[0] // 2, x.shape[1]])`). A cached read is a reference
// count increment instead of a tuple and an int object per dimension.
#include <nanobind/nanobind.h>

#include <new>
#include <utility>

#include "kcore/tensor.h"

namespace kcore::python {

namespace nb = nanobind;

class TensorObject {
 public:
  explicit TensorObject(Tensor&& t) : tensor_(std::move(t)) {}
  // The tensor make() returns, made in place.
  template <class Make>
  TensorObject(std::in_place_t /*tag*/, Make&& make) : tensor_(std::forward<Make>(make)()) {}
  TensorObject(const TensorObject& other) : tensor_(other.tensor_) {}
  TensorObject(TensorObject&& other) noexcept
      : tensor_(std::move(other.tensor_)), shape_(std::exchange(other.shape_, nullptr)) {}
  TensorObject& operator=(const TensorObject&) = delete;
  TensorObject& operator=(TensorObject&&) = delete;
  ~TensorObject() { Py_XDECREF(shape_); }

  Tensor& tensor() { return tensor_; }
  // The shape tuple, made on the first call; a new reference, or nullptr with a Python error set.
  PyObject* shape_tuple();

 private:
  Tensor tensor_;
  PyObject* shape_ = nullptr;
};

// The Python type kcore.Tensor (bound once, in bind_tensor).
PyTypeObject* tensor_type();

// Whether x is a kcore.Tensor (or a subclass); the type is looked up once.
inline bool is_tensor_object(nb::handle x) {
  return PyObject_TypeCheck(x.ptr(), tensor_type()) != 0;
}

// The tensor inside a kcore.Tensor instance; x must be one (is_tensor_object).
inline Tensor& tensor_of(nb::handle x) {
  return nb::inst_ptr<TensorObject>(x)->tensor();
}

// A new Python Tensor owning t (moved in): a new reference, or nullptr with a Python error set.
PyObject* new_tensor_object(Tensor&& t) noexcept;

// The same as an object; throws nb::python_error on failure.
inline nb::object wrap(Tensor&& t) {
  PyObject* obj = new_tensor_object(std::move(t));
  if (obj == nullptr) throw nb::python_error();
  return nb::steal(obj);
}

// A new Python Tensor holding make()'s result, made inside the instance rather than moved there:
// for the calls whose whole cost is the handle (slice), a move of a just-made handle is a
// store-forwarding stall (docs/design.md, "Shapes").
template <class Make>
nb::object wrap_in_place(Make&& make) {
  nb::object obj = nb::inst_alloc(reinterpret_cast<PyObject*>(tensor_type()));
  if (!obj.is_valid()) throw nb::python_error();
  new (nb::inst_ptr<TensorObject>(obj)) TensorObject(std::in_place, std::forward<Make>(make));
  nb::inst_mark_ready(obj);
  return obj;
}

}  // namespace kcore::python

namespace nanobind::detail {

// kcore::Tensor arguments are the tensor inside a kcore.Tensor instance (no copy for a reference
// or pointer parameter); Tensor results become new instances.
template <>
struct type_caster<kcore::Tensor> {
  using Value = kcore::Tensor;
  static constexpr auto Name = const_name("kcore.Tensor");
  template <typename T>
  using Cast = precise_cast_t<T>;

  bool from_python(handle src, uint32_t /*flags*/, cleanup_list* /*cleanup*/) noexcept {
    if (!kcore::python::is_tensor_object(src)) return false;
    value = &kcore::python::tensor_of(src);
    return true;
  }

  static handle from_cpp(kcore::Tensor&& t, rv_policy /*policy*/,
                         cleanup_list* /*cleanup*/) noexcept {
    return kcore::python::new_tensor_object(std::move(t));
  }
  static handle from_cpp(const kcore::Tensor& t, rv_policy /*policy*/,
                         cleanup_list* /*cleanup*/) noexcept {
    return kcore::python::new_tensor_object(kcore::Tensor(t));
  }
  static handle from_cpp(const kcore::Tensor* t, rv_policy policy, cleanup_list* cleanup) noexcept {
    if (t == nullptr) return none().release();
    return from_cpp(*t, policy, cleanup);
  }

  template <typename T>
  bool can_cast() const noexcept {
    return value != nullptr;
  }
  explicit operator kcore::Tensor*() { return value; }
  explicit operator kcore::Tensor&() { return *value; }
  explicit operator kcore::Tensor&&() { return std::move(*value); }

 private:
  kcore::Tensor* value = nullptr;
};

}  // namespace nanobind::detail
