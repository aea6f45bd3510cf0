"""scatter, scatter_update, slice, slice_update, unstack, extract_sequences against keras.ops on
JAX (32-bit dtypes, random shapes and values) and NumPy oracles (every dtype), with the edge
cases and errors of SEMANTICS §4, gradients against jax.grad, and vectorized_map against a loop.
docs/semantics.md ("Indexing") lists the decisions beyond SEMANTICS that these tests hold.
"""

import re

import hypothesis.extra.numpy as hnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kcore
from kc_testing import (ALL_DTYPES, COMPLEX_DTYPES, FLOAT8_DTYPES, assert_tensor,
                        kind, np_dtype, random_values)

KERAS_DTYPES = ["float32", "int32", "float16", "bfloat16", "uint8", "int8", "bool"]


def _np(t):
    return kcore.convert_to_numpy(t)


def _values(rng, shape, dtype, hi=4):
    """Random values of `dtype` that survive the tests' arithmetic exactly: small integers."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    v = rng.integers(-hi if kind(dtype) != "u" else 0, hi + 1, size=shape)
    if kind(dtype) == "c":
        v = v + 1j * rng.integers(-hi, hi + 1, size=shape)
    return np.asarray(v).astype(np_dtype(dtype))


def _shares_buffer(a, b):
    return np.shares_memory(np.asarray(a), np.asarray(b))


# ---------------------------------------------------------------------------------------------
# Index oracles


def _np_scatter(indices, values, shape, out=None, reduction="add"):
    """Rows of `values` combined into `out` (zeros of `shape`) in index order, wrapping negative
    indices once; the reference for scatter and scatter_update."""
    indices = np.asarray(indices)
    depth = indices.shape[-1]
    out = np.zeros(shape, values.dtype) if out is None else np.array(out, copy=True)
    rows = indices.reshape(-1, depth)
    vals = values.reshape((rows.shape[0],) + tuple(shape[depth:]))
    for r, idx in enumerate(rows):
        pos = tuple(int(i) + (shape[k] if i < 0 else 0) for k, i in enumerate(idx))
        if reduction is None:
            out[pos] = vals[r]
        elif values.dtype == np.bool_:
            out[pos] = {"add": np.logical_or, "max": np.logical_or, "mul": np.logical_and,
                        "min": np.logical_and}[reduction](out[pos], vals[r])
        else:
            op = {"add": np.add, "mul": np.multiply, "max": np.maximum,
                  "min": np.minimum}[reduction]
            out[pos] = op(out[pos], vals[r])
    return out


@st.composite
def scatter_cases(draw, unique=False, max_rank=3):
    """(shape, indices, rows shape): indices [N, d] in range, possibly negative."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_rank, min_side=1, max_side=5))
    depth = draw(st.integers(1, len(shape)))
    n = draw(st.integers(0, 8))
    cells = [list(range(-d, d)) for d in shape[:depth]]
    rows = [tuple(draw(st.sampled_from(c)) for c in cells) for _ in range(n)]
    if unique:
        seen, keep = set(), []
        for r in rows:
            key = tuple(i % shape[k] for k, i in enumerate(r))
            if key not in seen:
                seen.add(key)
                keep.append(r)
        rows = keep
    indices = np.array(rows, dtype=np.int32).reshape(len(rows), depth)
    return shape, indices, (len(rows),) + tuple(shape[depth:])


# ---------------------------------------------------------------------------------------------
# scatter


def test_scatter_seed_example(keras_ops):
    indices = [[0, 1], [1, 1]]
    values = np.array([1., 1.])
    out = kcore.scatter(indices, values, shape=(2, 2))
    assert_tensor(out, np.array([[0., 1.], [0., 1.]]))
    # Keras on JAX (0.10) rejects a list of indices in jnp.moveaxis; kcore takes it as is.
    expected = keras_ops.scatter(np.array(indices), values, shape=(2, 2))
    assert_tensor(out, np.asarray(expected).astype(np.float64))


@given(case=scatter_cases(), dtype=st.sampled_from(["float32", "int32", "uint8", "bool"]),
       seed=st.integers(0, 2**32 - 1))
