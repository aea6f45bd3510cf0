#include "primitives/elementwise.h"

#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

#include "cpu/cast_kernel.h"
#include "cpu/convert.h"
#include "cpu/copy.h"
#include "cpu/dispatch.h"
#include "cpu/elementwise_loops.h"
#include "cpu/math_kernels.h"
#include "cpu/parallel.h"

namespace kcore {

REGISTER_PRIMITIVE("negative", "Unary");
REGISTER_PRIMITIVE("abs", "Unary");
REGISTER_PRIMITIVE("exp", "Unary");
REGISTER_PRIMITIVE("log", "Unary");
REGISTER_PRIMITIVE("sqrt", "Unary");
REGISTER_PRIMITIVE("logical_not", "Unary");
REGISTER_PRIMITIVE("add", "Binary");
REGISTER_PRIMITIVE("subtract", "Binary");
REGISTER_PRIMITIVE("multiply", "Binary");
REGISTER_PRIMITIVE("divide", "Binary");
REGISTER_PRIMITIVE("equal", "Binary");
REGISTER_PRIMITIVE("not_equal", "Binary");
REGISTER_PRIMITIVE("less", "Binary");
REGISTER_PRIMITIVE("less_equal", "Binary");
REGISTER_PRIMITIVE("greater", "Binary");
REGISTER_PRIMITIVE("greater_equal", "Binary");
REGISTER_PRIMITIVE("logical_and", "Binary");
REGISTER_PRIMITIVE("logical_or", "Binary");
REGISTER_PRIMITIVE("where", "Where");

std::string_view op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::Negative:
      return "negative";
    case UnaryOp::Abs:
      return "abs";
    case UnaryOp::Exp:
      return "exp";
    case UnaryOp::Log:
      return "log";
    case UnaryOp::Sqrt:
      return "sqrt";
    case UnaryOp::LogicalNot:
      return "logical_not";
  }
  return "unary";
}

std::string_view op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add:
      return "add";
    case BinaryOp::Subtract:
      return "subtract";
    case BinaryOp::Multiply:
      return "multiply";
    case BinaryOp::Divide:
      return "divide";
    case BinaryOp::Equal:
      return "equal";
    case BinaryOp::NotEqual:
      return "not_equal";
    case BinaryOp::Less:
      return "less";
    case BinaryOp::LessEqual:
      return "less_equal";
    case BinaryOp::Greater:
      return "greater";
    case BinaryOp::GreaterEqual:
      return "greater_equal";
    case BinaryOp::LogicalAnd:
      return "logical_and";
    case BinaryOp::LogicalOr:
      return "logical_or";
  }
  return "binary";
}

