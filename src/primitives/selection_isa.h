#pragma once

// Run-time choice of an AVX-512 or AVX2 build for the hot loops of the selection kernels (top_k,
// in_top_k, segment ops): `with_best_isa(body)` calls `body` (a lambda marked KCORE_ALWAYS_INLINE)
// inlined into a function compiled for AVX-512 (F, BW, VL, DQ) or AVX2 when the CPU has it, else
// into the baseline build. Function targets of GCC and Clang; the library is never built for
// -march=native.

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KCORE_SELECTION_AVX2 1
#define KCORE_TARGET_AVX2 __attribute__((target("avx2")))
#if defined(__clang__)
#define KCORE_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"), min_vector_width(512)))
#else
#define KCORE_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,prefer-vector-width=512")))
#endif
#else
#define KCORE_SELECTION_AVX2 0
#define KCORE_TARGET_AVX2
#define KCORE_TARGET_AVX512
#endif
#define KCORE_ALWAYS_INLINE __attribute__((always_inline))

namespace kcore::selection {

inline bool has_avx512() {
#if KCORE_SELECTION_AVX2
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0 && __builtin_cpu_supports("avx512bw") != 0 &&
           __builtin_cpu_supports("avx512vl") != 0 && __builtin_cpu_supports("avx512dq") != 0;
  }();
  return yes;
#else
  return false;
#endif
}

inline bool has_avx2() {
#if KCORE_SELECTION_AVX2
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return yes;
#else
  return false;
#endif
}

template <class F>
KCORE_TARGET_AVX2 decltype(auto) call_avx2(F& f) {
  return f();
}

template <class F>
KCORE_TARGET_AVX512 decltype(auto) call_avx512(F& f) {
  return f();
}

template <class F>
decltype(auto) call_baseline(F& f) {
  return f();
}

template <class F>
decltype(auto) with_best_isa(F&& f) {
  if (has_avx512()) return call_avx512(f);
  if (has_avx2()) return call_avx2(f);
  return call_baseline(f);
}

}  // namespace kcore::selection
