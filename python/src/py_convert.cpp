#include "py_convert.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

namespace kcore::python {
namespace {

std::string python_type_name(nb::handle x) {
  return nb::cast<std::string>(
      nb::str(nb::handle(reinterpret_cast<PyObject*>(Py_TYPE(x.ptr()))).attr("__name__")));
}

// Modules are looked up once and kept for the life of the process (never destroyed after the
// interpreter has gone).
nb::handle numpy() {
  static auto* np = new nb::object(nb::module_::import_("numpy"));
  return *np;
}

PyTypeObject* ndarray_type() {
  static auto* type = new nb::object(numpy().attr("ndarray"));
  return reinterpret_cast<PyTypeObject*>(type->ptr());
}

nb::handle ml_dtypes() {
  static auto* ml = new nb::object(nb::module_::import_("ml_dtypes"));
  return *ml;
}

void byteswap(std::byte* data, std::int64_t count, std::size_t itemsize, bool complex) {
  const std::size_t part = complex ? itemsize / 2 : itemsize;
  const auto parts = static_cast<std::int64_t>(itemsize / part) * count;
  for (std::int64_t i = 0; i < parts; ++i) std::reverse(data + i * part, data + (i + 1) * part);
}

// A fresh tensor with the elements at `first`, laid out with `byte_strides` (multiples of the
// itemsize); `native`: the bytes are in this machine's order.
Tensor copy_elements(std::byte* first, const Shape& shape, const Strides& byte_strides, DType dtype,
                     bool native) {
  const auto isz = static_cast<std::int64_t>(itemsize(dtype));
  // The borrowed view spans [lowest, highest] bytes of the array, whatever the stride signs.
  std::int64_t low = 0;
  std::int64_t high = 0;
  const std::int64_t n = shape_size(shape);
  Strides strides;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    strides.push_back(byte_strides[d] / isz);
    if (shape[d] > 1) {
      const std::int64_t reach = (shape[d] - 1) * byte_strides[d];
      (reach < 0 ? low : high) += reach;
    }
  }
  Tensor out = Tensor::empty(shape, dtype);
  if (n == 1) {
    std::memcpy(out.mutable_bytes(), first, static_cast<std::size_t>(isz));
  } else if (n > 0) {
    auto storage =
        std::make_shared<Storage>(first + low, static_cast<std::size_t>(high - low + isz), [] {});
    const Tensor borrowed = Tensor::from_storage(storage, shape, strides, -low / isz, dtype);
    borrowed.copy_to(out.mutable_bytes());
  }
  if (!native) byteswap(out.mutable_bytes(), out.size(), itemsize(dtype), is_complex(dtype));
  if (dtype == DType::Bool) {
    auto* b = reinterpret_cast<std::uint8_t*>(out.mutable_bytes());
    for (std::int64_t i = 0; i < n; ++i) b[i] = b[i] != 0;
  }
  return out;
}

// The dtype of a buffer-protocol format (struct module syntax, as NumPy writes it) with its
// itemsize, and whether its bytes are in native order; nullopt for anything else (bfloat16 and
// float8 arrays of ml_dtypes, records, ...), which takes the __array_interface__ path.
std::optional<std::pair<DType, bool>> dtype_of_format(const char* format, Py_ssize_t size) {
  if (format == nullptr) return std::nullopt;
  bool native = true;
  constexpr bool kLittle = std::endian::native == std::endian::little;
  if (*format == '@' || *format == '=') {
    ++format;
  } else if (*format == '<') {
    native = kLittle;
    ++format;
  } else if (*format == '>' || *format == '!') {
    native = !kLittle;
    ++format;
  }
  const std::string_view f(format);
  auto integer = [&](bool is_signed) -> std::optional<DType> {
    switch (size) {
      case 1:
        return is_signed ? DType::Int8 : DType::UInt8;
      case 2:
        return is_signed ? DType::Int16 : DType::UInt16;
      case 4:
        return is_signed ? DType::Int32 : DType::UInt32;
      case 8:
        return is_signed ? DType::Int64 : DType::UInt64;
      default:
        return std::nullopt;
    }
  };
  std::optional<DType> d;
  if (f == "?") {
    d = DType::Bool;
  } else if (f == "b" || f == "h" || f == "i" || f == "l" || f == "q") {
    d = integer(true);
  } else if (f == "B" || f == "H" || f == "I" || f == "L" || f == "Q") {
    d = integer(false);
  } else if (f == "e") {
    d = DType::Float16;
  } else if (f == "f") {
    d = DType::Float32;
  } else if (f == "d") {
    d = DType::Float64;
  } else if (f == "Zf") {
    d = DType::Complex64;
  } else if (f == "Zd") {
    d = DType::Complex128;
  }
  if (!d || static_cast<Py_ssize_t>(itemsize(*d)) != size) return std::nullopt;
  return std::pair{*d, native};
}

// An object's buffer (PEP 3118), released when this goes out of scope. `ok` is false, with the
// Python error cleared, when the object does not export one with `flags`.
struct BufferView {
  BufferView(nb::handle obj, int flags) : ok(PyObject_GetBuffer(obj.ptr(), &view, flags) == 0) {
    if (!ok) PyErr_Clear();
  }
  ~BufferView() {
    if (ok) PyBuffer_Release(&view);
  }
  BufferView(const BufferView&) = delete;
  BufferView& operator=(const BufferView&) = delete;
  Py_buffer view{};
  bool ok;
};

// A copy of a NumPy array's elements read through the buffer protocol (no Python objects made);
// nullopt when the buffer's format is not one of kcore's dtypes.
std::optional<Tensor> from_numpy_buffer(nb::handle arr) {
  BufferView buffer(arr, PyBUF_RECORDS_RO);
  if (!buffer.ok) return std::nullopt;
  const Py_buffer& view = buffer.view;
  const auto kind = dtype_of_format(view.format, view.itemsize);
  if (!kind) return std::nullopt;
  Shape shape;
  Strides byte_strides;
  for (int d = 0; d < view.ndim; ++d) {
    shape.push_back(view.shape[d]);
    byte_strides.push_back(view.strides[d]);
  }
  for (auto s : byte_strides) {
    if (s % view.itemsize != 0) return std::nullopt;
  }
  return copy_elements(static_cast<std::byte*>(view.buf), shape, byte_strides, kind->first,
                       kind->second);
}

// A copy of a NumPy array's elements, read through its __array_interface__.
Tensor from_numpy(nb::handle arr, std::string_view op) {
  const std::string dname = nb::cast<std::string>(arr.attr("dtype").attr("name"));
  DType dtype;
  try {
    dtype = dtype_from_name(dname);
  } catch (const ValueError&) {
    throw TypeError(std::string(op) + ": received a NumPy array of dtype " + dname +
                    "; expected one of kcore's dtypes (bool, integers, floats, complex)");
  }
  const nb::dict iface = nb::cast<nb::dict>(arr.attr("__array_interface__"));
  const nb::tuple shape_t = nb::cast<nb::tuple>(iface["shape"]);
  Shape shape;
  for (auto d : shape_t) shape.push_back(nb::cast<std::int64_t>(d));
  const auto isz = static_cast<std::int64_t>(itemsize(dtype));
  Strides byte_strides;
  const nb::object strides_o = iface["strides"];
  if (strides_o.is_none()) {
    for (auto s : contiguous_strides(shape)) byte_strides.push_back(s * isz);
  } else {
    for (auto s : nb::cast<nb::tuple>(strides_o)) byte_strides.push_back(nb::cast<std::int64_t>(s));
  }
  bool aligned = true;
  for (auto s : byte_strides) aligned = aligned && s % isz == 0;
  if (!aligned) return from_numpy(numpy().attr("ascontiguousarray")(arr), op);
  const auto address = nb::cast<std::uintptr_t>(nb::cast<nb::tuple>(iface["data"])[0]);
  return copy_elements(reinterpret_cast<std::byte*>(address), shape, byte_strides, dtype,
                       nb::cast<bool>(arr.attr("dtype").attr("isnative")));
}

Tensor from_python_int(nb::handle x, std::string_view op) {
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(x.ptr(), &overflow);
  if (overflow == 0) return Tensor(static_cast<std::int64_t>(v));
  if (overflow > 0) {
    const unsigned long long u = PyLong_AsUnsignedLongLong(x.ptr());
    if (!PyErr_Occurred()) return Tensor(static_cast<std::uint64_t>(u));
    PyErr_Clear();
  }
  throw ValueError(std::string(op) + ": the Python int " + nb::cast<std::string>(nb::str(x)) +
                   " fits no 64-bit integer type; expected a value in [-2**63, 2**64)");
}

Nested to_nested(nb::handle x, std::string_view op, int depth) {
  if (depth > 64) {
    throw ValueError(std::string(op) + ": nested lists deeper than 64 levels are not supported");
  }
  if (PyList_Check(x.ptr()) || PyTuple_Check(x.ptr())) {
    Nested::List items;
    const nb::sequence seq = nb::borrow<nb::sequence>(x);
    items.reserve(nb::len(seq));
    for (auto item : seq) items.push_back(to_nested(item, op, depth + 1));
    return Nested(std::move(items));
  }
  return Nested(to_tensor(x, op));
}

}  // namespace

