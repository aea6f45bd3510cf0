#pragma once

// Shared by the core tests: typed dtype lists, random data, tensors with unusual layouts, and
// row-major index arithmetic for reference computations written as plain loops.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "kcore/kcore.h"

namespace kcore_test {

using kcore::bfloat16;
using kcore::DType;
using kcore::float16;
using kcore::Shape;
using kcore::Strides;
using kcore::Tensor;
using c64 = std::complex<float>;
using c128 = std::complex<double>;

template <class... Ts>
struct Types {};

template <class... Ts, class F>
void for_each_type(Types<Ts...> /*types*/, F&& f) {
  (f.template operator()<Ts>(), ...);
}

using IntegerTypes = Types<std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t,
                           std::uint16_t, std::uint32_t, std::uint64_t>;
using FloatTypes = Types<bfloat16, float16, float, double>;
using ComplexTypes = Types<c64, c128>;
using NumericTypes =
    Types<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t, std::uint16_t,
          std::uint32_t, std::uint64_t, bfloat16, float16, float, double, c64, c128>;

template <class T>
inline constexpr bool is_narrow_v = std::is_same_v<T, bfloat16> || std::is_same_v<T, float16>;
template <class T>
inline constexpr bool is_complex_v = std::is_same_v<T, c64> || std::is_same_v<T, c128>;
template <class T>
inline constexpr bool is_int_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <class T>
inline constexpr bool is_real_float_v =
    is_narrow_v<T> || std::is_same_v<T, float> || std::is_same_v<T, double>;

inline std::string dtype_name(DType d) {
  return std::string(kcore::name(d));
}

// The type the library computes T's arithmetic in: narrow floats widen to float.
template <class T>
using wide_t = std::conditional_t<is_narrow_v<T>, float, T>;

template <class T>
wide_t<T> widen(T v) {
  if constexpr (is_narrow_v<T>) {
    return static_cast<float>(v);
  } else {
    return v;
  }
}

template <class T>
T narrow(wide_t<T> v) {
  if constexpr (is_narrow_v<T>) {
    return T(v);
  } else {
    return v;
  }
}

template <class T>
double as_double(T v) {
  if constexpr (is_complex_v<T>) {
    return static_cast<double>(v.real());
  } else {
    return static_cast<double>(v);
  }
}

template <class T>
std::string show(T v) {
  std::ostringstream os;
  os.precision(17);
  if constexpr (is_complex_v<T>) {
    os << "(" << v.real() << (v.imag() < 0 ? "" : "+") << v.imag() << "j)";
  } else if constexpr (std::is_same_v<T, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_signed_v<T>) {
      os << static_cast<std::int64_t>(v);
    } else {
      os << static_cast<std::uint64_t>(v);
    }
  } else {
    os << static_cast<double>(v);
  }
  return os.str();
}

// The value v (a small integer, exact in every dtype) as a T.
template <class T>
T of(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (is_complex_v<T> || is_narrow_v<T>) {
    return T(v);
  } else {
    return static_cast<T>(v);
  }
}

// A value of T drawn from `rng`: integers over their whole range (so that arithmetic wraps),
// floats mostly in [-8, 8] with an occasional zero, and complex numbers from two such floats.
template <class T>
T random_value(std::mt19937& rng) {
  if constexpr (std::is_same_v<T, bool>) {
    return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
  } else if constexpr (std::is_integral_v<T>) {
    using Wide = std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>;
    return static_cast<T>(std::uniform_int_distribution<Wide>(std::numeric_limits<T>::min(),
                                                              std::numeric_limits<T>::max())(rng));
  } else if constexpr (is_complex_v<T>) {
    using R = typename T::value_type;
    return T(random_value<R>(rng), random_value<R>(rng));
  } else {
    if (std::uniform_int_distribution<int>(0, 31)(rng) == 0) return T(0.0);
    return T(std::uniform_real_distribution<double>(-8.0, 8.0)(rng));
  }
}

