#pragma once

#include <cstddef>

#include "kcore/tensor.h"

namespace kcore::cpu {

// Copies every element of `src` to `dst`, laid out with `dst_strides` (elements) over src's
// shape; same dtype.
void copy_elements(std::byte* dst, const Strides& dst_strides, const Tensor& src);

}  // namespace kcore::cpu
