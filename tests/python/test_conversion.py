"""convert_to_tensor, convert_to_numpy, is_tensor, shape and cast (SEMANTICS §1-§2,
reference §1-§5).

Oracles: NumPy / ml_dtypes (kc_testing.np_cast for cast), keras.ops on JAX for 32-bit dtypes.
"""

import gc
import itertools
import sys

import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kcore
from kc_testing import (ALL_DTYPES, COMPLEX_DTYPES, FLOAT8_DTYPES, KERAS32_DTYPES, assert_array,
                        assert_tensor, kind, np_cast, np_dtype, random_values, shapes, to_numpy)

# ---------------------------------------------------------------------------------------------
# Python scalars and nested lists


@pytest.mark.parametrize("value,dtype", [
    (True, "bool"), (False, "bool"),
    (0, "int32"), (-7, "int32"), (2**31 - 1, "int32"), (-2**31, "int32"),
    (2**30 - 1, "int32"), (2**30, "int32"), (-2**30 + 1, "int32"), (-2**30, "int32"),
    (2**31, "int64"), (-2**31 - 1, "int64"), (2**63 - 1, "int64"), (-2**63, "int64"),
    (2**63, "uint64"), (2**64 - 1, "uint64"),
    (1.5, "float32"), (-0.0, "float32"), (float("inf"), "float32"), (1e300, "float32"),
])
def test_python_scalar_defaults(value, dtype):
    t = kcore.convert_to_tensor(value)
    assert t.shape == ()
    if dtype in ("int64", "uint64"):
        # Keras on JAX cannot hold these (x64 off): SEMANTICS §1 widens instead.
        assert_tensor(t, np.array(value, dtype=dtype))
    else:
        assert_tensor(t, np.array(value).astype(dtype))


@pytest.mark.parametrize("value", [2**64, -2**63 - 1, 10**30, -10**30])
def test_python_int_beyond_64_bits_is_value_error(value):
    with pytest.raises(ValueError, match="^convert_to_tensor"):
        kcore.convert_to_tensor(value)
    with pytest.raises(ValueError):
        kcore.convert_to_tensor([1, value])


NESTED = [
    ([[1, 2], [3, 4]], "int32"),
    ([1, 2.5], "float32"),
    ([True, 1], "int32"),
    ([True, False], "bool"),
    ([[True], [2.5]], "float32"),
    ((1, 2, 3), "int32"),
    ([(1, 2), [3, 4]], "int32"),
    ([[[1.0, 2.0]], [[3.0, 4.0]]], "float32"),
    ([1, 2**40], "int64"),
    ([2**40, 0.5], "float32"),
    ([[], []], "float32"),
    ([[[]]], "float32"),
    ([], "float32"),
    ((), "float32"),
]


@pytest.mark.parametrize("value,dtype", NESTED, ids=repr)
def test_nested_list_defaults(value, dtype):
    t = kcore.convert_to_tensor(value)
    expected = np.array(value, dtype=np.float64 if dtype.startswith("float") else None)
    assert_tensor(t, expected.astype(dtype), dtype)


@pytest.mark.parametrize("value", [v for v, _ in NESTED if "2**40" not in repr(v)
                                   and max(np.abs(np.array(v, dtype=float)).ravel(),
                                           default=0) < 2**31], ids=repr)
def test_nested_list_dtype_matches_keras_on_jax(value, keras_ops):
    expected = keras_ops.convert_to_tensor(value)
    t = kcore.convert_to_tensor(value)
    assert t.dtype == str(expected.dtype)
    assert_tensor(t, np.asarray(expected))


def test_nested_lists_containing_tensors_and_arrays(keras_ops):
    a = kcore.convert_to_tensor(np.array([1, 2], dtype=np.int8))
    t = kcore.convert_to_tensor([a, [3, 4]])
    assert_tensor(t, np.array([[1, 2], [3, 4]], dtype=np.int8))
    assert t.dtype == str(keras_ops.convert_to_tensor([jnp.array([1, 2], jnp.int8), [3, 4]]).dtype)
    t = kcore.convert_to_tensor((1, kcore.convert_to_tensor(2), 3))
    assert_tensor(t, np.array([1, 2, 3], dtype=np.int32))
    t = kcore.convert_to_tensor([np.arange(3, dtype=np.int16), np.arange(3, dtype=np.int16)])
    assert_tensor(t, np.stack([np.arange(3, dtype=np.int16)] * 2))
    t = kcore.convert_to_tensor([np.float16(1.5), 2])
    assert_tensor(t, np.array([1.5, 2], dtype=np.float16))
    t = kcore.convert_to_tensor([kcore.ones((2,), "float16"), np.ones(2, np.float32)])
    assert_tensor(t, np.ones((2, 2), np.float32))