namespace {

constexpr bool is_comparison(BinaryOp op) {
  return op >= BinaryOp::Equal && op <= BinaryOp::GreaterEqual;
}
constexpr bool is_ordering(BinaryOp op) {
  return op >= BinaryOp::Less && op <= BinaryOp::GreaterEqual;
}
constexpr bool is_logical(BinaryOp op) {
  return op == BinaryOp::LogicalAnd || op == BinaryOp::LogicalOr;
}

// Calls f(std::integral_constant<BinaryOp, op>{}).
template <class F>
void with_constant_op(BinaryOp op, F&& f) {
  switch (op) {
#define KCORE_CASE(o)                                   \
  case BinaryOp::o:                                     \
    f(std::integral_constant<BinaryOp, BinaryOp::o>{}); \
    return;
    KCORE_CASE(Add)
    KCORE_CASE(Subtract)
    KCORE_CASE(Multiply)
    KCORE_CASE(Divide)
    KCORE_CASE(Equal)
    KCORE_CASE(NotEqual)
    KCORE_CASE(Less)
    KCORE_CASE(LessEqual)
    KCORE_CASE(Greater)
    KCORE_CASE(GreaterEqual)
    KCORE_CASE(LogicalAnd)
    KCORE_CASE(LogicalOr)
#undef KCORE_CASE
  }
}

// Calls f(std::integral_constant<UnaryOp, op>{}).
template <class F>
void with_constant_op(UnaryOp op, F&& f) {
  switch (op) {
#define KCORE_CASE(o)                                 \
  case UnaryOp::o:                                    \
    f(std::integral_constant<UnaryOp, UnaryOp::o>{}); \
    return;
    KCORE_CASE(Negative)
    KCORE_CASE(Abs)
    KCORE_CASE(Exp)
    KCORE_CASE(Log)
    KCORE_CASE(Sqrt)
    KCORE_CASE(LogicalNot)
#undef KCORE_CASE
  }
}

// Integer arithmetic wraps: carry it out on an unsigned type at least as wide as T and as
// unsigned int (narrower unsigned types would promote to int, where products overflow).
template <class T, class F>
T wrapping(T a, T b, F f) {
  using U = std::common_type_t<std::make_unsigned_t<T>, unsigned>;
  return static_cast<T>(f(static_cast<U>(a), static_cast<U>(b)));
}

template <class T>
T apply_binary(BinaryOp op, T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
    return op == BinaryOp::Add ? (a || b) : (a && b);
  } else if constexpr (std::is_integral_v<T>) {
    switch (op) {
      case BinaryOp::Add:
        return wrapping(a, b, [](auto x, auto y) { return x + y; });
      case BinaryOp::Subtract:
        return wrapping(a, b, [](auto x, auto y) { return x - y; });
      default:
        return wrapping(a, b, [](auto x, auto y) { return x * y; });
    }
  } else {
    switch (op) {
      case BinaryOp::Add:
        return a + b;
      case BinaryOp::Subtract:
        return a - b;
      case BinaryOp::Multiply:
        return a * b;
      default:
        return a / b;
    }
  }
}

template <class T>
bool apply_comparison(BinaryOp op, T a, T b) {
  if constexpr (cpu::is_complex_v<T>) {
    return op == BinaryOp::Equal ? a == b : a != b;
  } else {
    switch (op) {
      case BinaryOp::Equal:
        return a == b;
      case BinaryOp::NotEqual:
        return a != b;
      case BinaryOp::Less:
        return a < b;
      case BinaryOp::LessEqual:
        return a <= b;
      case BinaryOp::Greater:
        return a > b;
      default:
        return a >= b;
    }
  }
}

template <class T>
auto apply_unary(UnaryOp op, T x) {
  if constexpr (std::is_integral_v<T>) {
    // Integers reach here only for negative and abs; both wrap at the minimum.
    using U = std::make_unsigned_t<T>;
    const bool flip = op == UnaryOp::Negative || (std::is_signed_v<T> && x < 0);
    return flip ? static_cast<T>(U(0) - static_cast<U>(x)) : x;
  } else {
    switch (op) {
      case UnaryOp::Negative:
        return T(-x);
      case UnaryOp::Exp:
        return T(std::exp(x));
      case UnaryOp::Log:
        return T(std::log(x));
      case UnaryOp::Sqrt:
        return T(std::sqrt(x));
      default: {
        if constexpr (cpu::is_complex_v<T>) {
          return T(std::abs(x));
        } else {
          return T(std::fabs(x));
        }
      }
    }
  }
}

// The op as a compile-time constant, so that the loops vectorise.
template <class T>
void map_unary_constant_op(UnaryOp op, Tensor& out, const Tensor& x) {
  with_constant_op(op, [&](auto kOp) {
    cpu::map_unary<T, T>(out, x, [](T v) {
      return cpu::from_compute<T>(apply_unary(decltype(kOp)::value, cpu::to_compute(v)));
    });
  });
}

// Elements per task of the SIMD exp kernel.
constexpr std::int64_t kMathGrain = 16384;

}  // namespace

