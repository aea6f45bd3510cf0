#pragma once

#include "kcore/tensor.h"

namespace kcore::cpu {

// x converted to `dtype` elementwise with the rules of SEMANTICS §2: a fresh contiguous tensor
// of x's shape, or x itself when the dtype already matches.
Tensor cast_kernel(const Tensor& x, DType dtype);

}  // namespace kcore::cpu
