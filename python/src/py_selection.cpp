// Bindings of the selection ops (include/kcore/selection_ops.h): top_k, in_top_k, segment_sum,
// segment_max, with Keras' names, argument names and defaults.
#include <nanobind/nanobind.h>

#include <optional>
#include <string>

#include "py_convert.h"
#include "py_module.h"

namespace kcore::python {
namespace {

// A Python int (or anything with __index__, or a 0-d integer tensor) as int64; TypeError
// naming the op otherwise.
std::int64_t to_int(nb::handle x, const char* op, const char* what) {
  if (is_tensor_object(x)) {
    const Tensor& t = tensor_of(x);
    if (t.ndim() == 0 && is_integer(t.dtype())) return cast(t, DType::Int64).item<std::int64_t>();
  }
  PyObject* index = PyNumber_Index(x.ptr());
  if (index == nullptr) {
    PyErr_Clear();
    throw TypeError(std::string(op) + ": received " + what + " of type " +
                    nb::type_name(x.type()).c_str() + "; expected an int");
  }
  std::int64_t v = 0;
  const bool fits = int64_value(index, v);
  Py_DECREF(index);
  if (!fits) {
    throw ValueError(std::string(op) + ": received " + what +
                     " outside the int64 range; expected a smaller integer");
  }
  return v;
}

bool truthy(nb::handle x) {
  const int r = PyObject_IsTrue(x.ptr());
  if (r < 0) throw nb::python_error();
  return r != 0;
}

std::optional<std::int64_t> to_num_segments(nb::handle x, const char* op) {
  if (x.is_none()) return std::nullopt;
  return to_int(x, op, "num_segments");
}

}  // namespace

void bind_selection(nb::module_& m) {
  m.def(
      "top_k",
      [](nb::handle x, nb::handle k, nb::handle sorted, nb::handle /*is_stable*/) {
        const auto r = top_k(to_tensor(x, "top_k"), to_int(k, "top_k", "k"), truthy(sorted));
        return nb::make_tuple(r.values, r.indices);
      },
      "x"_a, "k"_a, "sorted"_a = true, "is_stable"_a = true,
      "The k largest entries along the last axis of x and their int32 indices, as "
      "(values, indices) of shape x.shape[:-1] + (k,). Descending, ties to the lower index, NaN "
      "above +inf, -0.0 == +0.0; with sorted=False the order is unspecified. Always stable "
      "(is_stable is accepted for Keras' signature).");
  m.def(
      "in_top_k",
      [](nb::handle targets, nb::handle predictions, nb::handle k) {
        return in_top_k(to_tensor(targets, "in_top_k"), to_tensor(predictions, "in_top_k"),
                        to_int(k, "in_top_k", "k"));
      },
      "targets"_a, "predictions"_a, "k"_a,
      "Whether each target is among the top k predictions of its row: "
      "count(predictions[..., j] > predictions[..., target]) < k (ties at the boundary count "
      "as in). False for a NaN at the target, a target outside [0, n) or k <= 0.");
  m.def(
      "segment_sum",
      [](nb::handle data, nb::handle segment_ids, nb::handle num_segments, nb::handle sorted) {
        return segment_sum(to_tensor(data, "segment_sum"), to_tensor(segment_ids, "segment_sum"),
                           to_num_segments(num_segments, "segment_sum"), truthy(sorted));
      },
      "data"_a, "segment_ids"_a, "num_segments"_a = nb::none(), "sorted"_a = false,
      "Sums of the rows of data sharing a segment id: shape (num_segments,) + data.shape[1:]. "
      "num_segments=None means max(segment_ids) + 1; ids outside [0, num_segments) are dropped. "
      "sorted=True promises sorted ids (a faster path).");
  m.def(
      "segment_max",
      [](nb::handle data, nb::handle segment_ids, nb::handle num_segments, nb::handle sorted) {
        return segment_max(to_tensor(data, "segment_max"), to_tensor(segment_ids, "segment_max"),
                           to_num_segments(num_segments, "segment_max"), truthy(sorted));
      },
      "data"_a, "segment_ids"_a, "num_segments"_a = nb::none(), "sorted"_a = false,
      "Maxima of the rows of data sharing a segment id: shape (num_segments,) + data.shape[1:]. "
      "Empty segments give -inf (floats), the dtype's minimum (integers) or False. "
      "num_segments=None means max(segment_ids) + 1; ids outside [0, num_segments) are dropped.");
}

}  // namespace kcore::python
