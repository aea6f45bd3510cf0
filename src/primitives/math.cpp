#include "primitives/math.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <string>
#include <type_traits>

#include "cpu/cast_kernel.h"
#include "cpu/copy.h"
#include "cpu/dispatch.h"
#include "cpu/elementwise_loops.h"
#include "cpu/math_kernels.h"
#include "cpu/parallel.h"
#include "cpu/strided_loop.h"
#include "kcore/parallel.h"

namespace kcore {

REGISTER_PRIMITIVE("erf", "MathUnary");
REGISTER_PRIMITIVE("erfinv", "MathUnary");
REGISTER_PRIMITIVE("rsqrt", "MathUnary");
REGISTER_PRIMITIVE("logsumexp", "LogSumExp");

std::string_view op_name(MathOp op) {
  switch (op) {
    case MathOp::Erf:
      return "erf";
    case MathOp::Erfinv:
      return "erfinv";
    case MathOp::Rsqrt:
      return "rsqrt";
  }
  return "math";
}

namespace {

cpu::MathFn kernel_fn(MathOp op) {
  switch (op) {
    case MathOp::Erf:
      return cpu::MathFn::Erf;
    case MathOp::Erfinv:
      return cpu::MathFn::Erfinv;
    case MathOp::Rsqrt:
      return cpu::MathFn::Rsqrt;
  }
  return cpu::MathFn::Erf;
}

constexpr std::int64_t kChunk = 512;

// float32 and float64: the SIMD kernel on contiguous runs; strided runs go through a buffer.
template <class T>
void run_native(cpu::MathFn fn, Tensor& out, const Tensor& x) {
  cpu::StridedLoop<2> loop(out.shape(), {out.mutable_bytes(), const_cast<std::byte*>(x.bytes())},
                           {out.strides(), x.strides()}, {sizeof(T), sizeof(T)});
  loop.run([fn](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      cpu::math_kernel(fn, reinterpret_cast<const T*>(p[1]), reinterpret_cast<T*>(p[0]),
                       static_cast<std::size_t>(n));
      return;
    }
    std::array<T, kChunk> buf;
    for (std::int64_t i = 0; i < n; i += kChunk) {
      const std::int64_t m = std::min(kChunk, n - i);
      for (std::int64_t j = 0; j < m; ++j) {
        std::memcpy(&buf[j], p[1] + (i + j) * s[1], sizeof(T));
      }
      cpu::math_kernel(fn, buf.data(), buf.data(), static_cast<std::size_t>(m));
      for (std::int64_t j = 0; j < m; ++j) {
        std::memcpy(p[0] + (i + j) * s[0], &buf[j], sizeof(T));
      }
    }
  });
}

// float16 and bfloat16: the float64 algorithm, rounded once to the narrow type.
template <class T>
void run_narrow(cpu::MathFn fn, Tensor& out, const Tensor& x) {
  cpu::StridedLoop<2> loop(out.shape(), {out.mutable_bytes(), const_cast<std::byte*>(x.bytes())},
                           {out.strides(), x.strides()}, {sizeof(T), sizeof(T)});
  loop.run([fn](std::array<std::byte*, 2> p, std::array<std::int64_t, 2> s, std::int64_t n) {
    std::array<double, kChunk> buf;
    for (std::int64_t i = 0; i < n; i += kChunk) {
      const std::int64_t m = std::min(kChunk, n - i);
      for (std::int64_t j = 0; j < m; ++j) {
        buf[j] = static_cast<float>(*reinterpret_cast<const T*>(p[1] + (i + j) * s[1]));
      }
      cpu::math_kernel(fn, buf.data(), buf.data(), static_cast<std::size_t>(m));
      for (std::int64_t j = 0; j < m; ++j) {
        *reinterpret_cast<T*>(p[0] + (i + j) * s[0]) = T(buf[j]);
      }
    }
  });
}

}  // namespace

