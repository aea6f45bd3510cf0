// The sum kernels of src/cpu/reduce_kernels.h, compiled for every Highway target.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/reduce_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include <array>
#include <cstddef>

#include "cpu/reduce_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace kcore::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Elements ahead of the one being added that rows read from memory fetch (2 KB of float32).
constexpr std::size_t kRowFetchAhead = 512;

// acc[i] + rows[0][i] + rows[1][i] + ..., added in that order: one load and store of acc per
// element for all the rows. With kFetchAhead, each row's element kRowFetchAhead on is fetched:
// the hardware's own fetches fall behind several interleaved rows (a 3162 x 3162 float32 sum
// over axis 0 from memory, 1 thread: 2.1-2.3 ms without, 1.02-1.07 ms with).
template <bool kFetchAhead, class T>
HWY_INLINE void AddRows(double* acc, const T* const* rows, std::size_t count, std::size_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<T, decltype(dd)> dt;  // as many elements as doubles in a vector
  const std::size_t lanes = hn::Lanes(dd);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    auto sum = hn::LoadU(dd, acc + i);
    for (std::size_t r = 0; r < count; ++r) {
      if constexpr (kFetchAhead) __builtin_prefetch(rows[r] + i + kRowFetchAhead);
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

template <class T>
HWY_INLINE void AddRows(double* acc, const T* const* rows, std::size_t count, std::size_t n,
                        bool from_memory) {
  if (from_memory) {
    AddRows<true>(acc, rows, count, n);
  } else {
    AddRows<false>(acc, rows, count, n);
  }
}

// The sums of K runs of n contiguous elements, each in double in 16 interleaved lanes (lane j
// takes elements j, j + 16, ...), then the elements after the last whole group of 16 in order,
// then lanes 0 to 15 in order: the definition of kcore's contiguous sum, however many lanes a
// vector holds. A lane is a chain of dependent additions, so one run goes at one vector
// addition per addition latency; K runs side by side keep K times as many in flight, with the
// same additions in each lane.
template <std::size_t K, class T>
HWY_INLINE void SumSideBySide(const T* const* q, std::size_t n, double* out) {
  constexpr std::size_t kLanes = 16;
  HWY_ALIGN double lanes[K][kLanes] = {};
  std::size_t i = 0;
#if !HWY_HAVE_SCALABLE && HWY_TARGET != HWY_SCALAR
  const hn::CappedTag<double, kLanes> dd;
  const hn::Rebind<T, decltype(dd)> dt;
  constexpr std::size_t kPerVector = hn::MaxLanes(dd);
  constexpr std::size_t kVectors = kLanes / kPerVector;
  std::array<std::array<hn::Vec<decltype(dd)>, kVectors>, K> acc;
  for (auto& run : acc) {
    for (auto& a : run) a = hn::Zero(dd);
  }
  for (; i + kLanes <= n; i += kLanes) {
    for (std::size_t k = 0; k < K; ++k) {
      for (std::size_t v = 0; v < kVectors; ++v) {
        const auto x = hn::LoadU(dt, q[k] + i + v * kPerVector);
        if constexpr (sizeof(T) == sizeof(double)) {
          acc[k][v] = hn::Add(acc[k][v], x);
        } else {
          acc[k][v] = hn::Add(acc[k][v], hn::PromoteTo(dd, x));
        }
      }
    }
  }
  for (std::size_t k = 0; k < K; ++k) {
    for (std::size_t v = 0; v < kVectors; ++v) {
      hn::Store(acc[k][v], dd, lanes[k] + v * kPerVector);
    }
  }
#else
  for (; i + kLanes <= n; i += kLanes) {
    for (std::size_t k = 0; k < K; ++k) {
      for (std::size_t j = 0; j < kLanes; ++j) lanes[k][j] += static_cast<double>(q[k][i + j]);
    }
  }
#endif
  for (std::size_t k = 0; k < K; ++k) {
    double s = 0.0;
    for (std::size_t t = i; t < n; ++t) s += static_cast<double>(q[k][t]);
    for (std::size_t j = 0; j < kLanes; ++j) s += lanes[k][j];
    out[k] = s;
  }
}

template <class T>
HWY_INLINE double SumInLanes(const T* q, std::size_t n) {
  double s = 0.0;
  SumSideBySide<1>(&q, n, &s);
  return s;
}

// Runs side by side: enough for eight vector accumulators (four runs of two AVX-512 vectors,
// two of four AVX2 ones), which the FP adders keep busy without spilling registers.
template <class T>
HWY_INLINE void SumRunsInLanes(const T* const* runs, std::size_t count, std::size_t n,
                               double* out) {
#if !HWY_HAVE_SCALABLE && HWY_TARGET != HWY_SCALAR
  constexpr std::size_t kVectors = 16 / hn::MaxLanes(hn::CappedTag<double, 16>());
  constexpr std::size_t kSideBySide = kVectors >= 8 ? 1 : 8 / kVectors;
#else
  constexpr std::size_t kSideBySide = 1;
#endif
  std::size_t r = 0;
  for (; r + kSideBySide <= count; r += kSideBySide) {
    SumSideBySide<kSideBySide>(runs + r, n, out + r);
  }
  for (; r < count; ++r) out[r] = SumInLanes(runs[r], n);
}

double SumFloats(const float* q, std::size_t n) {
  return SumInLanes(q, n);
}

double SumDoubles(const double* q, std::size_t n) {
  return SumInLanes(q, n);
}

void SumFloatRuns(const float* const* runs, std::size_t count, std::size_t n, double* out) {
  SumRunsInLanes(runs, count, n, out);
}

void SumDoubleRuns(const double* const* runs, std::size_t count, std::size_t n, double* out) {
  SumRunsInLanes(runs, count, n, out);
}

void AddFloatRows(double* acc, const float* const* rows, std::size_t count, std::size_t n,
                  bool from_memory) {
  AddRows(acc, rows, count, n, from_memory);
}

void AddDoubleRows(double* acc, const double* const* rows, std::size_t count, std::size_t n,
                   bool from_memory) {
  AddRows(acc, rows, count, n, from_memory);
}

}  // namespace kcore::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kcore::cpu {

HWY_EXPORT(SumFloats);
HWY_EXPORT(SumDoubles);
HWY_EXPORT(SumFloatRuns);
HWY_EXPORT(SumDoubleRuns);
HWY_EXPORT(AddFloatRows);
HWY_EXPORT(AddDoubleRows);

double contiguous_sum(const float* q, std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(SumFloats)(q, n);
}
double contiguous_sum(const double* q, std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(SumDoubles)(q, n);
}
void contiguous_sums(const float* const* runs, std::size_t count, std::size_t n, double* out) {
  HWY_DYNAMIC_DISPATCH(SumFloatRuns)(runs, count, n, out);
}
void contiguous_sums(const double* const* runs, std::size_t count, std::size_t n, double* out) {
  HWY_DYNAMIC_DISPATCH(SumDoubleRuns)(runs, count, n, out);
}
void add_rows_to(double* acc, const float* const* rows, std::size_t count, std::size_t n,
                 bool from_memory) {
  HWY_DYNAMIC_DISPATCH(AddFloatRows)(acc, rows, count, n, from_memory);
}
void add_rows_to(double* acc, const double* const* rows, std::size_t count, std::size_t n,
                 bool from_memory) {
  HWY_DYNAMIC_DISPATCH(AddDoubleRows)(acc, rows, count, n, from_memory);
}

}  // namespace kcore::cpu
#endif  // HWY_ONCE
