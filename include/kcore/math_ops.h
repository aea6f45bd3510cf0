#pragma once

#include <optional>

#include "kcore/ops.h"
#include "kcore/tensor.h"

namespace kcore {

// The seed's math ops (SEMANTICS §3). Float inputs keep their dtype; bool and integers give
// float32. float32 and float64: erf within 1 ulp, erfinv within 2 ulp, rsqrt within 1 ulp;
// float16 and bfloat16 correctly rounded.

// The error function. erf(±inf) = ±1, erf(±0) = ±0, NaN -> NaN.
Tensor erf(const Tensor& x);
// The inverse error function on [-1, 1]: erfinv(±1) = ±inf, |x| > 1 -> NaN.
Tensor erfinv(const Tensor& x);
// 1 / sqrt(x): rsqrt(+0) = +inf, rsqrt(-0) = -inf, rsqrt(x < 0) = NaN, rsqrt(+inf) = 0.
Tensor rsqrt(const Tensor& x);
// log(sum(exp(x))) over `axis` (all axes when unset), computed stably (max subtracted first).
// float16/bfloat16 accumulate in float32. All -inf -> -inf, any +inf -> +inf, any NaN -> NaN,
// an empty reduction -> -inf.
Tensor logsumexp(const Tensor& x, const std::optional<Axes>& axis = std::nullopt,
                 bool keepdims = false);

}  // namespace kcore
