#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <string>

#include "kcore/core_ops.h"
#include "kcore/indexing_ops.h"
#include "kcore/ops.h"
#include "primitives/dynamic_slice.h"
#include "primitives/indexing_util.h"
#include "primitives/layout.h"
#include "primitives/scatter.h"
#include "primitives/sequences.h"

namespace kcore {
namespace {

ScatterReduction parse_reduction(std::optional<std::string_view> reduction) {
  if (!reduction) return ScatterReduction::None;
  std::string lower(*reduction);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "add") return ScatterReduction::Add;
  if (lower == "max") return ScatterReduction::Max;
  if (lower == "min") return ScatterReduction::Min;
  if (lower == "mul") return ScatterReduction::Mul;
  throw ValueError("scatter_update: Invalid reduction: " + std::string(*reduction) +
                   ". Supported values are: None, 'add', 'max', 'min', 'mul'.");
}

// A weak scalar (a bare Python/C++ number) resolved to its own dtype (int32, float32).
Tensor strong(const Tensor& t) {
  return t.weak() ? convert_to_tensor(Nested(t)) : t;
}

// Binds `p` to (operand, rest...) with the operand moved in, so that the kernel may reuse its
// buffer; if the call fails, the operand is given back.
Tensor bind_donating(const PrimitivePtr& p, Tensor& operand, const Tensor& a, const Tensor& b) {
  std::array<Tensor, 3> args{std::move(operand), a, b};
  try {
    return bind1(p, args);
  } catch (...) {
    operand = std::move(args[0]);
    throw;
  }
}

// updates cast to `dtype` and broadcast to `shape` (NumPy rules), else ValueError naming `op`.
Tensor fit_updates(const Tensor& updates, DType dtype, const Shape& shape, std::string_view op,
                   bool broadcast) {
  Tensor u = cast(updates, dtype);
  if (u.shape() == shape) return u;
  bool ok = broadcast && u.shape().size() <= shape.size();
  const std::size_t lead = ok ? shape.size() - u.shape().size() : 0;
  for (std::size_t i = 0; ok && i < u.shape().size(); ++i) {
    ok = u.shape()[i] == 1 || u.shape()[i] == shape[lead + i];
  }
  if (!ok) {
    throw ValueError(std::string(op) + ": updates of shape " + format_shape(updates.shape()) +
                     " do not match the indexed rows; expected shape " + format_shape(shape) +
                     " (indices.shape[:-1] + inputs.shape[d:]) or one that broadcasts to it");
  }
  return broadcast_to(u, shape);
}

// The depth of indices ([..., d]) against an operand of rank `rank`, checked.
std::int64_t checked_depth(const Tensor& indices, std::int64_t rank, std::string_view op,
                           const Shape& operand) {
  indexing::require_integer(indices, op, "indices");
  if (indices.ndim() < 1) {
    throw ValueError(std::string(op) +
                     ": indices must have rank >= 1 (shape [..., d]); received a scalar");
  }
  const std::int64_t d = indices.shape().back();
  if (d > rank) {
    throw ValueError(std::string(op) + ": indices of shape " + format_shape(indices.shape()) +
                     " have depth " + std::to_string(d) +
                     " (their last dimension) for inputs of shape " + format_shape(operand) +
                     "; expected depth <= " + std::to_string(rank));
  }
  return d;
}

// Start indices as a 1-D integer tensor of length `n`, checked. Static start indices are checked
// and become a tensor only when `make_ints` (nullopt otherwise).
std::optional<Tensor> start_tensor(const StartIndices& start, std::int64_t n, std::string_view op,
                                   const Shape& inputs_shape, bool make_ints = true) {
  const auto mismatch = [&](const std::string& received) {
    return ValueError(std::string(op) +
                      ": The number of dimensions in `start_indices` must match the number of "
                      "dimensions in `inputs`. Received start_indices=" +
                      received + " and inputs.shape=" + format_shape(inputs_shape));
  };
  if (!start.is_tensor()) {
    if (static_cast<std::int64_t>(start.ints().size()) != n) {
      throw mismatch(indexing::format_ints(start.ints()));
    }
    if (!make_ints) return std::nullopt;
    return convert_to_tensor(start.ints().data(), {n}, DType::Int64);
  }
  const Tensor& t = start.tensor();
  indexing::require_integer(t, op, "start_indices");
  if (t.ndim() != 1 || t.shape()[0] != n) {
    throw mismatch("a tensor of shape " + format_shape(t.shape()));
  }
  return t;
}

// The size of a slice from `start` (wrapped once if negative, then clamped) to the end.
std::int64_t size_to_end(std::int64_t start, std::int64_t dim) {
  return dim - std::clamp<std::int64_t>(start < 0 ? start + dim : start, 0, dim);
}

}  // namespace