# Built lazily: a kcore tensor held by a module-level parameter list outlives the module and
# nanobind reports it as a leak at exit.
@pytest.mark.parametrize("make", [
    lambda: [[1, 2], [3]], lambda: [1, [2]], lambda: [[1], 2], lambda: [[[1, 2]], [[3]]],
    lambda: [[1, 2], []], lambda: [np.zeros(2), np.zeros(3)],
    lambda: [kcore.zeros((2,)), kcore.zeros((2, 1))],
])
def test_ragged_nested_lists_are_value_errors(make):
    with pytest.raises(ValueError, match="^convert_to_tensor"):
        kcore.convert_to_tensor(make())


def test_nested_lists_convert_straight_to_the_requested_dtype():
    # Each element is converted once to dtype, as np.array(x, dtype) does; promoting the list
    # first (to float32 here) and casting afterwards would lose digits.
    values = [0.1, 2.0 / 3.0, 1e-300]
    for fn in (lambda v, d: kcore.convert_to_tensor(v, dtype=d), kcore.cast,
               lambda v, d: kcore.array(v, dtype=d)):
        assert_tensor(fn(values, "float64"), np.array(values, dtype=np.float64))
        assert_tensor(fn([values], "complex128"), np.array([values], dtype=np.complex128))
        big = [2**63 + 5, 1, 2**64 - 1]
        assert_tensor(fn(big, "uint64"), np.array(big, dtype=np.uint64))
        assert_tensor(fn([2**62 + 1, -3], "int64"), np.array([2**62 + 1, -3], dtype=np.int64))
        assert_tensor(fn([[1.9, -1.9]], "int32"), np.array([[1, -1]], dtype=np.int32))
    assert_tensor(kcore.convert_to_tensor(0.1, dtype="float64"), np.array(0.1))
    assert_tensor(kcore.full((2,), 0.1, dtype="float64"), np.full((2,), 0.1))


def test_ragged_argument():
    with pytest.raises(ValueError, match="ragged"):
        kcore.convert_to_tensor([1.0], ragged=True)
    assert kcore.convert_to_tensor([1.0], ragged=False).shape == (1,)


@pytest.mark.parametrize("bad", [object(), "abc", b"abc", {1: 2}, {1, 2}, None, np.array(["a"]),
                                 np.array([1, 2], dtype=object), np.zeros(2, "datetime64[s]")],
                         ids=repr)
def test_unconvertible_inputs_are_type_errors(bad):
    with pytest.raises(TypeError, match="^convert_to_tensor"):
        kcore.convert_to_tensor(bad)


# ---------------------------------------------------------------------------------------------
# NumPy arrays


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@given(shape=shapes)
def test_numpy_arrays_keep_dtype_and_values(dtype, shape):
    rng = np.random.default_rng(len(shape) * 7919 + sum(shape))
    a = random_values(rng, shape, dtype)
    t = kcore.convert_to_tensor(a)
    assert_tensor(t, a)
    assert kcore.shape(t) == a.shape
    assert_array(np.asarray(t), a)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_numpy_scalars_keep_dtype(dtype, rng):
    s = random_values(rng, (), dtype)[()]
    assert isinstance(s, np.generic)
    t = kcore.convert_to_tensor(s)
    assert_tensor(t, np.asarray(s))


@pytest.mark.parametrize("dtype", ["float32", "int64", "complex128", "bfloat16", "uint16", "bool",
                                   "float8_e4m3fn"])
def test_non_contiguous_and_negative_strides(dtype, rng):
    base = random_values(rng, (6, 7, 5), dtype)
    views = [base[::2], base[:, ::-3], base[::-1, 1::2, ::-2], base.transpose(2, 0, 1),
             np.asfortranarray(base), base[:, 3], base[..., ::-1][::-1], base[:, :0],
             np.broadcast_to(base[:1, :1], (4, 7, 5)), base[None, ::3, 2:3, :, None]]
    for v in views:
        assert_tensor(kcore.convert_to_tensor(v), np.ascontiguousarray(v), msg=str(v.strides))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "int64", "uint32", "complex64",
                                   "complex128", "float16"])
def test_big_endian_arrays(dtype, rng):
    a = random_values(rng, (3, 4), dtype)
    be = a.astype(np.dtype(dtype).newbyteorder(">"))
    assert not be.dtype.isnative
    assert_tensor(kcore.convert_to_tensor(be), a)
    assert_tensor(kcore.convert_to_tensor(be[::-1, ::2]), a[::-1, ::2])


