#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "py_convert.h"
#include "py_module.h"

namespace kcore::python {
namespace {

// A slice bound or step. Python ints beyond the 64-bit range are clamped to it, so that, as in
// NumPy, x[2**70:] is empty rather than an error.
std::optional<std::int64_t> slice_part(nb::handle v) {
  if (v.is_none()) return std::nullopt;
  const Py_ssize_t i = PyNumber_AsSsize_t(v.ptr(), nullptr);
  if (i == -1 && PyErr_Occurred()) throw nb::python_error();
  return static_cast<std::int64_t>(i);
}

// An integer index; one beyond the 64-bit range is out of bounds for every tensor.
std::int64_t int_index(nb::handle key) {
  const Py_ssize_t i = PyNumber_AsSsize_t(key.ptr(), PyExc_OverflowError);
  if (i == -1 && PyErr_Occurred()) {
    if (!PyErr_ExceptionMatches(PyExc_OverflowError)) throw nb::python_error();
    PyErr_Clear();
    throw IndexError("getitem: index " + nb::cast<std::string>(nb::str(key)) +
                     " is out of bounds; expected an index that fits in 64 bits");
  }
  return static_cast<std::int64_t>(i);
}

Index to_index(nb::handle key) {
  if (key.is_none()) return NewAxis{};
  if (key.ptr() == Py_Ellipsis) return Ellipsis{};
  if (PySlice_Check(key.ptr())) {
    return Slice{slice_part(key.attr("start")), slice_part(key.attr("stop")),
                 slice_part(key.attr("step"))};
  }
  if (!PyBool_Check(key.ptr()) && nb::hasattr(key, "__index__")) {
    if (is_tensor_object(key) && tensor_of(key).ndim() != 0) {
      throw IndexError("getitem: received a tensor index of shape " +
                       format_shape(tensor_of(key).shape()) +
                       "; expected integers, slices, None or Ellipsis (advanced indexing is not "
                       "supported)");
    }
    return int_index(key);
  }
  throw IndexError("getitem: received an index of type " +
                   nb::cast<std::string>(nb::str(key.type().attr("__name__"))) +
                   "; expected integers, slices, None or Ellipsis (advanced indexing is not "
                   "supported)");
}

Tensor index(const Tensor& t, nb::handle key) {
  std::vector<Index> items;
  if (PyTuple_Check(key.ptr())) {
    for (auto k : nb::borrow<nb::tuple>(key)) items.push_back(to_index(k));
  } else {
    items.push_back(to_index(key));
  }
  return getitem(t, items);
}

const Tensor& single_element(const Tensor& t, const char* what) {
  if (t.size() != 1) {
    throw ValueError(std::string(what) +
                     ": only a tensor with one element converts; received shape " +
                     format_shape(t.shape()) +
                     (std::string(what) == "__bool__"
                          ? " (the truth value of a tensor with more than one element is ambiguous)"
                          : ""));
  }
  return t;
}

double to_double(const Tensor& t) {
  return cast(single_element(t, "__float__"), DType::Float64).item<double>();
}

int getbuffer(PyObject* self, Py_buffer* view, int flags) {
  try {
    nb::object arr = ndarray_view(tensor_of(self));
    return PyObject_GetBuffer(arr.ptr(), view, flags);
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_BufferError, e.what());
    return -1;
  }
}

// shape, ndim and dtype are read by the type's own getset rather than nanobind properties: they
// are in the inner loop of shape arithmetic, and a property call costs twice as much.
PyObject* get_shape(PyObject* self, void* /*closure*/) {
  return nb::inst_ptr<TensorObject>(self)->shape_tuple();
}

PyObject* get_ndim(PyObject* self, void* /*closure*/) {
  return PyLong_FromLongLong(tensor_of(self).ndim());
}

// The dtype's name, one interned string per dtype.
PyObject* get_dtype(PyObject* self, void* /*closure*/) {
  static std::array<PyObject*, kNumDTypes> names{};
  const DType d = tensor_of(self).dtype();
  PyObject*& n = names[static_cast<std::size_t>(d)];
  if (n == nullptr) {
    const std::string_view s = name(d);
    n = PyUnicode_InternFromString(std::string(s).c_str());
    if (n == nullptr) return nullptr;
  }
  Py_INCREF(n);
  return n;
}

PyGetSetDef tensor_getset[] = {
    {"shape", get_shape, nullptr, "The shape, a tuple of ints.", nullptr},
    {"ndim", get_ndim, nullptr, "The number of dimensions.", nullptr},
    {"dtype", get_dtype, nullptr, "The dtype's Keras name, e.g. 'float32'.", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr}};

// Tensors come from kcore's functions only: an instance made by Tensor.__new__ would hold no
// tensor, and the getset above and the type caster read it without a check.
PyObject* refuse_new(PyTypeObject* /*type*/, PyObject* /*args*/, PyObject* /*kwargs*/) {
  PyErr_SetString(PyExc_TypeError,
                  "kcore.Tensor cannot be created directly; use kcore.convert_to_tensor (or "
                  "another kcore function)");
  return nullptr;
}

PyType_Slot tensor_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void*>(getbuffer)},
                              {Py_tp_getset, static_cast<void*>(tensor_getset)},
                              {Py_tp_new, reinterpret_cast<void*>(refuse_new)},
                              {0, nullptr}};

