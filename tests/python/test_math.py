"""erf, erfinv, rsqrt and logsumexp against SciPy/NumPy (float64 references), mpmath (higher
precision for float64), exhaustive float16/bfloat16 correct rounding, keras.ops on JAX, and
jax.grad for the gradients (SEMANTICS §3)."""

import ml_dtypes
import mpmath
import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st

import kcore
from kc_testing import FLOAT_DTYPES, INT_DTYPES, np_dtype

mpmath.mp.dps = 40

UNARY = ["erf", "erfinv", "rsqrt"]
BOUND = {"erf": 1.0, "erfinv": 2.0, "rsqrt": 1.0}


def np_(t):
    return kcore.convert_to_numpy(t)


def scipy_ref(op, x64):
    """float64 references (SciPy), far more precise than float32."""
    if op == "erf":
        return sp.erf(x64)
    if op == "erfinv":
        return sp.erfinv(x64)
    with np.errstate(all="ignore"):
        return 1.0 / np.sqrt(x64)


def mp_ref(op, x):
    x = mpmath.mpf(float(x))
    if op == "erf":
        return mpmath.erf(x)
    if op == "rsqrt":
        return mpmath.inf if x == 0 else 1 / mpmath.sqrt(x)
    if abs(x) == 1:
        return mpmath.inf * mpmath.sign(x)
    # erfinv: Newton's method from the double estimate, through erfc near 1.
    y = mpmath.mpf(sp.erfinv(float(x)))
    a, sign = abs(x), mpmath.sign(x)
    y = abs(y)
    for _ in range(4):
        r = (mpmath.erfc(y) - (1 - a)) if a > 0.5 else (a - mpmath.erf(y))
        y += r * mpmath.sqrt(mpmath.pi) / 2 * mpmath.exp(y * y)
    return sign * y


def ulp_errors(got, ref, dtype):
    """|got - ref| in ulps of dtype at ref (ref in float64 or better)."""
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    fi = ml_dtypes.finfo(np_dtype(dtype))
    mag = np.maximum(np.abs(ref), float(fi.smallest_normal))
    ulp = 2.0 ** (np.floor(np.log2(mag)) - (fi.nmant))
    with np.errstate(all="ignore"):
        err = np.abs(got - ref) / ulp
    both_nan = np.isnan(got) & np.isnan(ref)
    same_inf = np.isinf(ref) & (got == ref)
    return np.where(both_nan | same_inf, 0.0, err)


