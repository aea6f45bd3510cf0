#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kcore/tensor.h"

namespace kcore {

// What a primitive's shape and dtype rule says about one output.
struct TensorSpec {
  Shape shape;
  DType dtype;
  bool weak = false;
};

// How a primitive takes part in differentiation.
enum class Differentiability {
  Differentiable,     // has (or will have) a vjp rule
  NonDifferentiable,  // outputs carry no gradient (comparisons, integer results, ...)
};

// One operation of the library. A primitive instance carries its parameters (axes, dtype, ...).
// `infer` is its shape and dtype rule and validates the inputs; `eval_cpu` is its kernel.
// `vjp` and `batch` are the rules the transforms call; a primitive that has not got one yet
// throws NotImplementedError naming itself.
class Primitive {
 public:
  virtual ~Primitive() = default;
  virtual std::string_view name() const = 0;
  virtual std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const = 0;
  virtual std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                                       std::span<const TensorSpec> outputs) const = 0;
  // infer then eval_cpu, for a primitive with one output. Primitives on the per-call hot path
  // override it to skip the vectors of specs and outputs; bind1 calls it on untraced inputs.
  virtual Tensor evaluate_single(std::span<const Tensor> inputs) const;
  virtual Differentiability differentiability() const { return Differentiability::Differentiable; }
  // Cotangents of the inputs (nullopt: none flows to that input), given the primals, the
  // outputs and the outputs' cotangents. Written with public ops, so that they compose. A
  // cotangent may have a broadcast shape or another float dtype than its input: the autodiff
  // transform sums it down to the input's shape and casts it to the input's dtype.
  virtual std::vector<std::optional<Tensor>> vjp(std::span<const Tensor> primals,
                                                 std::span<const Tensor> outputs,
                                                 std::span<const Tensor> cotangents) const;
  // Outputs for inputs that carry a batch dimension at `batch_axes[i]` (-1: not batched), and
  // the batch axis of each output.
  struct Batched {
    std::vector<Tensor> outputs;
    std::vector<int> batch_axes;
  };
  virtual Batched batch(std::span<const Tensor> inputs, std::span<const int> batch_axes) const;
};

using PrimitivePtr = std::shared_ptr<const Primitive>;

// A kernel's one output, moved into the result (`return {out};` would copy it).
inline std::vector<Tensor> single_output(Tensor out) {
  std::vector<Tensor> outputs;
  outputs.reserve(1);
  outputs.push_back(std::move(out));
  return outputs;
}

// A transform (autodiff, batching, ...): the Autodidax interpreter. Each active interpreter has a
// level, higher for those installed later. bind gives a primitive to the highest-level
// interpreter that owns a tracer among the inputs; `process` unwraps its own tracers, binds the
// primitive (or its rule's ops) one level down, and wraps the outputs in its tracers again.
class Interpreter : public std::enable_shared_from_this<Interpreter> {
 public:
  virtual ~Interpreter() = default;
  virtual std::vector<Tensor> process(const PrimitivePtr& primitive,
                                      std::span<const Tensor> inputs) = 0;
  int level() const { return level_; }

 private:
  friend class InterpreterScope;
  int level_ = -1;
};

// A value inside a transformed function, owned by one interpreter.
class Tracer {
 public:
  explicit Tracer(std::shared_ptr<Interpreter> owner) : owner_(std::move(owner)) {}
  virtual ~Tracer() = default;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;
  Interpreter& interpreter() const { return *owner_; }
  int level() const { return owner_->level(); }

 private:
  std::shared_ptr<Interpreter> owner_;
};

// Gives an interpreter its level (one above every active interpreter) for the guard's lifetime.
class InterpreterScope {
 public:
  explicit InterpreterScope(Interpreter& interpreter);
  ~InterpreterScope();
  InterpreterScope(const InterpreterScope&) = delete;
  InterpreterScope& operator=(const InterpreterScope&) = delete;
};

// Applies a primitive: through the interpreter of the highest-level tracer among the inputs, else
// plain evaluation (infer, then the kernel).
// Call it as kcore::bind: with std arguments, argument-dependent lookup also finds std::bind.
std::vector<Tensor> bind(const PrimitivePtr& primitive, std::span<const Tensor> inputs);
Tensor bind1(const PrimitivePtr& primitive, std::span<const Tensor> inputs);
Tensor bind1(const PrimitivePtr& primitive, std::initializer_list<Tensor> inputs);
// Plain evaluation.
std::vector<Tensor> evaluate(const Primitive& primitive, std::span<const Tensor> inputs);

// The registry: every primitive kind, by name. Each primitive's source file registers its kind
// with REGISTER_PRIMITIVE, and examples of it (a primitive with valid inputs) with
// REGISTER_PRIMITIVE_EXAMPLES; the registry tests check every kind's transform rules on them.
struct PrimitiveExample {
  PrimitivePtr primitive;
  std::vector<Tensor> inputs;
};
using PrimitiveExamples = std::vector<PrimitiveExample> (*)();

struct PrimitiveKind {
  std::string name;
  std::string family;  // the class that implements it ("Unary", "Reduce", ...)
  PrimitiveExamples examples = nullptr;
};
std::vector<PrimitiveKind> registered_primitives();

namespace detail {
struct PrimitiveRegistration {
  PrimitiveRegistration(std::string_view name, std::string_view family);
  PrimitiveRegistration(std::string_view name, PrimitiveExamples examples);
};
}  // namespace detail

}  // namespace kcore

#define KCORE_CONCAT_INNER(a, b) a##b
#define KCORE_CONCAT(a, b) KCORE_CONCAT_INNER(a, b)
#define REGISTER_PRIMITIVE(name, family)                                                           \
  static const ::kcore::detail::PrimitiveRegistration KCORE_CONCAT(kcore_registration_, __LINE__)( \
      name, family)
#define REGISTER_PRIMITIVE_EXAMPLES(name, examples)                                            \
  static const ::kcore::detail::PrimitiveRegistration KCORE_CONCAT(kcore_examples_, __LINE__)( \
      name, examples)
