#!/usr/bin/env python3
"""Writes tests/cpp/cast_cases.inc: inputs and expected results of cast for every dtype pair.

The expected values come from exact rational arithmetic applying SEMANTICS §2 directly (truncate
and saturate float->int with NaN -> 0, wrap int->int, x != 0 for bool, one round-to-nearest-even
for every float target, overflow to inf or, for float8_e4m3fn, NaN). Every result that NumPy or
ml_dtypes define is cross-checked against them. They differ only where they round twice
(64-bit integers and float64 to bfloat16 or float8 go through float32); those disagreements are
printed, and the exact value is kept.

Usage: python3 tests/gen/gen_cast_cases.py [output]  (needs numpy and ml_dtypes)
"""

import sys
import textwrap
import warnings
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np


def pow2(k):
    return Fraction(2) ** k


def floor_log2(x):
    e = x.numerator.bit_length() - x.denominator.bit_length()
    return e - 1 if pow2(e) > x else e


class Real:
    """A real value: NaN, a signed infinity, or an exact rational with a sign for zero."""

    def __init__(self, kind, value=Fraction(0), neg=False):
        self.kind, self.value, self.neg = kind, Fraction(value), neg

    @staticmethod
    def num(v, neg=None):
        v = Fraction(v)
        return Real("num", v, v < 0 if neg is None else neg)

    def key(self):
        return (self.kind, self.value, self.neg if self.kind != "nan" else False)

    def nonzero(self):
        return self.kind != "num" or self.value != 0

    def __neg__(self):
        return Real(self.kind, -self.value, not self.neg)

    def text(self):
        if self.kind == "nan":
            return "nan"
        if self.kind == "inf":
            return "-inf" if self.neg else "inf"
        if self.value == 0:
            return "-0" if self.neg else "0"
        if self.value.denominator == 1 and abs(self.value) < 2**64:
            return str(self.value.numerator)
        return repr(float(self.value)) if Fraction(float(self.value)) == self.value else str(
            self.value)


NAN = Real("nan")
INF = Real("inf")
ZERO = Real.num(0)
NEG_ZERO = Real.num(0, neg=True)


class FloatFormat:
    def __init__(self, exp_bits, mant_bits, finite_only=False):
        self.m = mant_bits
        self.exp_bits = exp_bits
        self.finite_only = finite_only
        self.nbits = 1 + exp_bits + mant_bits
        self.bias = 2 ** (exp_bits - 1) - 1
        self.emin = 1 - self.bias
        top_field = 2**exp_bits - 1 if finite_only else 2**exp_bits - 2
        top_mant = 2**mant_bits - 2 if finite_only else 2**mant_bits - 1
        self.emax = top_field - self.bias
        self.max = Fraction(2**mant_bits + top_mant, 2**mant_bits) * pow2(self.emax)
        self.min_sub = pow2(self.emin - mant_bits)
        self.min_normal = pow2(self.emin)

    def round_magnitude(self, x):
        """x > 0 rounded to nearest even, with unbounded exponent range above."""
        e = max(floor_log2(x), self.emin)
        ulp = pow2(e - self.m)
        q = x / ulp
        n = q.numerator // q.denominator
        rest = q - n
        if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and n % 2 == 1):
            n += 1
        return n * ulp

    def convert(self, v):
        if v.kind == "nan":
            return NAN
        if v.kind == "inf":
            return NAN if self.finite_only else v
        if v.value == 0:
            return v
        r = self.round_magnitude(abs(v.value))
        if r > self.max:
            return NAN if self.finite_only else Real("inf", neg=v.neg)
        return Real.num(-r if v.neg else r, neg=v.neg)

    def representable(self, v):
        if v.kind == "inf" and self.finite_only:
            return False
        if v.kind != "num" or v.value == 0:
            return True
        a = abs(v.value)
        return a <= self.max and self.round_magnitude(a) == a

    def encode(self, v):
        sign = 1 << (self.nbits - 1) if v.neg else 0
        exp_all = 2**self.exp_bits - 1
        if v.kind == "nan":
            return 2 ** (self.nbits - 1) - 1 if self.finite_only else (
                exp_all << self.m | 1 << (self.m - 1))
        if v.kind == "inf":
            assert not self.finite_only
            return sign | exp_all << self.m
        a = abs(v.value)
        if a == 0:
            return sign
        assert self.representable(v), v.text()
        e = max(floor_log2(a), self.emin)
        n = a / pow2(e - self.m)
        assert n.denominator == 1
        n = n.numerator
        if n < 2**self.m:
            return sign | n
        return sign | (e + self.bias) << self.m | (n - 2**self.m)

    def decode(self, bits):
        neg = bool(bits >> (self.nbits - 1) & 1)
        field = bits >> self.m & (2**self.exp_bits - 1)
        mant = bits & (2**self.m - 1)
        if self.finite_only and field == 2**self.exp_bits - 1 and mant == 2**self.m - 1:
            return NAN
        if not self.finite_only and field == 2**self.exp_bits - 1:
            return NAN if mant else Real("inf", neg=neg)
        if field == 0:
            mag = mant * self.min_sub
        else:
            mag = (2**self.m + mant) * pow2(field - self.bias - self.m)
        return Real.num(-mag if neg else mag, neg=neg)


