#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "kcore/dtype.h"
#include "kcore/errors.h"

using namespace kcore;

namespace {

// One cell of the reference's §0.3 table: `x` and `y` are its axis labels, where "bool*", "int*"
// and "float*" stand for the Python types.
struct PromotionCell {
  std::string_view x;
  std::string_view y;
  DType expected;
};

// kPromotionTable: the reference's jax table with 64-bit dtypes kept (SEMANTICS §1). That is the
// TensorFlow backend's cells (float64 with any real dtype or Python scalar -> float64; int64 with
// bool, int8..int64, uint8..uint32 or Python int -> int64; uint32 with int8/16/32 -> int64), plus
// the narrowing TF still does undone: uint64 stays uint64 (with bool, unsigned ints, Python int),
// complex128 with anything and float64 with complex64 give complex128, the lattice's least upper
// bound. tests/gen/gen_promotion_table.py derives these 106 cells from the reference's table and
// checks every cell against Keras' lattice recomputed without the 64->32 map.
#include "promotion_table.inc"

// The ways kcore holds an axis' value. A Python float is a weak float64 when it comes from a bare
// C++ scalar (Tensor(double)), a weak float32 in other callers; both must promote alike.
std::vector<DTypeArg> held_as(std::string_view label) {
  if (label == "bool*") return {{DType::Bool, false}};
  if (label == "int*") return {{DType::Int32, true}};
  if (label == "float*") return {{DType::Float32, true}, {DType::Float64, true}};
  return {{dtype_from_name(label), false}};
}

std::string describe(const DTypeArg& a) {
  return std::string(name(a.dtype)) + (a.weak ? " (weak)" : "");
}

bool is_python_scalar(std::string_view label) {
  return label == "int*" || label == "float*";
}

TEST(Promotion, TableHasEveryPairOfTheEighteenAxes) {
  EXPECT_EQ(std::size(kPromotionTable), 18U * 18U);
  std::vector<std::string_view> axes;
  for (const auto& cell : kPromotionTable) {
    if (cell.x == kPromotionTable[0].x) axes.push_back(cell.y);
  }
  ASSERT_EQ(axes.size(), 18U);
  for (std::size_t i = 0; i < std::size(kPromotionTable); ++i) {
    EXPECT_EQ(kPromotionTable[i].x, axes[i / 18]);
    EXPECT_EQ(kPromotionTable[i].y, axes[i % 18]);
  }
}

TEST(Promotion, EveryCellOfTheTableWith64BitKept) {
  int checked = 0;
  for (const auto& cell : kPromotionTable) {
    for (const DTypeArg& x : held_as(cell.x)) {
      for (const DTypeArg& y : held_as(cell.y)) {
        EXPECT_EQ(name(result_type({x, y})), name(cell.expected))
            << cell.x << " with " << cell.y << ", held as " << describe(x) << " and "
            << describe(y);
        ++checked;
      }
    }
  }
  // 19 x 19: the weak float axis is checked held as float32 and as float64.
  EXPECT_EQ(checked, 19 * 19);
}

TEST(Promotion, ResultIsWeakOnlyWhenEveryArgumentIsWeak) {
  for (const auto& cell : kPromotionTable) {
    for (const DTypeArg& x : held_as(cell.x)) {
      for (const DTypeArg& y : held_as(cell.y)) {
        const std::vector<DTypeArg> args = {x, y};
        const Promoted p = promote(args);
        EXPECT_EQ(p.dtype, cell.expected) << cell.x << " with " << cell.y;
        EXPECT_EQ(p.weak, is_python_scalar(cell.x) && is_python_scalar(cell.y))
            << cell.x << " with " << cell.y << ", held as " << describe(x) << " and "
            << describe(y);
      }
    }
  }
}

// A Python int beyond int32 is held as a weak int64 or uint64 (Tensor(T)); next to a strong dtype
// it is still Keras' weak `int`.
TEST(Promotion, WideWeakIntsPromoteLikeInt32WithStrongDTypes) {
  for (const auto& cell : kPromotionTable) {
    if (cell.x != "int*" || is_python_scalar(cell.y)) continue;
    for (const DTypeArg& y : held_as(cell.y)) {
      for (DType held : {DType::Int64, DType::UInt64}) {
        const DTypeArg x{held, true};
        EXPECT_EQ(name(result_type({x, y})), name(cell.expected))
            << describe(x) << " with " << cell.y;
        EXPECT_EQ(name(result_type({y, x})), name(cell.expected))
            << cell.y << " with " << describe(x);
      }
    }
  }
}

TEST(Promotion, AllWeakArgumentsPromoteByTheDTypesTheyAreHeldAs) {
  const DTypeArg int32{DType::Int32, true};
  const DTypeArg int64{DType::Int64, true};
  const DTypeArg float64{DType::Float64, true};
  EXPECT_EQ(promote(std::vector<DTypeArg>{int32, int64}).dtype, DType::Int64);
  EXPECT_TRUE(promote(std::vector<DTypeArg>{int32, int64}).weak);
  EXPECT_EQ(promote(std::vector<DTypeArg>{int64, float64}).dtype, DType::Float32);
  EXPECT_EQ(promote(std::vector<DTypeArg>{float64, float64}).dtype, DType::Float32);
  EXPECT_TRUE(promote(std::vector<DTypeArg>{float64, float64}).weak);
}

TEST(Promotion, SingleArgumentKeepsItsDTypeIncluding64Bit) {
  for (DType d : kAllDTypes) {
    if (is_float8(d)) continue;
    const std::vector<DTypeArg> args = {{d, false}};
    const Promoted p = promote(args);
    EXPECT_EQ(p.dtype, d) << name(d);
    EXPECT_FALSE(p.weak) << name(d);
    EXPECT_EQ(result_type({{d, false}}), d) << name(d);
  }
}

TEST(Promotion, SinglePythonScalar) {
  const auto single = [](DTypeArg a) { return promote(std::vector<DTypeArg>{a}); };
  EXPECT_EQ(single({DType::Int32, true}).dtype, DType::Int32);
  EXPECT_TRUE(single({DType::Int32, true}).weak);
  EXPECT_EQ(single({DType::Int64, true}).dtype, DType::Int64);
  EXPECT_TRUE(single({DType::Int64, true}).weak);
  // A Python float alone is float32 however it is held.
  EXPECT_EQ(single({DType::Float64, true}).dtype, DType::Float32);
  EXPECT_TRUE(single({DType::Float64, true}).weak);
  EXPECT_EQ(single({DType::Float32, true}).dtype, DType::Float32);
  EXPECT_TRUE(single({DType::Float32, true}).weak);
  // A Python bool is never weak.
  EXPECT_EQ(single({DType::Bool, true}).dtype, DType::Bool);
  EXPECT_FALSE(single({DType::Bool, true}).weak);
}

TEST(Promotion, NoArgumentsIsFloat32) {
  EXPECT_EQ(result_type({}), DType::Float32);
  const Promoted p = promote(std::span<const DTypeArg>{});
  EXPECT_EQ(p.dtype, DType::Float32);
  EXPECT_FALSE(p.weak);
}

TEST(Promotion, SeveralArgumentsTakeOneLeastUpperBound) {
  const DTypeArg py_int{DType::Int32, true};
  const DTypeArg py_float{DType::Float64, true};
  EXPECT_EQ(result_type({{DType::UInt32, false}, {DType::Int8, false}, {DType::Int16, false}}),
            DType::Int64);
  EXPECT_EQ(result_type({{DType::UInt8, false}, {DType::Int8, false}, {DType::UInt16, false}}),
            DType::Int32);
  EXPECT_EQ(result_type({{DType::UInt8, false}, {DType::Int8, false}, py_float}), DType::Float32);
  EXPECT_EQ(result_type({{DType::Bool, false}, py_int, py_float}), DType::Float32);
  EXPECT_EQ(result_type({{DType::Int8, false}, py_int, py_int}), DType::Int8);
  EXPECT_EQ(result_type({{DType::Float16, false}, {DType::BFloat16, false}, py_int}),
            DType::Float32);
  EXPECT_EQ(result_type({{DType::Float64, false}, {DType::Complex64, false}, py_int}),
            DType::Complex128);
  EXPECT_EQ(
      result_type({{DType::Float16, false}, {DType::Float16, false}, {DType::Float16, false}}),
      DType::Float16);
  // uint64 with int64 meets at Keras' weak `float`, which float16 then absorbs; folding pairwise
  // would resolve that node to float32 too early.
  EXPECT_EQ(result_type({{DType::UInt64, false}, {DType::Int64, false}, {DType::Float16, false}}),
            DType::Float16);
  const DType folded = result_type({{DType::UInt64, false}, {DType::Int64, false}});
  EXPECT_EQ(result_type({{folded, false}, {DType::Float16, false}}), DType::Float32);
}

std::vector<DTypeArg> every_argument_kind() {
  std::vector<DTypeArg> kinds;
  for (DType d : kAllDTypes) kinds.push_back({d, false});
  kinds.push_back({DType::Int32, true});
  kinds.push_back({DType::Float32, true});
  kinds.push_back({DType::Float64, true});
  return kinds;
}

void expect_float8_error(std::span<const DTypeArg> args, std::string_view op) {
  try {
    promote(args, op);
    ADD_FAILURE() << "no error for " << describe(args[0]) << ", ...";
  } catch (const ValueError& e) {
    const std::string_view message = e.what();
    EXPECT_TRUE(message.starts_with(std::string(op) + ": ")) << message;
    EXPECT_NE(message.find("float8"), std::string_view::npos) << message;
  }
}

TEST(Promotion, Float8AnywhereIsAValueErrorNamingTheOp) {
  int checked = 0;
  for (DType f8 : {DType::Float8E4M3FN, DType::Float8E5M2}) {
    expect_float8_error(std::vector<DTypeArg>{{f8, false}}, "add");
    ++checked;
    for (const DTypeArg& other : every_argument_kind()) {
      expect_float8_error(std::vector<DTypeArg>{{f8, false}, other}, "multiply");
      expect_float8_error(std::vector<DTypeArg>{other, {f8, false}}, "where");
      expect_float8_error(std::vector<DTypeArg>{other, other, {f8, false}}, "concatenate");
      checked += 3;
    }
  }
  EXPECT_EQ(checked, 2 * (1 + 3 * 20));
}

TEST(Promotion, Float8ErrorFromResultTypeNamesResultType) {
  EXPECT_THROW(result_type({{DType::Float8E5M2, false}}), ValueError);
  try {
    result_type({{DType::Float32, false}, {DType::Float8E4M3FN, false}});
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_TRUE(std::string_view(e.what()).starts_with("result_type: ")) << e.what();
  }
}

}  // namespace
