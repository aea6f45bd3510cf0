#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cpu/parallel.h"
#include "kcore/tensor.h"

namespace kcore::cpu {

// Strides of `t` seen as broadcast to `shape` (NumPy rules; the caller has checked them):
// broadcast dimensions get stride 0.
inline Strides broadcast_strides(const Tensor& t, std::span<const std::int64_t> shape) {
  Strides s(shape.size(), 0);
  const std::size_t lead = shape.size() - t.shape().size();
  for (std::size_t i = 0; i < t.shape().size(); ++i) {
    s[lead + i] = t.shape()[i] == 1 ? 0 : t.strides()[i];
  }
  return s;
}

// Walks N operands of one logical shape in lockstep (operand 0 is usually the output). Adjacent
// dimensions that every operand lays out contiguously are merged, size-1 dimensions dropped, and
// the kernel receives runs along the innermost dimension:
//   kernel(std::array<std::byte*, N> ptrs, std::array<std::int64_t, N> byte_strides, int64 n)
// Runs are split across threads in chunks of at least `grain` elements.
template <std::size_t N>
class StridedLoop {
 public:
  StridedLoop(std::span<const std::int64_t> shape, const std::array<std::byte*, N>& bases,
              const std::array<Strides, N>& strides, const std::array<std::size_t, N>& itemsizes)
      : bases_(bases) {
    for (std::size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      std::array<std::int64_t, N> s{};
      for (std::size_t k = 0; k < N; ++k) {
        s[k] = strides[k][d] * static_cast<std::int64_t>(itemsizes[k]);
      }
      if (!shape_.empty()) {
        bool mergeable = true;
        for (std::size_t k = 0; k < N; ++k)
          mergeable = mergeable && strides_.back()[k] == s[k] * shape[d];
        if (mergeable) {
          shape_.back() *= shape[d];
          strides_.back() = s;
          continue;
        }
      }
      shape_.push_back(shape[d]);
      strides_.push_back(s);
    }
    total_ = 1;
    for (auto n : shape) total_ *= n;
    if (shape_.empty() && total_ == 1) {
      shape_.push_back(1);
      strides_.push_back({});
    }
  }

  std::int64_t size() const { return total_; }
  std::size_t coalesced_ndim() const { return shape_.size(); }
  // The merged dimensions, outermost first, and each one's byte strides per operand.
  std::span<const std::int64_t> coalesced_shape() const { return shape_; }
  std::span<const std::array<std::int64_t, N>> coalesced_strides() const { return strides_; }

  template <class Kernel>
  void run(Kernel&& kernel, std::int64_t grain = 32768) const {
    if (total_ <= 0) return;
    parallel_for(total_, grain,
                 [&](std::int64_t begin, std::int64_t end) { run_range(begin, end, kernel); });
  }

 private:
  template <class Kernel>
  void run_range(std::int64_t begin, std::int64_t end, Kernel& kernel) const {
    const std::size_t nd = shape_.size();
    const std::int64_t inner = shape_[nd - 1];
    SmallVector<std::int64_t, 6> index(nd, 0);
    std::int64_t rest = begin;
    for (std::size_t d = nd; d-- > 0;) {
      index[d] = rest % shape_[d];
      rest /= shape_[d];
    }
    std::array<std::byte*, N> ptrs = bases_;
    for (std::size_t d = 0; d < nd; ++d) {
      for (std::size_t k = 0; k < N; ++k) ptrs[k] += index[d] * strides_[d][k];
    }
    std::int64_t pos = begin;
    while (pos < end) {
      const std::int64_t n = std::min(inner - index[nd - 1], end - pos);
      kernel(ptrs, strides_[nd - 1], n);
      pos += n;
      if (pos >= end) break;
      // Step to the start of the next inner run.
      for (std::size_t k = 0; k < N; ++k) ptrs[k] += n * strides_[nd - 1][k];
      index[nd - 1] += n;
      for (std::size_t d = nd - 1; d > 0 && index[d] == shape_[d]; --d) {
        for (std::size_t k = 0; k < N; ++k) ptrs[k] -= shape_[d] * strides_[d][k];
        index[d] = 0;
        ++index[d - 1];
        for (std::size_t k = 0; k < N; ++k) ptrs[k] += strides_[d - 1][k];
      }
    }
  }

  std::array<std::byte*, N> bases_;
  SmallVector<std::int64_t, 6> shape_;
  SmallVector<std::array<std::int64_t, N>, 6> strides_;
  std::int64_t total_ = 0;
};

}  // namespace kcore::cpu