TensorSpec Unary::output_spec(std::span<const Tensor> inputs) const {
  const Tensor& x = inputs[0];
  const DType d = x.dtype();
  if (op_ == UnaryOp::LogicalNot) return {x.shape(), DType::Bool, false};
  const Promoted p = promote({{d, x.weak()}}, name());
  switch (op_) {
    case UnaryOp::Negative:
      if (is_bool(d)) {
        throw TypeError(
            "negative: received a bool tensor; expected a numeric dtype "
            "(use logical_not for bool)");
      }
      return {x.shape(), p.dtype, p.weak};
    case UnaryOp::Abs:
      if (d == DType::Complex64) return {x.shape(), DType::Float32, false};
      if (d == DType::Complex128) return {x.shape(), DType::Float64, false};
      return {x.shape(), p.dtype, p.weak};
    default:
      if (is_bool(d) || is_integer(d)) return {x.shape(), DType::Float32, false};
      return {x.shape(), p.dtype, p.weak};
  }
}

Tensor Unary::run(std::span<const Tensor> inputs, const TensorSpec& spec) const {
  Tensor out = Tensor::empty(spec.shape, spec.dtype, spec.weak);
  if (op_ == UnaryOp::LogicalNot) {
    const Tensor b = cpu::cast_kernel(inputs[0], DType::Bool);
    cpu::map_unary<bool, bool>(out, b, [](bool v) { return !v; });
    return out;
  }
  if (op_ == UnaryOp::Abs && is_bool(inputs[0].dtype())) {
    return inputs[0];
  }
  // abs of complex reads complex and writes real; every other op computes in the output dtype
  // (a weak float scalar is held as float64 and resolves to float32 here).
  const bool complex_abs = op_ == UnaryOp::Abs && is_complex(inputs[0].dtype());
  std::optional<Tensor> converted;
  if (!complex_abs && inputs[0].dtype() != spec.dtype) {
    converted = cpu::cast_kernel(inputs[0], spec.dtype);
  }
  const Tensor& x = converted ? *converted : inputs[0];
  const UnaryOp op = op_;
  cpu::dispatch(x.dtype(), [&]<class T>() {
    if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, float8_e4m3fn> ||
                  std::is_same_v<T, float8_e5m2>) {
      // infer() has turned these dtypes away or converted them.
      throw TypeError(std::string(op_name(op)) + ": unsupported dtype " +
                      std::string(kcore::name(dtype_of<T>)));
    } else if constexpr (cpu::is_complex_v<T>) {
      using R = typename T::value_type;
      if (op == UnaryOp::Abs) {
        cpu::map_unary<R, T>(out, x, [](T v) { return std::abs(v); });
      } else {
        cpu::map_unary<T, T>(out, x, [op](T v) { return apply_unary(op, v); });
      }
    } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (op == UnaryOp::Exp) {
        // The SIMD kernel reads a contiguous array: a strided x is first copied into `out`.
        const bool dense = x.shape() == out.shape() && x.is_contiguous();
        if (!dense) cpu::copy_elements(out.mutable_bytes(), out.strides(), x);
        const T* in = reinterpret_cast<const T*>(dense ? x.bytes() : out.bytes());
        T* o = reinterpret_cast<T*>(out.mutable_bytes());
        cpu::parallel_for(out.size(), kMathGrain, [&](std::int64_t b, std::int64_t e) {
          cpu::exp_kernel(in + b, o + b, static_cast<std::size_t>(e - b));
        });
        return;
      }
      map_unary_constant_op<T>(op, out, x);
    } else {
      map_unary_constant_op<T>(op, out, x);
    }
  });
  return out;
}

Differentiability Unary::differentiability() const {
  return op_ == UnaryOp::LogicalNot ? Differentiability::NonDifferentiable
                                    : Differentiability::Differentiable;
}