def test_scatter_matches_keras(keras_ops, case, dtype, seed):
    shape, indices, rows = case
    values = _values(np.random.default_rng(seed), rows, dtype)
    got = kcore.scatter(indices, values, shape)
    assert_tensor(got, _np_scatter(indices, values, shape))
    if dtype != "bool":  # Keras on JAX: bool scatter is backend-dependent (reference §11)
        assert_tensor(got, np.asarray(keras_ops.scatter(indices, values, shape)))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_scatter_every_dtype(rng, dtype):
    values = random_values(rng, (3, 2), dtype, special=False)
    indices = np.array([[3], [-4], [1]])
    got = kcore.scatter(indices, values, (4, 2))
    expected = np.zeros((4, 2), np_dtype(dtype))
    expected[[3, 0, 1]] = values
    # 0 + (-0.0) is +0.0: the zero sign is not compared.
    assert_tensor(got, expected, dtype=dtype, check_zero_sign=False)


def test_scatter_duplicates_add_in_index_order():
    indices = np.array([[0], [0], [-1], [0]])
    values = np.array([1e8, 1.0, 2.0, -1e8], np.float32)
    # float32 sums in index order: (1e8 + 1) rounds to 1e8, so the result is 0, not 1.
    assert_tensor(kcore.scatter(indices, values, (2,)), np.array([0.0, 2.0], np.float32))
    assert_tensor(kcore.scatter(indices, np.array([True, False, False, True]), (2,)),
                  np.array([True, False]))
    # bfloat16 rounds after each addition: 256 + 1 is 256 (docs/semantics.md).
    assert_tensor(kcore.scatter([[0], [0]], np.array([256, 1], ml_dtypes.bfloat16), (1,)),
                  np.array([256], ml_dtypes.bfloat16))
    bf = np.array([1, 2, 3, 4], ml_dtypes.bfloat16)
    assert_tensor(kcore.scatter(np.array([[1], [1], [0], [1]]), bf, (2,)),
                  np.array([3, 7], ml_dtypes.bfloat16))


def test_scatter_slices_depth_zero_and_empty():
    got = kcore.scatter(np.array([[1], [1]]), np.ones((2, 3), np.int32), (2, 3))
    assert_tensor(got, np.array([[0, 0, 0], [2, 2, 2]], np.int32))
    assert_tensor(kcore.scatter(np.zeros((2, 0), np.int64), np.ones((2, 2), np.float32), (2,)),
                  np.array([2, 2], np.float32))
    assert_tensor(kcore.scatter(np.zeros((0, 1), np.int32), np.zeros((0, 4), np.float32), (3, 4)),
                  np.zeros((3, 4), np.float32))
    assert_tensor(kcore.scatter(np.array([[1]]), np.zeros((1, 0), np.float32), (2, 0)),
                  np.zeros((2, 0), np.float32))


def test_scatter_errors():
    with pytest.raises(IndexError, match=re.escape("scatter: index [2, 0] (row 1")):
        kcore.scatter([[0, 0], [2, 0]], np.ones(2, np.float32), (2, 2))
    for bad in (2, -3, 2**31 - 1, -2**31, 2**63 - 1, -2**63):
        with pytest.raises(IndexError):
            kcore.scatter(np.array([[bad]], np.int64), np.ones(1, np.float32), (2,))
    with pytest.raises(IndexError, match="18446744073709551615"):
        kcore.scatter(np.array([[2**64 - 1]], np.uint64), np.ones(1, np.float32), (2,))
    with pytest.raises(IndexError):
        kcore.scatter([[0]], np.ones(1, np.float32), (0,))
    with pytest.raises(ValueError, match="^scatter: "):
        kcore.scatter([[0, 0, 0]], np.ones(1, np.float32), (2, 2))
    with pytest.raises(ValueError, match="^scatter: "):
        kcore.scatter([[0]], np.ones(2, np.float32), (2,))
    with pytest.raises(ValueError, match="^scatter: "):
        kcore.scatter(0, np.ones((), np.float32), (2,))
    with pytest.raises(ValueError, match="^scatter: "):
        kcore.scatter([[0]], np.ones(1, np.float32), (-1,))
    with pytest.raises(TypeError, match="^scatter: indices must have an integer dtype"):
        kcore.scatter([[0.0]], np.ones(1, np.float32), (2,))
    with pytest.raises(TypeError):
        kcore.scatter([[True]], np.ones(1, np.float32), (2,))


