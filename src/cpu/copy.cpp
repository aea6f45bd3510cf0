#include "cpu/copy.h"

#include <cstring>

#include "cpu/strided_loop.h"

namespace kcore::cpu {

void copy_elements(std::byte* dst, const Strides& dst_strides, const Tensor& src) {
  const std::size_t isz = itemsize(src.dtype());
  StridedLoop<2> loop(src.shape(), {dst, const_cast<std::byte*>(src.bytes())},
                      {dst_strides, src.strides()}, {isz, isz});
  loop.run([isz](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
    const auto step = static_cast<std::int64_t>(isz);
    if (s[0] == step && s[1] == step) {
      std::memcpy(p[0], p[1], static_cast<std::size_t>(n) * isz);
      return;
    }
    switch (isz) {
      case 1:
        for (std::int64_t i = 0; i < n; ++i) p[0][i * s[0]] = p[1][i * s[1]];
        break;
      case 2:
        for (std::int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], p[1] + i * s[1], 2);
        break;
      case 4:
        for (std::int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], p[1] + i * s[1], 4);
        break;
      case 8:
        for (std::int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], p[1] + i * s[1], 8);
        break;
      default:
        for (std::int64_t i = 0; i < n; ++i) std::memcpy(p[0] + i * s[0], p[1] + i * s[1], isz);
    }
  });
}

}  // namespace kcore::cpu
