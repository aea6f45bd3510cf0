#pragma once

#include <cstddef>

namespace kcore::cpu {

// memcpy of n bytes between buffers that do not overlap, on the calling thread. From 64 KiB to
// 1 MiB, while kcore runs on more than one thread, it copies with SIMD loads and stores (Highway,
// ISA chosen at run time) instead of glibc's `rep movsb`, which ran up to twice as slow in some
// of those processes where the loop did not; on one thread `rep movsb` was faster in every
// process measured (docs/design.md, "Bulk copies").
void vector_copy(std::byte* dst, const std::byte* src, std::size_t n);

}  // namespace kcore::cpu
