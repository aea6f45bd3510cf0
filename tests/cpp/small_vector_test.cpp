#include "kcore/small_vector.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace kcore {
namespace {

using Ints = SmallVector<std::int64_t, 4>;

std::vector<std::int64_t> iota(std::int64_t n, std::int64_t from = 1) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(from + i);
  return v;
}

// Every size from empty to twice the inline capacity, built element by element (the way shapes
// are) and copied or moved at once, as a tensor's shape is.
TEST(SmallVector, CopiesAndMovesKeepEveryElementAtEverySize) {
  for (std::int64_t n = 0; n <= 8; ++n) {
    const std::vector<std::int64_t> expected = iota(n);
    Ints built;
    for (const std::int64_t v : expected) built.push_back(v);

    const Ints copied(built);  // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_EQ(copied, expected) << n;
    Ints assigned = {9, 9, 9, 9, 9, 9};  // on the heap before: assignment shrinks it back
    assigned = built;
    EXPECT_EQ(assigned, expected) << n;
    EXPECT_GE(assigned.capacity(), assigned.size());

    Ints source = built;
    const Ints moved(std::move(source));
    EXPECT_EQ(moved, expected) << n;
    EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    source.push_back(7);          // and usable
    EXPECT_EQ(source, std::vector<std::int64_t>{7});

    Ints target = {5};
    Ints other = built;
    target = std::move(other);
    EXPECT_EQ(target, expected) << n;
  }
}

TEST(SmallVector, CopyOfAShorterVectorDropsTheOldElements) {
  Ints v = {1, 2, 3, 4};
  const Ints shorter = {8};
  v = shorter;
  EXPECT_EQ(v, std::vector<std::int64_t>{8});
  v.push_back(9);
  EXPECT_EQ(v, (std::vector<std::int64_t>{8, 9}));
}

TEST(SmallVector, SelfAssignmentKeepsTheElements) {
  for (std::int64_t n : {2, 6}) {
    Ints v(iota(n));
    const Ints& alias = v;
    v = alias;
    EXPECT_EQ(v, iota(n));
    Ints& same = v;
    v = std::move(same);
    EXPECT_EQ(v, iota(n));
  }
}

// Elements that are not integers are copied as they are.
TEST(SmallVector, CopiesNonIntegerElements) {
  using Pairs = SmallVector<std::array<std::int64_t, 2>, 3>;
  Pairs v;
  v.push_back({1, 2});
  v.push_back({3, 4});
  const Pairs copy(v);  // NOLINT(performance-unnecessary-copy-initialization)
  Pairs moved(std::move(v));
  ASSERT_EQ(copy.size(), 2U);
  EXPECT_EQ(copy[1], (std::array<std::int64_t, 2>{3, 4}));
  EXPECT_EQ(moved, copy);
}

}  // namespace
}  // namespace kcore
