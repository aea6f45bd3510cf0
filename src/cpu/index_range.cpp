// index_bounds, compiled for every Highway target and chosen at run time.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/index_range.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "cpu/index_range.h"

HWY_BEFORE_NAMESPACE();
namespace kcore::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class T>
IndexBounds Bounds(const T* idx, std::size_t n) {
  const hn::ScalableTag<T> d;
  const std::size_t lanes = hn::Lanes(d);
  // Two pairs of accumulators: the loop runs at load speed, not at the latency of min and max.
  auto lo0 = hn::Set(d, std::numeric_limits<T>::max());
  auto hi0 = hn::Set(d, std::numeric_limits<T>::min());
  auto lo1 = lo0;
  auto hi1 = hi0;
  std::size_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto a = hn::LoadU(d, idx + i);
    const auto b = hn::LoadU(d, idx + i + lanes);
    lo0 = hn::Min(lo0, a);
    hi0 = hn::Max(hi0, a);
    lo1 = hn::Min(lo1, b);
    hi1 = hn::Max(hi1, b);
  }
  auto lo = static_cast<std::int64_t>(hn::GetLane(hn::MinOfLanes(d, hn::Min(lo0, lo1))));
  auto hi = static_cast<std::int64_t>(hn::GetLane(hn::MaxOfLanes(d, hn::Max(hi0, hi1))));
  for (; i < n; ++i) {
    lo = std::min<std::int64_t>(lo, idx[i]);
    hi = std::max<std::int64_t>(hi, idx[i]);
  }
  return {lo, hi};
}

IndexBounds Bounds32(const std::int32_t* idx, std::size_t n) {
  return Bounds(idx, n);
}
IndexBounds Bounds64(const std::int64_t* idx, std::size_t n) {
  return Bounds(idx, n);
}

}  // namespace kcore::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kcore::cpu {

HWY_EXPORT(Bounds32);
HWY_EXPORT(Bounds64);

IndexBounds index_bounds(const std::int32_t* idx, std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(Bounds32)(idx, n);
}
IndexBounds index_bounds(const std::int64_t* idx, std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(Bounds64)(idx, n);
}

}  // namespace kcore::cpu
#endif  // HWY_ONCE
