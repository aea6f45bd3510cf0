"""The basic functions and the Tensor class against NumPy (values) and keras.ops on JAX (result
dtypes of 32-bit inputs). docs/semantics.md lists kcore's decisions these tests hold it to.
"""

import itertools
import operator
import re
from unittest import mock

import hypothesis.extra.numpy as hnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kcore
from kc_testing import (ALL_DTYPES, COMPLEX_DTYPES, FLOAT8_DTYPES, INT_DTYPES, KERAS32_DTYPES,
                        NUMERIC_DTYPES, REAL_DTYPES, assert_array, assert_tensor,
                        broadcastable_shapes, kcore_result_type, keras_dtype, kind, np_cast,
                        np_dtype, random_values, shapes)

seeds = st.integers(0, 2**32 - 1)


def _eps(dtype):
    return float(ml_dtypes.finfo(np_dtype(dtype)).eps)


def _tiny(dtype):
    """Two units in the last place at the bottom of the subnormal range of dtype (or of its real
    part): results there may differ from NumPy's by one subnormal step."""
    part = {"complex64": "float32", "complex128": "float64"}.get(dtype, dtype)
    return 2 * float(ml_dtypes.finfo(np_dtype(part)).smallest_subnormal)


def _tensor(a, layout="contiguous"):
    """A kcore tensor with a's values, laid out as asked: contiguous, or a strided, reversed or
    transposed view of a kcore tensor (so kernels see non-contiguous inputs)."""
    a = np.asarray(a)
    if a.ndim == 0 or layout == "contiguous":
        return kcore.convert_to_tensor(a)
    if layout == "strided":
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1] + 1,), a.dtype)
        wide[..., 1::2] = a
        t = kcore.convert_to_tensor(wide)[..., 1::2]
    elif layout == "reversed":
        t = kcore.convert_to_tensor(np.ascontiguousarray(a[::-1]))[::-1]
    else:
        t = kcore.transpose(kcore.convert_to_tensor(np.ascontiguousarray(a.T)))
    assert t.shape == a.shape
    return t


layouts = st.sampled_from(["contiguous", "strided", "reversed", "transposed"])


# ---------------------------------------------------------------------------------------------
# Binary elementwise functions

ARITH = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide}
COMPARE = {"equal": np.equal, "not_equal": np.not_equal, "less": np.less,
           "less_equal": np.less_equal, "greater": np.greater, "greater_equal": np.greater_equal}
LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or}
BINARY = {**ARITH, **COMPARE, **LOGICAL}


def _binary_expected(op, a, b):
    """(expected values, expected dtype, rtol) of kcore.<op>(a, b) for NumPy arrays a, b."""
    da, db = a.dtype.name, b.dtype.name
    if op in LOGICAL:
        return BINARY[op](a, b), "bool", 0.0
    rd = kcore_result_type(da, db, float) if op == "divide" else kcore_result_type(da, db)
    a2, b2 = np_cast(a, rd), np_cast(b, rd)
    out = BINARY[op](a2, b2)
    if op in COMPARE:
        return out, "bool", 0.0
    rtol = 0.0
    if kind(rd) == "c" and op in ("multiply", "divide"):
        rtol = 8 * _eps("float32" if rd == "complex64" else "float64")
    return out.astype(np_dtype(rd)), rd, rtol


def _binary_values(rng, shape, dtype, op):
    if kind(dtype) == "c" and op in ("multiply", "divide"):
        # Moderate complex values: the textbook formulas and NumPy's differ in how they
        # overflow, which SEMANTICS leaves open.
        return random_values(rng, shape, dtype, special=False, scale="small")
    return random_values(rng, shape, dtype)


def _assert_complex_muldiv(got, expected, rd, rtol, inputs, msg=""):
    """Complex products and quotients involving infinities or NaN have no single right answer
    (C99 Annex G gives 3/(inf+1j) = 0, NumPy NaN; SEMANTICS is silent), so those elements are
    not compared. From finite inputs, where NumPy overflows or divides by zero kcore's result
    must not be finite either; everywhere else they agree to a few ulps of the magnitude."""
    expected = np.asarray(expected)
    assert isinstance(got, kcore.Tensor), msg
    assert got.dtype == rd and got.shape == expected.shape, msg
    g = kcore.convert_to_numpy(got)
    inputs_finite = np.ones(expected.shape, bool)
    for x in inputs:
        inputs_finite = inputs_finite & np.isfinite(np.asarray(x))
    finite = np.isfinite(expected)
    overflow = ~finite & inputs_finite
    assert not np.isfinite(g[overflow]).any(), f"{msg}: {g[overflow]} vs {expected[overflow]}"
    part = "float32" if rd == "complex64" else "float64"
    scale = np.abs(expected[finite].astype(np.complex128))
    for comp in (np.real, np.imag):
        err = np.abs(comp(g[finite]).astype(np.float64) - comp(expected[finite]))
        bound = rtol * scale + float(ml_dtypes.finfo(part).smallest_subnormal) * 4
        bad = ~(err <= bound)
        assert not bad.any(), f"{msg}: {g[finite][bad]} vs {expected[finite][bad]}"


def _check_binary(op, a, b, layouts=("contiguous", "contiguous")):
    fn = getattr(kcore, op)

    def mk(x):  # a or b, each in its layout
        return _tensor(x, layouts[0] if x is a else layouts[1])

    if op == "subtract" and a.dtype == bool and b.dtype == bool:
        with pytest.raises(TypeError, match="^subtract"):
            fn(mk(a), mk(b))
        return
    if op in ("less", "less_equal", "greater", "greater_equal") and (
            kind(a.dtype) == "c" or kind(b.dtype) == "c"):
        with pytest.raises(TypeError, match=f"^{op}"):
            fn(mk(a), mk(b))
        return
    expected, rd, rtol = _binary_expected(op, a, b)
    got = fn(mk(a), mk(b))
    msg = f"{op}({a.dtype}{a.shape}, {b.dtype}{b.shape})"
    if kind(rd) == "c" and op in ("multiply", "divide"):
        _assert_complex_muldiv(got, expected, rd, rtol, (a, b), msg)
        return
    assert_tensor(got, expected, rd, rtol=rtol, msg=msg)


@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
@given(shapes=broadcastable_shapes(), seed=seeds, layout1=layouts, layout2=layouts)
def test_binary_same_dtype_vs_numpy(op, dtype, shapes, seed, layout1, layout2):
    rng = np.random.default_rng(seed)
    s1, s2 = shapes.input_shapes
    a = _binary_values(rng, s1, dtype, op)
    b = _binary_values(rng, s2, dtype, op)
    _check_binary(op, a, b, (layout1, layout2))


@pytest.mark.parametrize("da,db", list(itertools.product(NUMERIC_DTYPES, NUMERIC_DTYPES)))
def test_binary_mixed_dtypes_vs_numpy(da, db, rng):
    for op in ("add", "multiply", "divide", "less", "equal", "subtract"):
        a = _binary_values(rng, (3, 4), da, op)
        b = _binary_values(rng, (4,), db, op)
        _check_binary(op, a, b)
        _check_binary(op, b, a)


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
@pytest.mark.parametrize("scalar", [True, False, 0, 3, -7, 2.5, -0.0, float("inf"),
                                    float("nan")], ids=repr)