template <Tensor (*F)(const Tensor&, const Tensor&)>
void binary_operator(nb::class_<TensorObject>& cls, const char* name, const char* rname) {
  cls.def(
      name,
      [](const Tensor& a, nb::handle b) {
        std::optional<Tensor> h;
        return F(a, as_tensor(b, h, "operator"));
      },
      nb::is_operator());
  if (rname != nullptr) {
    cls.def(
        rname,
        [](const Tensor& a, nb::handle b) {
          std::optional<Tensor> h;
          return F(as_tensor(b, h, "operator"), a);
        },
        nb::is_operator());
  }
}

// & and | are logical on bool tensors. On numbers NumPy and JAX make them bitwise, which kcore
// does not have yet: refuse rather than silently compute the logical result.
const Tensor& bool_operand(const Tensor& t, const char* op) {
  if (!is_bool(t.dtype())) {
    throw TypeError(std::string(op) + ": received dtype " + std::string(name(t.dtype())) +
                    "; expected bool operands (bitwise ops on integers are not supported yet; "
                    "use logical_and / logical_or)");
  }
  return t;
}

template <Tensor (*F)(const Tensor&, const Tensor&)>
void logical_operator(nb::class_<TensorObject>& cls, const char* op, const char* rop) {
  cls.def(
      op,
      [op](const Tensor& a, nb::handle b) {
        return F(bool_operand(a, op), bool_operand(to_tensor(b, op), op));
      },
      nb::is_operator());
  cls.def(
      rop,
      [rop](const Tensor& a, nb::handle b) {
        return F(bool_operand(to_tensor(b, rop), rop), bool_operand(a, rop));
      },
      nb::is_operator());
}

PyTypeObject* tensor_type_object = nullptr;

}  // namespace

PyObject* TensorObject::shape_tuple() {
  if (shape_ == nullptr) {
    const Shape& shape = tensor_.shape();
    PyObject* tuple = PyTuple_New(static_cast<Py_ssize_t>(shape.size()));
    if (tuple == nullptr) return nullptr;
    for (std::size_t d = 0; d < shape.size(); ++d) {
      PyObject* dim = PyLong_FromLongLong(shape[d]);
      if (dim == nullptr) {
        Py_DECREF(tuple);
        return nullptr;
      }
      PyTuple_SET_ITEM(tuple, static_cast<Py_ssize_t>(d), dim);
    }
    shape_ = tuple;
  }
  Py_INCREF(shape_);
  return shape_;
}

PyTypeObject* tensor_type() {
  return tensor_type_object;
}

PyObject* new_tensor_object(Tensor&& t) noexcept {
  nb::object obj = nb::inst_alloc(reinterpret_cast<PyObject*>(tensor_type_object));
  if (!obj.is_valid()) return nullptr;
  new (nb::inst_ptr<TensorObject>(obj)) TensorObject(std::move(t));
  nb::inst_mark_ready(obj);
  return obj.release().ptr();
}

// Freed instances nanobind keeps for reuse: enough for unstack's list of a few thousand rows
// (docs/design.md, "Python module").
constexpr std::uint32_t kPooledInstances = 4096;