# ---------------------------------------------------------------------------------------------
# scatter_update


def test_scatter_update_seed_examples(keras_ops):
    inputs = np.zeros((4, 4, 4))
    for indices, updates in (([[1, 2, 3], [0, 1, 3]], np.array([1., 1.])),
                             ([[1, 2], [2, 3]], np.array([[1., 1., 1, 1], [1., 1., 1, 1]]))):
        got = kcore.scatter_update(inputs, indices, updates)
        expected = np.asarray(keras_ops.scatter_update(inputs, indices, updates))
        assert_tensor(got, expected.astype(np.float64))
    assert not inputs.any()  # the NumPy array passed in is not modified (unlike keras' numpy)


@given(case=scatter_cases(), dtype=st.sampled_from(["float32", "int32", "int8", "bfloat16"]),
       reduction=st.sampled_from([None, "add", "max", "min", "mul", "ADD", "Max"]),
       seed=st.integers(0, 2**32 - 1))
def test_scatter_update_matches_keras(keras_ops, case, dtype, reduction, seed):
    shape, indices, rows = case
    if reduction is None:  # which duplicate wins is implementation-defined in JAX
        seen, keep = set(), []
        for r, idx in enumerate(indices):
            key = tuple(int(i) % shape[k] for k, i in enumerate(idx))
            if key not in seen:
                seen.add(key)
                keep.append(r)
        indices = indices[keep]
        rows = (len(keep),) + rows[1:]
    rng = np.random.default_rng(seed)
    # Products of numbers in [-2, 2] are powers of two: exact in bfloat16 in any order.
    hi = 2 if reduction in ("mul",) else 4
    inputs = _values(rng, shape, dtype, hi)
    updates = _values(rng, rows, dtype, hi)
    got = kcore.scatter_update(inputs, indices, updates, reduction)
    r = reduction.lower() if reduction else None
    assert_tensor(got, _np_scatter(indices, updates, shape, out=inputs, reduction=r),
                  check_zero_sign=False)
    assert_tensor(got, np.asarray(keras_ops.scatter_update(inputs, indices, updates, r)),
                  check_zero_sign=False)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_scatter_update_every_dtype(rng, dtype):
    inputs = random_values(rng, (4, 2), dtype, special=False)
    updates = random_values(rng, (3, 2), dtype, special=False)
    indices = np.array([[2], [-1], [2]])
    got = kcore.scatter_update(inputs, indices, updates)
    expected = inputs.copy()
    expected[2], expected[3] = updates[2], updates[1]  # the last duplicate wins
    assert_tensor(got, expected, dtype=dtype)
    for reduction in ("add", "max", "min", "mul"):
        if dtype in COMPLEX_DTYPES and reduction in ("max", "min"):
            with pytest.raises(TypeError, match="^scatter_update: "):
                kcore.scatter_update(inputs, indices, updates, reduction)
            continue
        small_in = _values(rng, (4, 2), dtype) if dtype not in FLOAT8_DTYPES else \
            np.array([[1, 2], [0.5, -1], [2, 4], [-2, 1]], np_dtype(dtype))
        small_up = _values(rng, (3, 2), dtype) if dtype not in FLOAT8_DTYPES else \
            np.array([[1, -1], [2, 0.5], [0.25, 2]], np_dtype(dtype))
        got = kcore.scatter_update(small_in, indices, small_up, reduction)
        exp = _np_scatter(indices, small_up, (4, 2), out=small_in, reduction=reduction)
        assert_tensor(got, exp, dtype=dtype, check_zero_sign=False, msg=reduction)