def test_binary_with_python_scalars(dtype, scalar, rng):
    a = random_values(rng, (2, 3), dtype, scale="small")
    t = _tensor(a)
    if kind(dtype) == "u" and isinstance(scalar, int) and scalar < 0:
        return  # a negative weak int with an unsigned tensor: JAX raises; SEMANTICS is silent
    rd = kcore_result_type(dtype, type(scalar))
    s = np_cast(np.array(scalar), rd)  # the scalar is rounded once to the result dtype
    x = np_cast(a, rd)
    cases = [(operator.add, kcore.add), (operator.mul, kcore.multiply)]
    if not (dtype == "bool" and rd == "bool"):
        cases.append((operator.sub, kcore.subtract))
    for pyop, fn in cases:
        check = assert_tensor
        if kind(rd) == "c" and pyop is operator.mul:
            check = lambda g, e, d: _assert_complex_muldiv(g, e, d, 8 * _eps(  # noqa: E731
                "float64" if d == "complex128" else "float32"), (x, s))
        check(pyop(t, scalar), pyop(x, s), rd)
        check(pyop(scalar, t), pyop(s, x), rd)
        check(fn(t, scalar), pyop(x, s), rd)
        check(fn(scalar, t), pyop(s, x), rd)
    rdiv = kcore_result_type(dtype, type(scalar), float)
    xd, sd = np_cast(a, rdiv), np_cast(np.array(scalar), rdiv)
    if kind(rdiv) == "c":
        rtol = 8 * _eps("float64" if rdiv == "complex128" else "float32")
        _assert_complex_muldiv(t / scalar, xd / sd, rdiv, rtol, (xd, sd))
        _assert_complex_muldiv(scalar / t, sd / xd, rdiv, rtol, (xd, sd))
    else:
        assert_tensor(t / scalar, xd / sd, rdiv)
        assert_tensor(scalar / t, sd / xd, rdiv)
    if kind(dtype) != "c":
        for pyop in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq,
                     operator.ne):
            assert_tensor(pyop(t, scalar), pyop(x, s), "bool")
            assert_tensor(pyop(scalar, t), pyop(s, x), "bool")


def test_operators_with_numpy_arrays_return_tensors():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = _tensor(a)
    for r in (t + a, a + t, t * a, a - t, a / (t + 1), a == t, a < t):
        assert isinstance(r, kcore.Tensor)
    assert_tensor(a - t * 2, a - a * 2)
    assert_tensor(a < t + 1, np.ones((2, 3), bool))


def test_operators_and_functions_agree(rng):
    a = random_values(rng, (3, 4), "float32")
    b = random_values(rng, (4,), "float32")
    x, y = _tensor(a), _tensor(b)
    pairs = [(operator.add, kcore.add), (operator.sub, kcore.subtract),
             (operator.mul, kcore.multiply), (operator.truediv, kcore.divide),
             (operator.eq, kcore.equal), (operator.ne, kcore.not_equal), (operator.lt, kcore.less),
             (operator.le, kcore.less_equal), (operator.gt, kcore.greater),
             (operator.ge, kcore.greater_equal)]
    for pyop, fn in pairs:
        assert_array(np.asarray(pyop(x, y)), np.asarray(fn(x, y)), msg=str(pyop))
    p, q = _tensor(a > 0), _tensor(b < 1)
    assert_tensor(p & q, np.logical_and(a > 0, b < 1))
    assert_tensor(p | q, np.logical_or(a > 0, b < 1))
    assert_tensor(~p, ~(a > 0))
    assert_tensor(True & q, np.logical_and(True, b < 1))
    assert_tensor(-x, -a)
    assert_tensor(+x, a)
    assert_tensor(abs(x), np.abs(a))
    with pytest.raises(TypeError):
        ~x  # bitwise ops on numbers are not supported
    # & and | on numbers would be bitwise in NumPy and JAX; kcore refuses them rather than
    # silently computing the logical result.
    i, j = _tensor(np.array([6, 5], np.int32)), _tensor(np.array([3, 3], np.int32))
    for bad in (lambda: i & j, lambda: i | j, lambda: p & i, lambda: i | p, lambda: p & 1,
                lambda: 1 | p, lambda: x & p):
        with pytest.raises(TypeError):
            bad()
    assert_tensor(p & np.array(True), np.logical_and(a > 0, True))
    assert_tensor(False | q, np.logical_or(False, b < 1))


@pytest.mark.parametrize("op", ["add", "multiply", "less", "equal", "logical_and", "where"])
def test_incompatible_shapes_are_value_errors(op):
    x, y = kcore.ones((2, 3)), kcore.ones((4,))
    fn = getattr(kcore, op)
    with pytest.raises(ValueError, match=f"^{op}"):
        if op == "where":
            fn(kcore.ones((2, 1), "bool"), x, y)
        else:
            fn(x, y)
    with pytest.raises(ValueError):
        np.broadcast_shapes((2, 3), (4,))  # the oracle agrees


@pytest.mark.parametrize("op", ["less", "less_equal", "greater", "greater_equal", "max", "min"])
@pytest.mark.parametrize("dtype", COMPLEX_DTYPES)
def test_complex_ordering_is_type_error(op, dtype):
    x = kcore.ones((2,), dtype)
    with pytest.raises(TypeError, match=f"^{op}"):
        if op in ("max", "min"):
            getattr(kcore, op)(x)
        else:
            getattr(kcore, op)(x, x)
    # Equality of complex works.
    assert_tensor(kcore.equal(x, x), np.ones(2, bool))
    assert_tensor(kcore.not_equal(x, 1j), np.ones(2, bool))


# ---------------------------------------------------------------------------------------------
# Unary elementwise functions


def _unary_expected(op, a):
    d = a.dtype.name
    if op == "negative":
        return np.negative(a), d, 0.0
    if op in ("abs", "absolute"):
        out = np.abs(a)
        rtol = 2 * _eps(out.dtype.name) if kind(d) == "c" else 0.0
        return out, out.dtype.name, rtol
    if op == "logical_not":
        return np.logical_not(a), "bool", 0.0
    fn = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt}[op]
    if kind(d) in "biu":
        out_d = "float32"
    else:
        out_d = d
    compute = {"bfloat16": "float32", "float16": "float32"}.get(out_d, out_d)
    x = np_cast(a, compute) if kind(d) in "biu" else a.astype(np_dtype(compute))
    out = fn(x).astype(np_dtype(out_d))
    if op == "sqrt" and kind(d) != "c":
        rtol = _eps(out_d) / 2 if out_d in ("float16", "bfloat16") else 0.0
    else:
        # The library's exp/log may differ from NumPy's by an ulp (two for complex); the narrow
        # types are then rounded once more.
        part = {"complex64": "float32", "complex128": "float64"}.get(out_d, out_d)
        rtol = (4 if kind(d) == "c" else 2) * _eps(part)
    return out, out_d, rtol


UNARY = ["negative", "abs", "absolute", "exp", "log", "sqrt", "logical_not"]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
@given(shape=shapes, seed=seeds, layout=layouts)
def test_unary_vs_numpy(op, dtype, shape, seed, layout):
    rng = np.random.default_rng(seed)
    a = random_values(rng, shape, dtype, special=kind(dtype) != "c",
                      scale="small" if kind(dtype) == "c" else "mixed")
    fn = getattr(kcore, op)
    if op == "negative" and dtype == "bool":
        with pytest.raises(TypeError, match="^negative"):
            fn(_tensor(a))
        return
    expected, out_d, rtol = _unary_expected(op, a)
    assert_tensor(fn(_tensor(a, layout)), expected, out_d, rtol=rtol,
                  atol=_tiny(out_d) if rtol else 0.0, msg=f"{op}({dtype}, {layout})")


def test_integer_negative_and_abs_wrap():
    for d in INT_DTYPES:
        info = np.iinfo(d)
        a = np.array([info.min, info.max, 0, 1], dtype=d)
        assert_tensor(kcore.negative(_tensor(a)), np.negative(a))
        assert_tensor(kcore.abs(_tensor(a)), np.abs(a))