Promoted Binary::operand_dtype(std::span<const Tensor> inputs) const {
  // Division promotes with a weak float: integers divide in float32.
  const std::array<DTypeArg, 3> args = {DTypeArg{inputs[0].dtype(), inputs[0].weak()},
                                        DTypeArg{inputs[1].dtype(), inputs[1].weak()},
                                        DTypeArg{DType::Float32, true}};
  return promote(std::span<const DTypeArg>(args.data(), op_ == BinaryOp::Divide ? 3 : 2), name());
}

TensorSpec Binary::output_spec(std::span<const Tensor> inputs) const {
  const Shape shape = broadcast_shapes(inputs[0].shape(), inputs[1].shape(), name());
  if (is_logical(op_)) return {shape, DType::Bool, false};
  const Promoted p = operand_dtype(inputs);
  if (is_comparison(op_)) {
    if (is_ordering(op_) && is_complex(p.dtype)) {
      throw TypeError(std::string(name()) + ": received complex operands (" +
                      std::string(kcore::name(inputs[0].dtype())) + ", " +
                      std::string(kcore::name(inputs[1].dtype())) +
                      "); expected real dtypes, complex numbers have no order");
    }
    return {shape, DType::Bool, false};
  }
  if (op_ == BinaryOp::Subtract && is_bool(p.dtype)) {
    throw TypeError(
        "subtract: received two bool tensors; expected a numeric dtype "
        "(use logical_xor or not_equal for bool)");
  }
  const bool both_weak = inputs[0].weak() && inputs[1].weak();
  return {shape, p.dtype, p.weak && both_weak};
}

Tensor Binary::run(std::span<const Tensor> inputs, const TensorSpec& spec) const {
  Tensor out = Tensor::empty(spec.shape, spec.dtype, spec.weak);
  const BinaryOp op = op_;
  if (is_logical(op)) {
    const Tensor a = cpu::cast_kernel(inputs[0], DType::Bool);
    const Tensor b = cpu::cast_kernel(inputs[1], DType::Bool);
    if (op == BinaryOp::LogicalAnd) {
      cpu::map_binary<bool, bool>(out, a, b, [](bool x, bool y) { return x && y; });
    } else {
      cpu::map_binary<bool, bool>(out, a, b, [](bool x, bool y) { return x || y; });
    }
    return out;
  }
  const DType operand = operand_dtype(inputs).dtype;
  // The op becomes a compile-time constant, so that the inner loops vectorise; one element of
  // each (arithmetic: in the operand dtype, comparisons: bool).
  auto with_element_op = [&]<class T>(auto run) {
    if constexpr (!std::is_same_v<T, float8_e4m3fn> && !std::is_same_v<T, float8_e5m2>) {
      using C = cpu::compute_t<T>;
      with_constant_op(op, [&](auto kOp) {
        constexpr BinaryOp k = decltype(kOp)::value;
        if constexpr (is_comparison(k)) {
          run.template operator()<bool>([](T x, T y) {
            return apply_comparison<C>(k, cpu::to_compute(x), cpu::to_compute(y));
          });
        } else if constexpr (!is_logical(k)) {
          run.template operator()<T>([](T x, T y) {
            return cpu::from_compute<T>(apply_binary<C>(k, cpu::to_compute(x), cpu::to_compute(y)));
          });
        }
      });
    }
  };
  if (out.size() == 1) {
    // One element: converted as it is read, without converted copies of the operands.
    cpu::dispatch(operand, [&]<class T>() {
      with_element_op.template operator()<T>([&]<class Out>(auto f) {
        *reinterpret_cast<Out*>(out.mutable_bytes()) =
            f(cpu::load_converted<T>(inputs[0]), cpu::load_converted<T>(inputs[1]));
      });
    });
    return out;
  }
  const Tensor a = cpu::cast_kernel(inputs[0], operand);
  const Tensor b = cpu::cast_kernel(inputs[1], operand);
  cpu::dispatch(operand, [&]<class T>() {
    with_element_op.template operator()<T>(
        [&]<class Out>(auto f) { cpu::map_binary<Out, T>(out, a, b, f); });
  });
  return out;
}