F16 = FloatFormat(5, 10)
BF16 = FloatFormat(8, 7)
F32 = FloatFormat(8, 23)
F64 = FloatFormat(11, 52)
E4M3FN = FloatFormat(4, 3, finite_only=True)
E5M2 = FloatFormat(5, 2)


class DT:
    def __init__(self, name, cxx, kind, np_dtype, bits=None, signed=None, fmt=None):
        self.name, self.cxx, self.kind, self.np = name, cxx, kind, np.dtype(np_dtype)
        self.bits, self.signed, self.fmt = bits, signed, fmt

    def int_range(self):
        return (-(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1) if self.signed else (
            0, 2**self.bits - 1)


DTYPES = [
    DT("bool", "Bool", "bool", np.bool_),
    DT("int8", "Int8", "int", np.int8, 8, True),
    DT("int16", "Int16", "int", np.int16, 16, True),
    DT("int32", "Int32", "int", np.int32, 32, True),
    DT("int64", "Int64", "int", np.int64, 64, True),
    DT("uint8", "UInt8", "int", np.uint8, 8, False),
    DT("uint16", "UInt16", "int", np.uint16, 16, False),
    DT("uint32", "UInt32", "int", np.uint32, 32, False),
    DT("uint64", "UInt64", "int", np.uint64, 64, False),
    DT("bfloat16", "BFloat16", "float", ml_dtypes.bfloat16, fmt=BF16),
    DT("float16", "Float16", "float", np.float16, fmt=F16),
    DT("float32", "Float32", "float", np.float32, fmt=F32),
    DT("float64", "Float64", "float", np.float64, fmt=F64),
    DT("complex64", "Complex64", "complex", np.complex64, fmt=F32),
    DT("complex128", "Complex128", "complex", np.complex128, fmt=F64),
    DT("float8_e4m3fn", "Float8E4M3FN", "float", ml_dtypes.float8_e4m3fn, fmt=E4M3FN),
    DT("float8_e5m2", "Float8E5M2", "float", ml_dtypes.float8_e5m2, fmt=E5M2),
]

# Integers around every range edge and every float rounding edge; 64-bit ones that a conversion
# through double would round twice.
INTEGERS = sorted({
    0, 1, 2, 3, 7, 100, 127, 128, 129, 200, 255, 256, 257, 258, 259, 300, 448, 464, 465, 480,
    1000, 2047, 2048, 2049, 2050, 2051, 4097, 32767, 32768, 32769, 57344, 61439, 61440, 65504,
    65519, 65520, 65535, 65536, 65537, 100000, 2**24 + 1, 2**24 + 3, 2**31 - 1, 2**31, 2**31 + 1,
    2**32 - 1, 2**32, 2**32 + 1, 2**53, 2**53 + 1, 2**53 + 3, 2**60 + 2**52, 2**60 + 2**52 + 1, 2**62 + 2**38, 2**62 + 2**38 + 1, 2**62 + 2**39,
    2**63 - 2**10, 2**63 - 1, 2**63, 2**63 + 2**39 + 1, 2**64 - 2**11, 2**64 - 1,
})
NEGATED = {
    1, 2, 3, 127, 128, 129, 255, 256, 464, 465, 2049, 32767, 32768, 32769, 61440, 65519, 65520,
    2**24 + 1, 2**31 - 1, 2**31, 2**31 + 1, 2**53 + 1, 2**60 + 2**52 + 1, 2**62 + 2**38 + 1,
    2**63 - 2**10, 2**63 - 1, 2**63,
}
INTEGERS = sorted(set(INTEGERS) | {-v for v in NEGATED})


def format_edges(f):
    """Values at and around the rounding and overflow edges of format f, and their negatives."""
    u = pow2(-f.m)
    ulp_max = pow2(f.emax - f.m)
    s = f.min_sub
    edges = [
        f.max, f.max + ulp_max / 2, f.max + ulp_max / 2 + ulp_max * pow2(-20),
        s, s / 2, 3 * s / 2, 1 + u / 2, 1 + u / 2 + u * pow2(-40), 1 + 3 * u / 2,
    ]
    positive_only = [
        f.max + ulp_max / 2 - ulp_max * pow2(-20), f.max + ulp_max, s / 2 + s * pow2(-20),
        s / 2 - s * pow2(-20), 5 * s / 2, f.min_normal - s, f.min_normal - s / 2, f.min_normal,
        1 + u / 2 + u * pow2(-20), 1 + u / 2 - u * pow2(-20), 1 + u, 1 - u / 4,
        1 - u / 4 + u * pow2(-30),
    ]
    return [Real.num(v) for v in edges + positive_only] + [Real.num(-v) for v in edges]


FLOATS = [NAN, INF, -INF, ZERO, NEG_ZERO]
FLOATS += [Real.num(v) for v in INTEGERS]
_fractions = [
    Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), Fraction(3, 2), Fraction(5, 2),
    Fraction(7, 2), Fraction(255, 2), Fraction(511, 4), Fraction(257, 2), Fraction(511, 2),
    Fraction(1023, 4), Fraction(255.9), Fraction(float(np.float32(255.9))), Fraction(513, 2),
    Fraction(65535, 2), Fraction(65537, 2), Fraction(131071, 2), Fraction(65535.9),
    2**31 - Fraction(1, 2), 2**31 + Fraction(1, 2), 2**32 - Fraction(1, 2), 2**32 + Fraction(1, 2),
    pow2(63) - pow2(39), pow2(64) - pow2(40), pow2(65), Fraction(1e30), Fraction(1e300),
    Fraction(0.1), Fraction(float(np.float32(0.1))), Fraction(5e-324), Fraction(1e-310),
]
FLOATS += [Real.num(v) for v in _fractions] + [Real.num(-v) for v in _fractions]
for _f in (F16, BF16, F32, F64, E4M3FN, E5M2):
    FLOATS += format_edges(_f)

