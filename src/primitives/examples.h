#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "kcore/primitive.h"

namespace kcore::examples {

// Deterministic values in [lo, hi) of `shape`, for the registry's primitive examples.
Tensor uniform(const Shape& shape, double lo, double hi, DType dtype = DType::Float64,
               std::uint32_t seed = 1);

template <class P, class... Args>
PrimitiveExample make(std::vector<Tensor> inputs, Args&&... args) {
  return {std::make_shared<P>(std::forward<Args>(args)...), std::move(inputs)};
}

}  // namespace kcore::examples
