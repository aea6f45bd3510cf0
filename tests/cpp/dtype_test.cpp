#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "kcore/dtype.h"
#include "kcore/errors.h"

using namespace kcore;

namespace {

enum Category { kBool, kSigned, kUnsigned, kFloat, kFloat8, kComplex };

struct Expected {
  DType dtype;
  std::string_view name;
  std::size_t itemsize;
  Category category;
};

constexpr Expected kExpected[] = {
    {DType::Bool, "bool", 1, kBool},
    {DType::Int8, "int8", 1, kSigned},
    {DType::Int16, "int16", 2, kSigned},
    {DType::Int32, "int32", 4, kSigned},
    {DType::Int64, "int64", 8, kSigned},
    {DType::UInt8, "uint8", 1, kUnsigned},
    {DType::UInt16, "uint16", 2, kUnsigned},
    {DType::UInt32, "uint32", 4, kUnsigned},
    {DType::UInt64, "uint64", 8, kUnsigned},
    {DType::BFloat16, "bfloat16", 2, kFloat},
    {DType::Float16, "float16", 2, kFloat},
    {DType::Float32, "float32", 4, kFloat},
    {DType::Float64, "float64", 8, kFloat},
    {DType::Complex64, "complex64", 8, kComplex},
    {DType::Complex128, "complex128", 16, kComplex},
    {DType::Float8E4M3FN, "float8_e4m3fn", 1, kFloat8},
    {DType::Float8E5M2, "float8_e5m2", 1, kFloat8},
};

TEST(DType, AllDTypesListsEachOnceInEnumOrder) {
  static_assert(std::size(kExpected) == kNumDTypes);
  std::set<DType> seen;
  for (int i = 0; i < kNumDTypes; ++i) {
    EXPECT_EQ(static_cast<int>(kAllDTypes[i]), i);
    EXPECT_EQ(kAllDTypes[i], kExpected[i].dtype);
    seen.insert(kAllDTypes[i]);
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kNumDTypes));
}

TEST(DType, NamesRoundTrip) {
  for (const Expected& e : kExpected) {
    EXPECT_EQ(name(e.dtype), e.name);
    EXPECT_EQ(dtype_from_name(e.name), e.dtype) << e.name;
    EXPECT_EQ(dtype_from_name(std::string(name(e.dtype))), e.dtype) << e.name;
  }
}

TEST(DType, RejectsEveryOtherName) {
  for (std::string_view bad : {"float",
                               "double",
                               "string",
                               "half",
                               "complex32",
                               "float8_e4m3fnuz",
                               "",
                               "int",
                               "uint",
                               "complex",
                               "Float32",
                               "FLOAT32",
                               "float32 ",
                               " float32",
                               "float8",
                               "float8_e4m3",
                               "float8_e5m2fnuz",
                               "bfloat",
                               "int128",
                               "uint1",
                               "boolean",
                               "f4",
                               "<f4",
                               "torch.float32"}) {
    try {
      dtype_from_name(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const ValueError& e) {
      const std::string_view message = e.what();
      EXPECT_TRUE(message.starts_with("Invalid dtype: " + std::string(bad))) << message;
    }
  }
}

TEST(DType, RejectsANameWithAnEmbeddedNul) {
  EXPECT_THROW(dtype_from_name(std::string_view("int8\0x", 6)), ValueError);
  EXPECT_THROW(dtype_from_name(std::string_view("int8", 3)), ValueError);
}

TEST(DType, Itemsize) {
  for (const Expected& e : kExpected) EXPECT_EQ(itemsize(e.dtype), e.itemsize) << e.name;
}

TEST(DType, CategoryPredicates) {
  for (const Expected& e : kExpected) {
    const Category c = e.category;
    EXPECT_EQ(is_bool(e.dtype), c == kBool) << e.name;
    EXPECT_EQ(is_signed_integer(e.dtype), c == kSigned) << e.name;
    EXPECT_EQ(is_unsigned_integer(e.dtype), c == kUnsigned) << e.name;
    EXPECT_EQ(is_integer(e.dtype), c == kSigned || c == kUnsigned) << e.name;
    EXPECT_EQ(is_float8(e.dtype), c == kFloat8) << e.name;
    EXPECT_EQ(is_floating(e.dtype), c == kFloat || c == kFloat8) << e.name;
    EXPECT_EQ(is_inexact(e.dtype), c == kFloat) << e.name;
    EXPECT_EQ(is_complex(e.dtype), c == kComplex) << e.name;
  }
}

// Keras' is_float_dtype / is_int_dtype (reference §0.2) go by the name.
TEST(DType, PredicatesAgreeWithKerasNamePrefixes) {
  for (DType d : kAllDTypes) {
    const std::string_view n = name(d);
    EXPECT_EQ(is_floating(d), n.starts_with("float") || n.starts_with("bfloat")) << n;
    EXPECT_EQ(is_integer(d), n.starts_with("int") || n.starts_with("uint")) << n;
    EXPECT_EQ(is_unsigned_integer(d), n.starts_with("uint")) << n;
    EXPECT_EQ(is_complex(d), n.starts_with("complex")) << n;
  }
}

}  // namespace
