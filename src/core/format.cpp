// Tensor::repr, following NumPy's array_repr with its default print options (always naming the
// dtype): elements formatted alike across the tensor, rows wrapped at 75 characters, tensors
// over 1000 elements summarised.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/dispatch.h"
#include "kcore/tensor.h"

namespace kcore {
namespace {

constexpr std::int64_t kThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;
constexpr std::size_t kLineWidth = 75;
constexpr int kPrecision = 8;  // at most this many digits after the decimal point

std::string spaces(std::ptrdiff_t n) {
  return std::string(static_cast<std::size_t>(std::max<std::ptrdiff_t>(n, 0)), ' ');
}

// A finite value as digits d0 d1 d2 ... (d0 nonzero unless the value is 0), worth
// d0.d1d2... * 10^exponent.
struct Decimal {
  bool negative = false;
  std::string digits;
  int exponent = 0;
};

// Reads printf's "%.Ne" output; trailing zero digits are dropped unless `keep_zeros`.
Decimal parse_scientific(const char* s, bool keep_zeros = false) {
  Decimal d;
  if (*s == '-') {
    d.negative = true;
    ++s;
  }
  for (; *s != 'e'; ++s) {
    if (*s != '.') d.digits += *s;
  }
  d.exponent = std::atoi(s + 1);
  while (!keep_zeros && d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

// True when the decimal string `s` reads back as the same value of type T as `v` (parsed
// straight into float for float32: going through double could round twice).
template <class T>
bool reads_back(const char* s, double v) {
  if constexpr (std::is_same_v<T, double>) {
    return std::strtod(s, nullptr) == v;
  } else if constexpr (std::is_same_v<T, float>) {
    return std::strtof(s, nullptr) == static_cast<float>(v);
  } else {
    return static_cast<float>(T(std::strtod(s, nullptr))) == static_cast<float>(v);
  }
}

// The fewest significant digits that read back as the same T (NumPy's "unique" digits).
template <class T>
Decimal shortest(double v) {
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*e", p - 1, v);
    if (reads_back<T>(buf, v)) break;
  }
  return parse_scientific(buf);
}

// Scientific digits: the shortest ones, or the value rounded to kPrecision digits after the
// point when those are longer.
template <class T>
Decimal scientific_digits(double v) {
  Decimal d = shortest<T>(v);
  if (static_cast<int>(d.digits.size()) - 1 > kPrecision) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*e", kPrecision, v);
    d = parse_scientific(buf);
  }
  return d;
}

// Integer and fraction digits in positional notation, trailing zeros of the fraction dropped;
// the value is rounded to kPrecision digits after the point when its shortest form needs more.
template <class T>
std::pair<std::string, std::string> positional_digits(double v) {
  const Decimal d = shortest<T>(v);
  std::string ip;
  std::string fp;
  if (static_cast<int>(d.digits.size()) - 1 - d.exponent > kPrecision) {
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.*f", kPrecision, std::fabs(v));
    const std::string s = buf;
    const auto dot = s.find('.');
    ip = s.substr(0, dot);
    fp = s.substr(dot + 1);
  } else if (d.exponent >= 0) {
    std::string digits = d.digits;
    const auto int_len = static_cast<std::size_t>(d.exponent) + 1;
    if (digits.size() < int_len) digits.append(int_len - digits.size(), '0');
    ip = digits.substr(0, int_len);
    fp = digits.substr(int_len);
  } else {
    ip = "0";
    fp = std::string(static_cast<std::size_t>(-d.exponent - 1), '0') + d.digits;
  }
  while (!fp.empty() && fp.back() == '0') fp.pop_back();
  return {ip, fp};
}

// NumPy's FloatingFormat (floatmode "maxprec"): one layout for all printed values of a tensor.
// Scientific notation for all when the nonzero magnitudes reach exp_cutoff(), go below 1e-4 or
// span more than three decades; otherwise positional, integer parts right-aligned and fractions
// left-aligned. `plus` signs non-negative values (imaginary parts).
template <class T>
class FloatFormat {
 public:
  FloatFormat(const std::vector<double>& data, bool plus) : plus_(plus) {
    std::vector<double> finite;
    for (double v : data) {
      if (std::isfinite(v)) finite.push_back(v);
    }
    double max_val = 0;
    double min_val = INFINITY;
    for (double v : finite) {
      if (v == 0) continue;
      max_val = std::max(max_val, std::fabs(v));
      min_val = std::min(min_val, std::fabs(v));
    }
    if (max_val > 0 && (max_val >= exp_cutoff() || min_val < 1e-4 || max_val / min_val > 1e3)) {
      exp_ = true;
    }
    std::ptrdiff_t pad_left = 0;
    std::ptrdiff_t pad_right = 0;
    if (!finite.empty() && exp_) {
      for (double v : finite) {
        const Decimal d = scientific_digits<T>(v);
        precision_ = std::max(precision_, static_cast<int>(d.digits.size()) - 1);
        exp_digits_ =
            std::max(exp_digits_, static_cast<int>(std::to_string(std::abs(d.exponent)).size()));
        pad_left = std::max<std::ptrdiff_t>(pad_left, sign(v).size() + 1);
      }
      pad_right = exp_digits_ + 2 + precision_;
    } else if (!finite.empty()) {
      for (double v : finite) {
        const auto [ip, fp] = positional_digits<T>(v);
        pad_left = std::max<std::ptrdiff_t>(pad_left, sign(v).size() + ip.size());
        pad_right = std::max<std::ptrdiff_t>(pad_right, fp.size());
      }
    }
    if (finite.size() != data.size()) {
      bool neginf = plus_;
      for (double v : data) neginf = neginf || (std::isinf(v) && v < 0);
      const std::ptrdiff_t offset = pad_right + 1;
      pad_left = std::max({pad_left, 3 - offset, 3 + (neginf ? 1 : 0) - offset});
    }
    pad_left_ = pad_left;
    pad_right_ = pad_right;
  }

