"""dtype arguments and type promotion (SEMANTICS §1, reference §0.2-§0.3).

Oracles: keras.backend.standardize_dtype / result_type on the JAX backend and keras.ops on JAX
arrays. kcore keeps 64-bit dtypes where Keras on JAX narrows them; that difference is checked
against Keras' own lattice without its final 64->32 step (kc_testing.kcore_result_type).
"""

import itertools

import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import kcore
from kc_testing import (ALL_DTYPES, FLOAT8_DTYPES, KERAS32_DTYPES, NARROW_64, NUMERIC_DTYPES,
                        kcore_result_type, keras_dtype, keras_result_type, np_dtype, np_type)

# The one promotion cell without a 64-bit input where kcore (following the TensorFlow backend,
# SEMANTICS §1) and Keras on JAX differ: uint32 with int8/16/32 is int64 (JAX: int32).
UINT32_SIGNED = [{"uint32", s} for s in ("int8", "int16", "int32")]


def _jax_expected(a, b, keras_answer):
    """kcore's answer for a pair of non-64-bit dtypes given Keras-on-JAX's."""
    if {a, b} in UINT32_SIGNED and keras_answer == "int32":
        return "int64"
    return keras_answer

# ---------------------------------------------------------------------------------------------
# dtype arguments


def _dtype_forms(name):
    """Every spelling of a dtype that Keras' standardize_dtype accepts and SEMANTICS allows."""
    forms = [name, np_dtype(name), np_type(name)]
    if name in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
        forms.append(getattr(ml_dtypes, name))
    if name not in ("float8_e4m3fn", "float8_e5m2"):
        forms.append(getattr(jnp, name if name != "bool" else "bool_"))
    return forms


@pytest.mark.parametrize("name", ALL_DTYPES)
def test_dtype_forms_accepted_everywhere(name):
    import keras

    for form in _dtype_forms(name):
        # The oracle: Keras reads the same spelling as the same dtype.
        assert keras.backend.standardize_dtype(form) == name, form
        assert kcore.zeros((2,), dtype=form).dtype == name, form
        assert kcore.ones((2, 1), dtype=form).dtype == name, form
        assert kcore.full((2,), 1, dtype=form).dtype == name, form
        assert kcore.cast(kcore.zeros((3,)), form).dtype == name, form
        assert kcore.convert_to_tensor([1, 0], dtype=form).dtype == name, form
        assert kcore.array([0, 1], dtype=form).dtype == name, form


@pytest.mark.parametrize("name", ["float32", "int16", "complex64", "uint32"])
def test_non_native_byte_order_dtype_objects_are_accepted(name):
    form = np.dtype(name).newbyteorder(">")
    assert kcore.zeros((2,), dtype=form).dtype == name


@pytest.mark.parametrize("pytype,name", [(bool, "bool"), (int, "int32"), (float, "float32")])
def test_python_types_as_dtypes(pytype, name):
    import keras

    assert keras.backend.standardize_dtype(pytype) == name
    assert kcore.zeros((2,), dtype=pytype).dtype == name
    assert kcore.cast(kcore.ones((2,), "int8"), pytype).dtype == name
    assert kcore.convert_to_tensor(1, dtype=pytype).dtype == name
    assert kcore.full((1,), 0, dtype=pytype).dtype == name


def test_dtype_none_means_float32():
    # reference §1: cast's dtype=None means floatx; zeros/ones default to floatx.
    assert kcore.zeros((2,)).dtype == "float32"
    assert kcore.ones((2,), dtype=None).dtype == "float32"
    assert kcore.cast(kcore.ones((2,), "int8"), None).dtype == "float32"


INVALID_DTYPES = ["float", "double", "string", "int", "half", "complex32", "float8_e4m3fnuz",
                  "Float32", "float32 ", "", "bool_", "long", "uint", "f4", "i8", "object",
                  str, complex, object, np.dtype("U3"), np.dtype(object), np.str_, 3, 1.5,
                  ["float32"]]


@pytest.mark.parametrize("bad", INVALID_DTYPES, ids=repr)
def test_invalid_dtype_names_are_value_errors(bad):
    calls = [
        lambda: kcore.zeros((2,), dtype=bad),
        lambda: kcore.ones((2,), dtype=bad),
        lambda: kcore.full((2,), 1, dtype=bad),
        lambda: kcore.cast(kcore.zeros((2,)), bad),
        lambda: kcore.convert_to_tensor([1.0], dtype=bad),
        lambda: kcore.array([1.0], dtype=bad),
        lambda: kcore.arange(3, dtype=bad),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="^Invalid dtype"):
            call()


