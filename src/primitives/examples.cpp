#include "primitives/examples.h"

#include "kcore/core_ops.h"

namespace kcore::examples {

Tensor uniform(const Shape& shape, double lo, double hi, DType dtype, std::uint32_t seed) {
  Tensor t = Tensor::empty(shape, DType::Float64);
  double* p = t.mutable_data<double>();
  std::uint64_t state = 0x9E3779B97F4A7C15ULL * (seed + 1);
  for (std::int64_t i = 0; i < t.size(); ++i) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const double u = static_cast<double>(state >> 11) / 9007199254740992.0;
    p[i] = lo + (hi - lo) * u;
  }
  return cast(t, dtype);
}

}  // namespace kcore::examples
