// cpu::vector_copy (src/cpu/vector_copy.h) against the bytes it was given: sizes on both sides of
// its SIMD window's edges, odd sizes, unaligned source and destination, on every instruction set
// compiled in, on one thread (memcpy) and two (the loop); the bytes around the destination stay
// untouched.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "cpu/math_kernels.h"
#include "cpu/vector_copy.h"
#include "kcore/parallel.h"

namespace {

std::vector<std::pair<std::int64_t, int>> target_thread_pairs() {
  std::vector<std::pair<std::int64_t, int>> pairs;
  for (const std::int64_t target : kcore::cpu::math_simd_targets()) {
    for (const int threads : {1, 2}) pairs.emplace_back(target, threads);
  }
  return pairs;
}

TEST(VectorCopy, EveryByteAndNothingBeyondOnEveryTarget) {
  constexpr std::size_t kK = 1024;
  const std::vector<std::size_t> sizes = {
      0,      1,           63,      64 * kK - 1, 64 * kK, 64 * kK + 1, 64 * kK + 255,
      300001, kK * kK - 1, kK * kK, kK * kK + 7};
  std::mt19937 rng(7);
  std::vector<std::byte> src(kK * kK + 256);
  for (auto& b : src) b = static_cast<std::byte>(rng());
  const int threads_before = kcore::num_threads();
  for (const auto& [target, threads] : target_thread_pairs()) {
    kcore::cpu::math_force_simd_target(target);
    kcore::set_num_threads(threads);
    for (const std::size_t n : sizes) {
      for (const std::size_t src_offset : {0, 1, 37}) {
        for (const std::size_t dst_offset : {0, 3, 64}) {
          std::vector<std::byte> dst(n + 256, std::byte{0xa5});
          kcore::cpu::vector_copy(dst.data() + dst_offset, src.data() + src_offset, n);
          std::size_t wrong = 0;
          for (std::size_t i = 0; i < dst.size(); ++i) {
            const bool inside = i >= dst_offset && i < dst_offset + n;
            const std::byte expected = inside ? src[i - dst_offset + src_offset] : std::byte{0xa5};
            wrong += dst[i] != expected ? 1 : 0;
          }
          EXPECT_EQ(wrong, 0U) << "target " << target << ", threads " << threads << ", n " << n
                               << ", offsets " << src_offset << "/" << dst_offset;
        }
      }
    }
  }
  kcore::cpu::math_force_simd_target(0);
  kcore::set_num_threads(threads_before);
}

}  // namespace