template <class T>
std::vector<T> random_values(std::mt19937& rng, std::int64_t n) {
  std::vector<T> v;
  v.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v.push_back(random_value<T>(rng));
  return v;
}

inline std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

inline Shape random_shape(std::mt19937& rng, int min_rank, int max_rank, std::int64_t max_dim,
                          std::int64_t min_dim = 1) {
  const int rank = std::uniform_int_distribution<int>(min_rank, max_rank)(rng);
  Shape s;
  for (int i = 0; i < rank; ++i) {
    s.push_back(std::uniform_int_distribution<std::int64_t>(min_dim, max_dim)(rng));
  }
  return s;
}

// Row-major multi-index of flat position `i`.
inline std::vector<std::int64_t> unravel(std::int64_t i, const Shape& shape) {
  std::vector<std::int64_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] == 0 ? 0 : i % shape[d];
    if (shape[d] != 0) i /= shape[d];
  }
  return idx;
}

inline std::int64_t ravel(const std::vector<std::int64_t>& idx, const Shape& shape) {
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + idx[d];
  return flat;
}

// Flat row-major position in `in_shape` of the element that NumPy broadcasting reads for the
// output multi-index `out_idx`.
inline std::int64_t broadcast_source(const std::vector<std::int64_t>& out_idx,
                                     const Shape& in_shape) {
  const std::size_t lead = out_idx.size() - in_shape.size();
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < in_shape.size(); ++d) {
    const std::int64_t i = in_shape[d] == 1 ? 0 : out_idx[lead + d];
    flat = flat * in_shape[d] + i;
  }
  return flat;
}

// NumPy's broadcast of two shapes, written independently of the library.
inline Shape reference_broadcast(const Shape& a, const Shape& b) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i + a.size() < n ? 1 : a[i + a.size() - n];
    const std::int64_t db = i + b.size() < n ? 1 : b[i + b.size() - n];
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// A shape that broadcasts to `out`: some leading axes dropped, some axes set to 1.
inline Shape broadcastable_shape(std::mt19937& rng, const Shape& out) {
  const auto drop = std::uniform_int_distribution<std::size_t>(0, out.size())(rng);
  Shape s(out.begin() + static_cast<std::ptrdiff_t>(drop), out.end());
  for (auto& d : s) {
    if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) d = 1;
  }
  return s;
}

// A contiguous tensor holding `values` (row-major) with `shape`.
template <class T>
Tensor make(const std::vector<T>& values, const Shape& shape) {
  const Tensor flat = kcore::convert_to_tensor(values);
  return kcore::reshape(flat, shape);
}

// A tensor holding `values` (row-major over `shape`) in a freshly laid out buffer: random axis
// order in memory, random steps of +-1 or +-2 per axis, and junk between the elements. Built
// directly from strides, independently of the library's layout ops.
template <class T>
Tensor scattered(const std::vector<T>& values, const Shape& shape, std::mt19937& rng) {
  const std::size_t nd = shape.size();
  std::vector<std::size_t> order(nd);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::int64_t> step(nd);
  for (auto& s : step) {
    const int pick = std::uniform_int_distribution<int>(0, 3)(rng);
    s = pick == 0 ? 1 : pick == 1 ? -1 : pick == 2 ? 2 : -2;
  }
  Strides strides(nd, 0);
  std::int64_t unit = 1;
  for (std::size_t k = nd; k-- > 0;) {
    const std::size_t d = order[k];
    const std::int64_t extent = std::max<std::int64_t>(shape[d], 1) * std::abs(step[d]);
    strides[d] = step[d] < 0 ? -unit * std::abs(step[d]) : unit * step[d];
    unit *= extent;
  }
  std::int64_t offset = 1;  // one junk element in front
  for (std::size_t d = 0; d < nd; ++d) {
    if (strides[d] < 0 && shape[d] > 0) offset += (shape[d] - 1) * -strides[d];
  }
  const std::int64_t capacity = unit + 2;
  auto storage = std::make_shared<kcore::Storage>(static_cast<std::size_t>(capacity) * sizeof(T));
  T* buf = reinterpret_cast<T*>(storage->data());
  const T junk = values.empty() ? T{} : values.back();
  for (std::int64_t i = 0; i < capacity; ++i) buf[i] = junk;
  for (std::int64_t i = 0; i < numel(shape); ++i) {
    const auto idx = unravel(i, shape);
    std::int64_t pos = offset;
    for (std::size_t d = 0; d < nd; ++d) pos += idx[d] * strides[d];
    buf[pos] = values[static_cast<std::size_t>(i)];
  }
  return Tensor::from_storage(storage, shape, strides, offset, kcore::dtype_of<T>);
}