Tensor scatter(const Tensor& indices, const Tensor& values, const Shape& shape) {
  return bind1(std::make_shared<Scatter>(shape), {indices, strong(values)});
}

Tensor scatter_update(Tensor&& inputs, const Tensor& indices, const Tensor& updates,
                      std::optional<std::string_view> reduction) {
  const auto p = std::make_shared<ScatterUpdate>(parse_reduction(reduction));
  if (inputs.weak()) inputs = strong(inputs);
  const std::int64_t d = checked_depth(indices, inputs.ndim(), "scatter_update", inputs.shape());
  Shape rows(indices.shape().begin(), indices.shape().end() - 1);
  rows.insert(rows.end(), inputs.shape().begin() + d, inputs.shape().end());
  const Tensor u = fit_updates(updates, inputs.dtype(), rows, "scatter_update", true);
  return bind_donating(p, inputs, indices, u);
}

Tensor scatter_update(const Tensor& inputs, const Tensor& indices, const Tensor& updates,
                      std::optional<std::string_view> reduction) {
  Tensor copy = inputs;  // a second holder: the kernel will not reuse the buffer
  return scatter_update(std::move(copy), indices, updates, reduction);
}

bool slice_is_view(const Tensor& inputs, std::span<const std::int64_t> starts,
                   std::span<const std::int64_t> shape) {
  const std::size_t nd = inputs.shape().size();
  if (inputs.tracer() != nullptr || shape.size() != nd || starts.size() != nd) return false;
  for (std::size_t i = 0; i < nd; ++i) {
    if (shape[i] < -1 || shape[i] > inputs.shape()[i]) return false;
  }
  return true;
}

Tensor slice_view(const Tensor& inputs, std::span<const std::int64_t> starts,
                  std::span<const std::int64_t> shape) {
  const std::size_t nd = inputs.shape().size();
  Shape size;
  std::int64_t offset = inputs.offset();
  bool empty = false;
  for (std::size_t i = 0; i < nd; ++i) {
    const std::int64_t dim = inputs.shape()[i];
    const std::int64_t n = shape[i] == -1 ? size_to_end(starts[i], dim) : shape[i];
    size.push_back(n);
    offset += indexing::clamp_start(starts[i], dim, n) * inputs.strides()[i];
    empty = empty || n == 0;
  }
  // An empty view keeps the input's offset, as strided_view's does.
  return Tensor::view(inputs, std::move(size), inputs.strides(), empty ? inputs.offset() : offset);
}

Tensor slice(const Tensor& inputs, const StartIndices& start_indices, const Shape& shape) {
  // A plain tensor's slice is its view, made here: the primitive is for tracers (autodiff,
  // vectorized_map), and building it costs more than the view.
  if (!start_indices.is_tensor() && slice_is_view(inputs, start_indices.ints(), shape)) {
    return slice_view(inputs, start_indices.ints(), shape);
  }
  const std::int64_t nd = inputs.ndim();
  if (static_cast<std::int64_t>(shape.size()) != nd) {
    throw ValueError(
        "slice: The number of dimensions in `inputs` must match the number of dimensions in "
        "`shape`. Received inputs.shape=" +
        format_shape(inputs.shape()) + " and shape=" + format_shape(shape));
  }
  const std::optional<Tensor> starts =
      start_tensor(start_indices, nd, "slice", inputs.shape(), false);
  bool to_end = false;
  for (std::int64_t i = 0; i < nd; ++i) {
    if (shape[i] < -1 || shape[i] > inputs.shape()[i]) {
      throw ValueError("slice: shape " + format_shape(shape) + " does not fit inputs of shape " +
                       format_shape(inputs.shape()) +
                       "; expected each size in [0, dim], or -1 for \"to the end\"");
    }
    to_end = to_end || shape[i] == -1;
  }
  if (start_indices.is_tensor() && !to_end) {
    return bind1(std::make_shared<DynamicSlice>(shape), {inputs, *starts});
  }
  if (start_indices.is_tensor() && !starts->has_values()) {
    throw ValueError(
        "slice: shape " + format_shape(shape) +
        " has -1 (\"to the end\"), whose size depends on the value of start_indices, and "
        "start_indices is traced by vectorized_map; expected explicit sizes");
  }
  const std::vector<std::int64_t> read =
      start_indices.is_tensor() ? indexing::read_int64(*starts) : std::vector<std::int64_t>();
  const std::span<const std::int64_t> given =
      start_indices.is_tensor() ? std::span<const std::int64_t>(read) : start_indices.ints();
  if (inputs.tracer() == nullptr) return slice_view(inputs, given, shape);
  Shape begin(static_cast<std::size_t>(nd));
  Shape size = shape;
  for (std::int64_t i = 0; i < nd; ++i) {
    const std::int64_t dim = inputs.shape()[i];
    if (size[i] == -1) size[i] = size_to_end(given[i], dim);
    begin[i] = indexing::clamp_start(given[i], dim, size[i]);
  }
  return bind1(
      std::make_shared<StridedSlice>(std::vector<std::int64_t>(begin.begin(), begin.end()),
                                     std::vector<std::int64_t>(begin.size(), 1), std::move(size)),
      std::span<const Tensor>(&inputs, 1));
}