void bind_tensor(nb::module_& m) {
  nb::class_<TensorObject> cls(m, "Tensor", nb::type_slots(tensor_slots),
                               nb::pooled(kPooledInstances),
                               "An immutable n-d array of one dtype (kcore's tensor).");
  tensor_type_object = reinterpret_cast<PyTypeObject*>(cls.ptr());
  cls.def_prop_ro(
         "size", [](const Tensor& t) { return t.size(); }, "The number of elements.")
      .def("__len__",
           [](const Tensor& t) {
             if (t.ndim() == 0) throw TypeError("len() of a 0-d tensor");
             return t.shape()[0];
           })
      .def("__iter__",
           [](const Tensor& t) {
             if (t.ndim() == 0) throw TypeError("iteration over a 0-d tensor");
             nb::list items;
             for (std::int64_t i = 0; i < t.shape()[0]; ++i) items.append(getitem(t, {i}));
             return nb::iter(items);
           })
      .def("__getitem__", &index, "key"_a.none())
      .def("__bool__",
           [](const Tensor& t) {
             return cast(single_element(t, "__bool__"), DType::Bool).item<bool>();
           })
      .def("__float__", &to_double)
      .def("__int__",
           [](const Tensor& t) {
             const Tensor& s = single_element(t, "__int__");
             if (is_unsigned_integer(s.dtype()))
               return nb::cast(cast(s, DType::UInt64).item<std::uint64_t>());
             if (is_integer(s.dtype()) || is_bool(s.dtype()))
               return nb::cast(cast(s, DType::Int64).item<std::int64_t>());
             return nb::steal(PyLong_FromDouble(to_double(s)));
           })
      .def("__index__",
           [](const Tensor& t) {
             const Tensor& s = single_element(t, "__index__");
             if (!is_integer(s.dtype()) && !is_bool(s.dtype())) {
               throw TypeError("__index__: received a tensor of dtype " +
                               std::string(name(s.dtype())) + "; expected an integer dtype");
             }
             if (is_unsigned_integer(s.dtype()))
               return nb::cast(cast(s, DType::UInt64).item<std::uint64_t>());
             return nb::cast(cast(s, DType::Int64).item<std::int64_t>());
           })
      .def("__repr__", [](const Tensor& t) { return t.repr(); })
      .def("__str__", [](const Tensor& t) { return t.repr(); })
      .def("__neg__", [](const Tensor& t) { return negative(t); })
      .def("__pos__", [](const Tensor& t) { return t; })
      .def("__abs__", [](const Tensor& t) { return abs(t); })
      .def("__invert__",
           [](const Tensor& t) {
             if (!is_bool(t.dtype())) {
               throw TypeError("__invert__: received dtype " + std::string(name(t.dtype())) +
                               "; expected bool (bitwise ops on integers are not supported yet)");
             }
             return logical_not(t);
           })
      .def(
          "__array__",
          [](const Tensor& t, nb::handle dtype, nb::handle copy) {
            nb::object view = numpy_view(t);
            if (!dtype.is_none()) return view.attr("astype")(dtype);
            if (!copy.is_none() && nb::cast<bool>(copy)) return view.attr("copy")();
            return view;
          },
          "dtype"_a = nb::none(), "copy"_a = nb::none(),
          "A read-only NumPy view of the tensor's buffer (a copy with dtype or copy=True).")
      .def(
          "__dlpack__",
          [](const Tensor& t, nb::kwargs kwargs) {
            return ndarray_view(t).attr("__dlpack__")(**kwargs);
          },
          "kwargs"_a, "A DLPack capsule sharing the tensor's buffer (read-only).")
      .def("__dlpack_device__", [](const Tensor&) { return nb::make_tuple(1, 0); })
      // Immutable: a copy is the tensor itself, as for tuples.
      .def("__copy__", [](nb::handle self) { return nb::borrow(self); })
      .def(
          "__deepcopy__", [](nb::handle self, nb::handle) { return nb::borrow(self); }, "memo"_a);
  cls.attr("__hash__") = nb::none();
  cls.attr("__array_ufunc__") = nb::none();
  cls.attr("__array_priority__") = 100;

  binary_operator<add>(cls, "__add__", "__radd__");
  binary_operator<subtract>(cls, "__sub__", "__rsub__");
  binary_operator<multiply>(cls, "__mul__", "__rmul__");
  binary_operator<divide>(cls, "__truediv__", "__rtruediv__");
  binary_operator<equal>(cls, "__eq__", nullptr);
  binary_operator<not_equal>(cls, "__ne__", nullptr);
  binary_operator<less>(cls, "__lt__", nullptr);
  binary_operator<less_equal>(cls, "__le__", nullptr);
  binary_operator<greater>(cls, "__gt__", nullptr);
  binary_operator<greater_equal>(cls, "__ge__", nullptr);
  logical_operator<logical_and>(cls, "__and__", "__rand__");
  logical_operator<logical_or>(cls, "__or__", "__ror__");

  nb::class_<SparseTensor>(m, "SparseTensor",
                           "A COO sparse tensor: indices (nnz, ndim), values (nnz,), a dense "
                           "shape. Duplicate indices add up when densified.")
      .def(
          "__init__",
          [](SparseTensor* self, nb::handle indices, nb::handle values, nb::handle dense_shape) {
            new (self) SparseTensor(to_strong_tensor(indices, std::nullopt, "SparseTensor"),
                                    to_strong_tensor(values, std::nullopt, "SparseTensor"),
                                    to_int_list(dense_shape, "SparseTensor", "dense_shape"));
          },
          "indices"_a, "values"_a, "dense_shape"_a)
      .def_prop_ro("indices", &SparseTensor::indices)
      .def_prop_ro("values", &SparseTensor::values)
      .def_prop_ro("shape", [](const SparseTensor& s) { return shape_tuple(s.shape()); })
      .def_prop_ro("dtype", [](const SparseTensor& s) { return std::string(name(s.dtype())); })
      .def("todense", &SparseTensor::to_dense, "The dense tensor.")
      .def("__repr__", [](const SparseTensor& s) {
        return "SparseTensor(indices=" + s.indices().repr() + ", values=" + s.values().repr() +
               ", dense_shape=" + format_shape(s.shape()) + ")";
      });
}

}  // namespace kcore::python