def test_unaligned_arrays(rng):
    raw = rng.integers(0, 255, 8 * 10 + 3, dtype=np.uint8).tobytes()
    for dtype in ("float32", "int64", "complex64", "float64"):
        a = np.frombuffer(raw, dtype=dtype, offset=1, count=(len(raw) - 1) // np.dtype(
            dtype).itemsize)
        assert not a.flags.aligned or np.dtype(dtype).alignment == 1
        assert_tensor(kcore.convert_to_tensor(a), a.copy())
    # Strides that are not a multiple of the item size (a field of a packed record).
    rec = np.zeros(5, dtype=[("a", "u1"), ("b", "<f4")])
    rec["b"] = np.arange(5) * 1.5
    assert rec["b"].strides == (5,)
    assert_tensor(kcore.convert_to_tensor(rec["b"]), np.arange(5, dtype=np.float32) * 1.5)


def test_bool_arrays_with_non_canonical_bytes():
    raw = np.array([0, 1, 2, 255, 0], dtype=np.uint8)
    b = raw.view(np.bool_)
    t = kcore.convert_to_tensor(b)
    assert_tensor(kcore.cast(t, "uint8"), np.array([0, 1, 1, 1, 0], dtype=np.uint8))
    assert_tensor(kcore.equal(t, True), np.array([False, True, True, True, False]))


def test_numpy_source_mutation_does_not_change_the_tensor():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = kcore.convert_to_tensor(a)
    t2 = kcore.convert_to_tensor(a[:, ::2])
    t3 = kcore.convert_to_tensor([a[0], a[1]])
    t4 = kcore.convert_to_tensor(a, dtype="float32")
    t5 = kcore.array(a)
    a[...] = -1
    expected = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert_tensor(t, expected)
    assert_tensor(t2, expected[:, ::2])
    assert_tensor(t3, expected[:2])
    assert_tensor(t4, expected)
    assert_tensor(t5, expected)


def test_numpy_array_with_dtype_argument_casts(rng):
    a = random_values(rng, (4, 5), "float64")
    for d in ["float32", "int8", "uint16", "bool", "bfloat16", "complex64", "float8_e5m2"]:
        assert_tensor(kcore.convert_to_tensor(a, dtype=d), np_cast(a, d), d)


@pytest.mark.parametrize("dtype", KERAS32_DTYPES)
def test_numpy_arrays_match_keras_on_jax(dtype, rng, keras_ops):
    a = random_values(rng, (3, 5), dtype, special=False)
    expected = keras_ops.convert_to_tensor(a)
    assert_tensor(kcore.convert_to_tensor(a), np.asarray(expected))


@pytest.mark.parametrize("dtype", ["int32", "float32", "int8", "uint8", "float16", "bfloat16",
                                   "bool"])
def test_convert_with_dtype_matches_keras_on_jax(dtype, keras_ops):
    values = [[1.75, 2.25, 0.0], [3.5, 100.0, 7.0]]
    if kind(dtype) in "if":
        values[1][0] = -3.5
    expected = keras_ops.convert_to_tensor(values, dtype=dtype)
    assert_tensor(kcore.convert_to_tensor(values, dtype=dtype), np.asarray(expected))
    ints = [[0, 1, 2], [3, 4, 5]]
    expected = keras_ops.convert_to_tensor(ints, dtype=dtype)
    assert_tensor(kcore.convert_to_tensor(ints, dtype=dtype), np.asarray(expected))


# ---------------------------------------------------------------------------------------------
# DLPack producers and JAX arrays


class _DLPackOnly:
    """A producer that offers nothing but the DLPack protocol."""

    def __init__(self, array):
        self._array = array

    def __dlpack__(self, **kwargs):
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "uint64", "bool", "complex64",
                                   "float16"])
def test_dlpack_only_producer(dtype, rng):
    a = random_values(rng, (3, 4), dtype)
    src = a.copy()
    t = kcore.convert_to_tensor(_DLPackOnly(src))
    src[...] = src[::-1]  # the tensor holds a copy
    assert_tensor(t, a)
    assert_tensor(kcore.convert_to_tensor(_DLPackOnly(a[:, ::-2])), a[:, ::-2])


