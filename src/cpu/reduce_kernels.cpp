// The row-wise sum kernels of src/cpu/reduce_kernels.h, compiled for every Highway target.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/reduce_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include <cstddef>

#include "cpu/reduce_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace kcore::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void AddFloatRow(double* acc, const float* row, std::size_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;  // as many floats as doubles in a vector
  const std::size_t lanes = hn::Lanes(dd);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto wide = hn::PromoteTo(dd, hn::LoadU(df, row + i));
    hn::StoreU(hn::Add(hn::LoadU(dd, acc + i), wide), dd, acc + i);
  }
  for (; i < n; ++i) acc[i] += static_cast<double>(row[i]);
}

void AddDoubleRow(double* acc, const double* row, std::size_t n) {
  const hn::ScalableTag<double> dd;
  const std::size_t lanes = hn::Lanes(dd);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(hn::Add(hn::LoadU(dd, acc + i), hn::LoadU(dd, row + i)), dd, acc + i);
  }
  for (; i < n; ++i) acc[i] += row[i];
}

}  // namespace kcore::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kcore::cpu {

HWY_EXPORT(AddFloatRow);
HWY_EXPORT(AddDoubleRow);

void add_row_to(double* acc, const float* row, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(AddFloatRow)(acc, row, n);
}
void add_row_to(double* acc, const double* row, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(AddDoubleRow)(acc, row, n);
}

}  // namespace kcore::cpu
#endif  // HWY_ONCE