@pytest.mark.parametrize("dtype", KERAS32_DTYPES)
def test_unary_and_binary_result_dtypes_match_keras_on_jax(dtype, keras_ops):
    x = kcore.ones((2,), dtype)
    for op in UNARY:
        if op == "negative" and dtype == "bool":
            continue
        expected = keras_dtype(getattr(keras_ops, op), dtype)
        assert getattr(kcore, op)(x).dtype == expected, (op, dtype)
    expected = keras_dtype(lambda c, a, b: keras_ops.where(c, a, b), dtype, dtype, dtype)
    assert kcore.where(x, x, x).dtype == expected


# ---------------------------------------------------------------------------------------------
# where


@pytest.mark.parametrize("cond_dtype", ["bool", "int8", "float32", "complex64"])
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
@given(shapes=broadcastable_shapes(3), seed=seeds)
def test_where_vs_numpy(cond_dtype, dtype, shapes, seed):
    rng = np.random.default_rng(seed)
    sc, s1, s2 = shapes.input_shapes
    c = random_values(rng, sc, cond_dtype, scale="small")
    if kind(cond_dtype) != "b":
        c = np.where(rng.random(sc) < 0.5, np.zeros_like(c), c)
    a = random_values(rng, s1, dtype)
    other = "int16" if dtype != "int16" else "float32"
    b = random_values(rng, s2, other)
    rd = kcore_result_type(dtype, other)
    expected = np.where(c.astype(bool), np_cast(a, rd), np_cast(b, rd))
    assert_tensor(kcore.where(_tensor(c), _tensor(a), _tensor(b)), expected, rd)
    assert_tensor(kcore.where(_tensor(c), _tensor(a), 2), np.where(
        c.astype(bool), a, np_cast(np.array(2), kcore_result_type(dtype, int))),
        kcore_result_type(dtype, int))


def test_where_needs_both_branches():
    with pytest.raises(ValueError, match="^where"):
        kcore.where(kcore.ones((2,), "bool"))


# ---------------------------------------------------------------------------------------------
# Reductions


def _sum_dtype(d):
    return {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
            "uint16": "uint32"}.get(d, d)


def _reduction_expected(op, a, axis, keepdims):
    d = a.dtype.name
    if op == "sum":
        out_d = _sum_dtype(d)
        if kind(d) in "biu":
            wide = a.astype(np.uint64 if kind(d) == "u" else np.int64)
            return np.sum(wide, axis=axis, keepdims=keepdims).astype(np_dtype(out_d)), out_d, 0.0
        wide = a.astype(np.complex128 if kind(d) == "c" else np.float64)
        return np.sum(wide, axis=axis, keepdims=keepdims).astype(np_dtype(out_d)), out_d, None
    if op == "mean":
        out_d = "float32" if kind(d) in "biu" else d
        wide = a.astype(np.complex128 if kind(d) == "c" else np.float64)
        return np.mean(wide, axis=axis, keepdims=keepdims).astype(np_dtype(out_d)), out_d, None
    fn = np.max if op == "max" else np.min
    return fn(a, axis=axis, keepdims=keepdims), d, 0.0


@st.composite
def shape_and_axis(draw):
    shape = draw(shapes)
    nd = len(shape)
    choice = draw(st.sampled_from(["none", "int", "tuple"]) if nd else st.just("none"))
    if choice == "none":
        axis = None
    elif choice == "int":
        axis = draw(st.integers(-nd, nd - 1))
    else:
        axes = draw(st.lists(st.integers(0, nd - 1), unique=True, max_size=nd))
        axis = tuple(draw(st.sampled_from([a, a - nd])) for a in axes)
    return shape, axis, draw(st.booleans())


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
@given(case=shape_and_axis(), seed=seeds, layout=layouts)
def test_reductions_vs_numpy(op, dtype, case, seed, layout):
    shape, axis, keepdims = case
    rng = np.random.default_rng(seed)
    a = random_values(rng, shape, dtype)
    fn = getattr(kcore, op)
    t = _tensor(a, layout)
    if op in ("max", "min") and kind(dtype) == "c":
        with pytest.raises(TypeError, match=f"^{op}"):
            fn(t, axis=axis, keepdims=keepdims)
        return
    out_size = np.sum(np.zeros(shape), axis=axis, keepdims=keepdims).size
    if op in ("max", "min") and a.size == 0 and out_size == 0:
        # Empty output from an empty reduction: see test_max_of_empty_axis_with_empty_output.
        return
    try:
        expected, out_d, rtol = _reduction_expected(op, a, axis, keepdims)
    except ValueError:  # NumPy: a zero-size reduction without identity
        with pytest.raises(ValueError, match=f"^{op}"):
            fn(t, axis=axis, keepdims=keepdims)
        return
    got = fn(t, axis=axis, keepdims=keepdims)
    if op == "mean" and kind(dtype) == "c":
        # With an infinite component, NumPy's complex mean (a complex division by n) makes the
        # other component NaN; dividing each component by n keeps it. SEMANTICS is silent:
        # accept either where they differ, and compare the rest below.
        total = np.sum(a.astype(np.complex128), axis=axis, keepdims=keepdims)
        n = a.size // max(total.size, 1) if a.size else 0
        per_part = np.empty(total.shape, np.complex128)
        per_part.real, per_part.imag = total.real / n, total.imag / n
        g = kcore.convert_to_numpy(got).astype(np.complex128)
        differ = np.zeros(per_part.shape, bool)
        for comp in (np.real, np.imag):
            differ |= ~np.isclose(comp(per_part), comp(expected), equal_nan=True, rtol=0, atol=0)
        for comp in (np.real, np.imag):
            ok = np.isclose(comp(g), comp(expected), equal_nan=True, rtol=1e-5) | np.isclose(
                comp(g), comp(per_part), equal_nan=True, rtol=1e-5)
            assert ok[differ].all(), (g[differ], expected[differ], per_part[differ])
        expected = np.where(differ, g, expected).astype(expected.dtype)
    if rtol is None:
        # Float sums and means: the accumulation order may differ; allow a few ulps of the
        # result plus the rounding of partial sums (relative to the sum of magnitudes).
        wide = np.abs(a.astype(np.complex128 if kind(dtype) == "c" else np.float64))
        mag = (np.mean if op == "mean" else np.sum)(wide, axis=axis)
        mag = np.asarray(mag)[np.isfinite(mag)]
        part = {"complex64": "float32", "complex128": "float64"}.get(out_d, out_d)
        eps = _eps(part)
        atol = 4 * eps * float(mag.max(initial=0.0)) + 1e-300
        assert_tensor(got, expected, out_d, rtol=2 * eps, atol=atol,
                      msg=f"{op}({dtype}{shape}, axis={axis}, keepdims={keepdims})")
    else:
        assert_tensor(got, expected, out_d, msg=f"{op}({dtype}{shape}, axis={axis})",
                      check_zero_sign=op not in ("max", "min"))
    assert kcore.shape(got) == np.shape(expected)


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("dtype", KERAS32_DTYPES)
def test_reduction_dtypes_match_keras_on_jax(op, dtype, keras_ops):
    fn = getattr(keras_ops, op)
    expected = keras_dtype(lambda x: fn(x, axis=0), dtype)
    assert getattr(kcore, op)(kcore.ones((2, 3), dtype), axis=0).dtype == expected