@pytest.mark.parametrize("dtype", KERAS32_DTYPES)
def test_jax_arrays(dtype, rng):
    a = random_values(rng, (2, 3, 4), dtype, special=False)
    j = jnp.asarray(a)
    assert str(j.dtype) == dtype
    assert_tensor(kcore.convert_to_tensor(j), a)
    assert_tensor(kcore.convert_to_tensor(j[:, ::-1]), a[:, ::-1])
    assert not kcore.is_tensor(j)


@pytest.mark.parametrize("dtype", [d for d in ALL_DTYPES if d not in ("bfloat16",) + tuple(
    FLOAT8_DTYPES)])
def test_dlpack_round_trip_through_numpy(dtype, rng):
    a = random_values(rng, (4, 3), dtype)
    t = kcore.convert_to_tensor(a)
    assert t.__dlpack_device__() == (1, 0)
    v = np.from_dlpack(t)
    assert_array(v, a)
    assert not v.flags.writeable  # tensors are immutable; the export is read-only
    assert np.shares_memory(v, np.asarray(t))  # zero-copy
    assert_tensor(kcore.convert_to_tensor(v), a)
    w = np.from_dlpack(t[::-1, 1:])
    assert_array(w, a[::-1, 1:])


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int8", "uint32", "bool", "float16"])
def test_dlpack_export_to_jax(dtype, rng):
    a = random_values(rng, (3, 4), dtype, special=False)
    t = kcore.convert_to_tensor(a)
    j = jnp.from_dlpack(t)
    assert str(j.dtype) == dtype
    assert_array(np.asarray(j), a)


# ---------------------------------------------------------------------------------------------
# Tensors and sparse tensors


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tensors_are_returned_as_is(dtype):
    t = kcore.ones((2, 3), dtype)
    assert kcore.convert_to_tensor(t) is t
    assert kcore.convert_to_tensor(t, dtype=dtype) is t
    assert kcore.convert_to_tensor(t, dtype=np_dtype(dtype)) is t
    assert kcore.convert_to_tensor(t, sparse=False) is t
    assert kcore.convert_to_tensor(t, sparse=True) is t  # Keras: sparse=True keeps dense dense
    other = "int16" if dtype != "int16" else "float32"
    u = kcore.convert_to_tensor(t, dtype=other)
    assert u is not t
    assert_tensor(u, np.ones((2, 3), other))


def _sparse():
    return kcore.SparseTensor([[0, 1], [1, 2], [0, 1]], [1.5, -2.0, 0.25], (2, 3))


def test_sparse_tensor_conversion():
    s = _sparse()
    dense = np.array([[0, 1.75, 0], [0, 0, -2.0]], dtype=np.float32)  # duplicates add up
    assert isinstance(kcore.convert_to_tensor(s), kcore.SparseTensor)
    assert kcore.shape(s) == (2, 3)
    assert kcore.is_tensor(s)
    d = kcore.convert_to_tensor(s, sparse=False)
    assert isinstance(d, kcore.Tensor)
    assert_tensor(d, dense)
    assert_tensor(s.todense(), dense)
    assert_array(kcore.convert_to_numpy(s), dense)
    c = kcore.cast(s, "float64")
    assert_tensor(c.todense() if isinstance(c, kcore.SparseTensor) else c,
                  dense.astype(np.float64))


def test_sparse_tensor_validation():
    with pytest.raises(IndexError):
        kcore.SparseTensor([[0, 3]], [1.0], (2, 3))
    with pytest.raises((ValueError, IndexError)):
        kcore.SparseTensor([[0, -1]], [1.0], (2, 3))
    with pytest.raises(ValueError):
        kcore.SparseTensor([[0, 1]], [1.0, 2.0], (2, 3))


# ---------------------------------------------------------------------------------------------
# convert_to_numpy and zero-copy export


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_convert_to_numpy_is_a_fresh_writable_copy(dtype, rng):
    a = random_values(rng, (3, 4), dtype)
    t = kcore.convert_to_tensor(a)
    out = kcore.convert_to_numpy(t)
    assert type(out) is np.ndarray
    assert out.dtype == np_dtype(dtype)
    assert out.flags.writeable and out.flags.owndata
    assert not np.shares_memory(out, np.asarray(t))
    assert_array(out, a)
    out[0, 0] = out[1, 1]
    out[...] = out[::-1]
    assert_tensor(t, a)  # writing the copy leaves the tensor alone
    # 0-d and views
    assert_array(kcore.convert_to_numpy(t[1, 2]), a[1, 2][()] if a.ndim else a)
    assert_array(kcore.convert_to_numpy(t[::-1, ::2]), a[::-1, ::2])


