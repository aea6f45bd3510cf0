#pragma once

#include <cstdint>
#include <optional>

#include "kcore/tensor.h"

namespace kcore {

// The seed's selection ops (SEMANTICS §4). Errors name the op and say what was received and
// what was expected.

struct TopKResult {
  Tensor values;   // x's dtype
  Tensor indices;  // int32
};

// The k largest entries of each row along the last axis of x (rank >= 1, 0 <= k <= n, else
// ValueError; complex x is TypeError): values and their indices, of shape x.shape[:-1] + (k,).
// Descending with ties to the lower index; NaN ranks above +inf; -0.0 and +0.0 tie; bool works
// (True > False). With sorted=false the same k entries may come in any order.
TopKResult top_k(const Tensor& x, std::int64_t k, bool sorted = true);

// For each row, whether predictions[..., targets] is among the k largest:
// count(predictions[..., j] > predictions[..., target]) < k, so ties at the boundary count as
// in. targets: integer, of shape predictions.shape[:-1] (else ValueError). A NaN at the target,
// a target outside [0, n) or k <= 0 gives false. Result: bool, targets' shape.
Tensor in_top_k(const Tensor& targets, const Tensor& predictions, std::int64_t k);

// The sum / max of the rows of data (rank >= 1) that share a segment id: output
// (num_segments,) + data.shape[1:], data's dtype. segment_ids: 1-D, integer, one per row (else
// ValueError). num_segments unset: max(segment_ids) + 1 (0 when no id is non-negative); ids
// outside [0, num_segments) are dropped. Empty segments: 0 for sums; -inf, the dtype's minimum
// or false for max. sorted=true promises non-decreasing ids (a faster path; a broken promise
// gives unspecified values, never an out-of-bounds access). Integer sums wrap exactly; bool sums
// are logical or; float8 data is ValueError; complex data is TypeError for segment_max.
Tensor segment_sum(const Tensor& data, const Tensor& segment_ids,
                   std::optional<std::int64_t> num_segments = std::nullopt, bool sorted = false);
Tensor segment_max(const Tensor& data, const Tensor& segment_ids,
                   std::optional<std::int64_t> num_segments = std::nullopt, bool sorted = false);

}  // namespace kcore