@pytest.mark.parametrize("bad", ["float", "double", "half", "complex32", "float8_e4m3fnuz",
                                 "Float32"])
def test_keras_rejects_the_same_names(bad):
    # The oracle for the names above ("int" is the exception: Keras maps the string "int" to
    # int32; SEMANTICS §1 accepts only exact names, so kcore rejects it).
    import keras

    with pytest.raises(ValueError, match="Invalid dtype"):
        keras.backend.standardize_dtype(bad)


def test_failed_dtype_parse_names_the_received_value():
    with pytest.raises(ValueError, match="double"):
        kcore.zeros((1,), "double")


# ---------------------------------------------------------------------------------------------
# Binary promotion over every pair of dtypes

PAIRS = list(itertools.product(NUMERIC_DTYPES, NUMERIC_DTYPES))


def _expected_binary(a, b, op):
    if op in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
              "logical_and", "logical_or"):
        return "bool"
    if op == "divide":
        return kcore_result_type(a, b, float)
    return kcore_result_type(a, b)


def _promotion_ops():
    return {
        "add": kcore.add, "subtract": kcore.subtract, "multiply": kcore.multiply,
        "divide": kcore.divide, "equal": kcore.equal, "not_equal": kcore.not_equal,
        "logical_and": kcore.logical_and, "logical_or": kcore.logical_or,
        "where": lambda x, y: kcore.where(kcore.ones((2,), "bool"), x, y),
        "+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
        "/": lambda x, y: x / y, "stack": lambda x, y: kcore.stack([x, y]),
        "concatenate": lambda x, y: kcore.concatenate([x, y]),
    }


_OP_BASE = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "where": "add",
            "stack": "add", "concatenate": "add"}


@pytest.mark.parametrize("a,b", PAIRS)
def test_binary_result_dtype_all_pairs(a, b):
    x = kcore.ones((2,), a)
    y = kcore.zeros((2,), b)
    for opname, fn in _promotion_ops().items():
        base = _OP_BASE.get(opname, opname)
        if base == "subtract" and a == b == "bool":
            # NumPy and JAX reject bool - bool; so does kcore (docs/semantics.md).
            with pytest.raises(TypeError):
                fn(x, y)
            continue
        expected = _expected_binary(a, b, base)
        got = fn(x, y)
        assert got.dtype == expected, f"{opname}({a}, {b}) -> {got.dtype}, expected {expected}"
    for op in ("less", "less_equal", "greater", "greater_equal"):
        if "complex" in a or "complex" in b:
            continue
        assert getattr(kcore, op)(x, y).dtype == "bool"


@pytest.mark.parametrize("a,b", PAIRS)
def test_promotion_differs_from_keras_jax_only_by_keeping_64_bits(a, b):
    """kcore's table is Keras-on-JAX's with 64-bit kept: narrowing kcore's answer the way Keras
    does gives exactly Keras' answer; and where no 64-bit dtype is involved they agree (but for
    the uint32/int cells, which follow TensorFlow)."""
    got = kcore.add(kcore.ones((1,), a), kcore.ones((1,), b)).dtype
    keras_jax = keras_result_type(a, b)
    assert NARROW_64.get(got, got) == keras_jax
    if not {a, b} & set(NARROW_64):
        assert got == _jax_expected(a, b, keras_jax)


# The TensorFlow backend's cells of reference §0.3, which kcore follows.
TF_CELLS = (
    [(d, "float64", "float64") for d in ["bool", "uint8", "uint16", "uint32", "uint64", "int8",
                                         "int16", "int32", "int64", "bfloat16", "float16",
                                         "float32", "float64"]]
    + [(d, "int64", "int64") for d in ["bool", "uint8", "uint16", "uint32", "int8", "int16",
                                       "int32", "int64"]]
    + [("uint32", d, "int64") for d in ["int8", "int16", "int32"]]
    + [("int64", "uint64", "float32"), ("float64", "complex64", "complex128"),
       ("complex64", "complex128", "complex128"), ("uint64", "uint64", "uint64"),
       ("uint64", "int8", "float32"), ("uint64", "uint8", "uint64"),
       ("complex128", "bool", "complex128")]
)


@pytest.mark.parametrize("a,b,expected", TF_CELLS)
def test_64_bit_cells(a, b, expected):
    for x, y in ((a, b), (b, a)):
        assert kcore.add(kcore.ones((1,), x), kcore.ones((1,), y)).dtype == expected
        assert kcore_result_type(x, y) == expected  # the oracle agrees with the listed cell


