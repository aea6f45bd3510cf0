"""top_k, in_top_k, segment_sum, segment_max (SEMANTICS §4, reference §20-22).

Oracles: NumPy loops written from SEMANTICS (the total order of top_k, the counting rule of
in_top_k, segment folds in row order), and keras.ops on the JAX backend wherever JAX agrees with
SEMANTICS (32-bit dtypes; no NaN, no signed-zero ties for top_k; in-range targets for in_top_k).
Gradients against jax.grad, batching against jax.vmap and loops.
"""

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kcore
from kc_testing import (ALL_DTYPES, COMPLEX_DTYPES, FLOAT8_DTYPES, INT_DTYPES, KERAS32_DTYPES,
                        REAL_DTYPES, assert_tensor, kind, np_dtype, random_values, to_numpy)

seeds = st.integers(0, 2**32 - 1)
ORDERED_DTYPES = REAL_DTYPES + FLOAT8_DTYPES  # top_k and in_top_k accept float8 (comparisons only)
SEGMENT_DTYPES = [d for d in ALL_DTYPES if d not in FLOAT8_DTYPES]


def _comparable(a):
    """a as an array NumPy sorts and compares exactly (narrow floats widened to float32)."""
    a = np.asarray(a)
    if a.dtype in (np.dtype(ml_dtypes.bfloat16), np.dtype(ml_dtypes.float8_e4m3fn),
                   np.dtype(ml_dtypes.float8_e5m2), np.dtype(np.float16)):
        return a.astype(np.float32)
    return a


def _values(rng, shape, dtype, special=True):
    """Random values with ties (some entries copied from others) and, for floats, NaN, +-inf
    and signed zeros."""
    x = random_values(rng, shape, dtype, special=special, scale="small")
    if x.size > 1:
        flat = x.reshape(-1)
        pick = rng.random(flat.size) < 0.2
        flat[pick] = flat[rng.integers(0, flat.size, pick.sum())]
        x = flat.reshape(shape)
    return x


def np_top_k(x, k):
    """SEMANTICS' top_k: descending, ties to the lower index, NaN first, -0.0 == +0.0 (NumPy's
    stable argsort treats NaN as the largest and -0.0 == +0.0; flipping keeps ties in order)."""
    c = _comparable(x)
    n = c.shape[-1]
    order = n - 1 - np.argsort(np.flip(c, -1), axis=-1, kind="stable")[..., ::-1]
    idx = order[..., :k]
    return np.take_along_axis(x, idx, axis=-1), idx.astype(np.int32)


def np_in_top_k(targets, predictions, k):
    p = _comparable(predictions).astype(np.float64) if kind(predictions.dtype) in ("f", "f8") \
        else _comparable(predictions)
    n = p.shape[-1]
    t = np.asarray(targets)
    out = np.zeros(t.shape, bool)
    for pos in np.ndindex(t.shape):
        target = int(t[pos])
        if k <= 0 or target < 0 or target >= n:
            continue
        v = p[pos + (target,)]
        if kind(p.dtype) == "f" and np.isnan(v):
            continue
        out[pos] = np.count_nonzero(p[pos] > v) < k
    return out


def np_segment(op, data, ids, num_segments):
    """Folds of the rows of each segment in row order: sums in the compute type (float32 for
    float16 and bfloat16) and rounded once, integers wrapping, bool as or; max with NaN winning
    and +0.0 over -0.0."""
    data = np.asarray(data)
    ids = np.asarray(ids).astype(object)
    valid = np.array([0 <= int(i) < num_segments for i in ids], bool)
    seg = np.array([int(i) for i in ids[valid]], np.int64)
    rows = data[valid]
    shape = (num_segments,) + data.shape[1:]
    k = kind(data.dtype)
    if k == "b":
        out = np.zeros(shape, bool)
        np.logical_or.at(out, seg, rows)
        return out
    if op == "sum":
        if k in "iu":
            out = np.zeros(shape, data.dtype)
            np.add.at(out, seg, rows)  # wraps in the dtype
            return out
        acc_dtype = data.dtype if data.dtype in (np.float64, np.complex64, np.complex128) \
            else np.float32
        acc = np.zeros(shape, acc_dtype)
        np.add.at(acc, seg, rows.astype(acc.dtype))  # in row order
        return acc.astype(data.dtype)
    if k in "iu":
        out = np.full(shape, np.iinfo(data.dtype).min, data.dtype)
        np.maximum.at(out, seg, rows)
        return out
    wide = rows.astype(np.float64)
    out = np.full(shape, -np.inf)
    np.maximum.at(out, seg, wide)  # NaN propagates
    positive_zero = np.zeros(shape, bool)
    np.logical_or.at(positive_zero, seg, (wide == 0) & ~np.signbit(wide))
    out = np.where(out == 0, np.where(positive_zero, 0.0, -0.0), out)
    return out.astype(data.dtype)


