#include <gtest/gtest.h>

#include "kcore/kcore.h"
#include "kcore/tree.h"

using namespace kcore;

TEST(Tree, FlattenUnflattenRoundTrip) {
  Tree::Dict d;
  d.emplace("b", Tree(arange(2)));
  d.emplace("a", Tree::tuple({Tree(1.5), Tree()}));
  const Tree t = Tree::list({Tree(arange(3)), Tree::dict(d)});
  auto [leaves, def] = flatten(t);
  ASSERT_EQ(leaves.size(), 3U);
  EXPECT_EQ(def.num_leaves(), 3U);
  // dict values come in sorted key order: 'a' before 'b'
  EXPECT_EQ(leaves[1].dtype(), DType::Float64);
  EXPECT_EQ(leaves[2].shape(), (Shape{2}));
  EXPECT_EQ(def.to_string(), "[*, {'a': (*, None), 'b': *}]");
  EXPECT_EQ(def.leaf_path(1), "[1]['a'][0]");
  const Tree back = unflatten(def, leaves);
  auto [leaves2, def2] = flatten(back);
  EXPECT_EQ(def, def2);
  EXPECT_TRUE(leaves2[0].shares_storage_with(leaves[0]));
}

TEST(Tree, UnflattenChecksLeafCount) {
  auto [leaves, def] = flatten(Tree::tuple({Tree(arange(2)), Tree(arange(3))}));
  leaves.pop_back();
  EXPECT_THROW(unflatten(def, leaves), ValueError);
}

TEST(Tree, StructuresDiffer) {
  auto [l1, d1] = flatten(Tree::tuple({Tree(arange(2))}));
  auto [l2, d2] = flatten(Tree::list({Tree(arange(2))}));
  EXPECT_NE(d1, d2);
}

TEST(Tree, TypedRoundTrip) {
  const std::tuple<Tensor, std::vector<Tensor>> typed{arange(2), {arange(3), arange(4)}};
  const Tree t = to_tree(typed);
  const auto back = from_tree<std::tuple<Tensor, std::vector<Tensor>>>(t);
  EXPECT_EQ(std::get<1>(back).size(), 2U);
  EXPECT_EQ(std::get<1>(back)[1].shape(), (Shape{4}));
  std::map<std::string, Tensor> m = {{"x", arange(5)}};
  using Map = std::map<std::string, Tensor>;
  EXPECT_EQ(from_tree<Map>(to_tree(m)).at("x").shape(), (Shape{5}));
}

TEST(Tree, MapAppliesToEveryLeaf) {
  const Tree t = Tree::tuple({Tree(arange(2)), Tree::list({Tree(arange(3))})});
  const Tree doubled = tree_map(t, [](const Tensor& x) { return x * 2; });
  EXPECT_EQ(doubled[1][0].leaf().to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 2, 4}));
}

TEST(Tree, WrongKindAccessIsTypeError) {
  const Tree t = Tree(arange(2));
  EXPECT_THROW(t.items(), TypeError);
  EXPECT_THROW(Tree().leaf(), TypeError);
  EXPECT_THROW(Tree::tuple({})[0], IndexError);
}