# Imaginary parts that complex inputs cycle through.
IMAGS = [ZERO, Real.num(1), NEG_ZERO, NAN, Real.num(-2.5), INF, -INF, Real.num(F32.min_sub),
         Real.num(1 + pow2(-24) + pow2(-40)), Real.num(F32.max), Real.num(Fraction(1e300)),
         Real.num(-65520), Real.num(1 + pow2(-24)), Real.num(-F64.min_sub)]


def unique(values):
    seen, out = set(), []
    for v in values:
        if v.key() not in seen:
            seen.add(v.key())
            out.append(v)
    return out


def inputs_for(dt):
    """List of (re, im) source values; im is None for real dtypes."""
    if dt.kind == "bool":
        return [(Real.num(0), None), (Real.num(1), None)]
    if dt.kind == "int":
        lo, hi = dt.int_range()
        values = sorted({v for v in INTEGERS if lo <= v <= hi} | {lo, hi, lo + 1, hi - 1})
        return [(Real.num(v), None) for v in values]
    if dt.fmt.nbits == 8:
        return [(dt.fmt.decode(b), None) for b in range(256)]
    reals = unique([v for v in FLOATS if dt.fmt.representable(v)])
    if dt.kind == "float":
        return [(v, None) for v in reals]
    # Complex inputs take a third of the real values (the real part goes through the same
    # conversion as a real input does), every edge of the float32 format kept.
    keep = {v.key() for v in FLOATS[:5] + format_edges(F32)}
    reals = [v for i, v in enumerate(reals) if i % 3 == 0 or v.key() in keep]
    imags = [v for v in IMAGS if dt.fmt.representable(v)]
    out = [(v, imags[i % len(imags)]) for i, v in enumerate(reals)]
    out += [(ZERO, ZERO), (NEG_ZERO, NEG_ZERO), (ZERO, NEG_ZERO), (NEG_ZERO, ZERO),
            (ZERO, Real.num(1)), (ZERO, NAN), (ZERO, Real.num(dt.fmt.min_sub)), (ZERO, -INF),
            (NAN, NAN), (Real.num(1), ZERO)]
    return out


