// vector_copy, compiled for every Highway target and chosen at run time.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/vector_copy.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cpu/vector_copy.h"
#include "kcore/parallel.h"

HWY_BEFORE_NAMESPACE();
namespace kcore::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// n >= 4 vectors.
void Copy(std::byte* dst, const std::byte* src, std::size_t n) {
  const hn::ScalableTag<std::uint8_t> d;
  const std::size_t lanes = hn::Lanes(d);
  auto* to = reinterpret_cast<std::uint8_t*>(dst);
  const auto* from = reinterpret_cast<const std::uint8_t*>(src);
  std::size_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    const auto a = hn::LoadU(d, from + i);
    const auto b = hn::LoadU(d, from + i + lanes);
    const auto c = hn::LoadU(d, from + i + 2 * lanes);
    const auto e = hn::LoadU(d, from + i + 3 * lanes);
    hn::StoreU(a, d, to + i);
    hn::StoreU(b, d, to + i + lanes);
    hn::StoreU(c, d, to + i + 2 * lanes);
    hn::StoreU(e, d, to + i + 3 * lanes);
  }
  std::memcpy(to + i, from + i, n - i);
}

}  // namespace kcore::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kcore::cpu {

HWY_EXPORT(Copy);

void vector_copy(std::byte* dst, const std::byte* src, std::size_t n) {
  constexpr std::size_t kVectorFrom = std::size_t{64} << 10;
  constexpr std::size_t kVectorBelow = std::size_t{1} << 20;
  if (n < kVectorFrom || n >= kVectorBelow || num_threads() == 1) {
    std::memcpy(dst, src, n);
    return;
  }
  HWY_DYNAMIC_DISPATCH(Copy)(dst, src, n);
}

}  // namespace kcore::cpu
#endif  // HWY_ONCE
