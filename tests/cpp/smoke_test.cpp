#include <gtest/gtest.h>

#include "kcore/kcore.h"

using namespace kcore;

TEST(Smoke, ArithmeticPromotesWeakScalars) {
  const Tensor x = cast(arange(4), DType::Int8);
  const Tensor y = x + 1;
  EXPECT_EQ(y.dtype(), DType::Int8);
  EXPECT_EQ(y.to_vector<std::int8_t>(), (std::vector<std::int8_t>{1, 2, 3, 4}));
}