def _tensor(a):
    return kcore.convert_to_tensor(a)


def _np(t):
    return np.asarray(kcore.convert_to_numpy(t))


# ---------------------------------------------------------------------------------------------
# top_k


@pytest.mark.parametrize("dtype", ORDERED_DTYPES)
@given(seed=seeds, shape=st.lists(st.integers(0, 7), min_size=1, max_size=3),
       sorted_=st.booleans(), data=st.data())
def test_top_k_every_dtype(dtype, seed, shape, sorted_, data):
    rng = np.random.default_rng(seed)
    x = _values(rng, tuple(shape), dtype)
    k = data.draw(st.integers(0, shape[-1]))
    before = x.copy()
    values, indices = kcore.top_k(_tensor(x), k, sorted=sorted_)
    assert np.array_equal(x.view(np.uint8), before.view(np.uint8))
    ev, ei = np_top_k(x, k)
    assert indices.dtype == "int32" and values.dtype == dtype
    got_i = to_numpy(indices)
    got_v = to_numpy(values)
    # Values are the chosen entries themselves, bit for bit.
    chosen = np.take_along_axis(x, got_i.astype(np.int64), axis=-1)
    assert np.array_equal(got_v.view(np.uint8), chosen.view(np.uint8))
    if sorted_:
        assert np.array_equal(got_i, ei)
    else:
        # Any order of the same entries.
        assert np.array_equal(np.sort(got_i, axis=-1), np.sort(ei, axis=-1))
    del ev


# Keras on JAX compiles for every new shape: a few shapes, fewer examples.
KERAS_SHAPES = [(7,), (3, 5), (2, 3, 4)]


@pytest.mark.parametrize("dtype", KERAS32_DTYPES)
@settings(max_examples=5)
@given(seed=seeds, shape=st.sampled_from(KERAS_SHAPES), data=st.data())
def test_top_k_matches_keras_on_jax(dtype, seed, shape, data, keras_ops):
    rng = np.random.default_rng(seed)
    x = _values(rng, tuple(shape), dtype, special=False)
    if kind(dtype) == "f":
        x = (x.astype(np.float32) + np.float32(0.0)).astype(np_dtype(dtype))  # no -0.0 ties
    k = data.draw(st.integers(0, shape[-1]))
    ev, ei = keras_ops.top_k(x, k)
    values, indices = kcore.top_k(_tensor(x), k)
    assert_tensor(indices, np.asarray(ei))
    assert_tensor(values, np.asarray(ev))


@pytest.mark.parametrize("n,k", [(1000, 1), (1000, 10), (1000, 100), (100000, 1), (100000, 10),
                                 (100000, 100), (200000, 150000)])
def test_top_k_long_rows_on_one_and_two_threads(n, k):
    rng = np.random.default_rng(n + k)
    x = rng.standard_normal((2, n)).astype(np.float32)
    x[0, rng.integers(0, n, 50)] = np.nan
    x[1, : n // 2] = 1.0  # many ties
    ev, ei = np_top_k(x, k)
    saved = kcore.num_threads()
    try:
        for threads in (1, 2):
            kcore.set_num_threads(threads)
            v, i = kcore.top_k(_tensor(x[1:]), k)  # one row: the split-row path with 2 threads
            assert_tensor(i, ei[1:])
            v, i = kcore.top_k(_tensor(x), k)
            assert_tensor(i, ei)
            assert_tensor(v, ev)
    finally:
        kcore.set_num_threads(saved)


def test_top_k_special_values_and_bool():
    x = np.array([1.0, np.nan, -np.nan, np.inf, -0.0, 0.0, -np.inf, 1.0], np.float32)
    v, i = kcore.top_k(_tensor(x), 8)
    assert to_numpy(i).tolist() == [1, 2, 3, 0, 7, 4, 5, 6]
    assert np.signbit(to_numpy(v)[5]) and not np.signbit(to_numpy(v)[6])
    v, i = kcore.top_k(_tensor(np.array([False, True, False, True])), 3)
    assert_tensor(v, np.array([True, True, False]))
    assert_tensor(i, np.array([1, 3, 0], np.int32))


def test_top_k_non_contiguous_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 9)).astype(np.float32)
    t = _tensor(x)
    for view, ref in [(kcore.transpose(t), x.T), (t[::-2, 1::3], x[::-2, 1::3])]:
        v, i = kcore.top_k(view, 2)
        ev, ei = np_top_k(ref, 2)
        assert_tensor(i, ei)
        assert_tensor(v, ev)


