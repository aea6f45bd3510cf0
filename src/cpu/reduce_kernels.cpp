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

// acc[i] + rows[0][i] + rows[1][i] + ..., added in that order: one load and store of acc per
// element for all the rows.
template <class T>
HWY_INLINE void AddRows(double* acc, const T* const* rows, std::size_t count, std::size_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<T, decltype(dd)> dt;  // as many elements as doubles in a vector
  const std::size_t lanes = hn::Lanes(dd);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    auto sum = hn::LoadU(dd, acc + i);
    for (std::size_t r = 0; r < count; ++r) {
      if constexpr (sizeof(T) == sizeof(double)) {
        sum = hn::Add(sum, hn::LoadU(dd, rows[r] + i));
      } else {
        sum = hn::Add(sum, hn::PromoteTo(dd, hn::LoadU(dt, rows[r] + i)));
      }
    }
    hn::StoreU(sum, dd, acc + i);
  }
  for (; i < n; ++i) {
    double sum = acc[i];
    for (std::size_t r = 0; r < count; ++r) sum += static_cast<double>(rows[r][i]);
    acc[i] = sum;
  }
}

void AddFloatRows(double* acc, const float* const* rows, std::size_t count, std::size_t n) {
  AddRows(acc, rows, count, n);
}

void AddDoubleRows(double* acc, const double* const* rows, std::size_t count, std::size_t n) {
  AddRows(acc, rows, count, n);
}

}  // namespace kcore::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kcore::cpu {

HWY_EXPORT(AddFloatRows);
HWY_EXPORT(AddDoubleRows);

void add_rows_to(double* acc, const float* const* rows, std::size_t count, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(AddFloatRows)(acc, rows, count, n);
}
void add_rows_to(double* acc, const double* const* rows, std::size_t count, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(AddDoubleRows)(acc, rows, count, n);
}

}  // namespace kcore::cpu
#endif  // HWY_ONCE
