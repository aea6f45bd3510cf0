#include "kcore/autodiff.h"

#include <memory>
#include <optional>
#include <string>

#include "kcore/core_ops.h"
#include "kcore/ops.h"
#include "kcore/primitive.h"

namespace kcore {
namespace {

// The reverse-mode interpreter: records every differentiable primitive applied to one of its
// tracers on a tape, then walks the tape backwards with the primitives' vjp rules.
class GradInterpreter final : public Interpreter {
 public:
  struct Ref {
    std::int64_t node = -1;  // -1: not on this tape
    std::size_t output = 0;
  };

  class GradTracer final : public Tracer {
   public:
    GradTracer(std::shared_ptr<Interpreter> owner, Tensor primal, Ref ref)
        : Tracer(std::move(owner)), primal_(std::move(primal)), ref_(ref) {}
    const Tensor& primal() const { return primal_; }
    Ref ref() const { return ref_; }

   private:
    Tensor primal_;
    Ref ref_;
  };

  // An argument to differentiate with respect to.
  Tensor track(const Tensor& x) {
    const auto n = static_cast<std::int64_t>(nodes_.size());
    nodes_.push_back({nullptr, {}, {x}, {}});
    return box(x, {n, 0});
  }

  std::vector<Tensor> process(const PrimitivePtr& primitive,
                              std::span<const Tensor> inputs) override {
    std::vector<Tensor> primals;
    std::vector<Ref> parents;
    bool tracked = false;
    for (const Tensor& t : inputs) {
      if (const GradTracer* g = mine(t)) {
        primals.push_back(g->primal());
        parents.push_back(g->ref());
        tracked = true;
      } else {
        primals.push_back(t);
        parents.push_back({});
      }
    }
    std::vector<Tensor> outputs = kcore::bind(primitive, primals);
    if (!tracked || primitive->differentiability() == Differentiability::NonDifferentiable) {
      return outputs;
    }
    const auto n = static_cast<std::int64_t>(nodes_.size());
    nodes_.push_back({primitive, primals, outputs, parents});
    std::vector<Tensor> boxed;
    boxed.reserve(outputs.size());
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      const bool differentiable = is_inexact(outputs[k].dtype());
      boxed.push_back(differentiable ? box(outputs[k], {n, k}) : outputs[k]);
    }
    return boxed;
  }

  // The value a tracer of this interpreter stands for; other tensors as they are.
  Tensor unbox(const Tensor& t) const {
    const GradTracer* g = mine(t);
    return g ? g->primal() : t;
  }

  // Cotangents of `inputs` (tracers returned by track) given cotangents of `outputs`.
  std::vector<Tensor> backward(const std::vector<Tensor>& outputs,
                               const std::vector<Tensor>& output_cotangents,
                               const std::vector<Tensor>& inputs) const {
    std::vector<std::vector<std::optional<Tensor>>> ct(nodes_.size());
    for (std::size_t n = 0; n < nodes_.size(); ++n) ct[n].resize(nodes_[n].outputs.size());
    auto accumulate = [&](Ref r, const Tensor& c) {
      auto& slot = ct[static_cast<std::size_t>(r.node)][r.output];
      slot = slot ? add(*slot, c) : c;
    };
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      if (const GradTracer* g = mine(outputs[i])) {
        accumulate(g->ref(), fit(output_cotangents[i], g->primal()));
      }
    }
    for (std::size_t n = nodes_.size(); n-- > 0;) {
      const Node& node = nodes_[n];
      if (!node.primitive) continue;
      bool any = false;
      for (const auto& c : ct[n]) any = any || c.has_value();
      if (!any) continue;
      std::vector<Tensor> cts;
      for (std::size_t k = 0; k < node.outputs.size(); ++k) {
        cts.push_back(ct[n][k] ? *ct[n][k]
                               : zeros(node.outputs[k].shape(), node.outputs[k].dtype()));
      }
      const auto input_cts = node.primitive->vjp(node.primals, node.outputs, cts);
      for (std::size_t i = 0; i < node.parents.size(); ++i) {
        if (node.parents[i].node >= 0 && i < input_cts.size() && input_cts[i]) {
          accumulate(node.parents[i], fit(*input_cts[i], node.primals[i]));
        }
      }
      ct[n].clear();
    }
    std::vector<Tensor> result;
    for (const Tensor& x : inputs) {
      const GradTracer* g = mine(x);
      if (g == nullptr) {
        result.push_back(zeros(x.shape(), x.dtype()));
        continue;
      }
      const auto& slot = ct[static_cast<std::size_t>(g->ref().node)][0];
      result.push_back(slot ? *slot : zeros(g->primal().shape(), g->primal().dtype()));
    }
    return result;
  }