def test_reduction_edge_cases():
    empty = kcore.zeros((0, 3))
    assert_tensor(kcore.sum(empty), np.array(0.0, np.float32))
    assert_tensor(kcore.sum(empty, axis=0), np.zeros(3, np.float32))
    assert_tensor(kcore.mean(empty), np.array(np.nan, np.float32))
    assert_tensor(kcore.max(empty, axis=1), np.zeros((0,), np.float32))
    with pytest.raises(ValueError, match="^max"):
        kcore.max(empty)
    with pytest.raises(ValueError, match="^min"):
        kcore.min(empty, axis=0)
    x = _tensor(np.array([[1.0, np.nan], [3.0, -np.inf]], np.float32))
    assert_tensor(kcore.max(x, axis=1), np.array([np.nan, 3.0], np.float32))
    assert_tensor(kcore.min(x, axis=0), np.array([1.0, np.nan], np.float32))
    # Integer sums wrap in the output dtype but accumulate in 64 bits.
    big = np.full((4,), 2**30, np.int32)
    assert_tensor(kcore.sum(_tensor(big)), np.array(2**32, np.int64).astype(np.int32))
    assert_tensor(kcore.mean(_tensor(big)), np.array(2**30, np.float32))
    assert_tensor(kcore.sum(_tensor(np.full((300,), 100, np.int8))), np.array(30000, np.int32))
    assert_tensor(kcore.sum(kcore.ones((3,), "bool")), np.array(3, np.int32))
    assert_tensor(kcore.max(_tensor(np.array([True, False]))), np.array(True))
    # axis=() reduces nothing
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    assert_tensor(kcore.sum(_tensor(a), axis=()), a)
    # float16 means do not overflow (summed in float32)
    h = np.full((8,), 60000.0, np.float16)
    assert_tensor(kcore.mean(_tensor(h)), np.array(60000.0, np.float16))


@pytest.mark.xfail(strict=True, reason="library: max/min over a zero-length axis return an "
                   "empty tensor when the output is empty (e.g. shape (0, 0), axis=0); NumPy and "
                   "JAX (Keras) raise ValueError for every reduction over zero elements without "
                   "an identity. docs/semantics.md says 'with a non-empty output ... as in "
                   "NumPy', which NumPy does not do")
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_of_empty_axis_with_empty_output(op):
    import jax.numpy as jnp

    for shape, axis in (((0, 0), 0), ((0, 0), None), ((2, 0, 0), (1, 2)), ((0, 3, 0), 2)):
        if axis is not None:
            with pytest.raises(ValueError):
                getattr(np, op)(np.zeros(shape), axis=axis)  # the oracles
            with pytest.raises(ValueError):
                getattr(jnp, op)(jnp.zeros(shape), axis=axis)
        with pytest.raises(ValueError, match=f"^{op}"):
            getattr(kcore, op)(kcore.zeros(shape), axis=axis)


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_reduction_argument_forms(op):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = _tensor(a)
    fn, ref = getattr(kcore, op), getattr(np, op)
    for axis in (np.int64(1), [0, 2], (np.int8(-1),), np.array([0, 1]), _tensor(np.int32(2)),
                 _tensor(np.array([2, 0], np.int64))):
        np_axis = tuple(np.atleast_1d(np.asarray(axis)).tolist())
        for keepdims in (True, False, np.True_, np.False_, 1, 0):
            expected = ref(a, axis=np_axis, keepdims=bool(keepdims)).astype(np.float32)
            assert_tensor(fn(t, axis=axis, keepdims=keepdims), expected,
                          msg=f"{op}(axis={axis!r}, keepdims={keepdims!r})")
    with pytest.raises(TypeError, match=f"^{op}"):
        fn(t, axis=np.array([0.0]))
    with pytest.raises(TypeError, match=f"^{op}"):
        fn(t, axis=_tensor(np.array([True])))


def test_shape_arguments_as_arrays():
    assert kcore.zeros(np.array([2, 3])).shape == (2, 3)
    assert kcore.ones(np.array([4], np.uint8), "int8").shape == (4,)
    assert kcore.full(np.array([2, 2]), 7, "int32").shape == (2, 2)
    assert kcore.reshape(kcore.ones((2, 3)), np.array([3, -1])).shape == (3, 2)
    assert kcore.broadcast_to(kcore.ones((3,)), np.array([2, 3])).shape == (2, 3)
    assert kcore.transpose(kcore.ones((2, 3, 4)), np.array([2, 0, 1])).shape == (4, 2, 3)
    with pytest.raises(TypeError, match="^zeros"):
        kcore.zeros(np.array([2.0, 3.0]))
    with pytest.raises(TypeError, match="^reshape"):
        kcore.reshape(kcore.ones((2, 3)), np.ones((2, 3), np.int32))


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_reduction_axis_errors(op):
    fn = getattr(kcore, op)
    x = kcore.ones((2, 3))
    for axis in (2, -3, (0, 2), (0, 0), (1, -1), 10):
        with pytest.raises(ValueError, match=f"^{op}"):
            fn(x, axis=axis)
    with pytest.raises(TypeError):
        fn(x, axis=1.5)
    with pytest.raises(ValueError):
        fn(kcore.ones(()), axis=0)


# ---------------------------------------------------------------------------------------------
# Large tensors: vectorised loops, their tails, and the split across threads


@pytest.fixture
def two_threads():
    before = kcore.num_threads()
    kcore.set_num_threads(2)
    yield
    kcore.set_num_threads(before)


LARGE_SHAPES = [((100_003,), (100_003,)), ((517, 301), (301,)), ((517, 1), (1, 301)),
                ((3, 1, 40_000), (5, 1))]


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_large_binary_and_unary_vs_numpy(dtype, rng, two_threads):
    for s1, s2 in LARGE_SHAPES:
        for op in ("add", "multiply", "less", "equal", "divide", "logical_or"):
            a = _binary_values(rng, s1, dtype, op)
            b = _binary_values(rng, s2, dtype, op)
            _check_binary(op, a, b)
            _check_binary(op, a[..., ::-1], b, ("strided", "reversed"))
        a = random_values(rng, s1, dtype, special=kind(dtype) != "c", scale="small")
        for op in ("negative", "abs", "sqrt", "exp"):
            if op == "negative" and dtype == "bool":
                continue
            expected, out_d, rtol = _unary_expected(op, a)
            assert_tensor(getattr(kcore, op)(_tensor(a, "transposed")), expected, out_d,
                          rtol=rtol, atol=_tiny(out_d) if rtol else 0.0, msg=f"{op}({dtype}{s1})")


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_large_reductions_and_casts_vs_numpy(dtype, rng, two_threads):
    a = random_values(rng, (1031, 257), dtype, special=False,
                      scale="small" if kind(dtype) in "fc" else "mixed")
    for layout in ("contiguous", "transposed"):
        t = _tensor(a, layout)
        for op in ("sum", "mean", "max", "min"):
            if op in ("max", "min") and kind(dtype) == "c":
                continue
            for axis in (None, 0, 1, -1):
                expected, out_d, rtol = _reduction_expected(op, a, axis, False)
                got = getattr(kcore, op)(t, axis=axis)
                if rtol is None:
                    part = {"complex64": "float32", "complex128": "float64"}.get(out_d, out_d)
                    mag = (np.mean if op == "mean" else np.sum)(
                        np.abs(a.astype(np.complex128)), axis=axis)
                    atol = 4 * _eps(part) * float(np.max(mag)) + 1e-300
                    assert_tensor(got, expected, out_d, rtol=2 * _eps(part), atol=atol,
                                  msg=f"{op}({dtype}, axis={axis}, {layout})")
                else:
                    assert_tensor(got, expected, out_d, msg=f"{op}({dtype}, axis={axis})",
                                  check_zero_sign=False)
        for dst in ALL_DTYPES:
            assert_tensor(kcore.cast(t, dst), np_cast(a, dst), dst, msg=f"cast {dtype} -> {dst}")


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64", "int32",
                                   "complex64"])