def test_scatter_update_nan_and_wrapping():
    x = np.array([np.nan, 1.0, 2.0], np.float32)
    u = np.array([5.0, np.nan, 1.0], np.float32)
    idx = [[0], [1], [2]]
    assert_tensor(kcore.scatter_update(x, idx, u, "max"), np.array([np.nan, np.nan, 2.0],
                                                                   np.float32))
    assert_tensor(kcore.scatter_update(x, idx, u, "min"), np.array([np.nan, np.nan, 1.0],
                                                                   np.float32))
    assert_tensor(kcore.scatter_update(np.array([100], np.int8), [[0], [0]],
                                       np.array([100, 100], np.int8), "add"),
                  np.array([44], np.int8))
    assert_tensor(kcore.scatter_update(np.array([2**40], np.int64), [[0]],
                                       np.array([2**30], np.int64), "mul"),
                  np.array([0], np.int64))


def test_scatter_update_casts_broadcasts_and_never_modifies():
    x = kcore.convert_to_tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    before = _np(x).copy()
    out = kcore.scatter_update(x, [[1]], np.array([[7.9, -1.5, 2.0]]))
    assert_tensor(out, np.array([[0, 1, 2], [7, -1, 2]], np.int32))
    assert_tensor(kcore.scatter_update(x, [[0], [1]], 9), np.full((2, 3), 9, np.int32))
    assert_tensor(kcore.scatter_update(x, [[0, 2]], 9.0), np.array([[0, 1, 9], [3, 4, 5]],
                                                                   np.int32))
    assert_tensor(x, before)
    # A temporary whose only reference is the call itself: still a fresh result.
    y = kcore.scatter_update(kcore.zeros((3,)), [[1]], [1.0])
    assert_tensor(y, np.array([0, 1, 0], np.float32))
    view = kcore.slice(x, [0, 0], [1, 3])
    kcore.scatter_update(x, [[0]], np.ones((1, 3), np.int32))
    assert_tensor(view, before[:1])


def test_scatter_update_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match=re.escape(
            "scatter_update: Invalid reduction: sum. Supported values are: None, 'add', 'max', "
            "'min', 'mul'.")):
        kcore.scatter_update(x, [[0]], np.ones((1, 3)), "sum")
    with pytest.raises(ValueError, match="Invalid reduction"):
        kcore.scatter_update(x, [[0]], np.ones((1, 3)), 3)
    with pytest.raises(ValueError, match="^scatter_update: updates of shape"):
        kcore.scatter_update(x, [[0]], np.ones((1, 2)))
    with pytest.raises(ValueError, match="^scatter_update: "):
        kcore.scatter_update(x, [[0, 0, 0]], np.ones(1))
    with pytest.raises(IndexError, match=re.escape("scatter_update: index [0, 3]")):
        kcore.scatter_update(x, [[0, 3]], np.ones(1))
    with pytest.raises(IndexError):
        kcore.scatter_update(x, [[-3]], np.ones((1, 3)))
    with pytest.raises(TypeError):
        kcore.scatter_update(x, [[0.5]], np.ones((1, 3)))


# ---------------------------------------------------------------------------------------------
# slice


@st.composite
def slice_cases(draw, allow_to_end=True):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
    starts = [draw(st.integers(-2 * d - 2, 2 * d + 2)) for d in shape]
    sizes = [draw(st.integers(0, d)) for d in shape]
    if allow_to_end:
        # Keras on JAX computes -1 as dim - start: only defined for 0 <= start <= dim.
        sizes = [-1 if draw(st.booleans()) and 0 <= s <= d else z
                 for s, z, d in zip(starts, sizes, shape)]
    return shape, starts, sizes


@given(case=slice_cases(), seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from(KERAS_DTYPES))
def test_slice_matches_keras(keras_ops, case, seed, dtype):
    shape, starts, sizes = case
    x = _values(np.random.default_rng(seed), shape, dtype)
    expected = np.asarray(keras_ops.slice(x, starts, sizes))
    assert_tensor(kcore.slice(x, starts, sizes), expected, dtype=dtype)
    t = kcore.convert_to_tensor(np.array(starts, np.int32))
    assert_tensor(kcore.slice(x, t, sizes), expected, dtype=dtype)
    # A kcore tensor with lists or tuples of ints takes the binding's fast path.
    kx = kcore.convert_to_tensor(x)
    assert_tensor(kcore.slice(kx, starts, sizes), expected, dtype=dtype)
    assert_tensor(kcore.slice(kx, tuple(starts), tuple(sizes)), expected, dtype=dtype)