def real_words(dt, v):
    """Bit pattern of the real value v stored in dtype dt (v must be representable)."""
    if dt.kind == "bool":
        return int(v.nonzero())
    if dt.kind == "int":
        return int(v.value) % 2**dt.bits
    return dt.fmt.encode(v)


def element_words(dt, elem):
    re, im = elem
    if dt.kind == "complex":
        return [real_words(dt, re), real_words(dt, im)]
    return [real_words(dt, re)]


def convert(src, dst, elem):
    """The expected result of cast for one element, as a list of Real (two for complex)."""
    re, im = elem
    if dst.kind == "bool":
        return [Real.num(int(re.nonzero() or (im is not None and im.nonzero())))]
    if dst.kind == "int":
        lo, hi = dst.int_range()
        if src.kind in ("bool", "int"):
            v = int(re.value)
            return [Real.num((v - lo) % 2**dst.bits + lo)]
        if re.kind == "nan":
            return [Real.num(0)]
        if re.kind == "inf":
            return [Real.num(lo if re.neg else hi)]
        t = abs(re.value).numerator // abs(re.value).denominator
        t = -t if re.value < 0 else t
        return [Real.num(min(max(t, lo), hi))]
    if dst.kind == "float":
        return [dst.fmt.convert(re)]
    return [dst.fmt.convert(re), dst.fmt.convert(im if im is not None else ZERO)]


def numpy_array(dt, elems):
    """The inputs as a NumPy array built from their bit patterns."""
    if dt.kind == "bool":
        return np.array([int(e[0].nonzero()) for e in elems], dtype=np.uint8).view(np.bool_)
    if dt.kind == "int":
        return np.array([real_words(dt, e[0]) for e in elems], dtype=np.uint64).astype(
            f"u{dt.np.itemsize}").view(dt.np)
    part = dt.np.itemsize // (2 if dt.kind == "complex" else 1)
    words = [w for e in elems for w in element_words(dt, e)]
    return np.array(words, dtype=np.uint64).astype(f"u{part}").view(dt.np)


def numpy_words(dt, value):
    """Bit patterns of one NumPy scalar of dtype dt, as element_words gives them."""
    if dt.kind == "complex":
        part = np.dtype(f"u{dt.np.itemsize // 2}")
        w = np.array([value]).view(part)
        return [int(w[0]), int(w[1])]
    if dt.kind == "bool":
        return [int(bool(value))]
    return [int(np.array([value]).view(f"u{dt.np.itemsize}")[0])]


def is_nan_word(dt, word):
    return dt.kind in ("float", "complex") and dt.fmt.decode(word).kind == "nan"


def numpy_defines(src, dst, elem):
    """False where NumPy's result is undefined or not SEMANTICS' rule: out-of-range float->int."""
    if dst.kind != "int" or src.kind in ("bool", "int"):
        return True
    re = elem[0]
    if re.kind != "num":
        return False
    lo, hi = dst.int_range()
    return lo - 1 < re.value < hi + 1


