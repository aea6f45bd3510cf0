// The lane-wise twins of detail::float16_bits_from_float, float_from_float16_bits and bfloat16's
// rounding (kcore/float_types.h) and of float_to_int (cpu/convert.h), compiled for every Highway
// target and chosen at run time. Tails shorter than a vector use the scalar functions, which
// compute the same bits.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/cast_simd_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>
#include <limits>

#include "cpu/cast_simd_kernels.h"
#include "cpu/convert.h"
#include "kcore/float_types.h"

HWY_BEFORE_NAMESPACE();
namespace kcore::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class DF, class DU = hn::RebindToUnsigned<DF>>
HWY_INLINE hn::Vec<DU> Float16Bits(DF df, hn::Vec<DF> x) {
  const DU du;
  const auto w = hn::BitCast(du, x);
  const auto shl1 = hn::Add(w, w);
  const auto sign = hn::And(w, hn::Set(du, 0x80000000U));
  auto base = hn::Mul(hn::Mul(hn::Abs(x), hn::Set(df, 0x1.0p+112F)), hn::Set(df, 0x1.0p-110F));
  const auto bias = hn::Max(hn::And(shl1, hn::Set(du, 0xFF000000U)), hn::Set(du, 0x71000000U));
  base = hn::Add(hn::BitCast(df, hn::Add(hn::ShiftRight<1>(bias), hn::Set(du, 0x07800000U))), base);
  const auto bits = hn::BitCast(du, base);
  const auto nonsign = hn::Add(hn::And(hn::ShiftRight<13>(bits), hn::Set(du, 0x7C00U)),
                               hn::And(bits, hn::Set(du, 0x0FFFU)));
  const auto is_nan = hn::Gt(shl1, hn::Set(du, 0xFF000000U));
  return hn::Or(hn::ShiftRight<16>(sign), hn::IfThenElse(is_nan, hn::Set(du, 0x7E00U), nonsign));
}

template <class DF, class DU = hn::RebindToUnsigned<DF>>
HWY_INLINE hn::Vec<DF> FloatFromFloat16Bits(DF df, hn::Vec<DU> h) {
  const DU du;
  const auto w = hn::ShiftLeft<16>(h);
  const auto sign = hn::And(w, hn::Set(du, 0x80000000U));
  const auto two_w = hn::Add(w, w);
  const auto normalized =
      hn::Mul(hn::BitCast(df, hn::Add(hn::ShiftRight<4>(two_w), hn::Set(du, 0xE0U << 23))),
              hn::Set(df, 0x1.0p-112F));
  const auto subnormal =
      hn::Sub(hn::BitCast(df, hn::Or(hn::ShiftRight<17>(two_w), hn::Set(du, 126U << 23))),
              hn::Set(df, 0.5F));
  auto bits = hn::IfThenElse(hn::Lt(two_w, hn::Set(du, 1U << 27)), hn::BitCast(du, subnormal),
                             hn::BitCast(du, normalized));
  bits = hn::IfThenElse(hn::Gt(two_w, hn::Set(du, 0xF8000000U)), hn::Set(du, 0x7FC00000U), bits);
  return hn::BitCast(df, hn::Or(sign, bits));
}

template <class DF, class DU = hn::RebindToUnsigned<DF>>
HWY_INLINE hn::Vec<DU> BFloat16Bits(DF /*df*/, hn::Vec<DF> x) {
  const DU du;
  const auto u = hn::BitCast(du, x);
  const auto odd = hn::And(hn::ShiftRight<16>(u), hn::Set(du, 1U));
  const auto rounded = hn::ShiftRight<16>(hn::Add(hn::Add(u, hn::Set(du, 0x7FFFU)), odd));
  const auto quiet_nan = hn::Or(hn::ShiftRight<16>(u), hn::Set(du, 0x40U));
  return hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(x)), quiet_nan, rounded);
}