def test_slice_views_and_start_forms():
    x = kcore.convert_to_tensor(np.arange(20, dtype=np.float32).reshape(4, 5))
    s = kcore.slice(x, [1, 2], [2, 2])
    assert _shares_buffer(s, x)
    assert_tensor(s, np.array([[7, 8], [12, 13]], np.float32))
    i = kcore.convert_to_tensor(np.int32(3))
    for start in ([3, 1], (3, 1), np.array([3, 1]), kcore.convert_to_tensor([3, 1]),
                  [i, 1], [i, np.int64(1)], np.array([3, 1], np.uint8)):
        got = kcore.slice(x, start, [1, 3])
        assert_tensor(got, np.array([[16, 17, 18]], np.float32))
        assert _shares_buffer(got, x)
    # Clamping, wrapping, to the end, zero sizes.
    assert_tensor(kcore.slice(x, [9, -1], [2, 2]), np.array([[13, 14], [18, 19]], np.float32))
    assert_tensor(kcore.slice(x, [-1, -3], [-1, -1]), np.array([[17, 18, 19]], np.float32))
    assert_tensor(kcore.slice(x, [2, 7], [-1, -1]), np.zeros((2, 0), np.float32))
    assert_tensor(kcore.slice(x, [2, 1], [0, 5]), np.zeros((0, 5), np.float32))
    assert_tensor(kcore.slice(np.float32(4), [], []), np.float32(4))
    # Starts on both sides of the one-digit ints (2**30) that the fast path reads in place, and
    # past int64.
    for big in (2**30 - 1, 2**30, 2**40, 2**63 - 1):
        assert_tensor(kcore.slice(x, [big, -big], [1, 2]), np.array([[15, 16]], np.float32))
    with pytest.raises(ValueError, match="^slice: start_indices value 9223372036854775808"):
        kcore.slice(x, [2**63, 0], [1, 1])
    # Non-contiguous input.
    t = kcore.transpose(x)
    assert_tensor(kcore.slice(t, [1, 1], [2, 2]), np.array([[6, 11], [7, 12]], np.float32))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_slice_every_dtype(rng, dtype):
    x = random_values(rng, (3, 4), dtype)
    assert_tensor(kcore.slice(x, [1, -2], [2, 2]), x[1:3, 2:4], dtype=dtype)
    assert_tensor(kcore.slice(x, kcore.convert_to_tensor([5, 1]), [1, -1]), x[2:3, 1:],
                  dtype=dtype)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_slice_errors(as_tensor):
    x = np.zeros((3, 4), np.float32)
    if as_tensor:
        x = kcore.convert_to_tensor(x)
    with pytest.raises(ValueError, match=re.escape(
            "slice: The number of dimensions in `inputs` must match the number of dimensions in "
            "`shape`. Received inputs.shape=(3, 4) and shape=(1,)")):
        kcore.slice(x, [0, 0], [1])
    with pytest.raises(ValueError, match="^slice: The number of dimensions in `start_indices`"):
        kcore.slice(x, [0], [1, 1])
    with pytest.raises(ValueError, match="^slice: The number of dimensions in `start_indices`"):
        kcore.slice(x, kcore.convert_to_tensor([[0, 0]]), [1, 1])
    with pytest.raises(ValueError, match="^slice: shape"):
        kcore.slice(x, [0, 0], [4, 1])
    with pytest.raises(ValueError, match="^slice: shape"):
        kcore.slice(x, [0, 0], [1, -2])
    with pytest.raises(TypeError):
        kcore.slice(x, kcore.convert_to_tensor([0.0, 0.0]), [1, 1])
    with pytest.raises(TypeError):
        kcore.slice(x, [0.5, 0], [1, 1])
    with pytest.raises(TypeError, match="^slice: shape must be"):
        kcore.slice(x, [0, 0], [1, True])
    with pytest.raises(ValueError, match="^slice: start_indices value 2361183241434822606848 is"):
        kcore.slice(x, [2**71, 0], [1, 1])