def test_top_k_arguments():
    x = _tensor(np.array([[5, 2, 7, 1, 9, 3]], np.int32))
    out = kcore.top_k(x, np.int64(3), sorted=True, is_stable=True)
    assert isinstance(out, tuple) and len(out) == 2
    assert_tensor(out[0], np.array([[9, 7, 5]], np.int32))
    assert_tensor(kcore.top_k(x, k=kcore.convert_to_tensor(2))[1], np.array([[4, 2]], np.int32))
    v, i = kcore.top_k([[3.0, 1.0, 2.0]], 2)  # lists are converted
    assert_tensor(i, np.array([[0, 2]], np.int32))
    assert kcore.top_k(np.zeros((0, 4), np.float32), 2)[0].shape == (0, 2)
    assert kcore.top_k(np.zeros((3, 0), np.float32), 0)[1].shape == (3, 0)


def test_top_k_errors():
    x = _tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"^top_k: k=5 is larger than the last dimension of x "
                                         r"\(3\); x.shape=\(2, 3\)$"):
        kcore.top_k(x, 5)
    with pytest.raises(ValueError, match="^top_k: k=-1"):
        kcore.top_k(x, -1)
    with pytest.raises(ValueError, match="^top_k"):
        kcore.top_k(_tensor(np.float32(1.0)), 1)
    with pytest.raises(TypeError, match="^top_k"):
        kcore.top_k(_tensor(np.zeros(3, np.complex64)), 1)
    with pytest.raises(TypeError, match="^top_k"):
        kcore.top_k(x, 1.5)
    with pytest.raises(ValueError, match="^top_k"):
        kcore.top_k(x, 2**70)


# ---------------------------------------------------------------------------------------------
# in_top_k


@pytest.mark.parametrize("dtype", ORDERED_DTYPES)
@given(seed=seeds, shape=st.lists(st.integers(0, 6), min_size=1, max_size=3),
       k=st.integers(-1, 8))
def test_in_top_k_every_dtype(dtype, seed, shape, k):
    rng = np.random.default_rng(seed)
    p = _values(rng, tuple(shape), dtype)
    n = shape[-1]
    t = rng.integers(-2, n + 2, size=tuple(shape[:-1])).astype(np.int32)
    got = kcore.in_top_k(_tensor(t), _tensor(p), k)
    assert_tensor(got, np_in_top_k(t, p, k))


@pytest.mark.parametrize("target_dtype", INT_DTYPES)
def test_in_top_k_every_target_dtype(target_dtype, rng):
    p = rng.standard_normal((20, 7)).astype(np.float32)
    info = np.iinfo(target_dtype)
    t = rng.integers(0, 7, 20).astype(target_dtype)
    t[:3] = [info.max, info.min, 6]
    for k in (1, 3, 7, 8):
        assert_tensor(kcore.in_top_k(_tensor(t), _tensor(p), k), np_in_top_k(t, p, k))


# Keras on JAX compiles for every new shape: a few shapes, fewer examples.
KERAS_SHAPES = [(7,), (3, 5), (2, 3, 4)]


