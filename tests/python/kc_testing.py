"""Helpers shared by the kcore Python tests: dtype tables, random values, oracles, assertions.

Every expected value comes from NumPy, ml_dtypes or Keras (on JAX), never from kcore.
"""

import contextlib
from unittest import mock

import hypothesis.extra.numpy as hnp
import ml_dtypes
import numpy as np

import kcore

# ---------------------------------------------------------------------------------------------
# dtypes

ALL_DTYPES = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "bfloat16", "float16", "float32", "float64", "complex64", "complex128",
    "float8_e4m3fn", "float8_e5m2",
]
FLOAT8_DTYPES = ["float8_e4m3fn", "float8_e5m2"]
SIGNED_DTYPES = ["int8", "int16", "int32", "int64"]
UNSIGNED_DTYPES = ["uint8", "uint16", "uint32", "uint64"]
INT_DTYPES = SIGNED_DTYPES + UNSIGNED_DTYPES
FLOAT_DTYPES = ["bfloat16", "float16", "float32", "float64"]
COMPLEX_DTYPES = ["complex64", "complex128"]
# Every dtype arithmetic is defined on (float8 is storage only).
NUMERIC_DTYPES = [d for d in ALL_DTYPES if d not in FLOAT8_DTYPES]
REAL_DTYPES = [d for d in NUMERIC_DTYPES if d not in COMPLEX_DTYPES]
# Keras' dtype tests' "ALL_DTYPES": the dtypes Keras on JAX represents without narrowing.
KERAS32_DTYPES = ["float16", "float32", "uint8", "uint16", "uint32", "int8", "int16", "int32",
                  "bfloat16", "bool"]

_ML = {
    "bfloat16": ml_dtypes.bfloat16,
    "float8_e4m3fn": ml_dtypes.float8_e4m3fn,
    "float8_e5m2": ml_dtypes.float8_e5m2,
}


def np_dtype(name):
    """The NumPy dtype of a Keras dtype name (ml_dtypes for bfloat16 and float8)."""
    return np.dtype(_ML.get(name, name))


def np_type(name):
    """The NumPy / ml_dtypes scalar type of a Keras dtype name."""
    return np_dtype(name).type


def kind(name):
    name = np.dtype(name).name if not isinstance(name, str) else name
    if name == "bool":
        return "b"
    if name.startswith("uint"):
        return "u"
    if name.startswith("int"):
        return "i"
    if name.startswith("complex"):
        return "c"
    if name.startswith("float8"):
        return "f8"
    return "f"


def is_floating(name):
    return kind(name) in ("f", "f8")


def finfo(name):
    return ml_dtypes.finfo(np_dtype(name))


# ---------------------------------------------------------------------------------------------
# Promotion oracles (Keras' own lattice, keras/src/backend/common/dtypes.py)


def keras_result_type(*args):
    """keras.backend.result_type on the JAX backend (64-bit results narrowed to 32 bits)."""
    import keras

    return keras.backend.result_type(*args)


@contextlib.contextmanager
def _keep_64_bit():
    from keras.src.backend.common import dtypes

    with mock.patch.dict(dtypes.BIT64_TO_BIT32_DTYPE, clear=True):
        yield


def kcore_result_type(*args):
    """Keras' promotion lattice with 64-bit kept (SEMANTICS §1): the same least upper bound and
    weak-type rules as keras.backend.result_type, without its final 64->32 narrowing. This is
    the TensorFlow backend's table plus uint64 and complex128 kept."""
    with _keep_64_bit():
        return keras_result_type(*args)


NARROW_64 = {"int64": "int32", "uint64": "uint32", "float64": "float32",
             "complex128": "complex64"}


# ---------------------------------------------------------------------------------------------
# Random values


