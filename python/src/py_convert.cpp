#include "py_convert.h"

#include "numpy_api.h"

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>

#include <algorithm>
#include <array>
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

// kcore's dtype for a NumPy array of one of NumPy's own dtypes; nullopt for any other
// (ml_dtypes' bfloat16 and float8, long double, records, ...), which takes the
// __array_interface__ path.
std::optional<DType> builtin_dtype(PyArrayObject* arr) {
  const auto integer = [size = PyArray_ITEMSIZE(arr)](bool is_signed) -> std::optional<DType> {
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
  switch (PyArray_TYPE(arr)) {
    case NPY_BOOL:
      return DType::Bool;
    case NPY_BYTE:
    case NPY_SHORT:
    case NPY_INT:
    case NPY_LONG:
    case NPY_LONGLONG:
      return integer(true);
    case NPY_UBYTE:
    case NPY_USHORT:
    case NPY_UINT:
    case NPY_ULONG:
    case NPY_ULONGLONG:
      return integer(false);
    case NPY_HALF:
      return DType::Float16;
    case NPY_FLOAT:
      return DType::Float32;
    case NPY_DOUBLE:
      return DType::Float64;
    case NPY_CFLOAT:
      return DType::Complex64;
    case NPY_CDOUBLE:
      return DType::Complex128;
    default:
      return std::nullopt;
  }
}

// Below this, a contiguous array is copied with one memcpy on the calling thread.
constexpr std::size_t kSmallCopyBytes = std::size_t{1} << 16;

// A copy of a NumPy array's elements, read from the array's struct (no Python calls); nullopt
// when its dtype is not one of NumPy's own or a stride is not a multiple of the itemsize.

std::optional<Tensor> from_ndarray(PyObject* obj) {
  auto* arr = reinterpret_cast<PyArrayObject*>(obj);
  const auto dtype = builtin_dtype(arr);
  if (!dtype) return std::nullopt;
  const int ndim = PyArray_NDIM(arr);
  const npy_intp* dims = PyArray_DIMS(arr);
  const npy_intp* strides = PyArray_STRIDES(arr);
  Shape shape(dims, dims + ndim);
  // Small contiguous arrays, the per-call case: one memcpy (larger ones take the parallel copy).
  const auto nbytes = static_cast<std::size_t>(PyArray_NBYTES(arr));
  if (nbytes > 0 && nbytes <= kSmallCopyBytes && PyArray_IS_C_CONTIGUOUS(arr) &&
      PyArray_ISNOTSWAPPED(arr) && *dtype != DType::Bool) {
    Tensor out = Tensor::empty(shape, *dtype);
    std::memcpy(out.mutable_bytes(), PyArray_DATA(arr), nbytes);
    return out;
  }
  const auto isz = static_cast<npy_intp>(itemsize(*dtype));
  Strides byte_strides(strides, strides + ndim);
  for (auto s : byte_strides) {
    if (s % isz != 0) return std::nullopt;
  }
  return copy_elements(static_cast<std::byte*>(PyArray_DATA(arr)), shape, byte_strides, *dtype,
                       !PyArray_ISBYTESWAPPED(arr));
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
  if (std::int64_t v = 0; int64_value(x.ptr(), v)) return Tensor(v);
  const unsigned long long u = PyLong_AsUnsignedLongLong(x.ptr());  // negative: OverflowError
  if (!PyErr_Occurred()) return Tensor(static_cast<std::uint64_t>(u));
  PyErr_Clear();
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

bool is_sparse_object(nb::handle x) {
  static auto* const type = reinterpret_cast<PyTypeObject*>(nb::type<SparseTensor>().ptr());
  return PyObject_TypeCheck(x.ptr(), type) != 0;
}

bool is_ndarray_exact(nb::handle x) {
  return PyArray_CheckExact(x.ptr());
}

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
  PyObject* p = x.ptr();
  // A NumPy array is the common foreign input: tested first, by exact type (no subtype walk).
  if (PyArray_CheckExact(p)) {
    if (auto t = from_ndarray(p)) return std::move(*t);
  }
  if (is_tensor_object(x)) return tensor_of(x);
  if (PyBool_Check(p)) return Tensor(p == Py_True);
  if (PyLong_CheckExact(p)) return from_python_int(x, op);
  if (PyFloat_CheckExact(p)) return Tensor(PyFloat_AS_DOUBLE(p));
  if (PyList_Check(p) || PyTuple_Check(p)) return convert_to_tensor(to_nested(x, op, 0));
  if (PyArray_Check(p)) {
    if (auto t = from_ndarray(p)) return std::move(*t);
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
  if (is_sparse_object(x)) return nb::inst_ptr<SparseTensor>(x)->to_dense();
  throw TypeError(std::string(op) + ": received an object of type " + python_type_name(x) +
                  "; expected a tensor, a NumPy array, a Python scalar or a nested list");
}

Tensor to_strong_tensor(nb::handle x, std::optional<DType> dtype, std::string_view op) {
  if (!PyList_Check(x.ptr()) && !PyTuple_Check(x.ptr())) {
    Tensor t = to_tensor(x, op);
    if (!dtype && !t.weak()) return t;
    return convert_to_tensor(Nested(std::move(t)), dtype);
  }
  return convert_to_tensor(to_nested(x, op, 0), dtype);
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
  if (is_tensor_object(x)) return from_tensor(tensor_of(x));
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

// NumPy's descriptor for a kcore dtype (ml_dtypes' for bfloat16 and float8), made once.
PyArray_Descr* numpy_descr(DType d) {
  static auto* descrs = new std::array<nb::object, kNumDTypes>();
  nb::object& descr = (*descrs)[static_cast<std::size_t>(d)];
  if (!descr.is_valid()) {
    const std::string n(name(d));
    const nb::object spec =
        d == DType::BFloat16 || is_float8(d) ? ml_dtypes().attr(n.c_str()) : nb::str(n.c_str());
    PyArray_Descr* made = nullptr;
    if (PyArray_DescrConverter(spec.ptr(), &made) == 0) throw nb::python_error();
    descr = nb::steal(reinterpret_cast<PyObject*>(made));
  }
  return reinterpret_cast<PyArray_Descr*>(descr.ptr());
}

using NumpyDims = SmallVector<npy_intp, 6>;

// A NumPy array of t's shape and dtype: over `data` with `byte_strides` (read-only, not owning),
// or, with data == nullptr, a fresh C-contiguous writable one.
nb::object new_ndarray(const Tensor& t, const npy_intp* byte_strides, void* data) {
  PyArray_Descr* descr = numpy_descr(t.dtype());
  Py_INCREF(descr);  // PyArray_NewFromDescr steals it, even when it fails.
  const NumpyDims dims(t.shape().begin(), t.shape().end());
  PyObject* arr = PyArray_NewFromDescr(&PyArray_Type, descr, static_cast<int>(t.ndim()),
                                       const_cast<npy_intp*>(dims.data()),
                                       const_cast<npy_intp*>(byte_strides), data, 0, nullptr);
  if (arr == nullptr) throw nb::python_error();
  return nb::steal(arr);
}

}  // namespace

nb::tuple shape_tuple(const Shape& shape) {
  auto tuple = nb::steal<nb::tuple>(PyTuple_New(static_cast<Py_ssize_t>(shape.size())));
  if (!tuple.is_valid()) throw nb::python_error();
  for (std::size_t d = 0; d < shape.size(); ++d) {
    PyObject* dim = PyLong_FromLongLong(shape[d]);
    if (dim == nullptr) throw nb::python_error();
    PyTuple_SET_ITEM(tuple.ptr(), static_cast<Py_ssize_t>(d), dim);
  }
  return tuple;
}

nb::object numpy_view(const Tensor& t) {
  const auto isz = static_cast<npy_intp>(itemsize(t.dtype()));
  NumpyDims byte_strides;
  for (auto s : t.strides()) byte_strides.push_back(s * isz);
  nb::object arr = new_ndarray(t, byte_strides.data(), const_cast<std::byte*>(t.bytes()));
  nb::capsule owner(new Tensor(t), [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  if (PyArray_SetBaseObject(reinterpret_cast<PyArrayObject*>(arr.ptr()), owner.release().ptr()) <
      0) {
    throw nb::python_error();
  }
  return arr;
}

nb::object numpy_copy(const Tensor& t) {
  nb::object arr = new_ndarray(t, nullptr, nullptr);
  t.copy_to(PyArray_DATA(reinterpret_cast<PyArrayObject*>(arr.ptr())));
  return arr;
}

nb::object ndarray_view(const Tensor& t) {
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  nb::capsule owner(new Tensor(t), [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  nb::ndarray<nb::array_api, nb::ro> arr(t.bytes(), shape.size(), shape.data(), owner,
                                         t.strides().data(), dlpack_dtype(t.dtype()));
  return nb::cast(arr, nb::rv_policy::reference);
}

}  // namespace kcore::python
