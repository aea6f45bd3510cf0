// The seed's indexing ops: scatter, scatter_update, slice, slice_update, unstack,
// extract_sequences. Argument conversion only; the ops are in src/ops/indexing_ops.cpp.
//
// A kcore tensor passed from Python is never reused: the caller may still see it, and this
// binding's copy of the handle is a second holder, so scatter_update and slice_update copy it.
// A NumPy array or list is converted into a private tensor, which they may reuse
// (docs/semantics.md, "Buffer reuse").
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "py_convert.h"
#include "py_module.h"

namespace kcore::python {
namespace {

// Integer arguments (starts, shapes), inline for up to 6 like Shape.
using Ints = SmallVector<std::int64_t, 6>;

bool is_python_int(nb::handle v) {
  return !PyBool_Check(v.ptr()) && !is_tensor_object(v) && nb::hasattr(v, "__index__");
}

// One integer argument: a Python int (or anything with __index__ but bool), or a 0-d integer
// tensor.
std::int64_t to_int(nb::handle v, const char* op, const char* what) {
  if (is_tensor_object(v)) {
    const Tensor& t = tensor_of(v);
    if (t.ndim() == 0 && is_integer(t.dtype())) return cast(t, DType::Int64).item<std::int64_t>();
  } else if (is_python_int(v)) {
    return nb::cast<std::int64_t>(v.attr("__index__")());
  }
  throw TypeError(std::string(op) + ": " + what + " must be an integer; received " +
                  nb::cast<std::string>(nb::str(v.type().attr("__name__"))));
}

// Reads a list or tuple of exact Python ints into `out`, without attribute lookups; false (out
// unspecified) for anything else, which the general conversion then handles, errors included.
bool read_exact_ints(nb::handle s, Ints& out) {
  PyObject* p = s.ptr();
  if (!PyList_Check(p) && !PyTuple_Check(p)) return false;
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(p);
  PyObject** items = PySequence_Fast_ITEMS(p);
  out.clear();
  for (Py_ssize_t i = 0; i < n; ++i) {
    std::int64_t v = 0;
    if (!PyLong_CheckExact(items[i]) || !int64_value(items[i], v)) return false;
    out.push_back(v);
  }
  return true;
}

Ints to_ints(nb::handle s, const char* op, const char* what) {
  Ints out;
  if (read_exact_ints(s, out)) return out;
  return Ints(to_int_list(s, op, what));
}

// start_indices: a list or tuple of ints (static), or a tensor, array, or list holding tensors
// (read when the op runs).
StartIndices to_start_indices(nb::handle s, const char* op) {
  if (Ints v; read_exact_ints(s, v)) return StartIndices(std::span<const std::int64_t>(v));
  if (is_tensor_object(s)) return StartIndices(tensor_of(s));
  if (PyList_Check(s.ptr()) || PyTuple_Check(s.ptr())) {
    bool all_ints = true;
    for (auto v : nb::borrow<nb::sequence>(s)) all_ints = all_ints && is_python_int(v);
    if (all_ints) return StartIndices(to_int_list(s, op, "start_indices"));
    std::vector<Tensor> items;
    for (auto v : nb::borrow<nb::sequence>(s)) {
      const Tensor t = to_tensor(v, op);
      if (t.ndim() != 0 || !is_integer(t.dtype())) {
        throw TypeError(std::string(op) +
                        ": start_indices must be integers or integer scalar tensors; received an "
                        "element of dtype " +
                        std::string(name(t.dtype())) + " and shape " + format_shape(t.shape()));
      }
      items.push_back(cast(t, DType::Int64));
    }
    return StartIndices(stack(items));
  }
  return StartIndices(to_tensor(s, op));
}

// slice with any arguments, converted in full; not inlined into the fast path, whose frame
// would otherwise grow by what this one needs.
[[gnu::noinline]] nb::object general_slice(nb::handle inputs, nb::handle start_indices,
                                           nb::handle shape) {
  std::optional<Tensor> holder;
  return wrap(slice(as_tensor(inputs, holder, "slice"), to_start_indices(start_indices, "slice"),
                    to_ints(shape, "slice", "shape")));
}

std::optional<std::string_view> to_reduction(nb::handle r, std::string& storage) {
  if (r.is_none()) return std::nullopt;
  if (!nb::isinstance<nb::str>(r)) {
    throw ValueError("scatter_update: Invalid reduction: " + nb::cast<std::string>(nb::repr(r)) +
                     ". Supported values are: None, 'add', 'max', 'min', 'mul'.");
  }
  storage = nb::cast<std::string>(r);
  return storage;
}

}  // namespace

void bind_indexing(nb::module_& m) {
  m.def(
      "scatter",
      [](nb::handle indices, nb::handle values, nb::handle shape) {
        return scatter(to_tensor(indices, "scatter"), to_tensor(values, "scatter"),
                       to_ints(shape, "scatter", "shape"));
      },
      "indices"_a, "values"_a, "shape"_a,
      "Zeros of `shape` and values.dtype with `values` added at `indices` ([..., d]); duplicate "
      "indices add (bool: or). A negative index wraps once; out of range is IndexError.");
  m.def(
      "scatter_update",
      [](nb::handle inputs, nb::handle indices, nb::handle updates, nb::handle reduction) {
        std::string storage;
        const auto r = to_reduction(reduction, storage);
        return scatter_update(to_tensor(inputs, "scatter_update"),
                              to_tensor(indices, "scatter_update"),
                              to_tensor(updates, "scatter_update"), r);
      },
      "inputs"_a, "indices"_a, "updates"_a, "reduction"_a = nb::none(),
      "inputs with `updates` (cast to inputs.dtype) written at `indices`: reduction None "
      "overwrites (the last duplicate in index order wins), or 'add', 'max', 'min', 'mul' "
      "combine. The input is never modified.");
  m.def(
      "slice",
      [](nb::handle inputs, nb::handle start_indices, nb::handle shape) {
        // The common call, a tensor and lists of ints, skips the general conversions: at 10^4
        // elements a slice is its per-call cost.
        if (is_tensor_object(inputs)) {
          Ints starts;
          Ints sizes;
          const Tensor& x = tensor_of(inputs);
          if (read_exact_ints(start_indices, starts) && read_exact_ints(shape, sizes) &&
              slice_is_view(x, starts, sizes)) {
            return wrap_in_place([&] { return slice_view(x, starts, sizes); });
          }
        }
        return general_slice(inputs, start_indices, shape);
      },
      "inputs"_a, "start_indices"_a, "shape"_a,
      "inputs[s0:s0+shape0, ...], a view; -1 in shape means to the end. Starts (ints or a 1-D "
      "integer tensor) wrap once if negative, then are clamped so the slice fits (XLA).");
  m.def(
      "slice_update",
      [](nb::handle inputs, nb::handle start_indices, nb::handle updates) {
        return slice_update(to_tensor(inputs, "slice_update"),
                            to_start_indices(start_indices, "slice_update"),
                            to_tensor(updates, "slice_update"));
      },
      "inputs"_a, "start_indices"_a, "updates"_a,
      "inputs with `updates` (cast to inputs.dtype, same rank) written at start_indices, "
      "wrapped and clamped like slice's. The input is never modified.");
  m.def(
      "unstack",
      [](nb::handle x, nb::handle num, nb::handle axis) {
        std::optional<std::int64_t> n;
        if (!num.is_none()) n = to_int(num, "unstack", "num");
        std::optional<Tensor> holder;
        const Tensor& t = as_tensor(x, holder, "unstack");
        const std::int64_t a = to_int(axis, "unstack", "axis");
        // The list is made at its final length once unstack_each has checked the axis (its
        // first call back), and filled in place: no appends, no regrowth.
        nb::object out;
        Py_ssize_t i = 0;
        unstack_each(t, n, a, [&](Tensor&& part) {
          if (!out.is_valid()) {
            out =
                nb::steal(PyList_New(static_cast<Py_ssize_t>(t.shape()[a < 0 ? a + t.ndim() : a])));
            if (!out.is_valid()) throw nb::python_error();
          }
          PyList_SET_ITEM(out.ptr(), i++, wrap(std::move(part)).release().ptr());
        });
        return out.is_valid() ? out : nb::steal(PyList_New(0));
      },
      "x"_a, "num"_a = nb::none(), "axis"_a = 0,
      "The list of x.shape[axis] views x[..., i, ...] along axis; num, if given, must equal "
      "that dimension.");
  m.def(
      "extract_sequences",
      [](nb::handle x, nb::handle sequence_length, nb::handle sequence_stride) {
        return extract_sequences(to_tensor(x, "extract_sequences"),
                                 to_int(sequence_length, "extract_sequences", "sequence_length"),
                                 to_int(sequence_stride, "extract_sequences", "sequence_stride"));
      },
      "x"_a, "sequence_length"_a, "sequence_stride"_a,
      "Windows of sequence_length with hop sequence_stride over the last axis: shape "
      "x.shape[:-1] + (1 + (N - L) // S, L), or (..., 0, L) when L > N. A view of x.");
}

}  // namespace kcore::python