def test_numpy_view_keeps_its_tensor_alive(rng):
    import gc

    a = random_values(rng, (64, 3), "float32")
    v = np.asarray(kcore.convert_to_tensor(a)[::2])  # the tensor is gone after this line
    gc.collect()
    junk = [kcore.convert_to_tensor(np.zeros_like(a)) for _ in range(8)]
    assert_array(v, a[::2])
    assert v.base is not None and not v.flags.owndata
    del junk


def test_convert_to_numpy_of_python_values_uses_numpy_defaults():
    # reference §3: Python scalars and lists get NumPy's defaults, not Keras'.
    for v in ([1, 2], 3.5, [[1.0], [2.0]], True):
        out = kcore.convert_to_numpy(v)
        assert isinstance(out, np.ndarray)
        assert_array(out, np.array(v))
    a = np.arange(3)
    out = kcore.convert_to_numpy(a)
    assert not np.shares_memory(out, a)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_asarray_is_a_read_only_zero_copy_view(dtype, rng):
    a = random_values(rng, (4, 5), dtype)
    t = kcore.convert_to_tensor(a)
    v = np.asarray(t)
    assert v.dtype == np_dtype(dtype)
    assert not v.flags.writeable
    with pytest.raises(ValueError):
        v[0, 0] = v[1, 1]
    with pytest.raises(ValueError):
        v.flags.writeable = True
    assert np.shares_memory(v, np.asarray(t))
    assert_array(v, a)
    s = t[::2, ::-1]
    vs = np.asarray(s)
    assert np.shares_memory(vs, v)  # a view of a view: still the same buffer
    assert_array(vs, a[::2, ::-1])
    c = np.array(t)  # np.array copies by default
    assert c.flags.writeable and not np.shares_memory(c, v)
    assert_array(c, a)
    if kind(dtype) in ("f", "i", "u"):
        assert_array(np.asarray(t, dtype=np.float64), a.astype(np.float64))


def test_views_keep_the_tensor_alive():
    v = np.asarray(kcore.arange(1000))
    m = memoryview(kcore.arange(10, dtype="int64"))
    d = np.from_dlpack(kcore.arange(5, dtype="float64") * 2.0)
    gc.collect()
    np.testing.assert_array_equal(v, np.arange(1000, dtype=np.int32))
    assert m.tolist() == list(range(10))
    np.testing.assert_array_equal(d, np.arange(5) * 2.0)


@pytest.mark.parametrize("dtype", [d for d in ALL_DTYPES if d != "bfloat16"
                                   and d not in FLOAT8_DTYPES])
def test_memoryview(dtype, rng):
    a = random_values(rng, (3, 4), dtype)
    t = kcore.convert_to_tensor(a)
    m = memoryview(t)
    assert m.readonly
    assert m.shape == (3, 4)
    assert m.itemsize == a.itemsize
    assert m.tobytes() == a.tobytes()
    assert np.asarray(m).dtype == np.dtype(dtype)
    with pytest.raises(TypeError):
        m.cast("B")[0] = 0  # read-only memory
    ms = memoryview(t[:, ::-2])
    assert ms.tobytes() == np.ascontiguousarray(a[:, ::-2]).tobytes()
    assert_array(np.asarray(ms), a[:, ::-2])


@pytest.mark.parametrize("dtype", ["bfloat16"] + FLOAT8_DTYPES)
def test_memoryview_of_types_without_a_buffer_format(dtype):
    # The buffer protocol has no format for these (NumPy cannot export them either); asking is
    # an error, not a crash. np.asarray and DLPack work.
    with pytest.raises((BufferError, ValueError)):
        memoryview(kcore.ones((2,), dtype))
    with pytest.raises((BufferError, ValueError)):
        memoryview(np.ones((2,), np_dtype(dtype)))


# ---------------------------------------------------------------------------------------------
# is_tensor and shape


def test_is_tensor():
    assert kcore.is_tensor(kcore.zeros((2,)))
    assert kcore.is_tensor(kcore.convert_to_tensor(1))
    assert kcore.is_tensor(_sparse())
    for x in (np.zeros(2), np.float32(1), [1, 2], (1,), 1, 1.5, True, None, "x",
              jnp.zeros(2), memoryview(b"ab")):
        assert kcore.is_tensor(x) is False, repr(x)
    assert kcore.is_tensor(kcore.zeros((2,))) is True


@given(shape=shapes)
def test_shape(shape):
    t = kcore.zeros(shape)
    s = kcore.shape(t)
    assert s == shape and type(s) is tuple
    assert all(type(d) is int for d in s)
    assert t.shape == shape and t.ndim == len(shape) and t.size == int(np.prod(shape))
    assert kcore.shape(np.zeros(shape)) == shape


