#include "core/buffer_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <new>
#include <string>
#include <utility>

namespace kcore::detail {
namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kSmallestCached = std::size_t{1} << 20;
// Below kSmallestCached, freed buffers from this size on are kept too, up to kSmallSlots of them:
// glibc serves a request of 1 KiB or more only after consolidating its free small chunks (of
// which an interpreter frees many), and gives a freed block of 128 KiB or more back to the system.
constexpr std::size_t kSmallestSmallCached = std::size_t{1} << 10;
constexpr std::size_t kSmallSlots = 32;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

std::size_t alignment_for(std::size_t nbytes) {
  return nbytes >= kHugePage ? kHugePage : kAlignment;
}

std::size_t rounded_size(std::size_t nbytes) {
  const std::size_t a = alignment_for(nbytes);
  return (nbytes + a - 1) / a * a;
}

std::size_t cap_from_environment() {
  if (kSanitized) return 0;
  const char* v = std::getenv("KCORE_BUFFER_CACHE_MIB");
  if (v == nullptr || *v == '\0') return std::size_t{256} << 20;
  try {
    return static_cast<std::size_t>(std::stoull(v)) << 20;
  } catch (const std::exception&) {
    return std::size_t{256} << 20;
  }
}

// Freed buffers by rounded size, oldest first; evicts the oldest beyond the cap. Small ones (from
// kSmallestSmallCached to kSmallestCached) sit in a ring of kSmallSlots, outside the cap.
class BufferCache {
 public:
  std::byte* take(std::size_t rounded) {
    if (cap_ == 0 || rounded < kSmallestSmallCached) return nullptr;
    const std::lock_guard lock(mutex_);
    if (rounded < kSmallestCached) return take_small(rounded);
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->second == rounded) {
        std::byte* p = it->first;
        blocks_.erase(std::next(it).base());
        held_ -= rounded;
        return p;
      }
    }
    return nullptr;
  }

  // False when the block is not kept (the caller frees it).
  bool give(std::byte* data, std::size_t rounded) {
    if (cap_ == 0 || rounded < kSmallestSmallCached || rounded > cap_) return false;
    if (rounded < kSmallestCached) {
      std::pair<std::byte*, std::size_t> evicted;
      {
        const std::lock_guard lock(mutex_);
        evicted = give_small(data, rounded);
      }
      std::free(evicted.first);
      return true;
    }
    std::deque<std::pair<std::byte*, std::size_t>> evicted;
    {
      const std::lock_guard lock(mutex_);
      while (held_ + rounded > cap_ && !blocks_.empty()) {
        evicted.push_back(blocks_.front());
        held_ -= blocks_.front().second;
        blocks_.pop_front();
      }
      blocks_.emplace_back(data, rounded);
      held_ += rounded;
    }
    for (const auto& b : evicted) std::free(b.first);
    return true;
  }

 private:
  // The most recently freed block of this size (the likeliest still in cache), or nullptr.
  std::byte* take_small(std::size_t rounded) {
    for (std::size_t k = 0; k < small_count_; ++k) {
      auto& slot = small_[(small_next_ + kSmallSlots - 1 - k) % kSmallSlots];
      if (slot.first != nullptr && slot.second == rounded) {
        return std::exchange(slot.first, nullptr);
      }
    }
    return nullptr;
  }

  // Stores the block in the next slot of the ring; returns the block it held before (the oldest;
  // {nullptr, 0} if none), for the caller to free outside the lock.
  std::pair<std::byte*, std::size_t> give_small(std::byte* data, std::size_t rounded) {
    auto evicted = std::exchange(small_[small_next_], {data, rounded});
    small_next_ = (small_next_ + 1) % kSmallSlots;
    small_count_ = std::min(small_count_ + 1, kSmallSlots);
    return evicted;
  }

  const std::size_t cap_ = cap_from_environment();
  std::mutex mutex_;
  std::deque<std::pair<std::byte*, std::size_t>> blocks_;
  std::size_t held_ = 0;
  std::array<std::pair<std::byte*, std::size_t>, kSmallSlots> small_{};
  std::size_t small_next_ = 0;
  std::size_t small_count_ = 0;
};

// Never destroyed: tensors may outlive static destruction (an interpreter's globals at exit).
BufferCache& cache() {
  static auto* c = new BufferCache();
  return *c;
}

}  // namespace

std::byte* allocate_buffer(std::size_t nbytes) {
  const std::size_t rounded = rounded_size(nbytes);
  if (std::byte* p = cache().take(rounded)) return p;
  const std::size_t alignment = alignment_for(nbytes);
  auto* data = static_cast<std::byte*>(std::aligned_alloc(alignment, rounded));
  if (data == nullptr) throw std::bad_alloc();
  // Huge pages make the first write to a fresh multi-megabyte buffer several times cheaper
  // (NumPy does the same).
  if (alignment == kHugePage) madvise(data, rounded, MADV_HUGEPAGE);
  return data;
}

void free_buffer(std::byte* data, std::size_t nbytes) {
  if (!cache().give(data, rounded_size(nbytes))) std::free(data);
}

}  // namespace kcore::detail
