#include "kcore/batching.h"

#include <memory>
#include <string>

#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "kcore/primitive.h"

namespace kcore {
namespace {

// The batching interpreter: its tracers hold a value with an extra batch axis; every primitive
// applied to them runs once, through the primitive's batching rule.
class BatchInterpreter final : public Interpreter {
 public:
  class BatchTracer final : public Tracer {
   public:
    BatchTracer(std::shared_ptr<Interpreter> owner, Tensor value, int axis)
        : Tracer(std::move(owner)), value_(std::move(value)), axis_(axis) {}
    const Tensor& value() const { return value_; }
    int axis() const { return axis_; }

   private:
    Tensor value_;
    int axis_;
  };

  explicit BatchInterpreter(std::int64_t size) : size_(size) {}

  Tensor box(const Tensor& value, int axis) {
    Shape shape = value.shape();
    shape.erase(shape.begin() + axis);
    return Tensor::traced(std::move(shape), value.dtype(), value.weak(),
                          std::make_shared<BatchTracer>(shared_from_this(), value, axis));
  }

  std::vector<Tensor> process(const PrimitivePtr& primitive,
                              std::span<const Tensor> inputs) override {
    std::vector<Tensor> values;
    std::vector<int> axes;
    for (const Tensor& t : inputs) {
      if (const BatchTracer* b = mine(t)) {
        values.push_back(b->value());
        axes.push_back(b->axis());
      } else {
        values.push_back(t);
        axes.push_back(-1);
      }
    }
    Primitive::Batched r = primitive->batch(values, axes);
    std::vector<Tensor> out;
    out.reserve(r.outputs.size());
    for (std::size_t k = 0; k < r.outputs.size(); ++k) {
      out.push_back(r.batch_axes[k] >= 0 ? box(r.outputs[k], r.batch_axes[k]) : r.outputs[k]);
    }
    return out;
  }

  static const BatchTracer* batch_tracer(const Tensor& t) {
    return dynamic_cast<const BatchTracer*>(t.tracer().get());
  }

  // A result of the mapped function as a batched value with the batch on axis 0.
  Tensor unbox(const Tensor& t) const {
    if (const BatchTracer* b = mine(t))
      return move_batch_axis_to_front(b->value(), b->axis(), size_);
    return move_batch_axis_to_front(t, -1, size_);
  }

 private:
  const BatchTracer* mine(const Tensor& t) const {
    const auto* b = dynamic_cast<const BatchTracer*>(t.tracer().get());
    return b != nullptr && &b->interpreter() == this ? b : nullptr;
  }

  std::int64_t size_;
};

}  // namespace

Tensor move_batch_axis_to_front(const Tensor& x, int axis, std::int64_t size) {
  if (axis < 0) {
    Shape shape = {size};
    shape.insert(shape.end(), x.shape().begin(), x.shape().end());
    return broadcast_to(expand_dims(x, {0}), shape);
  }
  return axis == 0 ? x : moveaxis(x, {axis}, {0});
}

Tensor any_in_batch(const Tensor& predicate) {
  const auto* b = BatchInterpreter::batch_tracer(predicate);
  if (b == nullptr) {
    throw ValueError(
        "control flow: the predicate has no concrete value and is not batched by "
        "vectorized_map; expected a concrete or batched predicate");
  }
  return max(cast(b->value(), DType::Bool));
}

Tree vectorized_map(const std::function<Tree(const Tree&)>& function, const Tree& elements) {
  auto [leaves, def] = flatten(elements);
  if (leaves.empty()) {
    throw ValueError("vectorized_map: received elements with no tensors " + def.to_string() +
                     "; expected at least one tensor to map over");
  }
  std::int64_t size = -1;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].ndim() == 0) {
      throw ValueError("vectorized_map: element" + def.leaf_path(i) +
                       " is a scalar; expected every tensor to have a leading axis to map over");
    }
    if (size >= 0 && leaves[i].shape()[0] != size) {
      throw ValueError("vectorized_map: element" + def.leaf_path(i) + " has leading size " +
                       std::to_string(leaves[i].shape()[0]) + ", element" + def.leaf_path(0) +
                       " has " + std::to_string(size) + "; expected equal leading sizes");
    }
    size = leaves[i].shape()[0];
  }
  auto interpreter = std::make_shared<BatchInterpreter>(size);
  Tree out;
  {
    InterpreterScope scope(*interpreter);
    for (auto& leaf : leaves) leaf = interpreter->box(leaf, 0);
    out = function(unflatten(def, leaves));
  }
  return tree_map(out, [&](const Tensor& t) { return interpreter->unbox(t); });
}

Tensor vectorized_map(const std::function<Tensor(const Tensor&)>& function,
                      const Tensor& elements) {
  return vectorized_map([&](const Tree& t) { return Tree(function(t.leaf())); }, Tree(elements))
      .leaf();
}

}  // namespace kcore
