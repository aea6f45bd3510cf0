#include "kcore/control_flow.h"

#include <string>

#include "kcore/batching.h"
#include "kcore/core_ops.h"
#include "kcore/ops.h"

namespace kcore {
namespace {

Tensor scalar_predicate(const Tensor& pred, std::string_view op) {
  if (pred.ndim() != 0) {
    throw ValueError(std::string(op) + ": the predicate has shape " + format_shape(pred.shape()) +
                     "; expected a scalar");
  }
  if (is_float8(pred.dtype())) {
    throw TypeError(std::string(op) + ": the predicate has dtype " +
                    std::string(name(pred.dtype())) + "; expected bool or a number");
  }
  if (pred.dtype() == DType::Bool) return pred;
  return cast(pred, DType::Bool);
}

// Whether a bool scalar is true, reducing over vectorized_map batches until a value exists.
bool any_true(Tensor b) {
  while (!b.has_values()) b = any_in_batch(b);
  return b.item<bool>();
}

Tree converted(const Tree& t) {
  return tree_map(t, [](const Tensor& x) { return convert_to_tensor(x); });
}

// Leaves of `next` checked against `reference`: same structure, shapes and dtypes.
std::vector<Tensor> matching_leaves(const Tree& reference, const Tree& next, std::string_view op,
                                    std::string_view what) {
  auto [ref_leaves, ref_def] = flatten(reference);
  auto [leaves, def] = flatten(converted(next));
  if (def != ref_def) {
    throw ValueError(std::string(op) + ": " + std::string(what) + " has structure " +
                     def.to_string() + "; expected " + ref_def.to_string());
  }
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].shape() != ref_leaves[i].shape() || leaves[i].dtype() != ref_leaves[i].dtype()) {
      throw ValueError(std::string(op) + ": " + std::string(what) + " leaf" + def.leaf_path(i) +
                       " has shape " + format_shape(leaves[i].shape()) + " and dtype " +
                       std::string(name(leaves[i].dtype())) + "; expected shape " +
                       format_shape(ref_leaves[i].shape()) + " and dtype " +
                       std::string(name(ref_leaves[i].dtype())));
    }
  }
  return leaves;
}

// where(mask, a, b) leaf by leaf.
Tree select(const Tensor& mask, const Tree& a, const Tree& b, std::string_view op,
            std::string_view what) {
  auto [b_leaves, def] = flatten(b);
  const auto a_leaves = matching_leaves(b, a, op, what);
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < a_leaves.size(); ++i)
    out.push_back(where(mask, a_leaves[i], b_leaves[i]));
  return unflatten(def, out);
}

}  // namespace

Tree cond(const Tensor& pred, const std::function<Tree()>& true_fn,
          const std::function<Tree()>& false_fn) {
  const Tensor p = scalar_predicate(pred, "cond");
  if (p.has_values()) return p.item<bool>() ? true_fn() : false_fn();
  const Tree t = true_fn();
  const Tree f = false_fn();
  return select(p, t, f, "cond", "true_fn's output compared with false_fn's,");
}

Tree while_loop(const std::function<Tensor(const Tree&)>& cond,
                const std::function<Tree(const Tree&)>& body, const Tree& loop_vars,
                std::optional<std::int64_t> maximum_iterations) {
  Tree vars = converted(loop_vars);
  std::int64_t iterations = 0;
  auto budget_left = [&] { return !maximum_iterations || iterations < *maximum_iterations; };
  if (!budget_left()) return vars;
  Tensor active = scalar_predicate(cond(vars), "while_loop");
  if (active.has_values()) {
    // The structure, shapes and dtypes every iteration must keep, taken once.
    const auto [ref_leaves, ref_def] = flatten(vars);
    std::vector<const Tensor*> leaves;
    leaves.reserve(ref_leaves.size());
    while (true) {
      if (!active.item<bool>()) return vars;
      Tree next = body(vars);
      leaves.clear();
      bool same = ref_def.matches(next, &leaves);
      for (std::size_t i = 0; same && i < leaves.size(); ++i) {
        const Tensor& leaf = *leaves[i];
        same = !leaf.weak() && leaf.has_values() && leaf.shape() == ref_leaves[i].shape() &&
               leaf.dtype() == ref_leaves[i].dtype();
      }
      // Anything unusual (a weak scalar to convert, a tracer, a mismatch to report) takes the
      // full check.
      vars = same ? std::move(next)
                  : unflatten(ref_def, matching_leaves(vars, next, "while_loop", "body's output"));
      ++iterations;
      if (!budget_left()) return vars;
      active = scalar_predicate(cond(vars), "while_loop");
      if (!active.has_values()) break;
    }
  }
  // A batched predicate: run while any element is active, keeping finished elements' values.
  while (any_true(active)) {
    const Tree next = body(vars);
    vars = select(active, next, vars, "while_loop", "body's output");
    ++iterations;
    if (!budget_left()) break;
    active = logical_and(active, scalar_predicate(cond(vars), "while_loop"));
  }
  return vars;
}

Tree fori_loop(const Tensor& lower, const Tensor& upper,
               const std::function<Tree(const Tensor&, const Tree&)>& body, const Tree& init_val) {
  for (const Tensor* bound : {&lower, &upper}) {
    if (bound->ndim() != 0 || !(is_integer(bound->dtype()) || is_bool(bound->dtype()))) {
      throw ValueError("fori_loop: lower and upper must be integer scalars; received shape " +
                       format_shape(bound->shape()) + " dtype " +
                       std::string(name(bound->dtype())));
    }
  }
  const Tensor stop = cast(upper, DType::Int32);
  const Tree carry = Tree::tuple({Tree(cast(lower, DType::Int32)), init_val});
  const Tree out = while_loop([&](const Tree& c) { return less(c[0].leaf(), stop); },
                              [&](const Tree& c) {
                                const Tensor& i = c[0].leaf();
                                return Tree::tuple({Tree(add(i, 1)), body(i, c[1])});
                              },
                              carry);
  return out[1];
}

}  // namespace kcore