@pytest.mark.parametrize("dtype", KERAS32_DTYPES)
@settings(max_examples=5)
@given(seed=seeds, shape=st.sampled_from(KERAS_SHAPES), k=st.integers(0, 7))
def test_in_top_k_matches_keras_on_jax(dtype, seed, shape, k, keras_ops):
    if dtype == "bool":
        return  # JAX's in_top_k compares bools through -inf (a float): not defined for bool
    rng = np.random.default_rng(seed)
    p = _values(rng, tuple(shape), dtype, special=False)
    t = rng.integers(0, shape[-1], size=tuple(shape[:-1])).astype(np.int32)
    expected = np.asarray(keras_ops.in_top_k(t, p, k))
    assert_tensor(kcore.in_top_k(_tensor(t), _tensor(p), k), expected)


def test_in_top_k_edge_cases():
    # The seed's example.
    targets = kcore.convert_to_tensor([2, 5, 3])
    predictions = kcore.convert_to_tensor([[0.1, 0.4, 0.6, 0.9, 0.5], [0.1, 0.7, 0.9, 0.8, 0.3],
                                           [0.1, 0.6, 0.9, 0.9, 0.5]])
    assert_tensor(kcore.in_top_k(targets, predictions, k=3), np.array([True, False, True]))
    # Ties at the boundary count as in; NaN elsewhere is ignored; NaN at the target is out.
    assert _np(kcore.in_top_k([0], [[0.95, 0.95, 0.0, 0.95]], 1)).tolist() == [True]
    assert _np(kcore.in_top_k([2], [[0.1, 0.8, 0.8, 0.95]], 1)).tolist() == [False]
    assert _np(kcore.in_top_k([2], [[0.1, 0.8, 0.8, 0.95]], 2)).tolist() == [True]
    assert _np(kcore.in_top_k([1], [[0.1, np.nan, 0.5]], 3)).tolist() == [False]
    assert _np(kcore.in_top_k([2], [[np.nan, np.nan, 0.5]], 1)).tolist() == [True]
    # Out-of-range targets and k <= 0 are False, k > n is True.
    assert _np(kcore.in_top_k([3, -1, 0], [[1.0, 2.0, 3.0]] * 3, 5)).tolist() == [False, False, True]
    assert _np(kcore.in_top_k([2], [[1.0, 2.0, 3.0]], 0)).tolist() == [False]
    # Rank-1 predictions take a scalar target; zero rows give an empty result.
    assert kcore.in_top_k(1, [0.1, 0.9, 0.5], 1).shape == ()
    assert kcore.in_top_k(np.zeros((0,), np.int32), np.zeros((0, 3)), 1).shape == (0,)


def test_in_top_k_errors():
    p = np.zeros((2, 5), np.float32)
    with pytest.raises(ValueError, match="^in_top_k: received targets of dtype float32"):
        kcore.in_top_k(np.array([1.0, 2.0], np.float32), p, 1)
    with pytest.raises(ValueError, match="^in_top_k: received targets of shape"):
        kcore.in_top_k(np.array([1, 2, 3], np.int32), p, 1)
    with pytest.raises(ValueError, match="^in_top_k"):
        kcore.in_top_k(np.array([True, False]), p, 1)
    with pytest.raises(ValueError, match="^in_top_k"):
        kcore.in_top_k(0, np.float32(1.0), 1)
    with pytest.raises(TypeError, match="^in_top_k"):
        kcore.in_top_k(np.array([0, 1], np.int32), np.zeros((2, 3), np.complex64), 1)


# ---------------------------------------------------------------------------------------------
# segment_sum, segment_max


def _ids(rng, n, num_segments, dtype="int32"):
    ids = rng.integers(0, max(num_segments, 1), n)
    r = rng.random(n)
    ids = np.where(r < 0.1, -1, ids)
    ids = np.where((r >= 0.1) & (r < 0.15), num_segments + rng.integers(0, 3, n), ids)
    info = np.iinfo(dtype)
    return np.clip(ids, info.min, info.max).astype(dtype)


@pytest.mark.parametrize("op", ["sum", "max"])
@pytest.mark.parametrize("dtype", SEGMENT_DTYPES)
@given(seed=seeds, n=st.integers(0, 12), inner=st.lists(st.integers(0, 3), max_size=2),
       num_segments=st.integers(0, 6), sorted_=st.booleans())
