#pragma once

#include <functional>
#include <vector>

#include "kcore/tensor.h"
#include "kcore/tree.h"

namespace kcore {

// Reverse-mode autodiff (SEMANTICS §6). Functions take a list of argument trees and return a
// tree. Gradients of gradients work: the backward pass is made of ordinary ops, which an outer
// transform records.
using TreeFunction = std::function<Tree(const std::vector<Tree>&)>;

struct VJPResult {
  Tree outputs;
  // Cotangents of every argument, given a cotangent tree of the outputs' structure.
  std::function<std::vector<Tree>(const Tree& cotangents)> pullback;
};

// f's outputs at `primals` and its pullback. Integer and bool leaves of the arguments get
// zero cotangents.
VJPResult vjp(const TreeFunction& f, const std::vector<Tree>& primals);

// The gradient of a function with a scalar float output with respect to the arguments in
// argnums: one gradient tree for one argnum, a tuple of them for several. With has_aux, f
// returns (value, aux) and the result is (gradient, aux). A gradient with respect to an integer
// or bool leaf is TypeError.
TreeFunction grad(TreeFunction f, std::vector<int> argnums = {0}, bool has_aux = false);
// Like grad, but returns (value, gradient), or ((value, aux), gradient) with has_aux.
TreeFunction value_and_grad(TreeFunction f, std::vector<int> argnums = {0}, bool has_aux = false);

// d f / d x for a scalar function of one tensor.
std::function<Tensor(const Tensor&)> grad(std::function<Tensor(const Tensor&)> f);

// x's value, without a copy; no gradient flows through it.
Tensor stop_gradient(const Tensor& x);

}  // namespace kcore
