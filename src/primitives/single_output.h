#pragma once

#include <span>
#include <vector>

#include "kcore/primitive.h"

namespace kcore {

// A primitive with one output, written as two private members of Derived: its rule
// `TensorSpec output_spec(inputs)` and its kernel `Tensor run(inputs, spec)` (Derived befriends
// this class). infer, eval_cpu and evaluate_single are defined once from them here.
template <class Derived>
class SingleOutputPrimitive : public Primitive {
 public:
  std::vector<TensorSpec> infer(std::span<const Tensor> inputs) const final {
    return {self().output_spec(inputs)};
  }
  std::vector<Tensor> eval_cpu(std::span<const Tensor> inputs,
                               std::span<const TensorSpec> outputs) const final {
    return single_output(self().run(inputs, outputs[0]));
  }
  Tensor evaluate_single(std::span<const Tensor> inputs) const final {
    return self().run(inputs, self().output_spec(inputs));
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

}  // namespace kcore
