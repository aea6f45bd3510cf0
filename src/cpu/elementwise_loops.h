#pragma once

#include <array>
#include <cstdint>

#include "cpu/strided_loop.h"
#include "kcore/tensor.h"

namespace kcore::cpu {

// out[i] = f(x[i]) over out's shape (x broadcast to it). Contiguous runs take a plain loop that
// the compiler vectorises.
// Below this many elements a contiguous op runs inline, without the loop machinery.
inline constexpr std::int64_t kSmallElementwise = 4096;

// Whether `t` is laid out densely in row-major order with out's shape (or is a single element).
inline bool dense_like(const Tensor& t, const Tensor& out) {
  return (t.shape() == out.shape() && t.is_contiguous()) || t.size() == 1;
}

template <class Out, class In, class F>
void map_unary(Tensor& out, const Tensor& x, F f) {
  if (out.size() <= kSmallElementwise && x.shape() == out.shape() && x.is_contiguous()) {
    auto* o = reinterpret_cast<Out*>(out.mutable_bytes());
    const auto* a = reinterpret_cast<const In*>(x.bytes());
    for (std::int64_t i = 0, n = out.size(); i < n; ++i) o[i] = f(a[i]);
    return;
  }
  StridedLoop<2> loop(out.shape(), {out.mutable_bytes(), const_cast<std::byte*>(x.bytes())},
                      {out.strides(), broadcast_strides(x, out.shape())},
                      {sizeof(Out), sizeof(In)});
  loop.run([&f](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
    if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
      auto* o = reinterpret_cast<Out*>(p[0]);
      const auto* a = reinterpret_cast<const In*>(p[1]);
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[1] + i * s[1]));
      }
    }
  });
}

// out[i] = f(a[i], b[i]) over out's shape, a and b broadcast to it.
template <class Out, class In, class F>
void map_binary(Tensor& out, const Tensor& a, const Tensor& b, F f) {
  if (out.size() <= kSmallElementwise && dense_like(a, out) && dense_like(b, out)) {
    auto* o = reinterpret_cast<Out*>(out.mutable_bytes());
    const auto* x = reinterpret_cast<const In*>(a.bytes());
    const auto* y = reinterpret_cast<const In*>(b.bytes());
    const std::int64_t n = out.size();
    const std::int64_t sx = a.size() == n ? 1 : 0;
    const std::int64_t sy = b.size() == n ? 1 : 0;
    for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i * sx], y[i * sy]);
    return;
  }
  StridedLoop<3> loop(
      out.shape(),
      {out.mutable_bytes(), const_cast<std::byte*>(a.bytes()), const_cast<std::byte*>(b.bytes())},
      {out.strides(), broadcast_strides(a, out.shape()), broadcast_strides(b, out.shape())},
      {sizeof(Out), sizeof(In), sizeof(In)});
  loop.run([&f](std::array<std::byte*, 3> p, std::array<std::int64_t, 3> s, std::int64_t n) {
    auto* o = reinterpret_cast<Out*>(p[0]);
    const auto* x = reinterpret_cast<const In*>(p[1]);
    const auto* y = reinterpret_cast<const In*>(p[2]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(In) && s[2] == sizeof(In)) {
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(Out) && s[1] == sizeof(In) && s[2] == 0) {
      const In c = *y;
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(x[i], c);
    } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == sizeof(In)) {
      const In c = *x;
      for (std::int64_t i = 0; i < n; ++i) o[i] = f(c, y[i]);
    } else {
      for (std::int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[1] + i * s[1]),
                                                     *reinterpret_cast<const In*>(p[2] + i * s[2]));
      }
    }
  });
}

}  // namespace kcore::cpu