def test_results_do_not_depend_on_the_thread_count(dtype, rng):
    a = random_values(rng, (2003, 509), dtype, special=False, scale="small")
    b = random_values(rng, (509,), dtype, special=False, scale="small")
    before = kcore.num_threads()
    results = []
    try:
        for n in (1, 2, 3):
            kcore.set_num_threads(n)
            assert kcore.num_threads() == n
            x, y = _tensor(a), _tensor(b)
            outs = [kcore.sum(x), kcore.mean(x, axis=0), kcore.sum(x, axis=1), x * y + y,
                    kcore.exp(kcore.cast(x, "float32") / 100)]
            results.append([kcore.convert_to_numpy(o) for o in outs])
    finally:
        kcore.set_num_threads(before)
    for other in results[1:]:
        for r0, r in zip(results[0], other):
            assert r0.dtype == r.dtype and r0.tobytes() == r.tobytes()


def test_set_num_threads_validates():
    before = kcore.num_threads()
    for bad in (0, -1):
        with pytest.raises(ValueError, match="^set_num_threads"):
            kcore.set_num_threads(bad)
    assert kcore.num_threads() == before


# ---------------------------------------------------------------------------------------------
# Creation


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@given(shape=shapes)
def test_zeros_ones_full(dtype, shape):
    assert_tensor(kcore.zeros(shape, dtype), np.zeros(shape, np_dtype(dtype)))
    assert_tensor(kcore.ones(list(shape), dtype=dtype), np.ones(shape, np_dtype(dtype)))
    fill = {"b": True, "i": -3, "u": 7, "c": 1.5 - 2j}.get(kind(dtype), 2.5)
    if kind(dtype) == "c":
        assert_tensor(kcore.full(shape, fill, dtype), np.full(shape, fill, np_dtype(dtype)))
    else:
        assert_tensor(kcore.full(shape, fill, dtype), np_cast(np.full(shape, fill), dtype),
                      dtype)


def test_creation_defaults_match_keras_on_jax(keras_ops):
    for fn, args in [("zeros", ((2, 3),)), ("ones", ((2,),)), ("full", ((2,), 1)),
                     ("full", ((2,), 1.5)), ("full", ((2,), True)), ("arange", (4,)),
                     ("arange", (1.5,)), ("arange", (0, 5, 2)), ("arange", (0, 1, 0.25)),
                     ("arange", (3, 0, -1)), ("array", ([1, 2],)), ("array", ([1.5],)),
                     ("array", ([True],))]:
        expected = getattr(keras_ops, fn)(*args)
        got = getattr(kcore, fn)(*args)
        assert_tensor(got, np.asarray(expected), str(expected.dtype), msg=f"{fn}{args}")


def test_full_with_tensor_fill_broadcasts():
    assert_tensor(kcore.full((2, 3), [1, 2, 3], dtype="int8"),
                  np.full((2, 3), [1, 2, 3], np.int8))
    assert_tensor(kcore.full((2, 3), _tensor(np.array([1.5, 2.5, 3.5]))),
                  np.full((2, 3), [1.5, 2.5, 3.5], np.float32))
    with pytest.raises(ValueError, match="^full"):
        kcore.full((2, 3), [1, 2])


@pytest.mark.parametrize("fn", ["zeros", "ones"])
def test_creation_shape_forms_and_errors(fn):
    f = getattr(kcore, fn)
    assert f(3).shape == (3,)
    assert f(()).shape == ()
    assert f([2, 0]).shape == (2, 0)
    assert f((np.int64(2), np.int8(3))).shape == (2, 3)
    assert f(_tensor(np.array([2, 1]))).shape == (2, 1)
    with pytest.raises(ValueError, match=f"^{fn}"):
        f((2, -1))
    with pytest.raises(TypeError, match=f"^{fn}"):
        f((2.0, 3))


@st.composite
def arange_args(draw):
    if draw(st.booleans()):
        start = draw(st.integers(-50, 50))
        stop = draw(st.integers(-50, 50))
        step = draw(st.integers(-7, 7).filter(lambda s: s != 0))
    else:
        start = draw(st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 2)))
        stop = draw(st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 2)))
        step = draw(st.sampled_from([0.25, 0.5, 1.0, -0.5, 3.0, -1.25, 0.1]))
    return start, stop, step


@given(args=arange_args(), dtype=st.sampled_from([None, "int32", "float32", "float64", "int64",
                                                   "int16", "float16", "bfloat16"]))
def test_arange_vs_numpy(args, dtype):
    start, stop, step = args
    got = kcore.arange(start, stop, step, dtype=dtype)
    n = len(np.arange(start, stop, step))
    assert got.shape == (n,)
    if dtype is None:
        dtype = "int32" if all(isinstance(v, int) for v in args) else "float32"
    assert got.dtype == dtype
    exact = np.array([start + i * step for i in range(n)], dtype=np.float64)
    if kind(dtype) in "iu":
        if all(isinstance(v, int) for v in args):
            assert_tensor(got, exact.astype(np_dtype(dtype)))
        return
    assert_tensor(got, exact.astype(np_dtype(dtype)), dtype, rtol=2 * _eps(dtype),
                  atol=2 * _eps(dtype) * (abs(start) + abs(stop)))


def test_arange_forms():
    assert_tensor(kcore.arange(5), np.arange(5, dtype=np.int32))
    assert_tensor(kcore.arange(2, 5), np.arange(2, 5, dtype=np.int32))
    assert_tensor(kcore.arange(5, 2), np.zeros((0,), np.int32))
    assert_tensor(kcore.arange(0, 10, 3), np.arange(0, 10, 3, dtype=np.int32))
    assert_tensor(kcore.arange(10, 0, -3), np.arange(10, 0, -3, dtype=np.int32))
    assert_tensor(kcore.arange(4, dtype="float32"), np.arange(4, dtype=np.float32))
    assert_tensor(kcore.arange(np.int8(4)), np.arange(4, dtype=np.int8))
    with pytest.raises(ValueError, match="^arange"):
        kcore.arange(0, 10, 0)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_array(dtype, rng):
    a = random_values(rng, (3, 2), dtype)
    assert_tensor(kcore.array(a), a)
    assert_tensor(kcore.array(a.tolist() if kind(dtype) in "biu" else a, dtype=dtype), a)
    t = _tensor(a)
    assert_tensor(kcore.array(t), a)
    assert_tensor(kcore.array(t, dtype="float32"), np_cast(a, "float32"))


def test_integer_arguments_beyond_64_bits_are_value_errors():
    x = kcore.ones((2, 3))
    for call in (lambda: kcore.zeros((2**70,)), lambda: kcore.ones((1, -2**70)),
                 lambda: kcore.sum(x, axis=2**70), lambda: kcore.reshape(x, (2**64, -1)),
                 lambda: kcore.expand_dims(x, -2**65), lambda: kcore.transpose(x, (2**64, 0))):
        with pytest.raises(ValueError):
            call()


@pytest.mark.parametrize("shape", [(2**62, 2**62), (2**32, 2**32), (2**21, 2**21, 2**21, 2**2)])
def test_shapes_whose_size_overflows_are_value_errors(shape):
    with pytest.raises(ValueError, match="^zeros"):
        kcore.zeros(shape)
    with pytest.raises(ValueError, match="^full"):
        kcore.full(shape, 1.0)
    with pytest.raises(ValueError):
        np.empty(shape)  # the oracle


def test_broadcast_to_a_size_that_overflows_is_value_error():
    with pytest.raises(ValueError):
        np.broadcast_to(np.ones((1, 1)), (2**62, 2**62))  # the oracle
    with pytest.raises(ValueError, match="^broadcast_to"):
        kcore.broadcast_to(kcore.ones((1, 1)), (2**32, 2**32))


