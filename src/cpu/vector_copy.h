#pragma once

#include <cstddef>

namespace kcore::cpu {

// memcpy of n bytes between buffers that do not overlap, on the calling thread. From 64 KiB to
// 1 MiB it copies with SIMD loads and stores (Highway, ISA chosen at run time) instead of glibc's
// `rep movsb`: buffers of these sizes lie on 4 KiB pages, whose placement in the caches differs
// from one process to the next, and in some processes `rep movsb` ran about twice as slow where
// the loop did not; in the others the loop is about 10% slower (docs/design.md, "Bulk copies").
void vector_copy(std::byte* dst, const std::byte* src, std::size_t n);

}  // namespace kcore::cpu