@pytest.mark.parametrize("name", ["int64", "float64", "uint64", "complex128"])
def test_single_64_bit_dtype_stays(name):
    x = kcore.ones((2,), name)
    assert (x + x).dtype == name
    assert kcore.negative(x).dtype == name
    assert (x + 1).dtype == name  # a weak Python int never widens or narrows


@pytest.mark.parametrize("a", KERAS32_DTYPES)
def test_binary_result_dtype_matches_keras_ops_on_jax(a, keras_ops):
    """Direct comparison with keras.ops on JAX arrays, for every pair of 32-bit dtypes."""
    for b in KERAS32_DTYPES:
        xk, yk = kcore.ones((2,), a), kcore.zeros((2,), b)
        for op in ("add", "multiply", "divide", "subtract", "equal", "less", "logical_and"):
            if op == "subtract" and a == b == "bool":
                continue
            expected = keras_dtype(getattr(keras_ops, op), a, b)
            if op in ("add", "multiply", "subtract"):
                expected = _jax_expected(a, b, expected)
            got = getattr(kcore, op)(xk, yk).dtype
            assert got == expected, f"{op}({a}, {b}): kcore {got}, keras {expected}"
        expected = _jax_expected(a, b, keras_dtype(
            lambda c, x, y: keras_ops.where(c, x, y), "bool", a, b))
        assert kcore.where(kcore.ones((2,), "bool"), xk, yk).dtype == expected
        expected = _jax_expected(a, b, keras_dtype(
            lambda x, y: keras_ops.concatenate([x, y]), a, b))
        assert kcore.concatenate([xk, yk]).dtype == expected
        expected = _jax_expected(a, b, keras_dtype(lambda x, y: keras_ops.stack([x, y]), a, b))
        assert kcore.stack([xk, yk]).dtype == expected


# ---------------------------------------------------------------------------------------------
# Float8: storage only


@pytest.mark.parametrize("f8", FLOAT8_DTYPES)
@pytest.mark.parametrize("other", ALL_DTYPES + [int, float, bool])
def test_float8_in_binary_arithmetic_is_value_error(f8, other):
    x = kcore.ones((2,), f8)
    y = other(1) if isinstance(other, type) else kcore.ones((2,), other)
    with pytest.raises(ValueError):
        keras_result_type(f8, other)  # the oracle: Keras refuses too
    for fn in (kcore.add, kcore.multiply, kcore.divide, kcore.subtract, kcore.equal):
        with pytest.raises(ValueError):
            fn(x, y)
        with pytest.raises(ValueError):
            fn(y, x)


@pytest.mark.parametrize("f8", FLOAT8_DTYPES)
def test_float8_unary_and_reductions_are_value_errors(f8):
    x = kcore.ones((2, 2), f8)
    for fn in (kcore.negative, kcore.abs, kcore.exp, kcore.log, kcore.sqrt, kcore.sum,
               kcore.mean, kcore.max, kcore.min):
        with pytest.raises(ValueError):
            fn(x)


@pytest.mark.parametrize("f8", FLOAT8_DTYPES)
def test_float8_storage_ops_work(f8):
    x = kcore.convert_to_tensor(np.array([[1.0, -2.0], [0.5, 448.0 if "e4m3" in f8 else 1024]],
                                         dtype=np_dtype(f8)))
    assert kcore.reshape(x, (4,)).dtype == f8
    assert kcore.transpose(x).dtype == f8
    assert kcore.cast(x, "float32").dtype == "float32"
    assert kcore.expand_dims(x, 0).shape == (1, 2, 2)
    assert kcore.squeeze(kcore.expand_dims(x, 0)).shape == (2, 2)
    assert kcore.broadcast_to(x, (3, 2, 2)).dtype == f8
    assert kcore.moveaxis(x, 0, 1).dtype == f8
    np.testing.assert_array_equal(kcore.convert_to_numpy(x[1]), np.asarray(x)[1])
    np.testing.assert_array_equal(kcore.convert_to_numpy(kcore.transpose(x)), np.asarray(x).T)


@pytest.mark.xfail(strict=True, reason="library: concatenate/stack promote their inputs' dtypes "
                   "even when all are the same float8 dtype, so joining float8 tensors (a "
                   "data-movement op, allowed by SEMANTICS §1) raises ValueError")
