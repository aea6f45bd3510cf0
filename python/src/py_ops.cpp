#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <string>

#include "py_convert.h"
#include "py_module.h"

namespace kcore::python {
namespace {

using Binary = Tensor (*)(const Tensor&, const Tensor&);
using Unary = Tensor (*)(const Tensor&);
using Reduction = Tensor (*)(const Tensor&, const std::optional<Axes>&, bool);

Shape to_shape(nb::handle shape, std::string_view op) {
  return to_int_list(shape, op, "shape");
}

// The shape of a new tensor: every dimension >= 0 (checked here so that the error names the
// op the user called).
Shape to_new_shape(nb::handle shape, std::string_view op) {
  Shape s = to_int_list(shape, op, "shape");
  for (auto d : s) {
    if (d < 0) {
      throw ValueError(std::string(op) + ": received shape " + format_shape(s) +
                       "; expected non-negative dimensions");
    }
  }
  return s;
}

nb::object shape_of(nb::handle x) {
  Shape s;
  if (is_sparse_object(x)) {
    s = nb::inst_ptr<SparseTensor>(x)->shape();
  } else {
    s = to_tensor(x, "shape").shape();
  }
  return shape_tuple(s);
}

nb::object py_convert_to_tensor(nb::handle x, nb::handle dtype, nb::handle sparse,
                                nb::handle ragged) {
  if (!ragged.is_none() && nb::cast<bool>(ragged)) {
    throw ValueError(
        "convert_to_tensor: received ragged=True; kcore has no ragged tensors, "
        "expected ragged=None or False");
  }
  const std::optional<DType> d = to_optional_dtype(dtype);
  if (is_ndarray_exact(x)) return wrap(to_strong_tensor(x, d, "convert_to_tensor"));
  if (is_sparse_object(x)) {
    std::optional<bool> sp;
    if (!sparse.is_none()) sp = nb::cast<bool>(sparse);
    const auto result = convert_to_tensor(*nb::inst_ptr<SparseTensor>(x), d, sp);
    if (const auto* t = std::get_if<Tensor>(&result)) return nb::cast(*t);
    return nb::cast(std::get<SparseTensor>(result));
  }
  if (is_tensor_object(x)) {
    const Tensor& t = tensor_of(x);
    if ((!d || *d == t.dtype()) && !t.weak()) return nb::borrow(x);
  }
  return wrap(to_strong_tensor(x, d, "convert_to_tensor"));
}

nb::object py_convert_to_numpy(nb::handle x) {
  static auto* np = new nb::object(nb::module_::import_("numpy"));
  if (is_sparse_object(x)) {
    return numpy_copy(nb::inst_ptr<SparseTensor>(x)->to_dense());
  }
  if (is_tensor_object(x)) return numpy_copy(tensor_of(x));
  return np->attr("array")(x);
}

nb::object py_cast(nb::handle x, nb::handle dtype) {
  const DType d = to_dtype(dtype);
  if (is_sparse_object(x)) return nb::cast(cast(*nb::inst_ptr<SparseTensor>(x), d));
  if (is_tensor_object(x)) {
    const Tensor& t = tensor_of(x);
    if (t.dtype() == d && !t.weak()) return nb::borrow(x);
    return wrap(cast(t, d));
  }
  return wrap(to_strong_tensor(x, d, "cast"));
}

template <Binary F>
void def_binary(nb::module_& m, const char* name, const char* doc) {
  m.def(
      name,
      [name](nb::handle x1, nb::handle x2) {
        std::optional<Tensor> h1;
        std::optional<Tensor> h2;
        return F(as_tensor(x1, h1, name), as_tensor(x2, h2, name));
      },
      "x1"_a, "x2"_a, doc);
}

template <Unary F>
void def_unary(nb::module_& m, const char* name, const char* doc) {
  m.def(
      name,
      [name](nb::handle x) {
        std::optional<Tensor> h;
        return F(as_tensor(x, h, name));
      },
      "x"_a, doc);
}

template <Reduction F>
void def_reduction(nb::module_& m, const char* name, const char* doc) {
  m.def(
      name,
      [name](nb::handle x, nb::handle axis, nb::handle keepdims) {
        // Any truth value, as in NumPy and JAX (np.True_ included).
        const int keep = PyObject_IsTrue(keepdims.ptr());
        if (keep < 0) throw nb::python_error();
        return F(to_tensor(x, name), to_optional_axes(axis, name), keep == 1);
      },
      "x"_a, "axis"_a = nb::none(), "keepdims"_a = false, doc);
}

std::vector<Tensor> to_tensor_list(nb::handle xs, const char* op) {
  std::vector<Tensor> out;
  if (is_tensor_object(xs)) {
    const Tensor& t = tensor_of(xs);
    if (t.ndim() == 0) {
      throw ValueError(std::string(op) + ": received a 0-d tensor; expected a sequence");
    }
    for (std::int64_t i = 0; i < t.shape()[0]; ++i) out.push_back(getitem(t, {i}));
    return out;
  }
  for (auto x : nb::borrow<nb::sequence>(xs)) out.push_back(to_tensor(x, op));
  return out;
}

}  // namespace

void bind_ops(nb::module_& m) {
  // The seed's conversion and inspection ops.
  m.def("convert_to_tensor", &py_convert_to_tensor, "x"_a, "dtype"_a = nb::none(),
        "sparse"_a = nb::none(), "ragged"_a = nb::none(),
        "Converts a tensor, NumPy array, DLPack producer, Python scalar or nested list to a "
        "kcore tensor. dtype=None keeps a tensor's or array's dtype and infers Python values "
        "(bool -> bool, int -> int32, float -> float32). A SparseTensor stays sparse unless "
        "sparse=False. A tensor already of the dtype is returned as is.");
  m.def("convert_to_numpy", &py_convert_to_numpy, "x"_a,
        "A fresh, writable NumPy array with the tensor's values (ml_dtypes types for bfloat16 "
        "and float8).");
  m.def(
      "is_tensor", [](nb::handle x) { return is_tensor_object(x) || is_sparse_object(x); },
      "x"_a.none(), "True for kcore Tensor and SparseTensor, False for anything else.");
  m.def("shape", &shape_of, "x"_a,
        "The shape as a tuple of ints (a SparseTensor's dense shape; other inputs are "
        "converted first).");
  m.def("cast", &py_cast, "x"_a, "dtype"_a.none(),
        "Casts x to dtype: float -> int truncates and saturates (NaN -> 0), int -> int wraps, "
        "-> bool is x != 0, float narrowing rounds to nearest even. The same dtype returns x.");

  // Creation.
  m.def(
      "zeros",
      [](nb::handle shape, nb::handle dtype) {
        return zeros(to_new_shape(shape, "zeros"), to_dtype(dtype));
      },
      "shape"_a, "dtype"_a = nb::none(), "A tensor of zeros (float32 unless dtype is given).");
  m.def(
      "ones",
      [](nb::handle shape, nb::handle dtype) {
        return ones(to_new_shape(shape, "ones"), to_dtype(dtype));
      },
      "shape"_a, "dtype"_a = nb::none(), "A tensor of ones (float32 unless dtype is given).");
  m.def(
      "full",
      [](nb::handle shape, nb::handle fill_value, nb::handle dtype) {
        // Keras' full (JAX, TensorFlow and NumPy backends): dtype=None means floatx, whatever
        // the fill value's type; a non-scalar fill value is broadcast to the shape.
        const Shape s = to_new_shape(shape, "full");
        const DType d = to_dtype(dtype);
        const Tensor fill = to_strong_tensor(fill_value, d, "full");
        if (fill.ndim() == 0) return full(s, fill, d);
        try {
          return ascontiguous(broadcast_to(fill, s));
        } catch (const ValueError&) {
          throw ValueError("full: received fill_value of shape " + format_shape(fill.shape()) +
                           ", which does not broadcast to shape " + format_shape(s));
        }
      },
      "shape"_a, "fill_value"_a, "dtype"_a = nb::none(),
      "A tensor of shape filled with fill_value, of dtype (float32 when dtype is None, as in "
      "Keras).");
  m.def(
      "arange",
      [](nb::handle start, nb::handle stop, nb::handle step, nb::handle dtype) {
        if (stop.is_none()) {
          return arange(0, to_tensor(start, "arange"), to_tensor(step, "arange"),
                        to_optional_dtype(dtype));
        }
        return arange(to_tensor(start, "arange"), to_tensor(stop, "arange"),
                      to_tensor(step, "arange"), to_optional_dtype(dtype));
      },
      "start"_a, "stop"_a = nb::none(), "step"_a = 1, "dtype"_a = nb::none(),
      "Evenly spaced values in [start, stop); arange(n) is [0, n).");
  m.def(
      "array",
      [](nb::handle x, nb::handle dtype) {
        return array(to_nested_value(x, "array"), to_optional_dtype(dtype));
      },
      "x"_a, "dtype"_a = nb::none(), "A new tensor holding a copy of x.");

  // Arithmetic, comparison, logic.
  def_binary<add>(m, "add", "x1 + x2, elementwise, with broadcasting.");
  def_binary<subtract>(m, "subtract", "x1 - x2, elementwise, with broadcasting.");
  def_binary<multiply>(m, "multiply", "x1 * x2, elementwise, with broadcasting.");
  def_binary<divide>(m, "divide", "x1 / x2 (true division: integers give float32).");
  def_unary<negative>(m, "negative", "-x, elementwise.");
  def_unary<abs>(m, "abs", "|x|, elementwise (complex -> real).");
  def_unary<abs>(m, "absolute", "|x|, elementwise (complex -> real).");
  def_unary<exp>(m, "exp", "e**x, elementwise (integers -> float32).");
  def_unary<log>(m, "log", "Natural logarithm, elementwise (integers -> float32).");
  def_unary<sqrt>(m, "sqrt", "Square root, elementwise (integers -> float32).");
  def_binary<equal>(m, "equal", "x1 == x2, elementwise (bool).");
  def_binary<not_equal>(m, "not_equal", "x1 != x2, elementwise (bool).");
  def_binary<less>(m, "less", "x1 < x2, elementwise (bool).");
  def_binary<less_equal>(m, "less_equal", "x1 <= x2, elementwise (bool).");
  def_binary<greater>(m, "greater", "x1 > x2, elementwise (bool).");
  def_binary<greater_equal>(m, "greater_equal", "x1 >= x2, elementwise (bool).");
  def_binary<logical_and>(m, "logical_and", "x1 and x2, elementwise (bool).");
  def_binary<logical_or>(m, "logical_or", "x1 or x2, elementwise (bool).");
  def_unary<logical_not>(m, "logical_not", "not x, elementwise (bool).");
  m.def(
      "where",
      [](nb::handle condition, nb::handle x1, nb::handle x2) {
        if (x1.is_none() || x2.is_none()) {
          throw ValueError(
              "where: received only a condition; expected both x1 and x2 "
              "(the one-argument form is not supported)");
        }
        return where(to_tensor(condition, "where"), to_tensor(x1, "where"), to_tensor(x2, "where"));
      },
      "condition"_a, "x1"_a = nb::none(), "x2"_a = nb::none(),
      "x1 where condition is true, else x2, with broadcasting.");

  // Reductions.
  def_reduction<sum>(m, "sum", "Sum over axis (all when None); small integers sum in int32.");
  def_reduction<max>(m, "max", "Maximum over axis (all when None); NaN propagates.");
  def_reduction<min>(m, "min", "Minimum over axis (all when None); NaN propagates.");
  def_reduction<mean>(m, "mean", "Mean over axis (all when None); integers give float32.");

  // Shape manipulation.
  m.def(
      "reshape",
      [](nb::handle x, nb::handle newshape) {
        return reshape(to_tensor(x, "reshape"), to_shape(newshape, "reshape"));
      },
      "x"_a, "newshape"_a, "x with a new shape (one -1 allowed); a view where possible.");
  m.def(
      "transpose",
      [](nb::handle x, nb::handle axes) {
        return transpose(to_tensor(x, "transpose"), to_optional_axes(axes, "transpose"));
      },
      "x"_a, "axes"_a = nb::none(), "x with its axes permuted (reversed by default); a view.");
  m.def(
      "moveaxis",
      [](nb::handle x, nb::handle source, nb::handle destination) {
        return moveaxis(to_tensor(x, "moveaxis"), to_int_list(source, "moveaxis", "source"),
                        to_int_list(destination, "moveaxis", "destination"));
      },
      "x"_a, "source"_a, "destination"_a, "x with axes moved to new positions; a view.");
  m.def(
      "expand_dims",
      [](nb::handle x, nb::handle axis) {
        return expand_dims(to_tensor(x, "expand_dims"), to_int_list(axis, "expand_dims", "axis"));
      },
      "x"_a, "axis"_a, "x with size-1 axes inserted at axis; a view.");
  m.def(
      "squeeze",
      [](nb::handle x, nb::handle axis) {
        return squeeze(to_tensor(x, "squeeze"), to_optional_axes(axis, "squeeze"));
      },
      "x"_a, "axis"_a = nb::none(), "x without its size-1 axes (or only those in axis).");
  m.def(
      "broadcast_to",
      [](nb::handle x, nb::handle shape) {
        return broadcast_to(to_tensor(x, "broadcast_to"), to_shape(shape, "broadcast_to"));
      },
      "x"_a, "shape"_a, "x broadcast to shape (NumPy rules); a view.");
  m.def(
      "stack",
      [](nb::handle x, std::int64_t axis) { return stack(to_tensor_list(x, "stack"), axis); },
      "x"_a, "axis"_a = 0, "Tensors of one shape joined along a new axis.");
  m.def(
      "concatenate",
      [](nb::handle xs, std::int64_t axis) {
        return concatenate(to_tensor_list(xs, "concatenate"), axis);
      },
      "xs"_a, "axis"_a = 0, "Tensors joined along an existing axis.");

  m.def("set_num_threads", &set_num_threads, "n"_a, "Sets the number of threads kernels use.");
  m.def("num_threads", &num_threads, "The number of threads kernels use.");
}

}  // namespace kcore::python
