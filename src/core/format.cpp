#include <algorithm>
#include <charconv>
#include <cmath>
#include <complex>
#include <cstring>
#include <cstdio>
#include <string>
#include <vector>

#include "cpu/dispatch.h"
#include "kcore/tensor.h"

namespace kcore {
namespace {

constexpr std::int64_t kSummaryThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;

// The shortest decimal that reads back as the same value of type T (NumPy's repr style, with
// at most 8 digits after the point, as NumPy prints by default).
template <class T>
std::string format_real(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string best;
  for (int precision = 1; precision <= 17; ++precision) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    const double back = std::strtod(buf, nullptr);
    bool same;
    if constexpr (std::is_same_v<T, double>) {
      same = back == v;
    } else if constexpr (std::is_same_v<T, float>) {
      same = static_cast<float>(back) == static_cast<float>(v);
    } else {
      same = static_cast<float>(T(back)) == static_cast<float>(v);
    }
    if (same) {
      best = buf;
      break;
    }
  }
  const double a = std::fabs(v);
  if (a != 0.0 && (a >= 1e16 || a < 1e-4)) {
    // Scientific: NumPy writes 1e-05 as 1.e-05.
    const auto e = best.find('e');
    std::string mant = e == std::string::npos ? best : best.substr(0, e);
    std::string exp = e == std::string::npos ? "" : best.substr(e);
    if (mant.find('.') == std::string::npos) mant += ".";
    return mant + exp;
  }
  if (best.find('e') != std::string::npos) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.8f", v);
    best = buf;
    while (!best.empty() && best.back() == '0') best.pop_back();
  }
  if (best.find('.') == std::string::npos) best += ".";
  const auto dot = best.find('.');
  if (best.size() - dot - 1 > 8) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.8f", v);
    best = buf;
    while (best.back() == '0') best.pop_back();
  }
  return best;
}

template <class T>
std::string format_element(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "True" : "False";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else if constexpr (cpu::is_complex_v<T>) {
    using R = typename T::value_type;
    std::string im = format_real<R>(v.imag());
    if (im[0] != '-') im = "+" + im;
    return format_real<R>(v.real()) + im + "j";
  } else {
    return format_real<T>(static_cast<double>(v));
  }
}

struct Printer {
  const Tensor& t;
  std::vector<std::string> cells;  // every printed element, in order
  std::size_t width = 0;

  bool summarize() const { return t.size() > kSummaryThreshold; }

  // Indices of axis `d` that are printed; -1 stands for "...".
  std::vector<std::int64_t> printed(std::int64_t n) const {
    std::vector<std::int64_t> idx;
    if (summarize() && n > 2 * kEdgeItems) {
      for (std::int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      idx.push_back(-1);
      for (std::int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
      for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void collect(std::size_t d, std::int64_t offset) {
    if (d == t.shape().size()) {
      cells.push_back(cpu::dispatch(t.dtype(), [&]<class T>() {
        return format_element<T>(t.storage()->data() +
                                 offset * static_cast<std::int64_t>(itemsize(t.dtype())));
      }));
      width = std::max(width, cells.back().size());
      return;
    }
    for (auto i : printed(t.shape()[d])) {
      if (i >= 0) collect(d + 1, offset + i * t.strides()[d]);
    }
  }

  std::size_t next = 0;
  void emit(std::string& out, std::size_t d, std::size_t indent) {
    if (d == t.shape().size()) {
      const std::string& c = cells[next++];
      out += std::string(width - c.size(), ' ') + c;
      return;
    }
    out += "[";
    const auto idx = printed(t.shape()[d]);
    const bool last_axis = d + 1 == t.shape().size();
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k) {
        out += ",";
        if (last_axis) {
          out += " ";
        } else {
          out += std::string(t.shape().size() - d - 1, '\n') + std::string(indent + d + 1, ' ');
        }
      }
      if (idx[k] < 0) {
        out += "...";
      } else {
        emit(out, d + 1, indent);
      }
    }
    out += "]";
  }
};

}  // namespace

std::string Tensor::repr() const {
  Printer p{*this, {}, 0};
  p.collect(0, offset_);
  std::string out = "array(";
  p.emit(out, 0, out.size());
  out += ", ";
  if (size() == 0 && ndim() > 0) out += "shape=" + format_shape(shape_) + ", ";
  out += "dtype=" + std::string(name(dtype_)) + ")";
  return out;
}

}  // namespace kcore
