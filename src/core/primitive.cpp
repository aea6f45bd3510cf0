#include "kcore/primitive.h"

#include <functional>
#include <map>
#include <string>

namespace kcore {
namespace {

// Levels handed out to interpreters now active on this thread.
thread_local int active_interpreters = 0;

std::vector<PrimitiveKind>& registry() {
  static std::vector<PrimitiveKind> kinds;
  return kinds;
}

std::map<std::string, PrimitiveExamples, std::less<>>& examples_registry() {
  static std::map<std::string, PrimitiveExamples, std::less<>> examples;
  return examples;
}

// The tracer of the highest-level interpreter among the inputs; nullptr when none is traced.
const Tracer* top_tracer(std::span<const Tensor> inputs) {
  const Tracer* top = nullptr;
  for (const Tensor& t : inputs) {
    const Tracer* tr = t.tracer().get();
    if (tr != nullptr && (top == nullptr || tr->level() > top->level())) top = tr;
  }
  return top;
}

}  // namespace

std::vector<std::optional<Tensor>> Primitive::vjp(std::span<const Tensor> /*primals*/,
                                                  std::span<const Tensor> /*outputs*/,
                                                  std::span<const Tensor> /*cotangents*/) const {
  throw NotImplementedError(std::string(name()) + ": no vjp rule yet");
}

Primitive::Batched Primitive::batch(std::span<const Tensor> /*inputs*/,
                                    std::span<const int> /*batch_axes*/) const {
  throw NotImplementedError(std::string(name()) + ": no batching rule yet");
}

InterpreterScope::InterpreterScope(Interpreter& interpreter) {
  interpreter.level_ = active_interpreters++;
}

InterpreterScope::~InterpreterScope() {
  --active_interpreters;
}

std::vector<Tensor> evaluate(const Primitive& primitive, std::span<const Tensor> inputs) {
  const auto specs = primitive.infer(inputs);
  return primitive.eval_cpu(inputs, specs);
}

Tensor Primitive::evaluate_single(std::span<const Tensor> inputs) const {
  return std::move(evaluate(*this, inputs).front());
}

std::vector<Tensor> bind(const PrimitivePtr& primitive, std::span<const Tensor> inputs) {
  if (const Tracer* top = top_tracer(inputs)) return top->interpreter().process(primitive, inputs);
  return evaluate(*primitive, inputs);
}

Tensor bind1(const PrimitivePtr& primitive, std::span<const Tensor> inputs) {
  if (const Tracer* top = top_tracer(inputs)) {
    return std::move(top->interpreter().process(primitive, inputs).front());
  }
  return primitive->evaluate_single(inputs);
}

Tensor bind1(const PrimitivePtr& primitive, std::initializer_list<Tensor> inputs) {
  return bind1(primitive, std::span<const Tensor>(inputs.begin(), inputs.size()));
}

std::vector<PrimitiveKind> registered_primitives() {
  std::vector<PrimitiveKind> kinds = registry();
  for (auto& k : kinds) {
    const auto it = examples_registry().find(k.name);
    if (it != examples_registry().end()) k.examples = it->second;
  }
  return kinds;
}

namespace detail {
PrimitiveRegistration::PrimitiveRegistration(std::string_view name, std::string_view family) {
  registry().push_back({std::string(name), std::string(family), nullptr});
}

PrimitiveRegistration::PrimitiveRegistration(std::string_view name, PrimitiveExamples examples) {
  examples_registry()[std::string(name)] = examples;
}
}  // namespace detail

}  // namespace kcore
