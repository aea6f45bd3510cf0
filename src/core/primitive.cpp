#include "kcore/primitive.h"

#include <string>

namespace kcore {
namespace {

// The installed interpreters, outermost first, and how many of them the current bind sees:
// while interpreter k processes a primitive, its own binds see only interpreters below k.
thread_local std::vector<Interpreter*> interpreters;
thread_local std::size_t visible = 0;

std::vector<PrimitiveKind>& registry() {
  static std::vector<PrimitiveKind> kinds;
  return kinds;
}

}  // namespace

std::vector<Tensor> Primitive::vjp(std::span<const Tensor> /*primals*/,
                                   std::span<const Tensor> /*outputs*/,
                                   std::span<const Tensor> /*cotangents*/) const {
  throw NotImplementedError(std::string(name()) + ": no vjp rule yet");
}

Primitive::Batched Primitive::batch(std::span<const Tensor> /*inputs*/,
                                    std::span<const int> /*batch_axes*/) const {
  throw NotImplementedError(std::string(name()) + ": no batching rule yet");
}

InterpreterScope::InterpreterScope(Interpreter& interpreter) : previous_visible_(visible) {
  interpreters.resize(visible);
  interpreters.push_back(&interpreter);
  visible = interpreters.size();
}

InterpreterScope::~InterpreterScope() {
  interpreters.resize(previous_visible_);
  visible = previous_visible_;
}

std::vector<Tensor> evaluate(const Primitive& primitive, std::span<const Tensor> inputs) {
  const auto specs = primitive.infer(inputs);
  return primitive.eval_cpu(inputs, specs);
}

std::vector<Tensor> bind(const PrimitivePtr& primitive, std::span<const Tensor> inputs) {
  if (visible > 0) {
    Interpreter* interpreter = interpreters[visible - 1];
    struct Restore {
      std::size_t saved;
      ~Restore() { visible = saved; }
    } restore{visible};
    --visible;
    return interpreter->process(primitive, inputs);
  }
  return evaluate(*primitive, inputs);
}

Tensor bind1(const PrimitivePtr& primitive, std::span<const Tensor> inputs) {
  return bind(primitive, inputs).front();
}

Tensor bind1(const PrimitivePtr& primitive, std::initializer_list<Tensor> inputs) {
  return bind(primitive, std::span<const Tensor>(inputs.begin(), inputs.size())).front();
}

const std::vector<PrimitiveKind>& registered_primitives() {
  return registry();
}

namespace detail {
PrimitiveRegistration::PrimitiveRegistration(std::string_view name, std::string_view family) {
  registry().push_back({std::string(name), std::string(family)});
}
}  // namespace detail

}  // namespace kcore