# ---------------------------------------------------------------------------------------------
# slice_update


@given(case=slice_cases(allow_to_end=False), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from(KERAS_DTYPES))
def test_slice_update_matches_keras(keras_ops, case, seed, dtype):
    shape, starts, sizes = case
    rng = np.random.default_rng(seed)
    x = _values(rng, shape, dtype)
    u = _values(rng, sizes, dtype)
    expected = np.asarray(keras_ops.slice_update(x, starts, u))
    assert_tensor(kcore.slice_update(x, starts, u), expected, dtype=dtype)
    assert_tensor(kcore.slice_update(x, np.array(starts, np.int64), u), expected, dtype=dtype)
    assert_tensor(kcore.slice_update(x, kcore.convert_to_tensor(np.array(starts, np.int64)), u),
                  expected, dtype=dtype)


def test_slice_update_seed_example_and_casting():
    inputs = np.zeros((5, 5))
    out = kcore.slice_update(inputs, [3, 3], np.ones((2, 2)))
    expected = np.zeros((5, 5))
    expected[3:, 3:] = 1
    assert_tensor(out, expected)
    assert not inputs.any()
    x = kcore.convert_to_tensor(np.zeros(4, np.int32))
    assert_tensor(kcore.slice_update(x, [3], np.array([1.5, -2.5])),
                  np.array([0, 0, 1, -2], np.int32))
    assert_tensor(x, np.zeros(4, np.int32))
    assert_tensor(kcore.slice_update(x, [-9], [7]), np.array([7, 0, 0, 0], np.int32))
    assert_tensor(kcore.slice_update(x, [2], np.zeros(0)), np.zeros(4, np.int32))
    assert_tensor(kcore.slice_update(np.float32(1), [], np.float32(5)), np.float32(5))
    t = kcore.transpose(kcore.convert_to_tensor(np.arange(6, dtype=np.float32).reshape(2, 3)))
    assert_tensor(kcore.slice_update(t, [1, 1], np.array([[-1], [-2]], np.float32)),
                  np.array([[0, 3], [1, -1], [2, -2]], np.float32))


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_slice_update_every_dtype(rng, dtype):
    x = random_values(rng, (3, 4), dtype)
    u = random_values(rng, (2, 2), dtype)
    expected = x.copy()
    expected[1:3, 1:3] = u
    assert_tensor(kcore.slice_update(x, [1, 1], u), expected, dtype=dtype)
    assert_tensor(kcore.slice_update(x, kcore.convert_to_tensor([2, -3]), u), expected,
                  dtype=dtype)


def test_slice_update_errors():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="^slice_update: updates of shape"):
        kcore.slice_update(x, [0, 0], np.zeros(2))
    with pytest.raises(ValueError, match="^slice_update: updates of shape"):
        kcore.slice_update(x, [0, 0], np.zeros((4, 1)))
    with pytest.raises(ValueError, match="^slice_update: The number of dimensions"):
        kcore.slice_update(x, [0], np.zeros((1, 1)))
    with pytest.raises(TypeError):
        kcore.slice_update(x, np.array([0.0, 0.0]), np.zeros((1, 1)))


# ---------------------------------------------------------------------------------------------
# unstack


@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
       data=st.data(), dtype=st.sampled_from(KERAS_DTYPES))
def test_unstack_matches_keras(keras_ops, shape, data, dtype):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = _values(np.random.default_rng(0), shape, dtype)
    got = kcore.unstack(x, axis=axis)
    expected = keras_ops.unstack(x, axis=axis)
    assert isinstance(got, list) and len(got) == len(expected) == shape[axis]
    for g, e in zip(got, expected):
        assert_tensor(g, np.asarray(e), dtype=dtype)