std::vector<TensorSpec> MathUnary::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const Promoted p = promote(std::vector<DTypeArg>{{x.dtype(), x.weak()}}, name());
  if (is_complex(p.dtype) && op_ != MathOp::Rsqrt) {
    throw TypeError(std::string(name()) + ": received dtype " +
                    std::string(kcore::name(x.dtype())) +
                    "; expected a real dtype (bool, integer or float)");
  }
  if (is_bool(p.dtype) || is_integer(p.dtype)) return {{x.shape(), DType::Float32, false}};
  return {{x.shape(), p.dtype, p.weak}};
}

std::vector<Tensor> MathUnary::eval_cpu(std::span<const Tensor> inputs,
                                        std::span<const TensorSpec> outputs) const {
  const TensorSpec& spec = outputs[0];
  Tensor out = Tensor::empty(spec.shape, spec.dtype).with_weak(spec.weak);
  if (out.size() == 0) return {out};
  // bool and integers become float32; a weak float scalar (held as float64) its dtype.
  const Tensor x = cpu::cast_kernel(inputs[0], spec.dtype);
  const cpu::MathFn fn = kernel_fn(op_);
  switch (spec.dtype) {
    case DType::Float32:
      run_native<float>(fn, out, x);
      break;
    case DType::Float64:
      run_native<double>(fn, out, x);
      break;
    case DType::Float16:
      run_narrow<float16>(fn, out, x);
      break;
    case DType::BFloat16:
      run_narrow<bfloat16>(fn, out, x);
      break;
    case DType::Complex64:
      cpu::map_unary<std::complex<float>, std::complex<float>>(
          out, x, [](std::complex<float> z) { return std::complex<float>(1) / std::sqrt(z); });
      break;
    case DType::Complex128:
      cpu::map_unary<std::complex<double>, std::complex<double>>(
          out, x, [](std::complex<double> z) { return std::complex<double>(1) / std::sqrt(z); });
      break;
    default:
      throw TypeError(std::string(name()) + ": unsupported dtype " +
                      std::string(kcore::name(spec.dtype)));
  }
  return {out};
}

// ---------------------------------------------------------------------------------------------
// logsumexp
// ---------------------------------------------------------------------------------------------

std::vector<TensorSpec> LogSumExp::infer(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const DType d = promote(std::vector<DTypeArg>{{x.dtype(), false}}, name()).dtype;
  if (is_complex(d)) {
    throw TypeError("logsumexp: received dtype " + std::string(kcore::name(d)) +
                    "; expected a real dtype (bool, integer or float)");
  }
  Shape shape;
  for (std::int64_t i = 0; i < x.ndim(); ++i) {
    if (!std::binary_search(axes_.begin(), axes_.end(), i)) {
      shape.push_back(x.shape()[i]);
    } else if (keepdims_) {
      shape.push_back(1);
    }
  }
  return {{shape, is_inexact(d) ? d : DType::Float32, false}};
}

namespace {

constexpr std::int64_t kLseBlock = 1 << 16;

// logsumexp of every row of `rows` contiguous rows of length k starting at `base`, row i at
// base + row_offset(i). Each row is cut into fixed blocks of kLseBlock elements combined in
// order, so results do not depend on the thread count.
template <class T, class RowOffset>
std::vector<double> lse_rows(const T* base, std::int64_t rows, std::int64_t k,
                             RowOffset row_offset) {
  std::vector<double> results(static_cast<std::size_t>(rows));
  const std::int64_t blocks = std::max<std::int64_t>(1, (k + kLseBlock - 1) / kLseBlock);
  auto block = [&](const T* row, std::int64_t j) {
    const std::int64_t b = j * kLseBlock;
    return cpu::lse_block(row + b, static_cast<std::size_t>(std::min(k, b + kLseBlock) - b));
  };
  if (rows >= num_threads() || blocks == 1) {
    const std::int64_t grain = std::max<std::int64_t>(1, kLseBlock / std::max<std::int64_t>(k, 1));
    cpu::parallel_for(rows, grain, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        const T* row = base + row_offset(i);
        cpu::LsePartial acc = block(row, 0);
        for (std::int64_t j = 1; j < blocks; ++j) acc = cpu::lse_combine(acc, block(row, j));
        results[i] = cpu::lse_result(acc);
      }
    });
  } else {
    std::vector<cpu::LsePartial> partial(static_cast<std::size_t>(blocks));
    for (std::int64_t i = 0; i < rows; ++i) {
      const T* row = base + row_offset(i);
      cpu::parallel_for(blocks, 1, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t j = b; j < e; ++j) partial[j] = block(row, j);
      });
      cpu::LsePartial acc = partial[0];
      for (std::int64_t j = 1; j < blocks; ++j) acc = cpu::lse_combine(acc, partial[j]);
      results[i] = cpu::lse_result(acc);
    }
  }
  return results;
}

}  // namespace

