#include <algorithm>
#include <memory>
#include <string>

#include "kcore/ops.h"
#include "primitives/layout.h"

namespace kcore {

Tensor reshape(const Tensor& x, const Shape& new_shape) {
  Shape shape = new_shape;
  Shape known_dims;
  std::int64_t infer_at = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && infer_at < 0) {
      infer_at = static_cast<std::int64_t>(i);
    } else if (shape[i] < 0) {
      throw ValueError("reshape: received shape " + format_shape(new_shape) +
                       "; expected non-negative dimensions and at most one -1");
    } else {
      known_dims.push_back(shape[i]);
    }
  }
  const std::int64_t known = checked_size(known_dims, "reshape");
  if (infer_at >= 0) {
    if (known == 0 || x.size() % known != 0) {
      throw ValueError("reshape: cannot reshape a tensor of shape " + format_shape(x.shape()) +
                       " into shape " + format_shape(new_shape) +
                       "; expected the known dimensions to divide its size");
    }
    shape[infer_at] = x.size() / known;
  }
  return bind1(std::make_shared<Reshape>(std::move(shape)), {x});
}

Tensor transpose(const Tensor& x, std::optional<Axes> axes) {
  Axes perm;
  if (axes) {
    for (auto a : *axes) perm.push_back(normalize_axis(a, x.ndim(), "transpose"));
  } else {
    for (std::int64_t i = x.ndim(); i-- > 0;) perm.push_back(i);
  }
  return bind1(std::make_shared<Transpose>(std::move(perm)), {x});
}

Tensor moveaxis(const Tensor& x, const Axes& source, const Axes& destination) {
  if (source.size() != destination.size()) {
    throw ValueError("moveaxis: received " + std::to_string(source.size()) + " source and " +
                     std::to_string(destination.size()) +
                     " destination axes; expected the same number");
  }
  const std::int64_t nd = x.ndim();
  Axes src;
  Axes dst;
  for (auto a : source) src.push_back(normalize_axis(a, nd, "moveaxis"));
  for (auto a : destination) dst.push_back(normalize_axis(a, nd, "moveaxis"));
  for (const Axes* v : {&src, &dst}) {
    Axes sorted = *v;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      throw ValueError("moveaxis: received repeated axes; expected distinct axes");
    }
  }
  Axes order;
  for (std::int64_t i = 0; i < nd; ++i) {
    if (std::find(src.begin(), src.end(), i) == src.end()) order.push_back(i);
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> moves;
  for (std::size_t i = 0; i < src.size(); ++i) moves.emplace_back(dst[i], src[i]);
  std::sort(moves.begin(), moves.end());
  for (const auto& [d, s] : moves) order.insert(order.begin() + d, s);
  return transpose(x, order);
}

Tensor expand_dims(const Tensor& x, const Axes& axis) {
  const std::int64_t out_nd = x.ndim() + static_cast<std::int64_t>(axis.size());
  std::vector<bool> is_new(static_cast<std::size_t>(out_nd), false);
  for (auto a : axis) {
    const auto n = static_cast<std::size_t>(normalize_axis(a, out_nd, "expand_dims"));
    if (is_new[n]) {
      throw ValueError("expand_dims: received a repeated axis " + std::to_string(a) +
                       "; expected distinct axes");
    }
    is_new[n] = true;
  }
  Shape shape;
  std::size_t next = 0;
  for (std::int64_t i = 0; i < out_nd; ++i) {
    shape.push_back(is_new[i] ? 1 : x.shape()[next++]);
  }
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, std::optional<Axes> axis) {
  std::vector<bool> drop(static_cast<std::size_t>(x.ndim()), false);
  if (axis) {
    for (auto a : *axis) {
      const std::int64_t n = normalize_axis(a, x.ndim(), "squeeze");
      if (x.shape()[n] != 1) {
        throw ValueError("squeeze: axis " + std::to_string(a) + " has size " +
                         std::to_string(x.shape()[n]) + " in shape " + format_shape(x.shape()) +
                         "; expected size 1");
      }
      drop[n] = true;
    }
  } else {
    for (std::int64_t i = 0; i < x.ndim(); ++i) drop[i] = x.shape()[i] == 1;
  }
  Shape shape;
  for (std::int64_t i = 0; i < x.ndim(); ++i) {
    if (!drop[i]) shape.push_back(x.shape()[i]);
  }
  return reshape(x, shape);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  return bind1(std::make_shared<BroadcastTo>(shape), {x});
}