@pytest.mark.parametrize("f8", FLOAT8_DTYPES)
def test_float8_concatenate_and_stack(f8):
    a = np.array([[1.0, -2.0], [0.5, 8.0]], dtype=np_dtype(f8))
    x = kcore.convert_to_tensor(a)
    np.testing.assert_array_equal(kcore.convert_to_numpy(kcore.stack([x, x])), np.stack([a, a]))
    np.testing.assert_array_equal(kcore.convert_to_numpy(kcore.concatenate([x, x], axis=1)),
                                  np.concatenate([a, a], axis=1))


# ---------------------------------------------------------------------------------------------
# Python scalars are weak


WEAK_CASES = [(d, s) for d in NUMERIC_DTYPES for s in (True, 1, 2.5)]


@pytest.mark.parametrize("name,scalar", WEAK_CASES)
def test_python_scalars_are_weak(name, scalar):
    x = kcore.ones((3,), name)
    expected = kcore_result_type(name, type(scalar))
    if name == "bool" and scalar is True:
        expected = "bool"
    for fn in (kcore.add, kcore.multiply, lambda a, b: a + b, lambda a, b: a * b):
        assert fn(x, scalar).dtype == expected, (name, scalar)
        assert fn(scalar, x).dtype == expected, (name, scalar)
    if not (name == "bool" and scalar is True):
        assert (x - scalar).dtype == expected
        assert (scalar - x).dtype == expected
    assert kcore.divide(x, scalar).dtype == kcore_result_type(name, type(scalar), float)
    assert kcore.where(kcore.ones((3,), "bool"), x, scalar).dtype == expected


@pytest.mark.parametrize("name", KERAS32_DTYPES)
def test_weak_scalars_match_keras_ops_on_jax(name, keras_ops):
    xk = kcore.ones((2,), name)
    for scalar in (True, 1, 2.5):
        for op in ("add", "multiply", "divide", "equal"):
            fn = getattr(keras_ops, op)
            expected = keras_dtype(lambda x: fn(x, scalar), name)
            assert getattr(kcore, op)(xk, scalar).dtype == expected, (op, name, scalar)
            expected = keras_dtype(lambda x: fn(scalar, x), name)
            assert getattr(kcore, op)(scalar, xk).dtype == expected, (op, name, scalar)


def test_weak_scalar_examples():
    assert (kcore.ones((2,), "int8") + 1).dtype == "int8"
    assert (1 + kcore.ones((2,), "uint8")).dtype == "uint8"
    assert (kcore.ones((2,), "int8") + 1.0).dtype == "float32"
    assert (kcore.ones((2,), "float16") + 1.0).dtype == "float16"
    assert (kcore.ones((2,), "bfloat16") * 3).dtype == "bfloat16"
    assert (kcore.ones((2,), "bool") + 1).dtype == "int32"
    assert (kcore.ones((2,), "float64") + 1.0).dtype == "float64"
    assert (kcore.ones((2,), "complex64") * 2.0).dtype == "complex64"
    # Scalars with scalars: Keras' all-weak rule resolves to int32 / float32.
    assert kcore.add(1, 2).dtype == "int32"
    assert kcore.add(1, 2.5).dtype == "float32"
    assert kcore.add(True, 1).dtype == "int32"
    assert kcore.multiply(True, False).dtype == "bool"


def test_weak_float_keeps_its_digits_with_float64():
    # docs/semantics.md: a weak float is held as float64, rounded once to the tensor's dtype.
    assert float((kcore.zeros((1,), "float64") + 0.1)[0]) == 0.1
    assert float((kcore.zeros((1,), "float32") + 0.1)[0]) == float(np.float32(0.1))
    assert float((kcore.zeros((1,), "float16") + 0.1)[0]) == float(np.float16(0.1))
    assert float((kcore.zeros((1,), "bfloat16") + 0.1)[0]) == float(ml_dtypes.bfloat16(0.1))
    big = 2**53 + 1  # exactly representable in int64, not in float64
    assert int((kcore.zeros((1,), "int64") + big)[0]) == big


def test_numpy_scalars_are_strong():
    # NumPy scalars carry a dtype, as in JAX (not weak like Python scalars).
    assert (kcore.ones((2,), "int8") + np.int32(1)).dtype == "int32"
    assert (kcore.ones((2,), "float16") + np.float32(1)).dtype == "float32"
    assert (kcore.ones((2,), "float32") + np.float64(1)).dtype == "float64"
    assert (kcore.ones((2,), "int8") + np.float64(1)).dtype == "float64"
    assert kcore.add(np.float64(1.5), 1).dtype == "float64"
