#include "primitives/stop_gradient.h"

#include <memory>

#include "kcore/autodiff.h"
#include "primitives/examples.h"

namespace kcore {

REGISTER_PRIMITIVE("stop_gradient", "StopGradient");

namespace {
std::vector<PrimitiveExample> stop_gradient_examples() {
  return {examples::make<StopGradient>({examples::uniform({2, 3}, -1, 1)})};
}
}  // namespace

REGISTER_PRIMITIVE_EXAMPLES("stop_gradient", stop_gradient_examples);

std::vector<TensorSpec> StopGradient::infer(std::span<const Tensor> inputs) const {
  return {{inputs[0].shape(), inputs[0].dtype(), inputs[0].weak()}};
}

std::vector<Tensor> StopGradient::eval_cpu(std::span<const Tensor> inputs,
                                           std::span<const TensorSpec> /*outputs*/) const {
  return {inputs[0]};
}

Primitive::Batched StopGradient::batch(std::span<const Tensor> inputs,
                                       std::span<const int> batch_axes) const {
  return {{stop_gradient(inputs[0])}, {batch_axes[0]}};
}

Tensor stop_gradient(const Tensor& x) {
  return bind1(std::make_shared<StopGradient>(), {x});
}

}  // namespace kcore