 private:
  struct Node {
    PrimitivePtr primitive;  // null for an argument
    std::vector<Tensor> primals;
    std::vector<Tensor> outputs;
    std::vector<Ref> parents;
  };

  const GradTracer* mine(const Tensor& t) const {
    const auto* g = dynamic_cast<const GradTracer*>(t.tracer().get());
    return g != nullptr && &g->interpreter() == this ? g : nullptr;
  }

  Tensor box(const Tensor& value, Ref ref) {
    return Tensor::traced(value, std::make_shared<GradTracer>(shared_from_this(), value, ref));
  }

  // A cotangent summed down to the primal's (broadcast) shape and cast to its dtype.
  static Tensor fit(Tensor c, const Tensor& primal) {
    if (c.shape() != primal.shape()) {
      const std::int64_t lead = c.ndim() - primal.ndim();
      Axes axes;
      for (std::int64_t i = 0; i < c.ndim(); ++i) {
        if (i < lead || (primal.shape()[i - lead] == 1 && c.shape()[i] != 1)) axes.push_back(i);
      }
      c = reshape(sum(c, axes, false), primal.shape());
    }
    return c.dtype() == primal.dtype() ? c : cast(c, primal.dtype());
  }

  std::vector<Node> nodes_;
};

void check_differentiable(const Tensor& leaf, std::size_t argnum, const std::string& path) {
  if (!is_inexact(leaf.dtype())) {
    throw TypeError("grad: argument " + std::to_string(argnum) + path + " has dtype " +
                    std::string(name(leaf.dtype())) +
                    "; expected a floating dtype (bfloat16, float16, float32, float64) to "
                    "differentiate with respect to");
  }
}

struct Traced {
  std::shared_ptr<GradInterpreter> interpreter;
  std::vector<Tree> args;                    // the arguments, with tracked leaves replaced
  std::vector<std::vector<Tensor>> tracked;  // per argnum, the tracers
  std::vector<TreeDef> defs;                 // per argnum
  Tree out;
};

Traced trace(const TreeFunction& f, const std::vector<Tree>& args, const std::vector<int>& argnums,
             bool integers_allowed) {
  Traced t{std::make_shared<GradInterpreter>(), args, {}, {}, {}};
  InterpreterScope scope(*t.interpreter);
  for (int a : argnums) {
    if (a < 0 || static_cast<std::size_t>(a) >= args.size()) {
      throw ValueError("grad: argnums contains " + std::to_string(a) + " but the function got " +
                       std::to_string(args.size()) + " arguments");
    }
    auto [leaves, def] = flatten(args[static_cast<std::size_t>(a)]);
    std::vector<Tensor> tracers;
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      if (!is_inexact(leaves[i].dtype())) {
        // vjp gives integer and bool arguments zero cotangents; grad refuses them.
        if (!integers_allowed) {
          check_differentiable(leaves[i], static_cast<std::size_t>(a), def.leaf_path(i));
        }
        tracers.push_back(leaves[i]);
        continue;
      }
      tracers.push_back(t.interpreter->track(leaves[i]));
      leaves[i] = tracers.back();
    }
    t.args[static_cast<std::size_t>(a)] = unflatten(def, leaves);
    t.tracked.push_back(std::move(tracers));
    t.defs.push_back(def);
  }
  t.out = f(t.args);
  return t;
}