std::vector<Tensor> LogSumExp::eval_cpu(std::span<const Tensor> inputs,
                                        std::span<const TensorSpec> outputs) const {
  const TensorSpec& spec = outputs[0];
  Tensor out = Tensor::empty(spec.shape, spec.dtype);
  const std::int64_t m = out.size();
  if (m == 0) return {out};
  // float16, bfloat16, bool and integers accumulate in float32.
  const DType compute = spec.dtype == DType::Float64 ? DType::Float64 : DType::Float32;
  Tensor x = cpu::cast_kernel(inputs[0], compute);
  std::int64_t k = 1;
  for (auto a : axes_) k *= x.shape()[static_cast<std::size_t>(a)];

  // Rows are contiguous when the reduced axes, merged, are one run of unit stride, and row i
  // starts at the offset of kept position i. Otherwise copy x with the reduced axes last.
  std::vector<std::int64_t> kept_axes;
  for (std::int64_t i = 0; i < x.ndim(); ++i) {
    if (!std::binary_search(axes_.begin(), axes_.end(), i)) kept_axes.push_back(i);
  }
  bool rows_contiguous = true;
  std::int64_t expect = 1;
  for (auto it = axes_.rbegin(); it != axes_.rend(); ++it) {
    const auto a = static_cast<std::size_t>(*it);
    if (x.shape()[a] == 1) continue;
    rows_contiguous = rows_contiguous && x.strides()[a] == expect;
    expect *= x.shape()[a];
  }
  if (!rows_contiguous) {
    Strides strides(static_cast<std::size_t>(x.ndim()));
    std::int64_t step = 1;
    for (auto it = axes_.rbegin(); it != axes_.rend(); ++it) {
      strides[static_cast<std::size_t>(*it)] = step;
      step *= x.shape()[static_cast<std::size_t>(*it)];
    }
    for (auto it = kept_axes.rbegin(); it != kept_axes.rend(); ++it) {
      strides[static_cast<std::size_t>(*it)] = step;
      step *= x.shape()[static_cast<std::size_t>(*it)];
    }
    Tensor packed = Tensor::empty(x.shape(), compute);
    cpu::copy_elements(packed.mutable_bytes(), strides, x);
    x = Tensor::view(packed, x.shape(), strides, 0);
  }
  // Element offset of kept position i (row-major over the kept axes).
  std::vector<std::int64_t> kshape, kstride;
  for (auto a : kept_axes) {
    kshape.push_back(x.shape()[static_cast<std::size_t>(a)]);
    kstride.push_back(x.strides()[static_cast<std::size_t>(a)]);
  }
  auto row_offset = [&](std::int64_t i) {
    std::int64_t off = 0;
    for (std::size_t d = kshape.size(); d-- > 0;) {
      off += (i % kshape[d]) * kstride[d];
      i /= kshape[d];
    }
    return off;
  };
  std::vector<double> results;
  if (compute == DType::Float64) {
    results = lse_rows(reinterpret_cast<const double*>(x.bytes()), m, k, row_offset);
  } else {
    results = lse_rows(reinterpret_cast<const float*>(x.bytes()), m, k, row_offset);
  }
  cpu::dispatch(spec.dtype, [&]<class O>() {
    if constexpr (std::is_floating_point_v<O> || cpu::is_narrow_float_v<O>) {
      O* dst = out.mutable_data<O>();
      for (std::int64_t i = 0; i < m; ++i) dst[i] = O(results[static_cast<std::size_t>(i)]);
    }
  });
  return {out};
}

}  // namespace kcore