def test_segment_every_dtype(op, dtype, seed, n, inner, num_segments, sorted_):
    if op == "max" and kind(dtype) == "c":
        return
    rng = np.random.default_rng(seed)
    data = _values(rng, (n,) + tuple(inner), dtype)
    ids = _ids(rng, n, num_segments)
    if sorted_:
        ids = np.sort(ids)
    before = data.copy()
    fn = getattr(kcore, f"segment_{op}")
    got = fn(_tensor(data), _tensor(ids), num_segments, sorted=sorted_)
    assert np.array_equal(data.view(np.uint8), before.view(np.uint8))
    assert_tensor(got, np_segment(op, data, ids, num_segments))


@pytest.mark.parametrize("op", ["sum", "max"])
@pytest.mark.parametrize("id_dtype", INT_DTYPES)
def test_segment_every_id_dtype(op, id_dtype, rng):
    info = np.iinfo(id_dtype)
    ids = np.array([3, 0, 1, 3, info.max, info.min, 2, 1], id_dtype)
    data = rng.standard_normal((8, 2)).astype(np.float32)
    got = getattr(kcore, f"segment_{op}")(_tensor(data), _tensor(ids), 4)
    assert_tensor(got, np_segment(op, data, ids, 4))


@pytest.mark.parametrize("op", ["sum", "max"])
@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "float16", "bool"])
@settings(max_examples=5)
@given(seed=seeds, shape=st.sampled_from(KERAS_SHAPES), num_segments=st.integers(1, 6))
def test_segment_matches_keras_on_jax(op, dtype, seed, shape, num_segments, keras_ops):
    if dtype == "bool" and op == "sum":
        return  # JAX's scatter-add rejects bool; kcore's bool sum is logical or
    rng = np.random.default_rng(seed)
    data = _values(rng, shape, dtype, special=False)
    if kind(dtype) == "f":
        data = (data.astype(np.float32) + np.float32(0)).astype(data.dtype)
    ids = _ids(rng, shape[0], num_segments)
    expected = np.asarray(getattr(keras_ops, f"segment_{op}")(data, ids, num_segments))
    got = getattr(kcore, f"segment_{op}")(_tensor(data), _tensor(ids), num_segments)
    rtol = 2e-3 if dtype == "float16" else 1e-6 if dtype == "float32" else 0
    assert_tensor(got, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("op", ["sum", "max"])
@pytest.mark.parametrize("n,inner,num_segments,sorted_", [
    (200000, (), 50, False), (200000, (), 50, True), (3000, (300,), 20, False),
    (100000, (), 150000, False), (50000, (3,), 700, True), (100000, (2,), 9, False)])
def test_segment_paths_same_on_one_and_two_threads(op, n, inner, num_segments, sorted_):
    rng = np.random.default_rng(n)
    data = rng.standard_normal((n,) + inner).astype(np.float32)
    ids = _ids(rng, n, num_segments)
    if sorted_:
        ids = np.sort(ids)
    expected = np_segment(op, data, ids, num_segments) if n * max(1, np.prod(inner)) < 10**6 \
        or op == "sum" else None
    fn = getattr(kcore, f"segment_{op}")
    saved = kcore.num_threads()
    results = []
    try:
        for threads in (1, 2):
            kcore.set_num_threads(threads)
            results.append(to_numpy(fn(_tensor(data), _tensor(ids), num_segments, sorted_)))
    finally:
        kcore.set_num_threads(saved)
    assert np.array_equal(results[0].view(np.uint32), results[1].view(np.uint32))
    if expected is not None:
        assert np.array_equal(results[0].view(np.uint32), expected.view(np.uint32))


def test_segment_seed_examples_and_num_segments_none():
    data = kcore.convert_to_tensor([1, 2, 10, 20, 100, 200])
    segment_ids = kcore.convert_to_tensor([0, 0, 1, 1, 2, 2])
    assert_tensor(kcore.segment_sum(data, segment_ids, 3), np.array([3, 30, 300], np.int32))
    assert_tensor(kcore.segment_max(data, segment_ids, 3), np.array([2, 20, 200], np.int32))
    assert_tensor(kcore.segment_sum(data, segment_ids), np.array([3, 30, 300], np.int32))
    assert kcore.segment_sum(data, [0, 4, -1, 4, 0, 0]).shape == (5,)
    assert kcore.segment_max(data, [-1] * 6).shape == (0,)
    assert kcore.segment_sum(np.zeros((0, 3)), np.zeros(0, np.int32)).shape == (0, 3)
    with pytest.raises(ValueError, match="^segment_sum"):
        kcore.segment_sum([1.0, 2.0], np.array([0, 2**64 - 1], np.uint64))
    # Explicit num_segments: huge ids are dropped.
    assert_tensor(kcore.segment_sum(np.ones(2, np.float32), np.array([0, 2**64 - 1], np.uint64),
                                    num_segments=2), np.array([1.0, 0.0], np.float32))


def test_segment_empty_segments_and_sorted_flag():
    ids = np.array([1, 1], np.int32)
    assert_tensor(kcore.segment_max(np.array([1.0, 2.0], np.float32), ids, 3),
                  np.array([-np.inf, 2.0, -np.inf], np.float32))
    assert_tensor(kcore.segment_max(np.array([1, 2], np.int8), ids, 2), np.array([-128, 2], np.int8))
    assert_tensor(kcore.segment_max(np.array([1, 2], np.uint32), ids, 2),
                  np.array([0, 2], np.uint32))
    assert_tensor(kcore.segment_max(np.array([True, False]), ids, 2), np.array([False, True]))
    assert_tensor(kcore.segment_sum(np.array([True, True]), ids, 2), np.array([False, True]))
    assert kcore.segment_sum(np.ones((2, 0, 3)), ids, 4).shape == (4, 0, 3)
    assert kcore.segment_sum(np.ones((2, 3)), ids, 0).shape == (0, 3)
    # A broken sorted promise: unspecified values, but the right shape and no crash.
    rng = np.random.default_rng(0)
    for num_segments in (0, 1, 7, 1000):
        bad = rng.integers(-5, num_segments + 5, 100000)
        out = kcore.segment_sum(rng.standard_normal(100000), bad, num_segments, sorted=True)
        assert out.shape == (num_segments,)
    # Signed zeros: +0.0 wins the max, whatever the order.
    assert not np.signbit(to_numpy(kcore.segment_max(np.array([-0.0, 0.0, 0.0, -0.0]),
                                                     [0, 0, 1, 1], 2))).any()


def test_segment_non_contiguous_inputs():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 6)).astype(np.float32)
    t = _tensor(x)
    ids_t = _tensor(np.array([0, 5, 1, 1, 3, 2, 0, 4, 4, 1, 2, 0], np.int64))
    for op in ("sum", "max"):
        fn = getattr(kcore, f"segment_{op}")
        got = fn(kcore.transpose(t), ids_t[::2], 3)
        assert_tensor(got, np_segment(op, x.T, np.array([0, 1, 3, 0, 4, 2]), 3))


