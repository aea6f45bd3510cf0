#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "kcore/tensor.h"

namespace kcore {

// Nested structures (SEMANTICS §5): tensors inside lists, tuples and dicts with string keys,
// and None. `Tree` is the dynamic type; `TreeDef` is a structure without its leaves.
class Tree {
 public:
  enum class Kind { None, Leaf, List, Tuple, Dict };
  using Dict = std::map<std::string, Tree>;

  Tree() = default;   // None
  Tree(Tensor leaf);  // NOLINT(google-explicit-constructor)
  template <class T>
  requires(std::is_arithmetic_v<T>) Tree(T scalar)
      : Tree(Tensor(scalar)) {}  // NOLINT(google-explicit-constructor)
  static Tree list(std::vector<Tree> items);
  static Tree tuple(std::vector<Tree> items);
  static Tree dict(Dict items);

  Kind kind() const { return kind_; }
  bool is_leaf() const { return kind_ == Kind::Leaf; }
  const Tensor& leaf() const;
  // Children of a list or tuple, in order.
  const std::vector<Tree>& items() const;
  const Dict& dict_items() const;
  // Element of a list or tuple, and value of a dict.
  const Tree& operator[](std::size_t i) const;
  const Tree& operator[](const std::string& key) const;

 private:
  Kind kind_ = Kind::None;
  std::shared_ptr<const Tensor> leaf_;
  std::shared_ptr<const std::vector<Tree>> items_;
  std::shared_ptr<const Dict> dict_;
};

// The structure of a tree: its containers, their sizes and keys, where the leaves go.
class TreeDef {
 public:
  std::size_t num_leaves() const { return num_leaves_; }
  bool operator==(const TreeDef& other) const;
  bool operator!=(const TreeDef& other) const { return !(*this == other); }
  // "((*, *), {'a': *})"-style text for error messages.
  std::string to_string() const;
  // Path of leaf i, e.g. "[1]['a']", for error messages.
  std::string leaf_path(std::size_t i) const;
  // Whether `tree` has this structure; with `leaves`, appends its leaves in flatten's order as
  // it checks (cheaper than flattening `tree` and comparing the structures).
  bool matches(const Tree& tree, std::vector<const Tensor*>* leaves = nullptr) const;

 private:
  friend std::pair<std::vector<Tensor>, TreeDef> flatten(const Tree& tree);
  friend Tree unflatten(const TreeDef& def, std::span<const Tensor> leaves);
  Tree::Kind kind_ = Tree::Kind::None;
  std::vector<TreeDef> children_;
  std::vector<std::string> keys_;  // dict keys, sorted
  std::size_t num_leaves_ = 0;
};

// Leaves in order (list and tuple order; dict values by sorted key) and the structure.
std::pair<std::vector<Tensor>, TreeDef> flatten(const Tree& tree);
// A tree of `def`'s structure with `leaves`; ValueError when the count differs.
Tree unflatten(const TreeDef& def, std::span<const Tensor> leaves);
// The same structure with fn applied to every leaf.
Tree tree_map(const Tree& tree, const std::function<Tensor(const Tensor&)>& fn);

// Typed trees: Tensor, std::vector<T>, std::tuple<T...>, std::pair<A, B>, std::map<std::string, T>
// of typed trees convert to and from Tree.
template <class T>
struct TreeTraits;

template <>
struct TreeTraits<Tensor> {
  static Tree to_tree(const Tensor& t) { return Tree(t); }
  static Tensor from_tree(const Tree& t) { return t.leaf(); }
};

template <>
struct TreeTraits<Tree> {
  static Tree to_tree(const Tree& t) { return t; }
  static Tree from_tree(const Tree& t) { return t; }
};

template <class T>
struct TreeTraits<std::vector<T>> {
  static Tree to_tree(const std::vector<T>& v) {
    std::vector<Tree> items;
    items.reserve(v.size());
    for (const auto& x : v) items.push_back(TreeTraits<T>::to_tree(x));
    return Tree::list(std::move(items));
  }
  static std::vector<T> from_tree(const Tree& t) {
    std::vector<T> out;
    for (const auto& x : t.items()) out.push_back(TreeTraits<T>::from_tree(x));
    return out;
  }
};

template <class... Ts>
struct TreeTraits<std::tuple<Ts...>> {
  static Tree to_tree(const std::tuple<Ts...>& v) {
    return std::apply(
        [](const auto&... xs) {
          return Tree::tuple({TreeTraits<std::decay_t<decltype(xs)>>::to_tree(xs)...});
        },
        v);
  }
  static std::tuple<Ts...> from_tree(const Tree& t) {
    return from_items(t.items(), std::index_sequence_for<Ts...>{});
  }

 private:
  template <std::size_t... I>
  static std::tuple<Ts...> from_items(const std::vector<Tree>& items, std::index_sequence<I...>) {
    if (items.size() != sizeof...(Ts)) {
      throw ValueError("tree: a tuple of " + std::to_string(items.size()) +
                       " items cannot become a std::tuple of " + std::to_string(sizeof...(Ts)));
    }
    return std::tuple<Ts...>(TreeTraits<Ts>::from_tree(items[I])...);
  }
};

template <class A, class B>
struct TreeTraits<std::pair<A, B>> {
  static Tree to_tree(const std::pair<A, B>& v) {
    return Tree::tuple({TreeTraits<A>::to_tree(v.first), TreeTraits<B>::to_tree(v.second)});
  }
  static std::pair<A, B> from_tree(const Tree& t) {
    return {TreeTraits<A>::from_tree(t[0]), TreeTraits<B>::from_tree(t[1])};
  }
};

template <class T>
struct TreeTraits<std::map<std::string, T>> {
  static Tree to_tree(const std::map<std::string, T>& v) {
    Tree::Dict d;
    for (const auto& [k, x] : v) d.emplace(k, TreeTraits<T>::to_tree(x));
    return Tree::dict(std::move(d));
  }
  static std::map<std::string, T> from_tree(const Tree& t) {
    std::map<std::string, T> out;
    for (const auto& [k, x] : t.dict_items()) out.emplace(k, TreeTraits<T>::from_tree(x));
    return out;
  }
};

template <class T>
Tree to_tree(const T& value) {
  return TreeTraits<T>::to_tree(value);
}

template <class T>
T from_tree(const Tree& tree) {
  return TreeTraits<T>::from_tree(tree);
}

}  // namespace kcore
