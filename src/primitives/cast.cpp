#include "primitives/cast.h"

#include "cpu/cast_kernel.h"

namespace kcore {

REGISTER_PRIMITIVE("cast", "Cast");

std::vector<TensorSpec> Cast::infer(std::span<const Tensor> inputs) const {
  return {{inputs[0].shape(), dtype_, false}};
}

std::vector<Tensor> Cast::eval_cpu(std::span<const Tensor> inputs,
                                   std::span<const TensorSpec> /*outputs*/) const {
  return single_output(evaluate_single(inputs));
}

Tensor Cast::evaluate_single(std::span<const Tensor> inputs) const {
  return cpu::cast_kernel(inputs[0], dtype_).with_weak(false);
}

}  // namespace kcore