def test_segment_errors():
    data = np.ones((4, 2), np.float32)
    ids = np.array([0, 1, 1, 0], np.int32)
    for op in ("sum", "max"):
        fn = getattr(kcore, f"segment_{op}")
        name = f"^segment_{op}"
        with pytest.raises(ValueError, match=name + ": received segment_ids of shape"):
            fn(data, np.array([0, 1, 1], np.int32), 2)
        with pytest.raises(ValueError, match=name + ": received segment_ids of shape"):
            fn(data, np.array([[0, 1], [1, 0]], np.int32), 2)
        with pytest.raises(ValueError, match=name + ": received segment_ids of dtype float32"):
            fn(data, ids.astype(np.float32), 2)
        with pytest.raises(ValueError, match=name):
            fn(data, ids.astype(bool), 2)
        with pytest.raises(ValueError, match=name + ": num_segments=-1"):
            fn(data, ids, -1)
        with pytest.raises(ValueError, match=name):
            fn(np.float32(1.0), ids, 2)
        with pytest.raises(ValueError, match=name):
            fn(data.astype(ml_dtypes.float8_e4m3fn), ids, 2)
        with pytest.raises(ValueError, match=name):
            fn(data, ids, 2**62)
        with pytest.raises(TypeError, match=name):
            fn(data, ids, 2.5)
    with pytest.raises(TypeError, match="^segment_max"):
        kcore.segment_max(np.ones(4, np.complex64), ids, 2)
    assert kcore.segment_sum(np.ones(4, np.complex64), ids, 2).dtype == "complex64"


# ---------------------------------------------------------------------------------------------
# Gradients and batching