def test_unstack_seed_example_views_and_errors():
    x = kcore.convert_to_tensor([[1, 2], [3, 4]])
    a, b = kcore.unstack(x, axis=0)
    assert_tensor(a, np.array([1, 2], np.int32))
    assert_tensor(b, np.array([3, 4], np.int32))
    assert _shares_buffer(b, x)
    assert len(kcore.unstack(x, num=2, axis=1)) == 2
    assert kcore.unstack(np.zeros((0, 3))) == []
    for dtype in ALL_DTYPES:
        v = random_values(np.random.default_rng(1), (2, 3), dtype)
        assert_tensor(kcore.unstack(v, axis=1)[2], v[:, 2], dtype=dtype)
    with pytest.raises(ValueError, match=re.escape(
            "unstack: axis 10 is out of bounds for an array with dimension 2")):
        kcore.unstack(x, axis=10)
    with pytest.raises(ValueError, match="^unstack: num=3"):
        kcore.unstack(x, num=3)
    with pytest.raises(ValueError):
        kcore.unstack(np.float32(1))


def test_unstack_rows_stay_right_when_instances_are_reused():
    # More rows than the pool of freed kcore.Tensor instances (4096): a list freed and made again
    # reuses instances, which must never alias a row still alive.
    x = np.arange(5000 * 3, dtype=np.float32).reshape(5000, 3)
    kept = kcore.unstack(x)
    for _ in range(3):
        rows = kcore.unstack(x[::-1].copy())
        assert len({id(r) for r in rows + kept}) == 2 * 5000
        for i in (0, 4095, 4096, 4999):
            assert_tensor(rows[i], x[4999 - i])
        del rows
    for i in range(5000):
        assert np.array_equal(np.asarray(kept[i]), x[i])


# ---------------------------------------------------------------------------------------------
# extract_sequences


def _np_sequences(x, length, stride):
    n = x.shape[-1]
    num = 1 + (n - length) // stride if n >= length else 0
    out = np.zeros(x.shape[:-1] + (num, length), x.dtype)
    for i in range(num):
        out[..., i, :] = x[..., i * stride:i * stride + length]
    return out


@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=9),
       length=st.integers(1, 10), stride=st.integers(1, 10), seed=st.integers(0, 2**32 - 1))
def test_extract_sequences_matches_keras(keras_ops, shape, length, stride, seed):
    x = _values(np.random.default_rng(seed), shape, "float32")
    got = kcore.extract_sequences(x, length, stride)
    assert_tensor(got, _np_sequences(x, length, stride))
    if shape[-1] >= length and np.prod(shape) > 0:
        assert_tensor(got, np.asarray(keras_ops.extract_sequences(x, length, stride)))


def test_extract_sequences_seed_example_view_and_errors():
    x = kcore.convert_to_tensor([1, 2, 3, 4, 5, 6])
    s = kcore.extract_sequences(x, 3, 2)
    assert_tensor(s, np.array([[1, 2, 3], [3, 4, 5]], np.int32))
    assert _shares_buffer(s, x)
    assert np.asarray(s).strides == (8, 4)  # overlapping windows, no copy
    assert kcore.extract_sequences(x, 7, 1).shape == (0, 7)
    for dtype in ALL_DTYPES:
        v = random_values(np.random.default_rng(2), (2, 7), dtype)
        assert_tensor(kcore.extract_sequences(v, 3, 2), _np_sequences(v, 3, 2), dtype=dtype)
    with pytest.raises(ValueError, match=re.escape(
            "extract_sequences: Input should have rank >= 1. Received: input.shape = ()")):
        kcore.extract_sequences(np.float32(1), 1, 1)
    for length, stride in ((0, 1), (1, 0), (-2, 1)):
        with pytest.raises(ValueError, match="^extract_sequences: "):
            kcore.extract_sequences(x, length, stride)
    with pytest.raises(TypeError):
        kcore.extract_sequences(x, 2.0, 1)


# ---------------------------------------------------------------------------------------------
# Gradients against jax.grad, vectorized_map against a loop

