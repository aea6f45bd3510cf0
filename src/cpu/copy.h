#pragma once

#include <cstddef>
#include <cstdint>

#include "kcore/tensor.h"

namespace kcore::cpu {

// Bytes below which a copy or fill runs on one thread (waking another costs more).
inline constexpr std::int64_t kCopyGrainBytes = std::int64_t{1} << 20;

// memcpy of n bytes between buffers that do not overlap, split across threads in pieces of at
// least kCopyGrainBytes.
void copy_bytes(std::byte* dst, const std::byte* src, std::int64_t n);

// Copies every element of `src` to `dst`, laid out with `dst_strides` (elements) over src's
// shape; same dtype.
void copy_elements(std::byte* dst, const Strides& dst_strides, const Tensor& src);

}  // namespace kcore::cpu
