// erf, erfinv, rsqrt, logsumexp (SEMANTICS §3).
#include <nanobind/nanobind.h>

#include "kcore/math_ops.h"
#include "py_convert.h"
#include "py_module.h"

namespace kcore::python {

void bind_math(nb::module_& m) {
  m.def(
      "erf", [](nb::handle x) { return erf(to_tensor(x, "erf")); }, "x"_a,
      "The error function, elementwise (within 1 ulp in float32 and float64). Float inputs "
      "keep their dtype; bool and integers give float32.");
  m.def(
      "erfinv", [](nb::handle x) { return erfinv(to_tensor(x, "erfinv")); }, "x"_a,
      "The inverse error function, elementwise (within 2 ulp): erfinv(+-1) = +-inf, |x| > 1 "
      "gives NaN. Float inputs keep their dtype; bool and integers give float32.");
  m.def(
      "rsqrt", [](nb::handle x) { return rsqrt(to_tensor(x, "rsqrt")); }, "x"_a,
      "1 / sqrt(x), elementwise (within 1 ulp): rsqrt(0) = inf, rsqrt(x < 0) = NaN, "
      "rsqrt(inf) = 0. Float inputs keep their dtype; bool and integers give float32.");
  m.def(
      "logsumexp",
      [](nb::handle x, nb::handle axis, bool keepdims) {
        return logsumexp(to_tensor(x, "logsumexp"), to_optional_axes(axis, "logsumexp"), keepdims);
      },
      "x"_a, "axis"_a = nb::none(), "keepdims"_a = false,
      "log(sum(exp(x))) over axis (all axes when None), computed stably; float16 and bfloat16 "
      "accumulate in float32, bool and integers give float32. All -inf gives -inf, any +inf "
      "+inf, any NaN NaN, an empty reduction -inf.");
}

}  // namespace kcore::python