def random_values(rng, shape, dtype, special=True, scale="mixed"):
    """A NumPy array of `dtype` (Keras name) with random values.

    Integers cover the whole range of the dtype (scale="small": a few around 0); floats mix
    magnitudes from tiny to huge (beyond the dtype's range where that is possible) with signed
    zeros, infinities and NaN when `special`.
    """
    shape = tuple(shape)
    dt = np_dtype(dtype)
    k = kind(dtype)
    if k == "b":
        return rng.random(shape) < 0.5
    if k in "iu":
        info = np.iinfo(dt)
        if scale == "small":
            lo, hi = max(info.min, -20), min(info.max, 20)
        else:
            lo, hi = info.min, info.max
        return rng.integers(lo, hi, size=shape, dtype=dt, endpoint=True)
    if k == "c":
        part = "float32" if dtype == "complex64" else "float64"
        re = random_values(rng, shape, part, special, scale)
        im = random_values(rng, shape, part, special, scale)
        out = np.empty(shape, dt)  # not re + 1j * im: 1j * inf has a NaN real part
        out.real, out.imag = re, im
        return out
    # Floats: sign * 10**e with e spread over the dtype's range and a bit beyond.
    if scale == "small":
        e = rng.uniform(-3, 2, size=shape)
        x = np.where(rng.random(shape) < 0.3, np.round(rng.uniform(-40, 40, size=shape)) / 2,
                     np.sign(rng.uniform(-1, 1, size=shape)) * 10.0 ** e)
    else:
        top = float(np.log10(float(finfo(dtype).max))) + 2 if dtype != "float64" else 300
        bottom = float(np.log10(float(finfo(dtype).smallest_subnormal))) - 1
        e = rng.uniform(bottom, top, size=shape)
        mid = rng.uniform(-3, 6, size=shape)  # the interesting range for casts and arithmetic
        e = np.where(rng.random(shape) < 0.6, mid, e)
        x = np.sign(rng.uniform(-1, 1, size=shape)) * 10.0 ** e
        # Some exact integers and halves (ties when rounding to integers or narrow floats).
        x = np.where(rng.random(shape) < 0.15, np.round(rng.uniform(-300, 300, size=shape)) / 2, x)
    if special and x.size:
        r = rng.random(shape)
        x = np.where(r < 0.03, np.nan, x)
        x = np.where((r >= 0.03) & (r < 0.05), np.inf, x)
        x = np.where((r >= 0.05) & (r < 0.07), -np.inf, x)
        x = np.where((r >= 0.07) & (r < 0.09), -0.0, x)
        x = np.where((r >= 0.09) & (r < 0.11), 0.0, x)
    return np.asarray(x, dtype=np.float64).astype(dt)


# ---------------------------------------------------------------------------------------------
# Cast oracle


def round_to_odd_f32(x):
    """float64 -> float32 rounding to odd (toward zero, lowest bit set when inexact). Rounding the
    result once more to a format of at most 22 bits of precision (float16, bfloat16, float8) gives
    the correctly rounded value of x, which a plain float64 -> float32 -> narrow conversion does
    not (double rounding)."""
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    f = x.astype(np.float32)
    f64 = f.astype(np.float64)
    inexact = (f64 != x) & ~np.isnan(x)
    away = inexact & (np.abs(f64) > np.abs(x))
    f = np.where(away, np.nextafter(f, np.float32(0)), f).astype(np.float32)
    bits = f.view(np.uint32).copy()
    bits[inexact] |= np.uint32(1)
    return bits.view(np.float32)


def _saturate_to_int(x64, dt):
    info = np.iinfo(dt)
    t = np.trunc(x64)
    hi = t >= float(info.max) + 1.0  # info.max + 1 is a power of two: exact in float64
    lo = t < float(info.min)
    nan = np.isnan(x64)
    ok = ~(hi | lo | nan)
    out = np.zeros(x64.shape, dt)
    out[ok] = t[ok].astype(dt)
    out[hi] = info.max
    out[lo] = info.min
    return out


def np_cast(a, dtype):
    """The value of kcore.cast(a, dtype) per SEMANTICS §2, computed with NumPy / ml_dtypes:
    NumPy's conversion where it is defined; float -> int truncates and saturates with NaN -> 0;
    narrow floats are rounded once, to nearest even, from the exact value; complex -> real
    takes the real part."""
    a = np.asarray(a)
    src = kind(a.dtype)
    dt = np_dtype(dtype)
    tk = kind(dtype)
    shape = a.shape
    if tk == "b":
        wide = a.astype(np.complex128 if src == "c" else np.float64) if src in ("c", "f", "f8") \
            else a
        return (wide != 0).reshape(shape)
    if src == "c" and tk != "c":
        a = a.real
        src = "f"
    if tk in "iu":
        if src in ("f", "f8"):
            return _saturate_to_int(a.astype(np.float64), dt).reshape(shape)
        return a.astype(dt)
    if dtype in ("float16", "bfloat16") or tk == "f8":
        return round_to_odd_f32(a.astype(np.float64)).astype(dt).reshape(shape)
    return a.astype(dt)