def _run_isolated(code):
    """Runs code in a fresh interpreter (a crash there must not take the test run down)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", "import kcore\n" + code], capture_output=True,
                          text=True, timeout=120)


def test_arange_of_an_impossible_length_fails_cleanly():
    with pytest.raises(ValueError):
        np.arange(0, 2**62)  # the oracle
    r = _run_isolated(
        "try:\n    kcore.arange(0, 2**62)\nexcept (ValueError, MemoryError) as e:\n"
        "    print('raised', type(e).__name__)\n")
    assert r.returncode == 0 and "raised" in r.stdout, (r.returncode, r.stdout, r.stderr[-2000:])


def test_arange_length_beyond_int64_is_value_error_naming_arange():
    with pytest.raises(ValueError):
        np.arange(0.0, 1e19, 1.0)  # the oracle
    for args in ((0.0, 1e19, 1.0), (0, 10, 1e-300)):
        with pytest.raises(ValueError, match="^arange"):
            kcore.arange(*args)


def test_huge_allocations_raise_memory_error():
    r = _run_isolated(
        "try:\n    kcore.ones((2**40,))\nexcept MemoryError:\n    print('raised')\n")
    assert r.returncode == 0 and "raised" in r.stdout, (r.returncode, r.stdout, r.stderr[-2000:])


# ---------------------------------------------------------------------------------------------
# Shape manipulation


@st.composite
def array_and_seed(draw, min_dims=0):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=5, min_side=0, max_side=4))
    return shape, draw(seeds), draw(st.sampled_from(NUMERIC_DTYPES + FLOAT8_DTYPES))


@given(case=array_and_seed(), data=st.data())
def test_reshape(case, data):
    shape, seed, dtype = case
    a = random_values(np.random.default_rng(seed), shape, dtype)
    size = a.size
    # A random factorisation of the size, possibly with one -1.
    dims = []
    rest = size
    for _ in range(data.draw(st.integers(0, 4))):
        divisors = [d for d in range(1, 7) if rest % d == 0] if rest else [0, 1, 3]
        d = data.draw(st.sampled_from(divisors))
        dims.append(d)
        rest = rest // d if d else 0
    if rest != 1 or not dims:
        dims.append(rest if size else 0)
    if int(np.prod(dims)) != size:
        return
    if size and data.draw(st.booleans()):
        dims[data.draw(st.integers(0, len(dims) - 1))] = -1
    assert_tensor(kcore.reshape(_tensor(a), tuple(dims)), a.reshape(dims))
    if a.ndim:  # a non-contiguous input
        assert_tensor(kcore.reshape(_tensor(a)[..., ::-1], tuple(dims)),
                      a[..., ::-1].reshape(dims))


def test_reshape_errors():
    x = kcore.ones((2, 3))
    for bad in [(4,), (-1, -1), (5, -1), (2, -2)]:
        with pytest.raises(ValueError, match="^reshape"):
            kcore.reshape(x, bad)


@given(case=array_and_seed(), data=st.data())
def test_transpose_and_moveaxis(case, data):
    shape, seed, dtype = case
    a = random_values(np.random.default_rng(seed), shape, dtype)
    nd = a.ndim
    t = _tensor(a)
    assert_tensor(kcore.transpose(t), a.T)
    perm = data.draw(st.permutations(range(nd)))
    perm = [p - nd if data.draw(st.booleans()) else p for p in perm]
    assert_tensor(kcore.transpose(t, perm), np.transpose(a, perm))
    assert_tensor(kcore.transpose(t, tuple(perm)), np.transpose(a, perm))
    if nd:
        k = data.draw(st.integers(1, nd))
        src = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=k, max_size=k,
                                 unique_by=lambda v: v % nd))
        dst = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=k, max_size=k,
                                 unique_by=lambda v: v % nd))
        assert_tensor(kcore.moveaxis(t, src, dst), np.moveaxis(a, src, dst))
        assert_tensor(kcore.moveaxis(t, src[0], dst[0]), np.moveaxis(a, src[0], dst[0]))


def test_transpose_and_moveaxis_errors():
    x = kcore.ones((2, 3, 4))
    for perm in [(0, 1), (0, 1, 1), (0, 1, 3), (0, 1, 2, 3)]:
        with pytest.raises(ValueError, match="^transpose"):
            kcore.transpose(x, perm)
    for src, dst in [((0, 1), (0,)), ((0, 0), (1, 2)), (3, 0), (0, -4)]:
        with pytest.raises(ValueError, match="^moveaxis"):
            kcore.moveaxis(x, src, dst)


@given(case=array_and_seed(), data=st.data())
def test_expand_dims_and_squeeze(case, data):
    shape, seed, dtype = case
    a = random_values(np.random.default_rng(seed), shape, dtype)
    t = _tensor(a)
    out_nd = a.ndim + 1
    ax = data.draw(st.integers(-out_nd, out_nd - 1))
    assert_tensor(kcore.expand_dims(t, ax), np.expand_dims(a, ax))
    k = data.draw(st.integers(1, 3))
    axes = data.draw(st.lists(st.integers(-(a.ndim + k), a.ndim + k - 1), min_size=k,
                              max_size=k, unique_by=lambda v: v % (a.ndim + k)))
    e = np.expand_dims(a, tuple(axes))
    assert_tensor(kcore.expand_dims(t, tuple(axes)), e)
    assert_tensor(kcore.squeeze(_tensor(e)), np.squeeze(e))
    ones = [i for i, d in enumerate(e.shape) if d == 1]
    sub = tuple(data.draw(st.lists(st.sampled_from(ones), unique=True)))
    assert_tensor(kcore.squeeze(_tensor(e), sub), np.squeeze(e, sub))
    if ones:
        assert_tensor(kcore.squeeze(_tensor(e), ones[0] - e.ndim), np.squeeze(e, ones[0]))


def test_expand_dims_and_squeeze_errors():
    x = kcore.ones((2, 1, 3))
    for axis in (4, -5, (0, 0), (0, -5), (1, 4, 6)):
        with pytest.raises(ValueError, match="^expand_dims"):
            kcore.expand_dims(x, axis)
    for axis in (0, 2, 3, -4, (1, 1, 0)):
        with pytest.raises(ValueError, match="^squeeze"):
            kcore.squeeze(x, axis)


@given(case=array_and_seed(), data=st.data())
def test_broadcast_to(case, data):
    shape, seed, dtype = case
    a = random_values(np.random.default_rng(seed), shape, dtype)
    target = list(shape)
    target = [d if d != 1 else data.draw(st.integers(0, 3)) for d in target]
    target = data.draw(st.lists(st.integers(0, 3), max_size=2)) + target
    assert_tensor(kcore.broadcast_to(_tensor(a), target), np.broadcast_to(a, target))


def test_broadcast_to_errors():
    x = kcore.ones((2, 3))
    for bad in [(3,), (2, 4), (3, 3), (4, 2, 1)]:
        with pytest.raises(ValueError, match="^broadcast_to"):
            kcore.broadcast_to(x, bad)


@given(case=array_and_seed(), data=st.data())
def test_stack_and_concatenate(case, data):
    shape, seed, dtype = case
    if dtype in FLOAT8_DTYPES:
        dtype = "float32"  # float8 joining: see test_dtypes.test_float8_concatenate_and_stack
    rng = np.random.default_rng(seed)
    n = data.draw(st.integers(1, 4))
    arrays = [random_values(rng, shape, dtype) for _ in range(n)]
    nd = len(shape)
    ax = data.draw(st.integers(-(nd + 1), nd))
    assert_tensor(kcore.stack([_tensor(a) for a in arrays], axis=ax), np.stack(arrays, axis=ax))
    if nd:
        ax = data.draw(st.integers(-nd, nd - 1))
        parts = []
        for a in arrays:
            s = list(shape)
            s[ax] = data.draw(st.integers(0, 3))
            parts.append(random_values(rng, s, dtype))
        assert_tensor(kcore.concatenate([_tensor(p) for p in parts], axis=ax),
                      np.concatenate(parts, axis=ax))
        # A tensor as the sequence (its first axis), tuples, NumPy arrays as elements.
        stacked = np.stack(arrays)
        assert_tensor(kcore.concatenate(_tensor(stacked), axis=0 if nd else 0),
                      np.concatenate(list(stacked), axis=0))
        assert_tensor(kcore.stack(tuple(arrays)), np.stack(arrays))


def test_stack_and_concatenate_promote_and_check():
    a = np.array([1, 2], np.int8)
    b = np.array([1.5, 2.5], np.float16)
    assert_tensor(kcore.stack([_tensor(a), _tensor(b)]), np.stack([a, b]).astype(np.float16))
    # A list element is converted on its own (int32), as keras.ops.concatenate on JAX does.
    assert_tensor(kcore.concatenate([_tensor(a), [3, 4]]), np.array([1, 2, 3, 4], np.int32))
    assert_tensor(kcore.concatenate([_tensor(a), _tensor(a)]), np.array([1, 2, 1, 2], np.int8))
    with pytest.raises(ValueError, match="^stack"):
        kcore.stack([kcore.ones((2,)), kcore.ones((3,))])
    with pytest.raises(ValueError, match="^stack"):
        kcore.stack([])
    with pytest.raises(ValueError, match="^concatenate"):
        kcore.concatenate([kcore.ones((2, 3)), kcore.ones((2, 4))], axis=0)
    with pytest.raises(ValueError, match="^concatenate"):
        kcore.concatenate([kcore.ones((2, 3)), kcore.ones((2,))])
    with pytest.raises(ValueError, match="^concatenate"):
        kcore.concatenate([kcore.ones((2, 3))], axis=2)
    with pytest.raises(ValueError, match="^stack"):
        kcore.stack([kcore.ones((2, 3))], axis=3)
    with pytest.raises(ValueError, match="^concatenate"):
        kcore.concatenate([kcore.ones(())])


# ---------------------------------------------------------------------------------------------
# Tensor dunders


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_len_and_iter(dtype, rng):
    a = random_values(rng, (4, 3), dtype)
    t = _tensor(a)
    assert len(t) == 4
    rows = list(t)
    assert len(rows) == 4
    for r, e in zip(rows, a):
        assert_tensor(r, e)
    assert list(kcore.zeros((0, 2))) == []
    assert len(kcore.zeros((0, 2))) == 0
    with pytest.raises(TypeError):
        len(kcore.ones((), dtype))
    with pytest.raises(TypeError):
        iter(kcore.ones((), dtype))


@given(data=st.data(), shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6),
       dtype=st.sampled_from(ALL_DTYPES))
def test_getitem_vs_numpy(data, shape, dtype):
    a = random_values(np.random.default_rng(sum(shape) + len(shape)), shape, dtype)
    t = _tensor(a)
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    assert_tensor(t[index], a[index], msg=f"index {index!r}")
    # Indexing a view of a view.
    if a.ndim:
        assert_tensor(t[::-1][index], a[::-1][index], msg=f"index {index!r} of a reversed view")


def test_getitem_index_forms():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = _tensor(a)
    assert_tensor(t[np.int64(1)], a[1])
    assert_tensor(t[_tensor(np.int32(1))], a[1])
    assert_tensor(t[:, _tensor(np.int8(-1))], a[:, -1])
    assert_tensor(t[np.int16(0):_tensor(2), ::np.int8(2)], a[0:2, ::2])
    assert_tensor(t[-1, -3:, ::-3], a[-1, -3:, ::-3])
    assert_tensor(t[..., None], a[..., None])
    assert_tensor(t[None, ..., 0, None], a[None, ..., 0, None])
    assert_tensor(t[10:], a[10:])
    assert_tensor(t[:, -100:100:2], a[:, -100:100:2])
    assert_tensor(t[()], a[()])


def test_getitem_with_python_ints_beyond_64_bits():
    a = np.arange(5, dtype=np.int32)
    t = _tensor(a)
    for key in (slice(2**70, None), slice(None, -2**70, -1), slice(-2**70, None),
                slice(None, None, 2**70), slice(None, None, -2**70), slice(1, 2**64),
                (slice(-2**64, 2**64, 2),)):
        assert_tensor(t[key], a[key], msg=repr(key))
    with pytest.raises(IndexError, match="^getitem"):
        t[2**70]
    with pytest.raises(IndexError, match="^getitem"):
        t[-2**64]


def test_getitem_errors():
    t = kcore.ones((2, 3))
    for bad in [2, -3, (0, 3), (0, -4)]:
        with pytest.raises(IndexError, match="^getitem"):
            t[bad]
    with pytest.raises(IndexError):
        t[0, 0, 0]
    with pytest.raises(IndexError):
        t[..., ...]
    with pytest.raises(IndexError):
        t[1.5]
    with pytest.raises(IndexError):
        t[[0, 1]]
    with pytest.raises(IndexError):
        t[kcore.ones((2,), "int32")]
    with pytest.raises((IndexError, ValueError)):
        t[::0]
    with pytest.raises(IndexError):
        kcore.ones(())[0]


@pytest.mark.parametrize("dtype", [d for d in ALL_DTYPES if kind(d) != "c"])
def test_scalar_conversions(dtype, rng):
    for v in random_values(rng, (20,), dtype).tolist() if kind(dtype) != "f8" else \
            random_values(rng, (20,), dtype).astype(np.float64).tolist():
        a = np.array(v).astype(np_dtype(dtype)) if kind(dtype) in "ff8" else \
            np.array(v, dtype=np_dtype(dtype))
        for t in (_tensor(a), _tensor(a.reshape(1, 1))):
            assert bool(t) is bool(a.astype(np.float64) != 0 if kind(dtype) != "b" else a)
            assert float(t) == float(a.astype(np.float64)) or (np.isnan(float(t)) and
                                                              np.isnan(a.astype(np.float64)))
            if kind(dtype) in "biu":
                assert int(t) == int(a) and type(int(t)) is int
                assert operator.index(t) == int(a)
            else:
                x = float(a.astype(np.float64))
                if np.isfinite(x):
                    assert int(t) == int(x)
                else:
                    with pytest.raises((ValueError, OverflowError)):
                        int(t)
                with pytest.raises(TypeError):
                    operator.index(t)


def test_scalar_conversions_need_one_element():
    t = kcore.ones((2,))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    with pytest.raises((ValueError, TypeError)):
        float(t)
    with pytest.raises((ValueError, TypeError)):
        int(t)
    with pytest.raises((ValueError, TypeError)):
        operator.index(kcore.ones((2,), "int32"))
    with pytest.raises(ValueError):
        bool(kcore.zeros((0,)))
    assert bool(kcore.ones((1, 1, 1))) is True
    assert int(kcore.convert_to_tensor(2**64 - 1)) == 2**64 - 1
    assert int(kcore.convert_to_tensor(-2**63)) == -2**63
    assert float(kcore.convert_to_tensor(np.float64(0.1))) == 0.1


def test_tensor_properties(rng):
    a = random_values(rng, (2, 0, 3), "int16")
    t = _tensor(a)
    assert t.shape == (2, 0, 3) and t.ndim == 3 and t.size == 0 and t.dtype == "int16"
    assert type(t.shape) is tuple and type(t.size) is int and type(t.ndim) is int
    with pytest.raises(AttributeError):
        t.shape = (1,)
    with pytest.raises(TypeError):
        hash(t)
    with pytest.raises(TypeError):
        t[0] = 1  # immutable


def test_shape_tuple_is_kept_per_tensor_and_never_reused_stale(rng):
    # A tensor keeps its shape tuple once read; Python instances are pooled and reused, so each
    # new tensor must read its own shape, never a previous occupant's.
    for _ in range(200):
        shape = tuple(int(d) for d in rng.integers(0, 5, size=rng.integers(0, 5)))
        dtype = ALL_DTYPES[rng.integers(len(ALL_DTYPES))]
        t = kcore.zeros(shape, dtype)
        first = t.shape
        assert first == shape and t.shape is first
        assert t.dtype == dtype and t.ndim == len(shape)
        views = kcore.unstack(t) if shape and shape[0] else []
        assert all(v.shape == shape[1:] and v.dtype == dtype for v in views)
        del t, views
    big = kcore.zeros((2**31 + 1, 0), "int8")
    assert big.shape == (2**31 + 1, 0) and big.shape[0] is big.shape[0]


def test_tensors_cannot_be_made_empty():
    # An instance holding no tensor would be read as one: every way to make one is refused.
    import copy

    with pytest.raises(TypeError, match="convert_to_tensor"):
        kcore.Tensor()
    with pytest.raises(TypeError, match="convert_to_tensor"):
        kcore.Tensor.__new__(kcore.Tensor)
    with pytest.raises(TypeError):
        type("Sub", (kcore.Tensor,), {})()
    # Copies: a tensor is immutable, so (as for tuples) a copy is the tensor itself.
    t = kcore.ones((2, 3))
    assert copy.copy(t) is t and copy.deepcopy(t) is t
    assert copy.deepcopy({"a": [t]})["a"][0] is t


def test_dtype_is_the_same_string_object_each_time():
    t = kcore.ones((2,), "bfloat16")
    assert t.dtype == "bfloat16" and t.dtype is t.dtype and type(t.dtype) is str


def test_stubs_type_the_getset_attributes():
    import pathlib

    stub = (pathlib.Path(kcore.__file__).parent / "_kcore.pyi").read_text()
    assert "getset_descriptor" not in stub
    for line in ("def shape(self) -> tuple[int, ...]:", "def ndim(self) -> int:",
                 "def dtype(self) -> str:"):
        assert line in stub


# ---------------------------------------------------------------------------------------------
# repr


def _numpy_repr_with_dtype(a):
    """NumPy's repr, with the dtype always shown (kcore always prints it, docs/semantics.md)."""
    from numpy._core import arrayprint

    with mock.patch.object(arrayprint, "dtype_is_implied", lambda dtype: False):
        return np.array_repr(a)


