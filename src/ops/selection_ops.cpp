#include "kcore/selection_ops.h"

#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "cpu/dispatch.h"
#include "primitives/segment.h"
#include "primitives/top_k.h"

namespace kcore {
namespace {

// num_segments=None: max(segment_ids) + 1 over the non-negative ids, 0 when there are none.
// Ids that are not a 1-D integer tensor give 0 here; the primitive then reports them.
std::int64_t inferred_num_segments(std::string_view op, const Tensor& ids) {
  if (ids.ndim() != 1 || !is_integer(ids.dtype())) return 0;
  if (!ids.has_values()) {
    throw ValueError(std::string(op) +
                     ": received num_segments=None with segment_ids whose values are not known "
                     "here (inside vectorized_map); expected num_segments to be given");
  }
  std::int64_t top = -1;
  bool overflow = false;
  cpu::dispatch(ids.dtype(), [&]<class I>() {
    if constexpr (std::is_integral_v<I> && !std::is_same_v<I, bool>) {
      const std::byte* base = ids.bytes();
      const auto step = ids.strides()[0] * static_cast<std::int64_t>(sizeof(I));
      for (std::int64_t i = 0; i < ids.shape()[0]; ++i) {
        const I v = *reinterpret_cast<const I*>(base + i * step);
        if constexpr (sizeof(I) == 8) {
          // Only 64-bit ids can make max + 1 overflow int64.
          if (static_cast<std::uint64_t>(v) >=
                  static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) &&
              (std::is_unsigned_v<I> || v > 0)) {
            overflow = true;
            continue;
          }
        }
        top = std::max(top, static_cast<std::int64_t>(v));
      }
    }
  });
  if (overflow) {
    throw ValueError(std::string(op) +
                     ": received num_segments=None and a segment id whose successor does not fit "
                     "int64; expected num_segments to be given, or smaller ids");
  }
  return top + 1;
}

Tensor segment(SegmentOp op, std::string_view name, const Tensor& data, const Tensor& ids,
               std::optional<std::int64_t> num_segments, bool sorted) {
  const std::int64_t s = num_segments ? *num_segments : inferred_num_segments(name, ids);
  return segment_reduce(op, data, ids, s, sorted);
}

}  // namespace

TopKResult top_k(const Tensor& x, std::int64_t k, bool sorted) {
  auto out = kcore::bind(std::make_shared<TopK>(k, sorted), std::vector<Tensor>{x});
  return {out[0], out[1]};
}

Tensor in_top_k(const Tensor& targets, const Tensor& predictions, std::int64_t k) {
  return bind1(std::make_shared<InTopK>(k), {targets, predictions});
}

Tensor segment_sum(const Tensor& data, const Tensor& segment_ids,
                   std::optional<std::int64_t> num_segments, bool sorted) {
  return segment(SegmentOp::Sum, "segment_sum", data, segment_ids, num_segments, sorted);
}

Tensor segment_max(const Tensor& data, const Tensor& segment_ids,
                   std::optional<std::int64_t> num_segments, bool sorted) {
  return segment(SegmentOp::Max, "segment_max", data, segment_ids, num_segments, sorted);
}

}  // namespace kcore