Tree unbox_tree(const GradInterpreter& interp, const Tree& tree) {
  return tree_map(tree, [&](const Tensor& x) { return interp.unbox(x); });
}

TreeFunction make_grad(TreeFunction f, std::vector<int> argnums, bool has_aux, bool with_value) {
  return [f = std::move(f), argnums = std::move(argnums), has_aux,
          with_value](const std::vector<Tree>& args) -> Tree {
    Traced t = trace(f, args, argnums, false);
    const Tree value_tree = has_aux ? t.out[0] : t.out;
    if (!value_tree.is_leaf() || value_tree.leaf().ndim() != 0 ||
        !is_inexact(value_tree.leaf().dtype())) {
      throw TypeError("grad: the function must return a scalar float tensor" +
                      std::string(has_aux ? " (and aux, with has_aux)" : "") + "; received " +
                      (value_tree.is_leaf()
                           ? "shape " + format_shape(value_tree.leaf().shape()) + " dtype " +
                                 std::string(name(value_tree.leaf().dtype()))
                           : "a container"));
    }
    const Tensor& value = value_tree.leaf();
    std::vector<Tensor> inputs;
    for (const auto& v : t.tracked) inputs.insert(inputs.end(), v.begin(), v.end());
    const std::vector<Tensor> grads =
        t.interpreter->backward({value}, {ones({}, value.dtype())}, inputs);
    std::vector<Tree> per_arg;
    std::size_t pos = 0;
    for (const auto& def : t.defs) {
      per_arg.push_back(
          unflatten(def, std::span<const Tensor>(grads).subspan(pos, def.num_leaves())));
      pos += def.num_leaves();
    }
    Tree g = per_arg.size() == 1 ? per_arg[0] : Tree::tuple(per_arg);
    Tree v = t.interpreter->unbox(value);
    if (has_aux) v = Tree::tuple({v, unbox_tree(*t.interpreter, t.out[1])});
    if (with_value) return Tree::tuple({v, g});
    if (has_aux) return Tree::tuple({g, v[1]});
    return g;
  };
}

}  // namespace

VJPResult vjp(const TreeFunction& f, const std::vector<Tree>& primals) {
  std::vector<int> all;
  for (std::size_t i = 0; i < primals.size(); ++i) all.push_back(static_cast<int>(i));
  auto t = std::make_shared<Traced>(trace(f, primals, all, true));
  VJPResult r;
  r.outputs = unbox_tree(*t->interpreter, t->out);
  r.pullback = [t](const Tree& cotangents) {
    auto [outs, out_def] = flatten(t->out);
    auto [cts, ct_def] = flatten(cotangents);
    if (out_def != ct_def) {
      throw ValueError("vjp: the cotangents have structure " + ct_def.to_string() +
                       "; expected the outputs' structure " + out_def.to_string());
    }
    std::vector<Tensor> inputs;
    for (const auto& v : t->tracked) inputs.insert(inputs.end(), v.begin(), v.end());
    const std::vector<Tensor> grads = t->interpreter->backward(outs, cts, inputs);
    std::vector<Tree> per_arg;
    std::size_t pos = 0;
    for (const auto& def : t->defs) {
      per_arg.push_back(
          unflatten(def, std::span<const Tensor>(grads).subspan(pos, def.num_leaves())));
      pos += def.num_leaves();
    }
    return per_arg;
  };
  return r;
}

TreeFunction grad(TreeFunction f, std::vector<int> argnums, bool has_aux) {
  return make_grad(std::move(f), std::move(argnums), has_aux, false);
}

TreeFunction value_and_grad(TreeFunction f, std::vector<int> argnums, bool has_aux) {
  return make_grad(std::move(f), std::move(argnums), has_aux, true);
}

std::function<Tensor(const Tensor&)> grad(std::function<Tensor(const Tensor&)> f) {
  TreeFunction g =
      grad([f = std::move(f)](const std::vector<Tree>& args) { return Tree(f(args[0].leaf())); });
  return [g](const Tensor& x) { return g({Tree(x)}).leaf(); };
}

}  // namespace kcore