  std::string operator()(double v) const {
    if (!std::isfinite(v)) {
      std::string s = std::isnan(v) ? std::string(plus_ ? "+" : "") + "nan"
                                    : std::string(v < 0   ? "-"
                                                  : plus_ ? "+"
                                                          : "") +
                                          "inf";
      return spaces(pad_left_ + pad_right_ + 1 - static_cast<std::ptrdiff_t>(s.size())) + s;
    }
    if (exp_) {
      // Every value shows `precision_` digits after the point: its shortest digits, continued
      // with the digits of its exact value (NumPy's min_digits).
      Decimal d = scientific_digits<T>(v);
      if (static_cast<int>(d.digits.size()) - 1 < precision_) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*e", precision_, v);
        d = parse_scientific(buf, true);
      }
      const std::string ip = sign(v) + d.digits.substr(0, 1);
      const std::string fp = d.digits.substr(1);
      std::string e = std::to_string(std::abs(d.exponent));
      e = std::string(d.exponent < 0 ? "-" : "+") +
          std::string(
              static_cast<std::size_t>(std::max(0, exp_digits_ - static_cast<int>(e.size()))),
              '0') +
          e;
      return spaces(pad_left_ - static_cast<std::ptrdiff_t>(ip.size())) + ip + "." + fp + "e" + e;
    }
    const auto [digits, fp] = positional_digits<T>(v);
    const std::string ip = sign(v) + digits;
    return spaces(pad_left_ - static_cast<std::ptrdiff_t>(ip.size())) + ip + "." + fp +
           spaces(pad_right_ - static_cast<std::ptrdiff_t>(fp.size()));
  }

 private:
  std::string sign(double v) const { return std::signbit(v) ? "-" : plus_ ? "+" : ""; }

  // Magnitudes from 10^min(8, decimal digits of T) up print in scientific notation, where
  // the decimal digits are finfo(T).precision of NumPy and ml_dtypes.
  static double exp_cutoff() {
    if constexpr (std::is_same_v<T, double>) {
      return 1e8;
    } else if constexpr (std::is_same_v<T, float>) {
      return 1e6;
    } else if constexpr (std::is_same_v<T, float16>) {
      return 1e3;
    } else if constexpr (std::is_same_v<T, bfloat16>) {
      return 1e2;
    } else {
      return 1e1;  // float8
    }
  }