def test_shape_of_other_inputs():
    assert kcore.shape([[1, 2, 3]]) == (1, 3)
    assert kcore.shape(5) == ()
    assert kcore.shape([]) == (0,)
    assert kcore.shape(jnp.zeros((2, 0, 3))) == (2, 0, 3)
    assert kcore.shape(kcore.SparseTensor(np.zeros((0, 3), np.int64), np.zeros(0), (4, 5, 6))) \
        == (4, 5, 6)


# ---------------------------------------------------------------------------------------------
# cast


def _cast_source(rng, dtype, n=300):
    a = random_values(rng, (n,), dtype)
    if kind(dtype) in ("f", "c"):
        # Values around every integer dtype's limits and float types' overflow thresholds.
        edges = [127.5, 128.0, -128.5, -129.0, 255.5, 256.0, 32767.0, 32768.0, -32769.0,
                 65535.9, 65536.0, 2.0**31, -2.0**31, -2.0**31 - 1, 2.0**32, 2.0**63, -2.0**63,
                 2.0**64, 1e30, 448.0, 464.0, 57344.0, 61440.0, 65504.0, 65520.0, 0.5, 1.5, 2.5,
                 -0.5, -1.5, 1e-8, -1e-40]
        e = np.array(edges, dtype=np.float64)
        if dtype in ("float16", "bfloat16", "float32", "complex64"):
            e = e[np.abs(e) <= float(ml_dtypes.finfo(np_dtype(
                "float32" if dtype == "complex64" else dtype)).max)]
        a = np.concatenate([a, e.astype(np_dtype(dtype))])
    return a


