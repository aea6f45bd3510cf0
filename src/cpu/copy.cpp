#include "cpu/copy.h"

#include <algorithm>
#include <cstring>

#include "cpu/dispatch.h"
#include "cpu/parallel.h"
#include "cpu/strided_loop.h"
#include "cpu/vector_copy.h"

namespace kcore::cpu {
namespace {

// A 2-D copy whose destination runs along dimension 1 and whose source runs along dimension 0
// (a transpose): element by element, each source cache line would be fetched once per element
// it holds, long after the previous one. Tiles of kTile x kTile elements use each line fully
// while it is in cache. Rows of tiles go to the threads.
template <class W>
void transpose_tiles(std::byte* dst, const std::byte* src, std::int64_t rows, std::int64_t cols,
                     std::int64_t dst_row_stride, std::int64_t src_col_stride) {
  constexpr std::int64_t kTile = 64;
  const std::int64_t tile_rows = (rows + kTile - 1) / kTile;
  const std::int64_t grain = std::max<std::int64_t>(1, 32768 / (kTile * cols));
  parallel_for(tile_rows, grain, [&](std::int64_t tb, std::int64_t te) {
    for (std::int64_t i0 = tb * kTile; i0 < std::min(rows, te * kTile); i0 += kTile) {
      const std::int64_t i1 = std::min(rows, i0 + kTile);
      for (std::int64_t j0 = 0; j0 < cols; j0 += kTile) {
        const std::int64_t j1 = std::min(cols, j0 + kTile);
        for (std::int64_t i = i0; i < i1; ++i) {
          W* d = reinterpret_cast<W*>(dst + i * dst_row_stride);
          const std::byte* s = src + i * static_cast<std::int64_t>(sizeof(W));
          for (std::int64_t j = j0; j < j1; ++j) {
            std::memcpy(d + j, s + j * src_col_stride, sizeof(W));
          }
        }
      }
    }
  });
}

}  // namespace

void copy_bytes(std::byte* dst, const std::byte* src, std::int64_t n) {
  parallel_for(n, kCopyGrainBytes, [&](std::int64_t b, std::int64_t e) {
    vector_copy(dst + b, src + b, static_cast<std::size_t>(e - b));
  });
}

void copy_elements(std::byte* dst, const Strides& dst_strides, const Tensor& src) {
  const std::size_t isz = itemsize(src.dtype());
  StridedLoop<2> loop(src.shape(), {dst, const_cast<std::byte*>(src.bytes())},
                      {dst_strides, src.strides()}, {isz, isz});
  const auto step = static_cast<std::int64_t>(isz);
  if (loop.coalesced_ndim() == 2) {
    const auto shape = loop.coalesced_shape();
    const auto strides = loop.coalesced_strides();
    if (strides[1][0] == step && strides[0][1] == step && strides[1][1] != step && shape[0] >= 8 &&
        shape[1] >= 8) {
      dispatch_bytes(isz, [&]<class W>() {
        transpose_tiles<W>(dst, src.bytes(), shape[0], shape[1], strides[0][0], strides[1][1]);
      });
      return;
    }
  }
  loop.run([isz, step](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
    if (s[0] == step && s[1] == step) {
      vector_copy(p[0], p[1], static_cast<std::size_t>(n) * isz);
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