Tensor concatenate(const std::vector<Tensor>& xs, std::int64_t axis) {
  return bind1(std::make_shared<Concatenate>(axis), std::span<const Tensor>(xs));
}

Tensor stack(const std::vector<Tensor>& xs, std::int64_t axis) {
  if (xs.empty()) throw ValueError("stack: received no tensors; expected at least one");
  for (std::size_t i = 1; i < xs.size(); ++i) {
    if (xs[i].shape() != xs[0].shape()) {
      throw ValueError("stack: tensor " + std::to_string(i) + " has shape " +
                       format_shape(xs[i].shape()) + ", tensor 0 has shape " +
                       format_shape(xs[0].shape()) + "; expected equal shapes");
    }
  }
  const std::int64_t a = normalize_axis(axis, xs[0].ndim() + 1, "stack");
  std::vector<Tensor> expanded;
  expanded.reserve(xs.size());
  for (const auto& x : xs) expanded.push_back(expand_dims(x, {a}));
  return concatenate(expanded, a);
}

Tensor ascontiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return bind1(std::make_shared<Copy>(), {x});
}

Tensor getitem(const Tensor& x, const std::vector<Index>& index) {
  std::int64_t consumed = 0;
  std::int64_t ellipses = 0;
  for (const auto& i : index) {
    if (std::holds_alternative<std::int64_t>(i) || std::holds_alternative<Slice>(i)) ++consumed;
    if (std::holds_alternative<Ellipsis>(i)) ++ellipses;
  }
  if (ellipses > 1) {
    throw IndexError("getitem: received " + std::to_string(ellipses) +
                     " ellipses; expected at most one");
  }
  if (consumed > x.ndim()) {
    throw IndexError("getitem: too many indices for a tensor of rank " + std::to_string(x.ndim()) +
                     ": received " + std::to_string(consumed));
  }
  std::vector<std::int64_t> start;
  std::vector<std::int64_t> step;
  Shape size;
  Shape result_shape;  // after dropping integer-indexed axes and adding new ones
  std::int64_t axis = 0;
  auto full_axis = [&]() {
    start.push_back(0);
    step.push_back(1);
    size.push_back(x.shape()[axis]);
    result_shape.push_back(x.shape()[axis]);
    ++axis;
  };
  for (const auto& item : index) {
    if (const auto* n = std::get_if<std::int64_t>(&item)) {
      const std::int64_t dim = x.shape()[axis];
      const std::int64_t i = *n < 0 ? *n + dim : *n;
      if (i < 0 || i >= dim) {
        throw IndexError("getitem: index " + std::to_string(*n) + " is out of bounds for axis " +
                         std::to_string(axis) + " with size " + std::to_string(dim));
      }
      start.push_back(i);
      step.push_back(1);
      size.push_back(1);
      ++axis;
    } else if (const auto* s = std::get_if<Slice>(&item)) {
      const std::int64_t dim = x.shape()[axis];
      if (s->step.value_or(1) == 0) throw ValueError("getitem: slice step cannot be zero");
      // A step longer than the axis takes at most one element: bound it, so that no
      // arithmetic below overflows.
      const std::int64_t st = std::clamp<std::int64_t>(s->step.value_or(1), -dim - 1, dim + 1);
      // Python's slice.indices.
      auto clamp = [&](std::optional<std::int64_t> v, std::int64_t dflt) {
        if (!v) return dflt;
        std::int64_t a = *v < 0 ? *v + dim : *v;
        if (st > 0) return std::clamp<std::int64_t>(a, 0, dim);
        return std::clamp<std::int64_t>(a, -1, dim - 1);
      };
      const std::int64_t b = clamp(s->start, st > 0 ? 0 : dim - 1);
      const std::int64_t e = clamp(s->stop, st > 0 ? dim : -1);
      std::int64_t len = 0;
      if (st > 0 && e > b) len = (e - b + st - 1) / st;
      if (st < 0 && b > e) len = (b - e + (-st) - 1) / (-st);
      start.push_back(len > 0 ? b : 0);
      step.push_back(st);
      size.push_back(len);
      result_shape.push_back(len);
      ++axis;
    } else if (std::holds_alternative<NewAxis>(item)) {
      result_shape.push_back(1);
    } else {
      const std::int64_t skip = x.ndim() - consumed;
      for (std::int64_t k = 0; k < skip; ++k) full_axis();
    }
  }
  while (axis < x.ndim()) full_axis();
  const Tensor sliced = bind1(std::make_shared<StridedSlice>(start, step, size), {x});
  return reshape(sliced, result_shape);
}

}  // namespace kcore