@pytest.mark.parametrize("src,dst", list(itertools.product(ALL_DTYPES, ALL_DTYPES)))
def test_cast_every_pair_against_numpy(src, dst, rng):
    a = _cast_source(rng, src)
    t = kcore.convert_to_tensor(a)
    out = kcore.cast(t, dst)
    if src == dst:
        assert out is t
    expected = np_cast(a, dst)
    assert_tensor(out, expected, dst, msg=f"cast {src} -> {dst}")
    # The same rules through the other entry points that take a dtype.
    assert_tensor(kcore.cast(a, dst), expected, dst, msg=f"cast(ndarray {src}, {dst})")
    assert_tensor(kcore.convert_to_tensor(a, dtype=dst), expected, dst,
                  msg=f"convert_to_tensor(ndarray {src}, dtype={dst})")
    assert_tensor(kcore.convert_to_tensor(t, dtype=dst), expected, dst,
                  msg=f"convert_to_tensor({src} tensor, dtype={dst})")
    assert_tensor(kcore.array(t, dtype=dst), expected, dst, msg=f"array({src}, dtype={dst})")
    # The same through a strided view of a tensor, and a 0-size tensor.
    b = a[: (a.size // 6) * 6].reshape(-1, 6)
    view = kcore.convert_to_tensor(b)[::-1, ::2]
    assert_tensor(kcore.cast(view, dst), np_cast(b[::-1, ::2], dst), dst,
                  msg=f"cast {src} -> {dst} (strided)")
    assert_tensor(kcore.cast(kcore.zeros((0, 3), src), dst), np.zeros((0, 3), np_dtype(dst)))


@pytest.mark.parametrize("src,dst", list(itertools.product(KERAS32_DTYPES, KERAS32_DTYPES)))
def test_cast_matches_keras_on_jax(src, dst, rng, keras_ops):
    a = _cast_source(rng, src, n=100)
    if dst in ("bfloat16", "float16") and kind(src) in "iu":
        # XLA converts wide integers to bfloat16/float16 through float32, which can round twice;
        # kcore rounds once (SEMANTICS §2; checked against NumPy above). Keep integers exact
        # in float32 here.
        a = np.clip(a, -2**24, 2**24).astype(a.dtype)
    if kind(src) == "f":
        # XLA on CPU flushes subnormal inputs to zero (so 1e-40 -> bool is False there); kcore
        # and NumPy keep them (checked above). Compare on normal values only.
        a = np.where(np.abs(a.astype(np.float64)) < float(ml_dtypes.finfo(a.dtype).tiny),
                     np.zeros_like(a), a)
    expected = np.asarray(keras_ops.cast(jnp.asarray(a), dst))
    assert_tensor(kcore.cast(kcore.convert_to_tensor(a), dst), expected, dst,
                  msg=f"cast {src} -> {dst}")


def test_cast_same_dtype_returns_the_same_object():
    for d in ALL_DTYPES:
        t = kcore.ones((3,), d)
        assert kcore.cast(t, d) is t
        assert kcore.cast(t, np_dtype(d)) is t


def test_cast_of_non_tensors():
    assert_tensor(kcore.cast([1.9, -1.9, 300.0], "int8"), np.array([1, -1, 127], np.int8))
    assert_tensor(kcore.cast(np.array([1, 2], np.int64), "float16"),
                  np.array([1, 2], np.float16))
    assert_tensor(kcore.cast(3, "bool"), np.array(True))
    assert_tensor(kcore.cast(2.5, "int32"), np.array(2, np.int32))


SEMANTIC_CASES = [
    # float -> int truncates toward zero, saturates, NaN -> 0
    ("float32", [np.nan, np.inf, -np.inf, 1e10, -1e10, 2.9, -2.9, 127.9, -128.9], "int8",
     [0, 127, -128, 127, -128, 2, -2, 127, -128]),
    ("float32", [-1.0, 256.0, np.nan, -0.9, 255.9], "uint8", [0, 255, 0, 0, 255]),
    ("float64", [2.0**63, -2.0**63, 1e300, -1e300, np.nan, 2.0**62], "int64",
     [2**63 - 1, -2**63, 2**63 - 1, -2**63, 0, 2**62]),
    ("float64", [2.0**64, -1.0, 1e300, 2.0**63], "uint64", [2**64 - 1, 0, 2**64 - 1, 2**63]),
    ("float16", [np.inf, -np.inf, 65504.0, -65504.0], "int16",
     [32767, -32768, 32767, -32768]),
    ("bfloat16", [3e38, -3e38, np.nan], "uint32", [2**32 - 1, 0, 0]),
    # int -> int wraps
    ("int32", [300, -129, 2**31 - 1], "int8", [44, 127, -1]),
    ("int64", [-1, 2**32 + 5], "uint32", [2**32 - 1, 5]),
    ("uint64", [2**64 - 1, 2**63], "int64", [-1, -2**63]),
    # -> bool is x != 0, NaN -> True
    ("float32", [0.0, -0.0, np.nan, 1e-45, -np.inf], "bool", [False, False, True, True, True]),
    ("complex64", [0j, 1j, 1 + 0j, complex(np.nan, 0)], "bool", [False, True, True, True]),
    # bool -> number is 0/1
    ("bool", [True, False], "float16", [1.0, 0.0]),
    ("bool", [True, False], "complex128", [1.0, 0.0]),
    # narrowing rounds to nearest even; overflow -> inf (float8_e4m3fn: NaN)
    ("float32", [2049.0, 2051.0, 65520.0, -65520.0, 65519.0], "float16",
     [2048.0, 2052.0, np.inf, -np.inf, 65504.0]),
    ("int32", [2049, 2051, 70000], "float16", [2048.0, 2052.0, np.inf]),
    ("float32", [1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 3.5e38], "bfloat16",
     [1.0, 1.0 + 2.0**-6, np.inf]),
    ("float32", [448.0, 464.0, 465.0, 1e6, np.inf, -np.inf, 1.0 + 2.0**-4], "float8_e4m3fn",
     [448.0, 448.0, np.nan, np.nan, np.nan, np.nan, 1.0]),
    ("float32", [57344.0, 61440.0, 1e6, np.inf], "float8_e5m2",
     [57344.0, np.inf, np.inf, np.inf]),
    # Rounding once from the exact value: a float32 intermediate would round twice and lose.
    ("float64", [1.0 + 2.0**-8 + 2.0**-40], "bfloat16", [1.0 + 2.0**-7]),
    ("float64", [1.0 + 2.0**-11 + 2.0**-40], "float16", [1.0 + 2.0**-10]),
    ("float64", [1.0 + 2.0**-4 + 2.0**-40], "float8_e4m3fn", [1.125]),
    ("float64", [1.0 + 2.0**-3 + 2.0**-40], "float8_e5m2", [1.25]),
    ("int64", [2**40 + 2**32 + 1], "bfloat16", [2.0**40 + 2.0**33]),
    ("uint64", [2**40 + 2**32 + 1], "bfloat16", [2.0**40 + 2.0**33]),
    ("int32", [2**24 + 2**16 + 1], "bfloat16", [2.0**24 + 2.0**17]),
    ("uint32", [2**24 + 2**16 + 1], "bfloat16", [2.0**24 + 2.0**17]),
    # complex -> real takes the real part (NumPy)
    ("complex64", [1.5 - 2j, -3.75 + 1j], "float32", [1.5, -3.75]),
    ("complex128", [1.5 - 2j, -3.7 + 1j, complex(1e10, 1)], "int32", [1, -3, 2**31 - 1]),
]


@pytest.mark.parametrize("src,values,dst,expected", SEMANTIC_CASES, ids=repr)
def test_cast_semantic_rules(src, values, dst, expected):
    k = kind(src)
    if k in "iub":
        a = np.array(values, dtype=np_dtype(src))
    elif k == "c":
        a = np.array(values, dtype=np.complex128).astype(np_dtype(src))
    else:
        a = np.array(values, dtype=np.float64).astype(np_dtype(src))
    if kind(dst) in "iub":
        exp = np.array(expected, dtype=np_dtype(dst))
    else:
        exp = np.array(expected, dtype=np.complex128 if kind(dst) == "c" else np.float64)
        assert np.array_equal(exp.astype(np_dtype(dst)).astype(exp.dtype), exp, equal_nan=True)
        exp = exp.astype(np_dtype(dst))
    assert_array(np_cast(a, dst), exp)  # the oracle agrees with the listed rule
    assert_tensor(kcore.cast(kcore.convert_to_tensor(a), dst), exp, dst)


def test_cast_errors():
    with pytest.raises(ValueError, match="^Invalid dtype"):
        kcore.cast(kcore.zeros((2,)), "double")
    with pytest.raises(TypeError):
        kcore.cast(object(), "float32")
    with pytest.raises(TypeError):
        kcore.cast(kcore.zeros((2,)))


@pytest.mark.parametrize("dtype", COMPLEX_DTYPES)
def test_cast_real_to_complex(dtype, rng):
    a = random_values(rng, (50,), "float64")
    assert_tensor(kcore.cast(kcore.convert_to_tensor(a), dtype), a.astype(dtype))


def test_refcounts_do_not_leak():
    t = kcore.ones((3,))
    before = sys.getrefcount(t)
    for _ in range(100):
        kcore.convert_to_tensor(t)
        kcore.cast(t, "float32")
        np.asarray(t)
    assert sys.getrefcount(t) == before


@given(st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=20))
def test_int_lists_round_trip(values):
    t = kcore.convert_to_tensor(values)
    expected_dtype = "int32" if all(-2**31 <= v < 2**31 for v in values) else "int64"
    assert_tensor(t, np.array(values, dtype=expected_dtype))


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20))
def test_float_lists_round_to_float32(values):
    t = kcore.convert_to_tensor(values)
    assert_tensor(t, np.array(values, dtype=np.float64).astype(np.float32))


