#pragma once

#include <functional>

#include "kcore/tensor.h"
#include "kcore/tree.h"

namespace kcore {

// Maps `function` over axis 0 of every leaf of `elements` (equal leading sizes, else
// ValueError) and stacks the results along a new axis 0, keeping the output structure
// (SEMANTICS §5). The function runs once, on tracers whose shapes are one element's; every op
// inside is rewritten by its primitive's batching rule. Batch size 0 works.
Tree vectorized_map(const std::function<Tree(const Tree&)>& function, const Tree& elements);
Tensor vectorized_map(const std::function<Tensor(const Tensor&)>& function, const Tensor& elements);

// For a tensor without values of its own (a vectorized_map tracer, see Tensor::has_values):
// whether any element of the batch is true, as a bool scalar one level down (which may itself
// be batched by an outer vectorized_map). Control flow uses it to run while any lane is active.
Tensor any_in_batch(const Tensor& predicate);

// Helpers for batching rules: `x` with its batch axis `axis` moved to 0; an unbatched x
// (axis < 0) broadcast to a leading batch of `size`.
Tensor move_batch_axis_to_front(const Tensor& x, int axis, std::int64_t size);

}  // namespace kcore