GRAD_CASES = {
    "scatter": (lambda ops, v: ops.scatter(np.array([[0], [2], [0]]), v, (4,)),
                lambda rng: [rng.normal(size=3)]),
    "scatter_update": (lambda ops, x, u: ops.scatter_update(x, np.array([[1], [3]]), u),
                       lambda rng: [rng.normal(size=(4, 2)), rng.normal(size=(2, 2))]),
    "scatter_update_add": (
        lambda ops, x, u: ops.scatter_update(x, np.array([[1], [1]]), u, "add"),
        lambda rng: [rng.normal(size=(4, 2)), rng.normal(size=(2, 2))]),
    "scatter_update_mul": (
        lambda ops, x, u: ops.scatter_update(x, np.array([[1], [1], [2]]), u, "mul"),
        lambda rng: [rng.normal(size=4), rng.normal(size=3)]),
    "scatter_update_max": (
        lambda ops, x, u: ops.scatter_update(x, np.array([[1], [0], [2]]), u, "max"),
        lambda rng: [rng.normal(size=4), rng.normal(size=3)]),
    "slice": (lambda ops, x: ops.slice(x, [1, -2], (2, 2)),
              lambda rng: [rng.normal(size=(3, 4))]),
    "slice_update": (lambda ops, x, u: ops.slice_update(x, [2, 1], u),
                     lambda rng: [rng.normal(size=(3, 4)), rng.normal(size=(2, 2))]),
    "unstack": (lambda ops, x: ops.unstack(x, axis=1)[1] * 2 + ops.unstack(x, axis=1)[0],
                lambda rng: [rng.normal(size=(3, 4))]),
    "extract_sequences": (lambda ops, x: ops.extract_sequences(x, 3, 2),
                          lambda rng: [rng.normal(size=(2, 7))]),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_jax(keras_ops, rng, name):
    import jax

    fn, make = GRAD_CASES[name]
    args = [a.astype(np.float32) for a in make(rng)]
    out_shape = np.asarray(fn(keras_ops, *args)).shape
    w = rng.normal(size=out_shape).astype(np.float32)
    argnums = tuple(range(len(args)))

    def objective(ops, total):
        return lambda *a: total(fn(ops, *a) * w)

    got = kcore.grad(objective(kcore, lambda t: kcore.sum(t)), argnums)(*args)
    if name == "scatter_update_mul":
        # JAX has no gradient for scatter-multiply with possibly repeated indices: the product
        # rule by hand (x[t] times every update at t, in float64).
        x, u = (a.astype(np.float64) for a in args)
        t = [1, 1, 2]
        dx = w.astype(np.float64).copy()
        du = np.zeros(3)
        for r, tr in enumerate(t):
            dx[tr] *= u[r]
            du[r] = w[tr] * x[tr] * np.prod([u[q] for q in range(3) if t[q] == tr and q != r])
        expected = (dx, du)
    else:
        expected = jax.grad(objective(keras_ops, lambda t: keras_ops.sum(t)), argnums)(*args)
    for g, e in zip(got, expected):
        assert_tensor(g, np.asarray(e).astype(np.float32), rtol=1e-5, atol=1e-6)


def test_vectorized_map_matches_loop():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    starts = np.array([[0, 1], [3, -1], [-2, 9]], np.int32)

    def f(e):
        xi, si = e
        a = kcore.slice(xi, si, (2, 2))
        b = kcore.slice_update(xi, si, a * -1.0)
        rows = kcore.reshape(kcore.slice(si, [0], [1]), (1, 1))
        c = kcore.scatter_update(xi, rows, kcore.ones((1, 5)), "mul")
        d = kcore.scatter(rows, kcore.ones((1, 5)), (4, 5))
        parts = kcore.unstack(xi, axis=1)
        return a, b, c, d, parts[3], kcore.extract_sequences(xi, 2, 2)

    got = kcore.vectorized_map(f, (x, starts))
    for k in range(3):
        expected = f((kcore.convert_to_tensor(x[k]), kcore.convert_to_tensor(starts[k])))
        for g, e in zip(got, expected):
            assert_tensor(kcore.convert_to_tensor(_np(g)[k]), _np(e))