def _repr_case(a, xfail=None):
    return pytest.param(a, id=f"{a.dtype}{a.shape}" + (f"-{a.flat[0]}" if a.size else ""),
                        marks=[pytest.mark.xfail(strict=True, reason=xfail)] if xfail else [])


_EMPTY_1D = ("library (src/core/format.cpp): a 1-D empty tensor prints "
             "'array([], shape=(0,), dtype=int32)'; NumPy omits the shape of a 1-D empty array "
             "('array([], dtype=int32)') and shows it only from two dimensions up")
REPR_CASES = [
    # integers and bools
    _repr_case(np.arange(4, dtype=np.int32)), _repr_case(np.array([[1, 2], [3, 4]], np.int32)),
    _repr_case(np.array([-5, 100, 7], np.int8)), _repr_case(np.array(7, np.int64)),
    _repr_case(np.array(2**64 - 1, np.uint64)),
    _repr_case(np.array([[True, False], [False, True]])), _repr_case(np.array(True)),
    _repr_case(np.arange(24, dtype=np.int16).reshape(2, 3, 4)),
    _repr_case(np.array([[-1, 20], [300, -4000]], np.int64)),
    # layout: empty tensors, line wrapping at 75 characters, summaries over 1000 elements
    _repr_case(np.zeros((0,), np.int32), xfail=_EMPTY_1D), _repr_case(np.zeros((0, 3), np.int32)),
    _repr_case(np.zeros((2, 0), bool)), _repr_case(np.zeros((3, 0, 2), np.int8)),
    _repr_case(np.arange(2000, dtype=np.int32)), _repr_case(np.arange(1001, dtype=np.uint8)),
    _repr_case(np.arange(3000, dtype=np.int64).reshape(30, 100)),
    _repr_case(np.full((3, 40), -123456, np.int32)),
    # floats and complex
    _repr_case(np.array([0.0, 1.0, 2.0, 3.0], np.float16)),
    _repr_case(np.array([1.5, np.nan, np.inf], np.float32)),
    _repr_case(np.array([1.0, 2.5, 1.0], np.float32)),
    _repr_case(np.array([[0.0, 1.1, 2.2], [3.3, 4.4, 5.5]])),
    _repr_case(np.array([1e-5, 1e10], np.float32)), _repr_case(np.array(3.25, np.float32)),
    _repr_case(np.array([0.1, 0.25, -3.0], np.float64)),
    _repr_case(np.array([1 + 2j, 3.5 - 1j], np.complex64)),
    _repr_case(np.array([-0.0, 0.0, -1.0])),
    _repr_case(np.array([1 / 3, 2 / 3], np.float32)),
    _repr_case(np.linspace(0, 1, 1500, dtype=np.float32)),
    _repr_case(np.array([123456.789, 0.001], np.float64)),
    _repr_case(np.array([[1e-9, -2.5e7], [np.nan, -np.inf]], np.float32)),
    _repr_case(np.linspace(-1, 1, 45, dtype=np.float64).reshape(5, 9)),
]