def check_inputs(dt, elems):
    """The bit patterns written for float inputs are those NumPy gives for the same values."""
    if dt.kind not in ("float", "complex") or dt.fmt.nbits == 8:
        return
    target = np.dtype(f"f{dt.np.itemsize // 2}") if dt.kind == "complex" else dt.np
    for e in elems:
        for part, w in zip(e, element_words(dt, e)):
            if part.kind == "nan":
                continue
            if part.kind == "inf":
                value = -np.inf if part.neg else np.inf
            else:
                value = -0.0 if part.value == 0 and part.neg else float(part.value)
            got = int(np.array([value]).astype(target).view(f"u{target.itemsize}")[0])
            assert got == w, (dt.name, part.text(), hex(got), hex(w))


def element_text(elem):
    re, im = elem
    if im is None:
        return re.text()
    sign = "" if im.text().startswith("-") else "+"
    return f"{re.text()}{sign}{im.text()}j"


def expected_words(src, dst, elems):
    words = []
    for e in elems:
        for p in convert(src, dst, e):
            words.append(int(p.value) % 2**dst.bits if dst.kind == "int" else real_words(dst, p))
    return words


def library_disagreements(src, dst, elems, words):
    """Elements where NumPy / ml_dtypes define the result and give another one."""
    try:
        lib = numpy_array(src, elems).astype(dst.np)
    except (TypeError, ValueError):
        return []
    width = 2 if dst.kind == "complex" else 1
    out = []
    for i, e in enumerate(elems):
        if not numpy_defines(src, dst, e):
            continue
        got = numpy_words(dst, lib[i])
        want = words[i * width:(i + 1) * width]
        if not all(g == w or (is_nan_word(dst, g) and is_nan_word(dst, w))
                   for g, w in zip(got, want)):
            out.append(f"{src.name}->{dst.name} {element_text(e)}: library "
                       f"{[hex(g) for g in got]}, exact {[hex(w) for w in want]}")
    return out


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    out_path = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        Path(__file__).resolve().parents[1] / "cpp" / "cast_cases.inc")
    warnings.simplefilter("ignore")  # NumPy's ComplexWarning and overflow warnings
    lines = [
        "// Generated by tests/gen/gen_cast_cases.py (exact arithmetic); do not edit.",
        "// Inputs: {real bits, imaginary bits (0 for real dtypes), text}. Expected: one word per",
        "// element, two (real, imaginary) for complex targets; none for same-dtype pairs.",
        "// clang-format off",
        "",
    ]
    elems_of = {}
    for dt in DTYPES:
        elems = inputs_for(dt)
        check_inputs(dt, elems)
        elems_of[dt.name] = elems
        lines.append(f"constexpr CastInput kInput_{dt.name}[] = {{")
        for e in elems:
            w = element_words(dt, e) + [0]
            lines.append(f"    {{{w[0]:#x}, {w[1]:#x}, {c_string(element_text(e))}}},")
        lines.append("};")
    lines.append("")
    table, disagreements, n_cases = [], [], 0
    for src in DTYPES:
        elems = elems_of[src.name]
        for dst in DTYPES:
            n_cases += len(elems)
            if src is dst:
                table.append(f"    {{DType::{src.cxx}, DType::{dst.cxx}, kInput_{src.name}, {{}}}},")
                continue
            words = expected_words(src, dst, elems)
            disagreements += library_disagreements(src, dst, elems, words)
            name = f"kExpected_{src.name}_to_{dst.name}"
            table.append(f"    {{DType::{src.cxx}, DType::{dst.cxx}, kInput_{src.name}, {name}}},")
            lines.append(f"constexpr std::uint64_t {name}[] = {{")
            lines += textwrap.wrap(" ".join(f"{w:#x}," for w in words), 100,
                                   initial_indent="    ", subsequent_indent="    ")
            lines.append("};")
    lines += ["", "constexpr CastPair kCastPairs[] = {"] + table + ["};"]
    out_path.write_text("\n".join(lines) + "\n")
    print(f"{len(table)} pairs, {n_cases} element cases -> {out_path}", file=sys.stderr)
    for d in disagreements:
        print("library differs:", d, file=sys.stderr)


if __name__ == "__main__":
    main()