// Equality that treats NaN as equal to NaN and tells -0 from +0 only when asked.
template <class T>
bool same_value(T a, T b) {
  if constexpr (is_complex_v<T>) {
    return same_value(a.real(), b.real()) && same_value(a.imag(), b.imag());
  } else if constexpr (is_real_float_v<T>) {
    const double x = static_cast<double>(a);
    const double y = static_cast<double>(b);
    return (std::isnan(x) && std::isnan(y)) || x == y;
  } else {
    return a == b;
  }
}

// |a - b| within `rel` of |b| (or `rel` absolute near zero); infinities and NaN must match.
template <class T>
bool close_value(T a, T b, double rel) {
  if constexpr (is_complex_v<T>) {
    return close_value(a.real(), b.real(), rel) && close_value(a.imag(), b.imag(), rel);
  } else {
    const double x = static_cast<double>(a);
    const double y = static_cast<double>(b);
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    if (std::isinf(x) || std::isinf(y)) return x == y;
    return std::fabs(x - y) <= rel * std::max(1.0, std::fabs(y));
  }
}

// Compares element by element; reports the number of mismatches and the first few.
template <class T, class Eq>
::testing::AssertionResult all_match(const std::vector<T>& actual, const std::vector<T>& expected,
                                     Eq eq) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "sizes differ: " << actual.size() << " vs " << expected.size();
  }
  std::size_t bad = 0;
  std::ostringstream first;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (!eq(static_cast<T>(actual[i]), static_cast<T>(expected[i]))) {
      if (bad < 5) {
        first << "\n  [" << i << "] got " << show<T>(actual[i]) << ", expected "
              << show<T>(expected[i]);
      }
      ++bad;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << actual.size() << " differ" << first.str();
}

template <class T>
::testing::AssertionResult all_same(const std::vector<T>& actual, const std::vector<T>& expected) {
  return all_match(actual, expected, [](T a, T b) { return same_value(a, b); });
}

template <class T>
::testing::AssertionResult all_close(const std::vector<T>& actual, const std::vector<T>& expected,
                                     double rel) {
  return all_match(actual, expected, [rel](T a, T b) { return close_value(a, b, rel); });
}

// A relative tolerance of a few units in the last place of T.
template <class T>
double ulps(double n) {
  if constexpr (std::is_same_v<T, bfloat16>) {
    return n * 0x1p-8;
  } else if constexpr (std::is_same_v<T, float16>) {
    return n * 0x1p-11;
  } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, c64>) {
    return n * 0x1p-24;
  } else {
    return n * 0x1p-53;
  }
}

// Runs `f` and checks that it throws E with a message starting with `op` followed by ':'.
template <class E, class F>
::testing::AssertionResult throws_named(F&& f, const std::string& op) {
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    if (msg.rfind(op + ":", 0) == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "message does not start with '" << op << ":': " << msg;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw another exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

// Restores the thread count when a test ends.
class ThreadCountGuard {
 public:
  ThreadCountGuard() : saved_(kcore::num_threads()) {}
  ~ThreadCountGuard() { kcore::set_num_threads(saved_); }
  ThreadCountGuard(const ThreadCountGuard&) = delete;
  ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

 private:
  int saved_;
};

}  // namespace kcore_test