Tensor slice_update(Tensor&& inputs, const StartIndices& start_indices, const Tensor& updates) {
  if (inputs.weak()) inputs = strong(inputs);
  const std::int64_t nd = inputs.ndim();
  bool ok = updates.ndim() == nd;
  for (std::int64_t i = 0; ok && i < nd; ++i) ok = updates.shape()[i] <= inputs.shape()[i];
  if (!ok) {
    throw ValueError("slice_update: updates of shape " + format_shape(updates.shape()) +
                     " do not fit inputs of shape " + format_shape(inputs.shape()) +
                     "; expected the same rank and updates.shape[i] <= inputs.shape[i]");
  }
  const std::optional<Tensor> starts =
      start_tensor(start_indices, nd, "slice_update", inputs.shape(), start_indices.is_tensor());
  const Tensor u = cast(updates, inputs.dtype());
  // Untraced, with static starts: the kernel runs here, without building the primitive.
  if (!starts.has_value() && inputs.tracer() == nullptr && u.tracer() == nullptr) {
    return updated_window(std::move(inputs), u, start_indices.ints().data());
  }
  return bind_donating(std::make_shared<DynamicUpdateSlice>(), inputs, u,
                       starts.has_value()
                           ? *starts
                           : convert_to_tensor(start_indices.ints().data(), {nd}, DType::Int64));
}

Tensor slice_update(const Tensor& inputs, const StartIndices& start_indices,
                    const Tensor& updates) {
  Tensor copy = inputs;  // a second holder: the kernel will not reuse the buffer
  return slice_update(std::move(copy), start_indices, updates);
}

namespace {

// The axis unstack splits, checked.
std::int64_t unstack_axis(const Tensor& x, std::optional<std::int64_t> num, std::int64_t axis) {
  const std::int64_t nd = x.ndim();
  if (axis < -nd || axis >= nd) {
    throw ValueError("unstack: axis " + std::to_string(axis) +
                     " is out of bounds for an array with dimension " + std::to_string(nd) +
                     "; expected an axis in [" + std::to_string(-nd) + ", " + std::to_string(nd) +
                     ")");
  }
  const std::int64_t a = axis < 0 ? axis + nd : axis;
  if (num && *num != x.shape()[a]) {
    throw ValueError("unstack: num=" + std::to_string(*num) + " does not match dimension " +
                     std::to_string(a) + " of x.shape=" + format_shape(x.shape()) +
                     "; expected num=None or " + std::to_string(x.shape()[a]));
  }
  return a;
}

}  // namespace

std::vector<Tensor> unstack(const Tensor& x, std::optional<std::int64_t> num, std::int64_t axis) {
  const std::int64_t a = unstack_axis(x, num, axis);
  if (x.tracer() == nullptr) return unstack_views(x, a);  // as slice: no primitive needed
  return kcore::bind(std::make_shared<Unstack>(a), std::span<const Tensor>(&x, 1));
}

void unstack_each(const Tensor& x, std::optional<std::int64_t> num, std::int64_t axis,
                  const std::function<void(Tensor&&)>& consume) {
  const std::int64_t a = unstack_axis(x, num, axis);
  if (x.tracer() == nullptr) {
    for_each_unstacked_view(x, a, consume);
    return;
  }
  for (Tensor& part : kcore::bind(std::make_shared<Unstack>(a), std::span<const Tensor>(&x, 1))) {
    consume(std::move(part));
  }
}

Tensor extract_sequences(const Tensor& x, std::int64_t sequence_length,
                         std::int64_t sequence_stride) {
  return bind1(std::make_shared<ExtractSequences>(sequence_length, sequence_stride), {x});
}

Tensor gather(const Tensor& x, const Tensor& indices) {
  return bind1(std::make_shared<Gather>(), {x, indices});
}

}  // namespace kcore
