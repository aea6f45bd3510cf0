#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <type_traits>
#include <variant>
#include <vector>

#include "kcore/tensor.h"

namespace kcore {

// A nested list of scalars and tensors, the C++ spelling of a Python literal such as
// [[1, 2], [3, 4.5]]: convert_to_tensor({{1, 2}, {3, 4.5}}). Scalars follow Python's rules
// (weak int and float, strong bool); the dtype of the whole is the promotion of its leaves.
class Nested {
 public:
  using List = std::vector<Nested>;

  Nested(std::initializer_list<Nested> items) : value_(List(items)) {}
  Nested(List items) : value_(std::move(items)) {}  // NOLINT(google-explicit-constructor)
  Nested(Tensor t) : value_(std::move(t)) {}        // NOLINT(google-explicit-constructor)
  template <class T>
  requires(std::is_arithmetic_v<T>) Nested(T v)
      : value_(Tensor(v)) {}  // NOLINT(google-explicit-constructor)
  template <class T>
  requires(std::is_arithmetic_v<T>) Nested(const std::vector<T>& items)
      : value_(List(items.begin(), items.end())) {}  // NOLINT

  bool is_list() const { return std::holds_alternative<List>(value_); }
  const List& list() const { return std::get<List>(value_); }
  const Tensor& leaf() const { return std::get<Tensor>(value_); }

 private:
  std::variant<Tensor, List> value_;
};

}  // namespace kcore
