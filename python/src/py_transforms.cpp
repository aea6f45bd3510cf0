#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <string>

#include "kcore/autodiff.h"
#include "kcore/batching.h"
#include "kcore/control_flow.h"
#include "kcore/core_ops.h"
#include "kcore/tree.h"
#include "py_convert.h"
#include "py_module.h"

namespace kcore::python {
namespace {

// Python's nested structures (tuples, lists, dicts with string keys, None; anything else is a
// leaf converted to a tensor) as trees, and back.
Tree to_tree(nb::handle x, std::string_view op) {
  if (x.is_none()) return Tree();
  if (PyTuple_Check(x.ptr()) || PyList_Check(x.ptr())) {
    std::vector<Tree> items;
    for (auto item : nb::borrow<nb::sequence>(x)) items.push_back(to_tree(item, op));
    return PyTuple_Check(x.ptr()) ? Tree::tuple(std::move(items)) : Tree::list(std::move(items));
  }
  if (PyDict_Check(x.ptr())) {
    Tree::Dict d;
    for (auto [k, v] : nb::borrow<nb::dict>(x)) {
      if (!nb::isinstance<nb::str>(k)) {
        throw TypeError(std::string(op) + ": dict keys must be strings; received " +
                        nb::cast<std::string>(nb::repr(k)));
      }
      d.emplace(nb::cast<std::string>(k), to_tree(v, op));
    }
    return Tree::dict(std::move(d));
  }
  return Tree(to_tensor(x, op));
}

nb::object from_tree(const Tree& t) {
  switch (t.kind()) {
    case Tree::Kind::None:
      return nb::none();
    case Tree::Kind::Leaf:
      return nb::cast(t.leaf());
    case Tree::Kind::Dict: {
      nb::dict d;
      for (const auto& [k, v] : t.dict_items()) d[k.c_str()] = from_tree(v);
      return d;
    }
    case Tree::Kind::List: {
      nb::list l;
      for (const auto& v : t.items()) l.append(from_tree(v));
      return l;
    }
    case Tree::Kind::Tuple: {
      nb::list l;
      for (const auto& v : t.items()) l.append(from_tree(v));
      return nb::tuple(l);
    }
  }
  return nb::none();
}

// A Python function of positional arguments as a TreeFunction.
TreeFunction tree_function(nb::callable f, const char* op) {
  return [f = std::move(f), op](const std::vector<Tree>& args) {
    nb::list py_args;
    for (const auto& a : args) py_args.append(from_tree(a));
    return to_tree(f(*nb::tuple(py_args)), op);
  };
}

std::vector<Tree> args_to_trees(const nb::args& args, const char* op) {
  std::vector<Tree> trees;
  for (auto a : args) trees.push_back(to_tree(a, op));
  return trees;
}

// argnums as Keras and JAX take it: an int (one gradient) or a sequence (a tuple of them).
std::pair<std::vector<int>, bool> to_argnums(nb::handle argnums) {
  if (PyLong_Check(argnums.ptr())) return {{nb::cast<int>(argnums)}, false};
  std::vector<int> v;
  for (auto a : nb::borrow<nb::sequence>(argnums)) v.push_back(nb::cast<int>(a));
  return {v, true};
}

// Wraps one gradient tree into a 1-tuple when argnums was a sequence of one.
nb::object shape_grads(const Tree& g, bool as_tuple, std::size_t count) {
  if (as_tuple && count == 1) return nb::make_tuple(from_tree(g));
  return from_tree(g);
}

nb::object make_grad(nb::callable f, nb::handle argnums, bool has_aux, bool with_value) {
  auto [nums, as_tuple] = to_argnums(argnums);
  const char* op = with_value ? "value_and_grad" : "grad";
  TreeFunction g = with_value ? value_and_grad(tree_function(f, op), nums, has_aux)
                              : grad(tree_function(f, op), nums, has_aux);
  const std::size_t count = nums.size();
  return nb::cpp_function([g, as_tuple, count, with_value, has_aux, op](nb::args args) {
    const Tree r = g(args_to_trees(args, op));
    if (with_value)
      return nb::object(nb::make_tuple(from_tree(r[0]), shape_grads(r[1], as_tuple, count)));
    if (has_aux)
      return nb::object(nb::make_tuple(shape_grads(r[0], as_tuple, count), from_tree(r[1])));
    return shape_grads(r, as_tuple, count);
  });
}

// Keras passes tuple and list loop_vars positionally and returns a tuple; anything else is one
// argument with its structure kept.
bool is_sequence(nb::handle x) {
  return PyTuple_Check(x.ptr()) || PyList_Check(x.ptr());
}

nb::object call_with_vars(const nb::callable& f, const Tree& vars, bool positional) {
  nb::object py = from_tree(vars);
  return positional ? f(*py) : f(py);
}

// body's result as a tree of the loop_vars' structure (a list for a tuple is accepted; a single
// value for one positional variable is wrapped, as Keras' NumPy and PyTorch backends do).
Tree body_result(nb::handle r, bool positional, std::size_t count) {
  if (!positional) return to_tree(r, "while_loop");
  if (is_sequence(r)) {
    std::vector<Tree> items;
    for (auto item : nb::borrow<nb::sequence>(r)) items.push_back(to_tree(item, "while_loop"));
    return Tree::tuple(std::move(items));
  }
  if (count == 1) return Tree::tuple({to_tree(r, "while_loop")});
  throw ValueError("while_loop: body returned " +
                   nb::cast<std::string>(nb::str(r.type().attr("__name__"))) + " for " +
                   std::to_string(count) + " loop variables; expected a tuple or list of " +
                   std::to_string(count));
}

Tensor predicate(nb::handle p) {
  return to_tensor(p, "cond");
}

}  // namespace

void bind_transforms(nb::module_& m) {
  m.def(
      "cond",
      [](nb::handle pred, nb::callable true_fn, nb::callable false_fn) {
        const Tree r = cond(
            predicate(pred), [&] { return to_tree(true_fn(), "cond"); },
            [&] { return to_tree(false_fn(), "cond"); });
        return from_tree(r);
      },
      "pred"_a, "true_fn"_a, "false_fn"_a,
      "true_fn() if pred else false_fn(). pred is a bool or a scalar tensor (a number counts as "
      "pred != 0); under vectorized_map a batched pred runs both and selects per element.");
  m.def(
      "while_loop",
      [](nb::callable cond_fn, nb::callable body, nb::handle loop_vars,
         nb::handle maximum_iterations) {
        const bool positional = is_sequence(loop_vars);
        Tree vars = to_tree(loop_vars, "while_loop");
        const std::size_t count = positional ? nb::len(loop_vars) : 0;
        if (positional) vars = Tree::tuple(vars.items());
        std::optional<std::int64_t> max_iter;
        if (!maximum_iterations.is_none()) max_iter = nb::cast<std::int64_t>(maximum_iterations);
        const Tree r = while_loop(
            [&](const Tree& v) { return predicate(call_with_vars(cond_fn, v, positional)); },
            [&](const Tree& v) {
              return body_result(call_with_vars(body, v, positional), positional, count);
            },
            vars, max_iter);
        return from_tree(r);
      },
      "cond"_a, "body"_a, "loop_vars"_a, "maximum_iterations"_a = nb::none(),
      "Runs body while cond is true (and fewer than maximum_iterations iterations ran). Tuple "
      "and list loop_vars are passed positionally and a tuple is returned; any other structure "
      "is passed as one argument and returned with its structure.");
  m.def(
      "fori_loop",
      [](nb::handle lower, nb::handle upper, nb::callable body_fun, nb::handle init_val) {
        const Tree r = fori_loop(
            to_strong_tensor(lower, std::nullopt, "fori_loop"),
            to_strong_tensor(upper, std::nullopt, "fori_loop"),
            [&](const Tensor& i, const Tree& v) {
              return to_tree(body_fun(nb::cast(i), from_tree(v)), "fori_loop");
            },
            to_tree(init_val, "fori_loop"));
        return from_tree(r);
      },
      "lower"_a, "upper"_a, "body_fun"_a, "init_val"_a,
      "val = body_fun(i, val) for i in range(lower, upper), i an int32 scalar tensor.");
  m.def(
      "stop_gradient",
      [](nb::handle variable) -> nb::object {
        if (is_tensor_object(variable)) {
          const Tensor& t = tensor_of(variable);
          if (!t.tracer()) return nb::borrow(variable);
          return nb::cast(stop_gradient(t));
        }
        return nb::cast(stop_gradient(to_tensor(variable, "stop_gradient")));
      },
      "variable"_a, "The variable's value, without a copy, through which no gradient flows.");
  m.def(
      "vectorized_map",
      [](nb::callable function, nb::handle elements) {
        const auto fn = [&function](const Tree& slice) {
          return to_tree(function(from_tree(slice)), "vectorized_map");
        };
        return from_tree(vectorized_map(fn, to_tree(elements, "vectorized_map")));
      },
      "function"_a, "elements"_a,
      "Maps function over axis 0 of every tensor in elements (a tensor or a nested structure) "
      "and stacks the results along a new axis 0. The function runs once, on batched tracers; "
      "the result equals the loop-and-stack result.");
  m.def(
      "grad",
      [](nb::callable f, nb::handle argnums, bool has_aux) {
        return make_grad(std::move(f), argnums, has_aux, false);
      },
      "f"_a, "argnums"_a = 0, "has_aux"_a = false,
      "The gradient function of f (a scalar float output) with respect to argument(s) argnums.");
  m.def(
      "value_and_grad",
      [](nb::callable f, nb::handle argnums, bool has_aux) {
        return make_grad(std::move(f), argnums, has_aux, true);
      },
      "f"_a, "argnums"_a = 0, "has_aux"_a = false,
      "A function returning (f's value, its gradient); ((value, aux), gradient) with has_aux.");
  m.def(
      "vjp",
      [](nb::callable f, nb::args primals) {
        const VJPResult r = vjp(tree_function(std::move(f), "vjp"), args_to_trees(primals, "vjp"));
        auto pullback = r.pullback;
        nb::object fn = nb::cpp_function([pullback](nb::handle cotangents) {
          nb::list out;
          for (const auto& t : pullback(to_tree(cotangents, "vjp"))) out.append(from_tree(t));
          return nb::tuple(out);
        });
        return nb::make_tuple(from_tree(r.outputs), fn);
      },
      "f"_a, "primals"_a,
      "f's outputs at primals and a function mapping output cotangents to the primals' "
      "cotangents (a tuple, one per primal).");
}

}  // namespace kcore::python