@st.composite
def rectangular_lists(draw):
    """A rectangular nested list of Python scalars of one kind mix, with its shape."""
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    kinds = draw(st.sets(st.sampled_from(["bool", "int", "float"]), min_size=1))
    leaf = st.one_of(*[{"bool": st.booleans(),
                        "int": st.integers(-2**31, 2**31 - 1),
                        "float": st.floats(-1e30, 1e30, allow_nan=False)}[k] for k in kinds])
    n = int(np.prod(shape))
    flat = draw(st.lists(leaf, min_size=n, max_size=n))

    def build(items, dims):
        if not dims:
            return items.pop(0)
        return [build(items, dims[1:]) for _ in range(dims[0])]

    return build(list(flat), shape), tuple(shape), flat


@given(case=rectangular_lists(), as_tuples=st.booleans())
def test_mixed_nested_lists_promote_like_keras(case, as_tuples):
    value, shape, flat = case
    if as_tuples:
        value = tuple(value)
    if any(type(v) is float for v in flat):
        expected_dtype = "float32"
    elif any(type(v) is int for v in flat):
        expected_dtype = "int32"
    else:
        expected_dtype = "bool"
    t = kcore.convert_to_tensor(value)
    expected = np.array(flat, dtype=np.float64 if expected_dtype == "float32" else None)
    assert_tensor(t, expected.astype(expected_dtype).reshape(shape))


def test_conversion_from_several_python_threads():
    import threading

    errors = []

    def work(seed):
        try:
            rng = np.random.default_rng(seed)
            for _ in range(30):
                a = random_values(rng, (64, 33), "float32", special=False, scale="small")
                t = kcore.convert_to_tensor(a)
                assert_tensor(kcore.cast(t * 2.0, "float64"), (a * 2).astype(np.float64))
                assert_array(kcore.convert_to_numpy(kcore.transpose(t)), a.T)
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