// x86 targets from AVX2 on have F16C, one instruction per conversion (rounding to nearest even);
// only NaN payloads need fixing up to the quiet NaN of the sign.
#undef KCORE_F16C
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2 && !defined(HWY_DISABLE_F16C)
#define KCORE_F16C 1
#else
#define KCORE_F16C 0
#endif

template <class DF>
HWY_INLINE hn::Vec<DF> QuietNaNOfSign(DF df, hn::Vec<DF> x) {
  const hn::RebindToUnsigned<DF> du;
  const auto quiet =
      hn::Or(hn::And(hn::BitCast(du, x), hn::Set(du, 0x80000000U)), hn::Set(du, 0x7FC00000U));
  return hn::IfThenElse(hn::IsNaN(x), hn::BitCast(df, quiet), x);
}

// Converts n elements, vector by vector (`to_vector` on a loaded vector of din) and the tail with
// `to_scalar`. Outputs of 2 MiB or more are written with aligned streaming stores, which skip the
// read for ownership of each output line (whole vectors of 16 bytes or more only).
template <class DIn, class DOut, class TIn, class TOut, class VectorFn, class ScalarFn>
HWY_INLINE void ConvertArray(DIn din, DOut dout, const TIn* in, TOut* out, std::size_t n,
                             VectorFn to_vector, ScalarFn to_scalar) {
  constexpr std::size_t kStreamBytes = std::size_t{1} << 21;
  const std::size_t lanes = hn::Lanes(din);
  std::size_t i = 0;
  const std::size_t vector_bytes = lanes * sizeof(TOut);
  // Streaming a vector narrower than 16 bytes would store 16 (x86), past the output.
  if (n * sizeof(TOut) >= kStreamBytes && vector_bytes >= 16) {
    const std::size_t misaligned = reinterpret_cast<std::uintptr_t>(out) % vector_bytes;
    if (misaligned % sizeof(TOut) == 0) {
      const std::size_t head = misaligned == 0 ? 0 : (vector_bytes - misaligned) / sizeof(TOut);
      for (; i < head; ++i) out[i] = to_scalar(in[i]);
      for (; i + lanes <= n; i += lanes)
        hn::Stream(to_vector(hn::LoadU(din, in + i)), dout, out + i);
      hwy::FlushStream();
    }
  }
  for (; i + lanes <= n; i += lanes) hn::StoreU(to_vector(hn::LoadU(din, in + i)), dout, out + i);
  for (; i < n; ++i) out[i] = to_scalar(in[i]);
}

void FloatToFloat16(const float* in, std::uint16_t* out, std::size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<std::uint16_t, decltype(df)> du16;
#if KCORE_F16C
  const hn::Rebind<hwy::float16_t, decltype(df)> df16;
  const auto to_vector = [&](auto x) {
    return hn::BitCast(du16, hn::DemoteTo(df16, QuietNaNOfSign(df, x)));
  };
#else
  const hn::RebindToSigned<decltype(df)> di;
  const auto to_vector = [&](auto x) {
    return hn::DemoteTo(du16, hn::BitCast(di, Float16Bits(df, x)));
  };
#endif
  ConvertArray(df, du16, in, out, n, to_vector, kcore::detail::float16_bits_from_float);
}

void Float16ToFloat(const std::uint16_t* in, float* out, std::size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<std::uint16_t, decltype(df)> du16;
#if KCORE_F16C
  const hn::Rebind<hwy::float16_t, decltype(df)> df16;
  const auto to_vector = [&](auto h) {
    return QuietNaNOfSign(df, hn::PromoteTo(df, hn::BitCast(df16, h)));
  };
#else
  const hn::RebindToUnsigned<decltype(df)> du;
  const auto to_vector = [&](auto h) { return FloatFromFloat16Bits(df, hn::PromoteTo(du, h)); };
#endif
  ConvertArray(du16, df, in, out, n, to_vector, kcore::detail::float_from_float16_bits);
}

