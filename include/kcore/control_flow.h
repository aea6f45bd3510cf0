#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "kcore/tensor.h"
#include "kcore/tree.h"

namespace kcore {

// Control flow (SEMANTICS §5). Under grad, the ops that run are recorded like any others, so
// reverse mode works through loops. Under vectorized_map, a batched predicate makes cond run
// both branches and select per element, and makes while_loop run while any element is active,
// selecting per element.

// pred: a bool scalar or a number (!= 0); a non-scalar pred is ValueError. Only the chosen
// branch runs when pred is concrete; with a batched pred both branches must return the same
// structure, shapes and dtypes (else ValueError).
Tree cond(const Tensor& pred, const std::function<Tree()>& true_fn,
          const std::function<Tree()>& false_fn);

// Runs body while cond is true and, if given, fewer than maximum_iterations iterations have run.
// Leaves are converted to tensors first; body must keep the structure and every leaf's shape and
// dtype (else ValueError naming the leaf).
Tree while_loop(const std::function<Tensor(const Tree&)>& cond,
                const std::function<Tree(const Tree&)>& body, const Tree& loop_vars,
                std::optional<std::int64_t> maximum_iterations = std::nullopt);

// val = body(i, val) for i in [lower, upper), i an int32 scalar; lower >= upper returns
// init_val converted.
Tree fori_loop(const Tensor& lower, const Tensor& upper,
               const std::function<Tree(const Tensor&, const Tree&)>& body, const Tree& init_val);

}  // namespace kcore