def test_top_k_gradient_matches_jax(rng):
    x = rng.standard_normal((3, 8)).astype(np.float32)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    g = _np(kcore.grad(lambda v: kcore.sum(kcore.top_k(v, 4)[0] * w))(_tensor(x)))
    expected = jax.grad(lambda v: jnp.sum(jax.lax.top_k(v, 4)[0] * w))(jnp.asarray(x))
    np.testing.assert_array_equal(g, np.asarray(expected))


@pytest.mark.parametrize("op", ["sum", "max"])
def test_segment_gradients_match_jax(op, rng):
    data = rng.standard_normal((12, 3)).astype(np.float32)
    data[3] = data[1]  # ties in segment_max share equally
    ids = np.array([0, 2, 1, 2, 0, -1, 4, 1, 1, 0, 7, 2], np.int32)
    w = rng.standard_normal((5, 3)).astype(np.float32)
    kf = getattr(kcore, f"segment_{op}")
    jf = getattr(jax.ops, f"segment_{op}")
    g = _np(kcore.grad(lambda v: kcore.sum(
        kcore.where(kf(v, ids, 5) > -1e30, kf(v, ids, 5) * w, 0.0)))(_tensor(data)))
    expected = jax.grad(lambda v: jnp.sum(
        jnp.where(jf(v, ids, 5) > -1e30, jf(v, ids, 5) * w, 0.0)))(jnp.asarray(data))
    np.testing.assert_allclose(g, np.asarray(expected), rtol=1e-6)


def test_gradient_of_gradient_through_segments():
    x = kcore.convert_to_tensor(np.array([1.0, 3.0, 3.0, 2.0, 5.0, -1.0]))
    ids = [0, 0, 0, 1, -1, 3]
    inner = kcore.grad(lambda v: kcore.sum(kcore.segment_sum(v * v, ids, 2)))
    assert _np(kcore.grad(lambda v: kcore.sum(inner(v)))(x)).tolist() == [2, 2, 2, 2, 0, 0]
    assert _np(kcore.grad(lambda v: kcore.sum(kcore.segment_max(v, ids, 2)))(x)).tolist() == \
        [0, 0.5, 0.5, 1, 0, 0]


def test_in_top_k_has_no_gradient():
    p = kcore.convert_to_tensor(np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1]]))
    g = kcore.grad(lambda v: kcore.sum(
        kcore.expand_dims(kcore.cast(kcore.in_top_k([2, 0], v, 1), "float64"), 1) * v))(p)
    assert _np(g).tolist() == [[0, 0, 0], [1, 1, 1]]
    with pytest.raises(TypeError):
        kcore.grad(lambda i: kcore.sum(kcore.segment_sum(np.ones(2), i, 3)))(
            kcore.convert_to_tensor([0, 1]))


def test_vectorized_map_matches_loop(rng):
    x = rng.standard_normal((4, 3, 9)).astype(np.float32)
    out = kcore.vectorized_map(lambda v: kcore.top_k(v, 3), _tensor(x))
    for b in range(4):
        v, i = kcore.top_k(_tensor(x[b]), 3)
        assert_tensor(out[0][b], to_numpy(v))
        assert_tensor(out[1][b], to_numpy(i))
    data = rng.standard_normal((5, 30000)).astype(np.float32)
    ids = rng.integers(-2, 30, (5, 30000)).astype(np.int32)
    t = rng.integers(-1, 9, (4, 3)).astype(np.int64)
    for op in ("sum", "max"):
        fn = getattr(kcore, f"segment_{op}")
        batched = kcore.vectorized_map(lambda e: fn(e[0], e[1], 25), (_tensor(data), _tensor(ids)))
        shared = kcore.vectorized_map(lambda d: fn(d, ids[0], 25), _tensor(data))
        for b in range(5):
            assert_tensor(batched[b], to_numpy(fn(data[b], ids[b], 25)))
            assert_tensor(shared[b], to_numpy(fn(data[b], ids[0], 25)))
    got = kcore.vectorized_map(lambda e: kcore.in_top_k(e[0], e[1], 2), (_tensor(t), _tensor(x)))
    assert_tensor(got, np.stack([np_in_top_k(t[b], x[b], 2) for b in range(4)]))
    with pytest.raises(ValueError, match="^segment_sum"):
        kcore.vectorized_map(lambda e: kcore.segment_sum(e[0], e[1]), (_tensor(data), _tensor(ids)))