@pytest.mark.parametrize("a", REPR_CASES)
def test_repr_is_numpys(a):
    t = _tensor(a)
    assert repr(t) == _numpy_repr_with_dtype(a)
    assert str(t) == repr(t)


def test_repr_of_bfloat16_formats_like_float32():
    # NumPy has no float formatting for ml_dtypes' bfloat16 (it prints each element's str), so
    # the oracle is the float32 repr of the same (exactly representable) values, below 100
    # (where bfloat16's 2-digit precision switches kcore to scientific notation, as NumPy's
    # rule does with finfo precision).
    for v in ([1.5, -2.25], [[0.0, 1.0], [2.0, 3.0]], [12.0, -0.5, 3.75], [0.125], [np.nan]):
        a = np.array(v, ml_dtypes.bfloat16)
        expected = _numpy_repr_with_dtype(a.astype(np.float32)).replace("float32", "bfloat16")
        assert repr(_tensor(a)) == expected


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_repr_names_dtype_and_round_trips_values(dtype, rng):
    a = random_values(rng, (3, 4), dtype, special=False, scale="small")
    r = repr(_tensor(a))
    assert r.startswith("array(") and r.endswith(f"dtype={dtype})")
    assert repr(kcore.zeros((0, 2), dtype)) == f"array([], shape=(0, 2), dtype={dtype})"
    if kind(dtype) in "biu":
        # The printed numbers read back to the same values.
        body = re.sub(r",\s*dtype=\w+\)$", ")", r)
        values = eval(body, {"array": lambda x: np.array(x, dtype=object)})
        assert_array(values.astype(np_dtype(dtype)), a)


def test_sparse_tensor_repr():
    s = kcore.SparseTensor([[0, 1]], [2.0], (2, 3))
    r = repr(s)
    assert r.startswith("SparseTensor(") and "dense_shape=(2, 3)" in r