void FloatToBFloat16(const float* in, std::uint16_t* out, std::size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<std::uint16_t, decltype(df)> du16;
  const hn::RebindToSigned<decltype(df)> di;
  const auto to_vector = [&](auto x) {
    return hn::DemoteTo(du16, hn::BitCast(di, BFloat16Bits(df, x)));
  };
  const auto to_scalar = [](float x) { return kcore::bfloat16(x).bits; };
  ConvertArray(df, du16, in, out, n, to_vector, to_scalar);
}

void BFloat16ToFloat(const std::uint16_t* in, float* out, std::size_t n) {
  const hn::ScalableTag<float> df;
  const hn::Rebind<std::uint16_t, decltype(df)> du16;
  const hn::RebindToUnsigned<decltype(df)> du;
  const auto to_vector = [&](auto h) {
    return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du, h)));
  };
  const auto to_scalar = [](std::uint16_t h) {
    return static_cast<float>(kcore::bfloat16::from_bits(h));
  };
  ConvertArray(du16, df, in, out, n, to_vector, to_scalar);
}

// Truncation toward zero, saturating at the integer type's range, NaN to 0. The limits are fixed
// up here rather than left to ConvertTo, whose out-of-range results differ between targets.
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> TruncateSaturating(DF df, hn::Vec<DF> x) {
  using T = hn::TFromD<DF>;
  using I = hwy::MakeSigned<T>;
  const hn::RebindToSigned<DF> di;
  // 2^31 (2^63): the first value above the range; -2^31 (-2^63) is the range's lowest value.
  const auto bound = hn::Set(df, -static_cast<T>(std::numeric_limits<I>::min()));
  auto r = hn::ConvertTo(di, x);
  r = hn::IfThenElse(hn::RebindMask(di, hn::Ge(x, bound)),
                     hn::Set(di, std::numeric_limits<I>::max()), r);
  r = hn::IfThenElse(hn::RebindMask(di, hn::Lt(x, hn::Neg(bound))),
                     hn::Set(di, std::numeric_limits<I>::min()), r);
  return hn::IfThenZeroElse(hn::RebindMask(di, hn::IsNaN(x)), r);
}

// Floats to the signed integers of the same width, by float_to_int's rules.
template <class TF, class TI>
HWY_INLINE void FloatToInt(const TF* in, TI* out, std::size_t n) {
  const hn::ScalableTag<TF> df;
  const hn::RebindToSigned<decltype(df)> di;
  ConvertArray(
      df, di, in, out, n, [&](auto x) { return TruncateSaturating(df, x); },
      [](TF x) { return float_to_int<TI>(x); });
}

void FloatToInt32(const float* in, std::int32_t* out, std::size_t n) {
  FloatToInt(in, out, n);
}

void DoubleToInt64(const double* in, std::int64_t* out, std::size_t n) {
  FloatToInt(in, out, n);
}

}  // namespace kcore::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace kcore::cpu {

HWY_EXPORT(FloatToFloat16);
HWY_EXPORT(Float16ToFloat);
HWY_EXPORT(FloatToBFloat16);
HWY_EXPORT(BFloat16ToFloat);
HWY_EXPORT(FloatToInt32);
HWY_EXPORT(DoubleToInt64);

void float_to_float16(const float* in, std::uint16_t* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(FloatToFloat16)(in, out, n);
}
void float16_to_float(const std::uint16_t* in, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(Float16ToFloat)(in, out, n);
}
void float_to_bfloat16(const float* in, std::uint16_t* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(FloatToBFloat16)(in, out, n);
}
void bfloat16_to_float(const std::uint16_t* in, float* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(BFloat16ToFloat)(in, out, n);
}
void float_to_int32(const float* in, std::int32_t* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(FloatToInt32)(in, out, n);
}
void double_to_int64(const double* in, std::int64_t* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(DoubleToInt64)(in, out, n);
}

}  // namespace kcore::cpu
#endif  // HWY_ONCE