DType to_dtype(nb::handle dtype) {
  if (dtype.is_none()) return DType::Float32;
  if (dtype.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return DType::Bool;
  if (dtype.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return DType::Int32;
  if (dtype.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return DType::Float32;
  if (nb::isinstance<nb::str>(dtype)) return dtype_from_name(nb::cast<std::string>(dtype));
  // NumPy dtype objects have .name; NumPy scalar types and ml_dtypes types have __name__.
  for (const char* attr : {"name", "__name__"}) {
    if (nb::hasattr(dtype, attr)) {
      const nb::object n = dtype.attr(attr);
      if (nb::isinstance<nb::str>(n)) {
        const std::string s = nb::cast<std::string>(n);
        return dtype_from_name(s == "bool_" ? "bool" : s);
      }
    }
  }
  throw ValueError("Invalid dtype: " + nb::cast<std::string>(nb::repr(dtype)));
}

std::optional<DType> to_optional_dtype(nb::handle dtype) {
  if (dtype.is_none()) return std::nullopt;
  return to_dtype(dtype);
}

Tensor to_tensor(nb::handle x, std::string_view op) {
  if (nb::isinstance<Tensor>(x)) return *nb::inst_ptr<Tensor>(x);
  PyObject* p = x.ptr();
  if (PyBool_Check(p)) return Tensor(p == Py_True);
  if (PyLong_CheckExact(p)) return from_python_int(x, op);
  if (PyFloat_CheckExact(p)) return Tensor(PyFloat_AS_DOUBLE(p));
  if (PyList_Check(p) || PyTuple_Check(p)) return convert_to_tensor(to_nested(x, op, 0));
  if (PyObject_TypeCheck(p, ndarray_type())) {
    if (auto t = from_numpy_buffer(x)) return std::move(*t);
  }
  // NumPy arrays and NumPy scalars (np.float64 and np.complex128 subclass Python's float and
  // complex, but carry a dtype and are strong, as in JAX).
  if (nb::hasattr(x, "__array_interface__") && nb::hasattr(x, "dtype")) return from_numpy(x, op);
  if (PyLong_Check(p)) return from_python_int(x, op);
  if (PyFloat_Check(p)) return Tensor(PyFloat_AsDouble(p));
  if (PyComplex_Check(p)) {
    const std::complex<double> c(PyComplex_RealAsDouble(p), PyComplex_ImagAsDouble(p));
    return convert_to_tensor(&c, {}, DType::Complex128);
  }
  if (nb::hasattr(x, "__array__")) return from_numpy(numpy().attr("asarray")(x), op);
  if (nb::hasattr(x, "__dlpack__")) return from_numpy(numpy().attr("from_dlpack")(x), op);
  if (nb::isinstance<SparseTensor>(x)) return nb::inst_ptr<SparseTensor>(x)->to_dense();
  throw TypeError(std::string(op) + ": received an object of type " + python_type_name(x) +
                  "; expected a tensor, a NumPy array, a Python scalar or a nested list");
}

Tensor to_strong_tensor(nb::handle x, std::optional<DType> dtype, std::string_view op) {
  return convert_to_tensor(to_nested_value(x, op), dtype);
}

Nested to_nested_value(nb::handle x, std::string_view op) {
  if (PyList_Check(x.ptr()) || PyTuple_Check(x.ptr())) return to_nested(x, op, 0);
  return Nested(to_tensor(x, op));
}

std::vector<std::int64_t> to_int_list(nb::handle x, std::string_view op, std::string_view what) {
  std::vector<std::int64_t> out;
  auto as_int = [&](nb::handle v) -> std::int64_t {
    if (PyBool_Check(v.ptr()) || !nb::hasattr(v, "__index__")) {
      throw TypeError(std::string(op) + ": " + std::string(what) + " must be integers; received " +
                      python_type_name(v));
    }
    const Py_ssize_t i = PyNumber_AsSsize_t(v.ptr(), PyExc_OverflowError);
    if (i == -1 && PyErr_Occurred()) {
      if (!PyErr_ExceptionMatches(PyExc_OverflowError)) throw nb::python_error();
      PyErr_Clear();
      throw ValueError(std::string(op) + ": " + std::string(what) + " value " +
                       nb::cast<std::string>(nb::str(v)) + " is out of range; expected 64 bits");
    }
    return static_cast<std::int64_t>(i);
  };
  auto from_tensor = [&](const Tensor& given) {
    if (!is_integer(given.dtype()) || given.ndim() > 1) {
      throw TypeError(std::string(op) + ": " + std::string(what) +
                      " must be an integer or a 1-D integer tensor; received dtype " +
                      std::string(name(given.dtype())) + " and shape " +
                      format_shape(given.shape()));
    }
    return ascontiguous(cast(given, DType::Int64)).to_vector<std::int64_t>();
  };
  if (nb::isinstance<Tensor>(x)) return from_tensor(*nb::inst_ptr<Tensor>(x));
  // NumPy (or JAX) integer arrays, as jnp.zeros(np.array([2, 3])) and jnp.reshape accept.
  if (!PyList_Check(x.ptr()) && !PyTuple_Check(x.ptr()) && nb::hasattr(x, "ndim") &&
      nb::hasattr(x, "dtype") && nb::cast<std::int64_t>(x.attr("ndim")) >= 1) {
    return from_tensor(to_tensor(x, op));
  }
  if (PyList_Check(x.ptr()) || PyTuple_Check(x.ptr())) {
    for (auto v : nb::borrow<nb::sequence>(x)) out.push_back(as_int(v));
    return out;
  }
  out.push_back(as_int(x));
  return out;
}

std::optional<std::vector<std::int64_t>> to_optional_axes(nb::handle axis, std::string_view op) {
  if (axis.is_none()) return std::nullopt;
  return to_int_list(axis, op, "axis");
}

namespace {

nb::dlpack::dtype dlpack_dtype(DType d) {
  using nb::dlpack::dtype_code;
  const auto bits = static_cast<std::uint8_t>(itemsize(d) * 8);
  if (d == DType::Bool) return {static_cast<std::uint8_t>(dtype_code::Bool), 8, 1};
  if (is_signed_integer(d)) return {static_cast<std::uint8_t>(dtype_code::Int), bits, 1};
  if (is_unsigned_integer(d)) return {static_cast<std::uint8_t>(dtype_code::UInt), bits, 1};
  if (d == DType::BFloat16) return {static_cast<std::uint8_t>(dtype_code::Bfloat), 16, 1};
  if (d == DType::Float8E4M3FN) return {static_cast<std::uint8_t>(dtype_code::Float8_E4M3FN), 8, 1};
  if (d == DType::Float8E5M2) return {static_cast<std::uint8_t>(dtype_code::Float8_E5M2), 8, 1};
  if (is_complex(d)) return {static_cast<std::uint8_t>(dtype_code::Complex), bits, 1};
  return {static_cast<std::uint8_t>(dtype_code::Float), bits, 1};
}

template <class Framework>
nb::object export_view(const Tensor& t, nb::dlpack::dtype dt) {
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  auto* keep = new Tensor(t);
  nb::capsule owner(keep, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  nb::ndarray<Framework, nb::ro> arr(t.bytes(), shape.size(), shape.data(), owner,
                                     t.strides().data(), dt);
  return nb::cast(arr, nb::rv_policy::reference);
}

}  // namespace

nb::object numpy_view(const Tensor& t) {
  if (t.dtype() == DType::BFloat16 || is_float8(t.dtype())) {
    const nb::dlpack::dtype raw = {static_cast<std::uint8_t>(nb::dlpack::dtype_code::UInt),
                                   static_cast<std::uint8_t>(itemsize(t.dtype()) * 8), 1};
    return export_view<nb::numpy>(t, raw).attr("view")(
        ml_dtypes().attr(std::string(name(t.dtype())).c_str()));
  }
  return export_view<nb::numpy>(t, dlpack_dtype(t.dtype()));
}

nb::object numpy_copy(const Tensor& t) {
  if (t.dtype() == DType::BFloat16 || is_float8(t.dtype())) {
    return numpy_view(t).attr("copy")();
  }
  // np.empty and one copy into its buffer: no intermediate view.
  static auto* empty = new nb::object(numpy().attr("empty"));
  static auto* dtypes = new std::array<nb::object, kNumDTypes>();
  nb::object& dt = (*dtypes)[static_cast<std::size_t>(t.dtype())];
  if (!dt.is_valid()) dt = numpy().attr("dtype")(std::string(name(t.dtype())).c_str());
  nb::object shape = nb::steal(PyTuple_New(static_cast<Py_ssize_t>(t.ndim())));
  for (std::int64_t d = 0; d < t.ndim(); ++d) {
    PyTuple_SET_ITEM(shape.ptr(), d, PyLong_FromLongLong(t.shape()[static_cast<std::size_t>(d)]));
  }
  nb::object arr = (*empty)(shape, dt);
  const BufferView buffer(arr, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS);
  if (!buffer.ok) throw TypeError("convert_to_numpy: numpy.empty gave an array without a buffer");
  t.copy_to(buffer.view.buf);
  return arr;
}

nb::object ndarray_view(const Tensor& t) {
  return export_view<nb::array_api>(t, dlpack_dtype(t.dtype()));
}

}  // namespace kcore::python
