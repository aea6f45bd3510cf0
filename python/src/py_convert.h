#pragma once

#include <nanobind/nanobind.h>

#include <optional>
#include <string_view>
#include <vector>

#include "kcore/kcore.h"
#include "py_tensor_object.h"

namespace kcore::python {

namespace nb = nanobind;

// Keras' standardize_dtype: exact Keras names, NumPy dtypes and scalar types, ml_dtypes types,
// and the Python types bool, int (int32) and float (float32). Anything else: ValueError.
DType to_dtype(nb::handle dtype);
std::optional<DType> to_optional_dtype(nb::handle dtype);

// nb::isinstance<SparseTensor>, with the Python type looked up once (nb::isinstance looks it up
// on every call). is_tensor_object is in py_tensor_object.h.
bool is_sparse_object(nb::handle x);
// An instance of numpy.ndarray itself (not of a subclass).
bool is_ndarray_exact(nb::handle x);

// Any input keras.ops accepts, as a tensor: kcore tensors as they are; Python scalars as weak
// scalars; NumPy arrays (any strides, any byte order), objects with __array__ or __dlpack__, and
// nested lists and tuples, copied.
Tensor to_tensor(nb::handle x, std::string_view op);
// The same without copying a kcore tensor: a reference to it, or to the converted value kept in
// `holder`.
inline const Tensor& as_tensor(nb::handle x, std::optional<Tensor>& holder, std::string_view op) {
  if (is_tensor_object(x)) return tensor_of(x);
  return holder.emplace(to_tensor(x, op));
}

// convert_to_tensor's rules: as to_tensor, then weak scalars resolved and `dtype` applied.
// Nested lists are converted straight to `dtype` when it is given (each element converted
// once, as np.array(x, dtype) does), not promoted first and then cast.
Tensor to_strong_tensor(nb::handle x, std::optional<DType> dtype, std::string_view op);

// A nested list/tuple as a Nested value (leaves converted by to_tensor); anything else as one
// leaf.
Nested to_nested_value(nb::handle x, std::string_view op);

// The value of an int object when it fits in int64 (false otherwise). One-digit ints (below
// 2**30 in magnitude, every shape and start in practice) are read from the object, not through
// PyLong_AsLongLongAndOverflow: a call, its overflow flag and its error checks are a third of
// the cost of reading slice's arguments.
inline bool int64_value(PyObject* v, std::int64_t& out) {
#if PY_VERSION_HEX >= 0x030C0000
  if (PyUnstable_Long_IsCompact(reinterpret_cast<PyLongObject*>(v)) != 0) {
    out = PyUnstable_Long_CompactValue(reinterpret_cast<PyLongObject*>(v));
    return true;
  }
#else
  const Py_ssize_t digits = Py_SIZE(v);
  if (digits >= -1 && digits <= 1) {  // 0 is zero digits; its ob_digit[0] exists, unspecified
    out = digits * static_cast<std::int64_t>(reinterpret_cast<PyLongObject*>(v)->ob_digit[0]);
    return true;
  }
#endif
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(v, &overflow);
  out = value;
  return overflow == 0;
}

// An int or a sequence of ints.
std::vector<std::int64_t> to_int_list(nb::handle x, std::string_view op, std::string_view what);
std::optional<std::vector<std::int64_t>> to_optional_axes(nb::handle axis, std::string_view op);

// A shape as a tuple of Python ints.
nb::tuple shape_tuple(const Shape& shape);

// A read-only NumPy array sharing the tensor's buffer (ml_dtypes types for bfloat16 and float8).
nb::object numpy_view(const Tensor& t);
// A fresh, writable NumPy array holding a copy of the tensor's elements.
nb::object numpy_copy(const Tensor& t);
// A nanobind ndarray sharing the tensor's buffer: the source of __dlpack__ and the buffer
// protocol, with DLPack's bfloat and float8 type codes.
nb::object ndarray_view(const Tensor& t);

}  // namespace kcore::python
