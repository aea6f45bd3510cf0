#include "kcore/tree.h"

#include <string>

namespace kcore {
namespace {

const char* kind_name(Tree::Kind k) {
  switch (k) {
    case Tree::Kind::None:
      return "None";
    case Tree::Kind::Leaf:
      return "a tensor";
    case Tree::Kind::List:
      return "a list";
    case Tree::Kind::Tuple:
      return "a tuple";
    case Tree::Kind::Dict:
      return "a dict";
  }
  return "a tree";
}

[[noreturn]] void wrong_kind(Tree::Kind have, const char* want) {
  throw TypeError(std::string("tree: this node is ") + kind_name(have) + "; expected " + want);
}

}  // namespace

Tree::Tree(Tensor leaf)
    : kind_(Kind::Leaf), leaf_(std::make_shared<const Tensor>(std::move(leaf))) {}

Tree Tree::list(std::vector<Tree> items) {
  Tree t;
  t.kind_ = Kind::List;
  t.items_ = std::make_shared<const std::vector<Tree>>(std::move(items));
  return t;
}

Tree Tree::tuple(std::vector<Tree> items) {
  Tree t = list(std::move(items));
  t.kind_ = Kind::Tuple;
  return t;
}

Tree Tree::dict(Dict items) {
  Tree t;
  t.kind_ = Kind::Dict;
  t.dict_ = std::make_shared<const Dict>(std::move(items));
  return t;
}

const Tensor& Tree::leaf() const {
  if (kind_ != Kind::Leaf) wrong_kind(kind_, "a tensor");
  return *leaf_;
}

const std::vector<Tree>& Tree::items() const {
  if (kind_ != Kind::List && kind_ != Kind::Tuple) wrong_kind(kind_, "a list or a tuple");
  return *items_;
}

const Tree::Dict& Tree::dict_items() const {
  if (kind_ != Kind::Dict) wrong_kind(kind_, "a dict");
  return *dict_;
}

const Tree& Tree::operator[](std::size_t i) const {
  const auto& v = items();
  if (i >= v.size()) {
    throw IndexError("tree: index " + std::to_string(i) + " is out of range for " +
                     kind_name(kind_) + " of " + std::to_string(v.size()) + " items");
  }
  return v[i];
}

const Tree& Tree::operator[](const std::string& key) const {
  const auto& d = dict_items();
  const auto it = d.find(key);
  if (it == d.end()) throw IndexError("tree: no key '" + key + "' in the dict");
  return it->second;
}

bool TreeDef::operator==(const TreeDef& other) const {
  return kind_ == other.kind_ && keys_ == other.keys_ && children_ == other.children_;
}

std::string TreeDef::to_string() const {
  switch (kind_) {
    case Tree::Kind::None:
      return "None";
    case Tree::Kind::Leaf:
      return "*";
    case Tree::Kind::Dict: {
      std::string s = "{";
      for (std::size_t i = 0; i < children_.size(); ++i) {
        if (i) s += ", ";
        s.append("'").append(keys_[i]).append("': ").append(children_[i].to_string());
      }
      return s + "}";
    }
    default: {
      const bool tuple = kind_ == Tree::Kind::Tuple;
      std::string s = tuple ? "(" : "[";
      for (std::size_t i = 0; i < children_.size(); ++i) {
        if (i) s += ", ";
        s += children_[i].to_string();
      }
      if (tuple && children_.size() == 1) s += ",";
      return s + (tuple ? ")" : "]");
    }
  }
}

bool TreeDef::matches(const Tree& tree, std::vector<const Tensor*>* leaves) const {
  if (tree.kind() != kind_) return false;
  switch (kind_) {
    case Tree::Kind::None:
      return true;
    case Tree::Kind::Leaf:
      if (leaves != nullptr) leaves->push_back(&tree.leaf());
      return true;
    case Tree::Kind::Dict: {
      const Tree::Dict& items = tree.dict_items();
      if (items.size() != children_.size()) return false;
      std::size_t c = 0;
      for (const auto& [k, v] : items) {
        if (k != keys_[c] || !children_[c].matches(v, leaves)) return false;
        ++c;
      }
      return true;
    }
    default: {
      const std::vector<Tree>& items = tree.items();
      if (items.size() != children_.size()) return false;
      for (std::size_t c = 0; c < items.size(); ++c) {
        if (!children_[c].matches(items[c], leaves)) return false;
      }
      return true;
    }
  }
}

std::string TreeDef::leaf_path(std::size_t i) const {
  if (kind_ == Tree::Kind::Leaf) return "";
  for (std::size_t c = 0; c < children_.size(); ++c) {
    const std::size_t n = children_[c].num_leaves_;
    if (i < n) {
      std::string here = "[";
      if (kind_ == Tree::Kind::Dict) {
        here.append("'").append(keys_[c]).append("'");
      } else {
        here.append(std::to_string(c));
      }
      return here.append("]").append(children_[c].leaf_path(i));
    }
    i -= n;
  }
  return "";
}

std::pair<std::vector<Tensor>, TreeDef> flatten(const Tree& tree) {
  std::vector<Tensor> leaves;
  TreeDef def;
  def.kind_ = tree.kind();
  switch (tree.kind()) {
    case Tree::Kind::None:
      break;
    case Tree::Kind::Leaf:
      leaves.push_back(tree.leaf());
      def.num_leaves_ = 1;
      break;
    case Tree::Kind::Dict:
      for (const auto& [k, v] : tree.dict_items()) {
        auto [sub, subdef] = flatten(v);
        leaves.insert(leaves.end(), sub.begin(), sub.end());
        def.keys_.push_back(k);
        def.num_leaves_ += subdef.num_leaves_;
        def.children_.push_back(std::move(subdef));
      }
      break;
    default:
      for (const auto& v : tree.items()) {
        auto [sub, subdef] = flatten(v);
        leaves.insert(leaves.end(), sub.begin(), sub.end());
        def.num_leaves_ += subdef.num_leaves_;
        def.children_.push_back(std::move(subdef));
      }
  }
  return {std::move(leaves), std::move(def)};
}

Tree unflatten(const TreeDef& def, std::span<const Tensor> leaves) {
  if (leaves.size() != def.num_leaves()) {
    throw ValueError("unflatten: received " + std::to_string(leaves.size()) +
                     " leaves for the structure " + def.to_string() + "; expected " +
                     std::to_string(def.num_leaves()));
  }
  switch (def.kind_) {
    case Tree::Kind::None:
      return Tree();
    case Tree::Kind::Leaf:
      return Tree(leaves[0]);
    case Tree::Kind::Dict: {
      Tree::Dict d;
      std::size_t pos = 0;
      for (std::size_t c = 0; c < def.children_.size(); ++c) {
        const std::size_t n = def.children_[c].num_leaves();
        d.emplace(def.keys_[c], unflatten(def.children_[c], leaves.subspan(pos, n)));
        pos += n;
      }
      return Tree::dict(std::move(d));
    }
    default: {
      std::vector<Tree> items;
      std::size_t pos = 0;
      for (const auto& child : def.children_) {
        items.push_back(unflatten(child, leaves.subspan(pos, child.num_leaves())));
        pos += child.num_leaves();
      }
      return def.kind_ == Tree::Kind::Tuple ? Tree::tuple(std::move(items))
                                            : Tree::list(std::move(items));
    }
  }
}

Tree tree_map(const Tree& tree, const std::function<Tensor(const Tensor&)>& fn) {
  auto [leaves, def] = flatten(tree);
  for (auto& leaf : leaves) leaf = fn(leaf);
  return unflatten(def, leaves);
}

}  // namespace kcore