def hard_values(op, n, rng, dtype):
    """Values biased toward the hard regions: tiny and subnormal, boundaries, near 1, tails."""
    fi = np.finfo(dtype)
    lo = np.log2(float(fi.smallest_subnormal))
    hi = 1.0 if op != "rsqrt" else np.log2(float(fi.max)) - 1
    parts = [
        2.0 ** rng.uniform(lo, hi, n // 4),
        rng.uniform(0, {"erf": 6.5, "erfinv": 1.0, "rsqrt": 8.0}[op], n // 4),
        (1 + 5 * rng.uniform(0, 1, n // 4)) if op == "erf"
        else 1 - 2.0 ** -rng.uniform(1, fi.nmant + 1, n // 4),
        np.repeat(np.arange(48) / 8, max(1, n // 4 // 48)),
    ]
    x = np.concatenate(parts).astype(dtype)
    if op == "erfinv":
        x = x[np.abs(x) <= 1]
    if op == "rsqrt":  # negative inputs: test_special_values
        return x
    sign = np.where(rng.uniform(size=x.shape) < 0.5, -1, 1).astype(dtype)
    return x * sign


# ---------------------------------------------------------------------------------------------
# Values and bounds


def test_seed_examples():
    x = np.array([-3.0, -2.0, -1.0, 0.0, 1.0])
    np.testing.assert_allclose(np_(kcore.erf(x)), [-0.99998, -0.99532, -0.842701, 0.0, 0.842701],
                               atol=1e-5)
    x = np.array([-0.5, -0.2, -0.1, 0.0, 0.3])
    np.testing.assert_allclose(np_(kcore.erfinv(x)), [-0.47694, -0.17914, -0.08886, 0.0, 0.27246],
                               atol=1e-5)
    r = kcore.rsqrt(kcore.convert_to_tensor([1.0, 10.0, 100.0]))
    assert r.dtype == "float32"
    np.testing.assert_array_equal(np_(r), np.array([1.0, 0.31622776, 0.1], np.float32))
    v = kcore.logsumexp(kcore.convert_to_tensor([1.0, 2.0, 3.0]))
    assert np_(v) == np.float32(sp.logsumexp([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("op", UNARY)
def test_float32_within_bound_vs_scipy(op, rng):
    x = np.concatenate([hard_values(op, 40_000, rng, np.float32),
                        rng.standard_normal(20_000).astype(np.float32)])
    if op == "erfinv":
        x = np.clip(x, -1, 1)
    got = np_(getattr(kcore, op)(x))
    assert got.dtype == np.float32
    err = ulp_errors(got, scipy_ref(op, x.astype(np.float64)), "float32")
    assert err.max() <= BOUND[op], (op, x[np.argmax(err)], err.max())


@pytest.mark.parametrize("op", UNARY)
def test_float64_within_bound_vs_mpmath(op, rng):
    x = hard_values(op, 1200, rng, np.float64)
    got = np_(getattr(kcore, op)(x))
    assert got.dtype == np.float64
    worst = 0.0
    for xi, gi in zip(x, got):
        ref = mp_ref(op, xi)
        if not mpmath.isfinite(ref):
            assert gi == float(ref)
            continue
        fi = np.finfo(np.float64)
        mag = max(abs(ref), mpmath.mpf(float(fi.smallest_normal)))
        ulp = mpmath.mpf(2) ** (mpmath.floor(mpmath.log(mag, 2)) - 52)
        worst = max(worst, float(abs(mpmath.mpf(float(gi)) - ref) / ulp))
    assert worst <= BOUND[op], (op, worst)


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_narrow_floats_correctly_rounded_exhaustive(op, dtype):
    bits = np.arange(65536, dtype=np.uint16)
    x = bits.view(np_dtype(dtype))
    got = np_(getattr(kcore, op)(x))
    assert got.dtype == np_dtype(dtype)
    x64 = x.astype(np.float64)
    ref = scipy_ref(op, x64)
    if op == "erfinv":
        ref = np.where(np.abs(x64) > 1, np.nan, ref)
    expected = ref.astype(np_dtype(dtype))
    same = (got.view(np.uint16) == expected.view(np.uint16)) | (
        np.isnan(got.astype(np.float32)) & np.isnan(expected.astype(np.float32)))
    # Where SciPy's float64 rounds to a different neighbour, decide with mpmath.
    for i in np.flatnonzero(~same):
        exact = mp_ref(op, x64[i])
        lo, hi = sorted([float(got[i]), float(expected[i])])
        mid = (mpmath.mpf(lo) + mpmath.mpf(hi)) / 2
        correct = hi if exact > mid else lo
        assert float(got[i]) == correct, (op, dtype, x64[i], got[i], expected[i])


SPECIALS = {
    "erf": [(0.0, 0.0), (-0.0, -0.0), (np.inf, 1.0), (-np.inf, -1.0), (np.nan, np.nan),
            (10.0, 1.0), (-10.0, -1.0)],
    "erfinv": [(0.0, 0.0), (-0.0, -0.0), (1.0, np.inf), (-1.0, -np.inf), (np.nan, np.nan),
               (1.5, np.nan), (-3.0, np.nan), (np.inf, np.nan)],
    "rsqrt": [(0.0, np.inf), (-0.0, -np.inf), (np.inf, 0.0), (-1.0, np.nan), (np.nan, np.nan),
              (4.0, 0.5)],
}


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_special_values(op, dtype):
    xs = np.array([x for x, _ in SPECIALS[op]], np_dtype(dtype))
    want = np.array([y for _, y in SPECIALS[op]], np.float64)
    got = np_(getattr(kcore, op)(xs)).astype(np.float64)
    np.testing.assert_array_equal(got, want)
    assert (np.signbit(got) == np.signbit(want))[~np.isnan(want)].all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_no_loss_near_zero_and_finite_below_one(dtype):
    fi = np.finfo(dtype)
    tiny = np.array([fi.smallest_subnormal, fi.tiny, 1e-8], dtype)
    e = np_(kcore.erf(tiny)).astype(np.float64)
    np.testing.assert_allclose(e[1:], 2 / np.sqrt(np.pi) * tiny[1:].astype(np.float64), rtol=fi.eps)
    assert e[0] > 0
    below = np.nextafter(np.array(1, dtype), np.array(0, dtype))
    y = float(np_(kcore.erfinv(below)))
    assert np.isfinite(y) and abs(y - float(mp_ref("erfinv", below))) <= 2 * np.spacing(np.array(y, dtype))


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtype", ["bool"] + INT_DTYPES + FLOAT_DTYPES)
def test_result_dtypes(op, dtype):
    x = np.array([0, 1, 2]).astype(np_dtype(dtype))
    y = getattr(kcore, op)(x)
    want = dtype if dtype in FLOAT_DTYPES else "float32"
    assert y.dtype == want
    if dtype not in FLOAT_DTYPES:  # promoted, not truncated
        np.testing.assert_array_equal(np_(y), np_(getattr(kcore, op)(x.astype(np.float32))))


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_dtype_and_values_match_keras_on_jax(op, dtype, keras_ops, rng):
    x = rng.uniform(-0.999, 0.999, 300) if op == "erfinv" else rng.uniform(-4, 4, 300)
    if op == "rsqrt":
        x = np.abs(x) + 0.01
    x = x.astype(np_dtype(dtype))
    ours = getattr(kcore, op)(x)
    theirs = np.asarray(getattr(keras_ops, op)(x))
    assert ours.dtype == str(theirs.dtype)
    tol = {"float32": 1e-5, "float16": 2e-3, "bfloat16": 1.6e-2}[dtype]
    np.testing.assert_allclose(np_(ours).astype(np.float64), theirs.astype(np.float64),
                               rtol=tol, atol=tol)


def test_errors():
    for op in ("erf", "erfinv"):
        with pytest.raises(TypeError, match=op):
            getattr(kcore, op)(np.array([1 + 1j], np.complex64))
    for op in UNARY + ["logsumexp"]:
        with pytest.raises(ValueError):
            getattr(kcore, op)(np.zeros(2, ml_dtypes.float8_e4m3fn))
    z = np_(kcore.rsqrt(np.array([-4 + 0j], np.complex128)))
    np.testing.assert_allclose(z, 1 / np.sqrt(np.array([-4 + 0j])))


@given(st.integers(1, 3), st.integers(0, 2**32 - 1), st.booleans())
def test_strided_inputs(ndim, seed, reverse):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 40, ndim))
    x = rng.uniform(-0.99, 0.99, shape).astype(np.float32)
    t = kcore.convert_to_tensor(x)
    t = kcore.transpose(t)
    for op in UNARY:
        got = np_(getattr(kcore, op)(t))
        want = np_(getattr(kcore, op)(np.ascontiguousarray(x.T)))
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------------------------
# logsumexp


def np_logsumexp(x, axis, keepdims):
    """float64 NumPy reference with JAX's special values (non-finite max ignored)."""
    x = x.astype(np.float64)
    with np.errstate(all="ignore"):
        m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
        m0 = np.where(np.isfinite(m), m, 0)
        r = np.log(np.sum(np.exp(x - m0), axis=axis, keepdims=True)) + m0
    return r if keepdims else np.squeeze(r, axis=axis)


@st.composite
def lse_cases(draw):
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=ndim, max_size=ndim)))
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or ndim == 0:
        axis = None
    elif kind == "int":
        axis = draw(st.integers(-ndim, ndim - 1))
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=1, max_size=ndim))
        axis = tuple(a - ndim if draw(st.booleans()) else a for a in axes)
    return shape, axis, draw(st.booleans()), draw(st.integers(0, 2**32 - 1))


@given(lse_cases(), st.sampled_from(["float32", "float64"]), st.booleans())
def test_logsumexp_vs_scipy(case, dtype, transpose):
    shape, axis, keepdims, seed = case
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    t = kcore.convert_to_tensor(x)
    if transpose and x.ndim > 1:
        x = x.T
        t = kcore.transpose(t)
    got = np_(kcore.logsumexp(t, axis=axis, keepdims=keepdims))
    want = np_logsumexp(x, axis, keepdims)
    assert got.shape == want.shape
    assert got.dtype == np.dtype(dtype)
    tol = 3e-7 if dtype == "float32" else 1e-15
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_logsumexp_matches_keras_on_jax(dtype, keras_ops, rng):
    x = (rng.standard_normal((7, 33, 5)) * 3).astype(np_dtype(dtype))
    for axis, keepdims in [(None, False), (1, False), ((0, 2), True), (-1, True)]:
        ours = kcore.logsumexp(x, axis=axis, keepdims=keepdims)
        theirs = np.asarray(keras_ops.logsumexp(x, axis=axis, keepdims=keepdims))
        want_dtype = dtype if dtype != "float64" else "float64"  # kcore keeps 64-bit
        assert ours.dtype == want_dtype
        assert tuple(ours.shape) == theirs.shape
        tol = {"float64": 1e-6, "float32": 1e-6, "float16": 2e-3, "bfloat16": 1.6e-2}[dtype]
        np.testing.assert_allclose(np_(ours).astype(np.float64), theirs.astype(np.float64),
                                   rtol=tol, atol=tol)


def test_logsumexp_special_values_and_dtypes():
    inf, nan = np.inf, np.nan
    x = np.array([[-inf, -inf], [1.0, inf], [nan, inf], [-inf, 2.0], [1000.0, 1000.0]])
    for dtype in FLOAT_DTYPES:
        got = np_(kcore.logsumexp(x.astype(np_dtype(dtype)), axis=1)).astype(np.float64)
        assert got[0] == -inf and got[1] == inf and np.isnan(got[2]) and got[3] == 2.0
    np.testing.assert_allclose(np_(kcore.logsumexp(x[4:], axis=1)), 1000 + np.log(2))
    assert np_(kcore.logsumexp(np.zeros((3, 0)), axis=1)).tolist() == [-inf] * 3
    assert kcore.logsumexp(np.array([1, 2, 3])).dtype == "float32"
    assert kcore.logsumexp(np.array([True, False])).dtype == "float32"
    assert kcore.logsumexp(np.zeros(4, ml_dtypes.bfloat16)).dtype == "bfloat16"
    # Keras' test: a nested list.
    np.testing.assert_allclose(np_(kcore.logsumexp([[1.0, 2.0], [3.0, 4.0]])),
                               sp.logsumexp([[1.0, 2.0], [3.0, 4.0]]), rtol=1e-6)
    # float16 accumulates in float32: 70000 zeros sum past float16's range.
    h = np_(kcore.logsumexp(np.zeros(70_000, np.float16)))
    assert h == np.float16(np.log(70_000))
    for bad in [(0, 0), 2, (-3,)]:
        with pytest.raises(ValueError, match="logsumexp"):
            kcore.logsumexp(np.zeros((2, 3)), axis=bad)
    with pytest.raises(TypeError):
        kcore.logsumexp(np.zeros(2, np.complex64))


def test_logsumexp_large_rows_thread_independent(rng):
    x = (rng.standard_normal((3, 200_001)) * 5).astype(np.float32)
    before = kcore.num_threads()
    try:
        results = []
        for n in (1, 2, 3):
            kcore.set_num_threads(n)
            results.append([np_(kcore.logsumexp(x, axis=a)) for a in (None, 0, 1)])
    finally:
        kcore.set_num_threads(before)
    for r in results[1:]:
        for a, b in zip(results[0], r):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(results[0][2], sp.logsumexp(x.astype(np.float64), axis=1),
                               rtol=1e-7)


# ---------------------------------------------------------------------------------------------
# Gradients and batching


@pytest.mark.parametrize("op", UNARY)
def test_gradients_match_jax(op):
    import jax
    import jax.numpy as jnp

    x = {"erf": np.linspace(-2.5, 2.5, 11), "erfinv": np.linspace(-0.95, 0.95, 11),
         "rsqrt": np.linspace(0.2, 5, 11)}[op].astype(np.float32)
    jf = {"erf": jax.scipy.special.erf, "erfinv": jax.scipy.special.erfinv,
          "rsqrt": jax.lax.rsqrt}[op]
    g = np_(kcore.grad(lambda v: kcore.sum(getattr(kcore, op)(v)))(kcore.convert_to_tensor(x)))
    want = np.asarray(jax.grad(lambda v: jnp.sum(jf(v)))(jnp.asarray(x)))
    np.testing.assert_allclose(g, want, rtol=2e-5)


def test_logsumexp_gradient_is_softmax():
    import jax
    import jax.numpy as jnp

    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    for axis in (None, 0, 1, (0, 1)):
        g = np_(kcore.grad(lambda v: kcore.sum(kcore.logsumexp(v, axis=axis)))(
            kcore.convert_to_tensor(x)))
        want = np.asarray(jax.grad(lambda v: jnp.sum(jax.nn.logsumexp(v, axis=axis)))(x))
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-7)


def test_vectorized_map_equals_loop():
    x = np.random.default_rng(1).uniform(-0.9, 0.9, (4, 6)).astype(np.float32)
    for f in (kcore.erf, kcore.erfinv, lambda v: kcore.rsqrt(kcore.abs(v)),
              lambda v: kcore.logsumexp(v), lambda v: kcore.logsumexp(v, axis=0, keepdims=True)):
        batched = np_(kcore.vectorized_map(f, x))
        looped = np.stack([np_(f(row)) for row in x])
        np.testing.assert_array_equal(batched, looped)