Differentiability Binary::differentiability() const {
  return is_comparison(op_) || is_logical(op_) ? Differentiability::NonDifferentiable
                                               : Differentiability::Differentiable;
}

std::vector<TensorSpec> Where::infer(std::span<const Tensor> inputs) const {
  const Shape s1 = broadcast_shapes(inputs[0].shape(), inputs[1].shape(), "where");
  const Shape shape = broadcast_shapes(s1, inputs[2].shape(), "where");
  const Promoted p = promote(
      {{inputs[1].dtype(), inputs[1].weak()}, {inputs[2].dtype(), inputs[2].weak()}}, "where");
  return {{shape, p.dtype, p.weak && inputs[1].weak() && inputs[2].weak()}};
}

namespace {

// o[i] = c[i] ? x[i] : y[i] with masks rather than a branch (random conditions would mispredict
// half the time), over arrays that do not overlap, so that the loop vectorises.
template <class W>
void select_run(W* __restrict o, const std::uint8_t* __restrict c, const W* __restrict x,
                const W* __restrict y, std::int64_t n) {
  if constexpr (std::is_same_v<W, cpu::Bytes16>) {
    for (std::int64_t i = 0; i < n; ++i) {
      const std::uint64_t m = std::uint64_t{0} - static_cast<std::uint64_t>(c[i] != 0);
      o[i] = {(x[i].a & m) | (y[i].a & ~m), (x[i].b & m) | (y[i].b & ~m)};
    }
  } else {
    for (std::int64_t i = 0; i < n; ++i) {
      const W m = static_cast<W>(W{0} - static_cast<W>(c[i] != 0));
      o[i] = static_cast<W>((x[i] & m) | (y[i] & static_cast<W>(~m)));
    }
  }
}

}  // namespace

std::vector<Tensor> Where::eval_cpu(std::span<const Tensor> inputs,
                                    std::span<const TensorSpec> outputs) const {
  const TensorSpec& spec = outputs[0];
  Tensor out = Tensor::empty(spec.shape, spec.dtype).with_weak(spec.weak);
  const Tensor c = cpu::cast_kernel(inputs[0], DType::Bool);
  const Tensor x = cpu::cast_kernel(inputs[1], spec.dtype);
  const Tensor y = cpu::cast_kernel(inputs[2], spec.dtype);
  const std::size_t isz = itemsize(spec.dtype);
  cpu::StridedLoop<4> loop(
      spec.shape,
      {out.mutable_bytes(), const_cast<std::byte*>(c.bytes()), const_cast<std::byte*>(x.bytes()),
       const_cast<std::byte*>(y.bytes())},
      {out.strides(), cpu::broadcast_strides(c, spec.shape), cpu::broadcast_strides(x, spec.shape),
       cpu::broadcast_strides(y, spec.shape)},
      {isz, 1, isz, isz});
  // A select of whole elements, without a branch: contiguous runs vectorise.
  cpu::dispatch_bytes(isz, [&]<class W>() {
    loop.run([](std::array<std::byte*, 4> p, std::array<std::int64_t, 4> s, std::int64_t n) {
      const auto* c = reinterpret_cast<const std::uint8_t*>(p[1]);  // bool bytes: 0 or 1
      if (s[0] == sizeof(W) && s[1] == 1 && s[2] == sizeof(W) && s[3] == sizeof(W)) {
        select_run(reinterpret_cast<W*>(p[0]), c, reinterpret_cast<const W*>(p[2]),
                   reinterpret_cast<const W*>(p[3]), n);
        return;
      }
      for (std::int64_t i = 0; i < n; ++i) {
        const W x = *reinterpret_cast<const W*>(p[2] + i * s[2]);
        const W y = *reinterpret_cast<const W*>(p[3] + i * s[3]);
        *reinterpret_cast<W*>(p[0] + i * s[0]) = c[i * s[1]] != 0 ? x : y;
      }
    });
  });
  return single_output(std::move(out));
}

}  // namespace kcore