# ---------------------------------------------------------------------------------------------
# Assertions


def dtype_name(dt):
    return np.dtype(dt).name


def to_numpy(t):
    """kcore tensor -> NumPy through convert_to_numpy, checking the basic contract."""
    assert isinstance(t, kcore.Tensor), f"expected a kcore.Tensor, got {type(t)}"
    out = kcore.convert_to_numpy(t)
    assert isinstance(out, np.ndarray)
    assert out.dtype == np_dtype(t.dtype), (out.dtype, t.dtype)
    assert out.shape == t.shape
    return out


def _compare(got, exp, rtol, atol, msg, check_zero_sign=True):
    k = kind(got.dtype)
    if k in "biu":
        exp = np.asarray(exp)
        assert np.array_equal(got, exp), f"{msg}\n got {got!r}\n expected {exp!r}"
        return
    if k == "c":
        _compare(np.real(got).astype(np.float64), np.real(np.asarray(exp)).astype(np.float64),
                 rtol, atol, msg + " (real part)", check_zero_sign)
        _compare(np.imag(got).astype(np.float64), np.imag(np.asarray(exp)).astype(np.float64),
                 rtol, atol, msg + " (imaginary part)", check_zero_sign)
        return
    g = got.astype(np.float64)
    e = np.asarray(exp).astype(np.float64)
    gn, en = np.isnan(g), np.isnan(e)
    assert np.array_equal(gn, en), f"{msg}: NaN positions differ\n got {g!r}\n expected {e!r}"
    g, e = g[~gn], e[~en]
    if rtol == 0 and atol == 0:
        same = g == e
        if check_zero_sign:
            same &= np.signbit(g) == np.signbit(e)
        assert same.all(), (f"{msg}\n got {g[~same]!r}\n expected {e[~same]!r}"
                            f"\n (at {np.flatnonzero(~same)[:10]})")
    else:
        inf = np.isinf(e)
        assert np.array_equal(g[inf], e[inf]), f"{msg}: infinities differ"
        np.testing.assert_allclose(g[~inf], e[~inf], rtol=rtol, atol=atol, err_msg=msg)


def assert_tensor(t, expected, dtype=None, rtol=0.0, atol=0.0, msg="", check_zero_sign=True):
    """t is a kcore.Tensor of `dtype` (default: expected's) whose values equal `expected`
    (bit-exact up to NaN payloads, signed zeros compared, unless a tolerance is given)."""
    exp = np.asarray(expected)
    if dtype is None:
        dtype = dtype_name(exp.dtype)
    assert isinstance(t, kcore.Tensor), f"{msg}: expected a kcore.Tensor, got {type(t)}"
    assert t.dtype == dtype, f"{msg}: dtype {t.dtype}, expected {dtype}"
    assert t.shape == exp.shape, f"{msg}: shape {t.shape}, expected {exp.shape}"
    got = to_numpy(t)
    _compare(got, exp, rtol, atol, msg, check_zero_sign)


def assert_array(got, expected, rtol=0.0, atol=0.0, msg=""):
    """Two NumPy arrays of one dtype and shape, equal as in assert_tensor."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype, f"{msg}: dtype {got.dtype}, expected {expected.dtype}"
    assert got.shape == expected.shape, f"{msg}: shape {got.shape}, expected {expected.shape}"
    _compare(got, expected, rtol, atol, msg)


# ---------------------------------------------------------------------------------------------
# Hypothesis strategies

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
nonempty_shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5)


def broadcastable_shapes(num_shapes=2):
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=0, max_dims=4,
                                             min_side=0, max_side=4)


def keras_dtype(fn, *args):
    """The dtype keras.ops gives on the JAX backend: `fn` is traced with jax.eval_shape (the same
    backend code as an eager call, without compiling). A dtype name in args stands for a (2,)
    array of that dtype; anything else (Python scalars) is passed as it is."""
    import jax

    specs = [(i, jax.ShapeDtypeStruct((2,), a)) for i, a in enumerate(args)
             if isinstance(a, str)]

    def call(*arrays):
        full = list(args)
        for (i, _), arr in zip(specs, arrays):
            full[i] = arr
        return fn(*full)

    out = jax.eval_shape(call, *[s for _, s in specs])
    return str(out.dtype)
