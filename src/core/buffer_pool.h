#pragma once

#include <cstddef>

namespace kcore::detail {

// Buffers for tensors larger than Storage's inline room: 64-byte aligned, 2 MiB aligned and
// backed by huge pages from 2 MiB on. Freed buffers of 1 MiB and more are kept for reuse, up to
// a cap (KCORE_BUFFER_CACHE_MIB, default 256; 0 turns reuse off; off under AddressSanitizer):
// a fresh buffer costs a page fault and a page clear per page on first write, often more than
// the op that fills it, and a chain of ops frees and asks again for buffers of the same sizes.
// The 32 most recently freed buffers from 1 KiB to 1 MiB are kept as well (outside the cap, so at
// most 32 MiB): an op at 10^3 to 10^4 elements costs about as much as malloc and free do there.
std::byte* allocate_buffer(std::size_t nbytes);
void free_buffer(std::byte* data, std::size_t nbytes);

}  // namespace kcore::detail