  bool plus_;
  bool exp_ = false;
  int precision_ = 0;   // scientific: digits after the point
  int exp_digits_ = 2;  // scientific: at least two exponent digits
  std::ptrdiff_t pad_left_ = 0;
  std::ptrdiff_t pad_right_ = 0;
};

template <class T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Every printed element of a tensor of element type T, formatted alike.
template <class T>
std::vector<std::string> format_cells(const std::vector<const std::byte*>& elems, bool scalar) {
  std::vector<std::string> cells;
  if constexpr (std::is_same_v<T, bool>) {
    for (const auto* p : elems) {
      cells.emplace_back(load<bool>(p) ? (scalar ? "True" : " True") : "False");
    }
  } else if constexpr (std::is_integral_v<T>) {
    std::size_t width = 0;
    for (const auto* p : elems) {
      cells.push_back(std::to_string(load<T>(p)));
      width = std::max(width, cells.back().size());
    }
    for (auto& c : cells) {
      std::string padded = spaces(static_cast<std::ptrdiff_t>(width - c.size()));
      padded += c;
      c = std::move(padded);
    }
  } else if constexpr (cpu::is_complex_v<T>) {
    using R = typename T::value_type;
    std::vector<double> re;
    std::vector<double> im;
    for (const auto* p : elems) {
      re.push_back(static_cast<double>(load<T>(p).real()));
      im.push_back(static_cast<double>(load<T>(p).imag()));
    }
    const FloatFormat<R> real_format(re, false);
    const FloatFormat<R> imag_format(im, true);
    for (std::size_t i = 0; i < elems.size(); ++i) {
      std::string imag = imag_format(im[i]);
      const auto end = imag.find_last_not_of(' ') + 1;
      imag.insert(imag.begin() + static_cast<std::ptrdiff_t>(end), 'j');
      cells.push_back(real_format(re[i]) + imag);
    }
  } else {
    std::vector<double> values;
    for (const auto* p : elems) {
      if constexpr (std::is_same_v<T, double>) {
        values.push_back(load<double>(p));
      } else {
        values.push_back(static_cast<double>(static_cast<float>(load<T>(p))));
      }
    }
    const FloatFormat<T> format(values, false);
    for (double v : values) cells.push_back(format(v));
  }
  return cells;
}

// NumPy's _formatArray: nested brackets, rows wrapped to the line width with a hanging indent,
// blank lines between blocks of higher dimensions, "..." for summarised runs.
class Layout {
 public:
  Layout(const Tensor& t, bool summarize) : t_(t), summarize_(summarize) {}

  // Positions of axis `d` that are printed; -1 stands for "...".
  std::vector<std::int64_t> printed(std::size_t d) const {
    const std::int64_t n = t_.shape()[d];
    std::vector<std::int64_t> idx;
    if (summarize_ && n > 2 * kEdgeItems) {
      for (std::int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      idx.push_back(-1);
      for (std::int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
      for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void collect(std::size_t d, std::int64_t offset, std::vector<const std::byte*>& out) const {
    if (d == t_.shape().size()) {
      out.push_back(t_.storage()->data() +
                    offset * static_cast<std::int64_t>(itemsize(t_.dtype())));
      return;
    }
    for (auto i : printed(d)) {
      if (i >= 0) collect(d + 1, offset + i * t_.strides()[d], out);
    }
  }

  std::string format(std::size_t d, const std::string& hanging, std::size_t width,
                     const std::vector<std::string>& cells, std::size_t& next) const {
    const std::size_t nd = t_.shape().size();
    if (d == nd) return cells[next++];
    const std::string next_hanging = hanging + " ";
    const std::size_t next_width = width - 1;
    const auto idx = printed(d);
    std::string s;
    if (d + 1 == nd) {
      const std::size_t elem_width = width - 1;
      std::string line = hanging;
      for (std::size_t k = 0; k < idx.size(); ++k) {
        const std::string word =
            idx[k] < 0 ? "..." : format(d + 1, next_hanging, next_width, cells, next);
        if (line.size() + word.size() > elem_width && line.size() > hanging.size()) {
          s += line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
          line = hanging;
        }
        line += word;
        if (k + 1 < idx.size()) line += ", ";
      }
      s += line;
    } else {
      const std::string line_sep = "," + std::string(nd - d - 1, '\n');
      for (std::size_t k = 0; k < idx.size(); ++k) {
        s += hanging + (idx[k] < 0 ? "..." : format(d + 1, next_hanging, next_width, cells, next));
        if (k + 1 < idx.size()) s += line_sep;
      }
    }
    return "[" + s.substr(hanging.size()) + "]";
  }

 private:
  const Tensor& t_;
  bool summarize_;
};

}  // namespace

std::string Tensor::repr() const {
  const std::string prefix = "array(";
  if (!has_values()) {  // a tracer of vectorized_map
    return prefix + "<traced>, shape=" + format_shape(shape_) +
           ", dtype=" + std::string(name(dtype_)) + ")";
  }
  const bool summarize = size() > kThreshold;
  std::string body = "[]";
  if (size() > 0) {
    const Layout layout(*this, summarize);
    std::vector<const std::byte*> elems;
    layout.collect(0, offset_, elems);
    const auto cells =
        cpu::dispatch(dtype_, [&]<class T>() { return format_cells<T>(elems, ndim() == 0); });
    std::size_t next = 0;
    body = layout.format(0, spaces(static_cast<std::ptrdiff_t>(prefix.size()) + 1), kLineWidth - 1,
                         cells, next);
  }
  std::string out = prefix + body + ",";
  std::string extras;
  if (size() == 0 || summarize) extras = "shape=" + format_shape(shape_) + ", ";
  extras += "dtype=" + std::string(name(dtype_)) + ")";
  const std::size_t last_line =
      out.size() - (out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  out += last_line + extras.size() + 1 > kLineWidth
             ? "\n" + spaces(static_cast<std::ptrdiff_t>(prefix.size()))
             : " ";
  return out + extras;
}

}  // namespace kcore
