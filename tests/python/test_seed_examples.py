"""The seed's examples (seed/keras-core-ops.txt) for the ops implemented so far, run verbatim with
`keras.ops` (and `keras.zeros`) replaced by `kcore`, and checked against the same examples run
with keras.ops on JAX.

The examples are kept here exactly as the seed prints them; when the seed file is available the
test checks that they still appear in it word for word.
"""

import doctest
import pathlib

import jax.numpy as jnp
import numpy as np
import pytest

import kcore
from kc_testing import assert_tensor

SEED = pathlib.Path("/work/shared/seed/keras-core-ops.txt")

EXAMPLES = {
    "cast": (
        '>>> x = keras.ops.arange(4)\n'
        '>>> x = keras.ops.cast(x, dtype="float16")\n'
    ),
    "convert_to_tensor": (
        ">>> x = np.array([1, 2, 3])\n"
        ">>> y = keras.ops.convert_to_tensor(x)\n"
    ),
    "shape": (
        ">>> x = keras.zeros((8, 12))\n"
        ">>> keras.ops.shape(x)\n"
        "(8, 12)\n"
    ),
    # logsumexp is not implemented yet; its example's first line is a convert_to_tensor call.
    "logsumexp": (
        ">>> x = keras.ops.convert_to_tensor([1., 2., 3.])\n"
    ),
}


def _as_kcore(text):
    return text.replace("keras.ops.", "kcore.").replace("keras.zeros", "kcore.zeros")


def _run(text, globs):
    """Runs doctest-style text; fails on any exception or printed-output mismatch."""
    test = doctest.DocTestParser().get_doctest(text, globs, "seed", None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    out = []
    runner.run(test, out=out.append, clear_globs=False)
    assert runner.failures == 0, "".join(out)
    return test.globs


def _run_kcore(name):
    return _run(_as_kcore(EXAMPLES[name]), {"kcore": kcore, "np": np})


def _run_keras(name, keras_ops):
    import keras

    assert keras.ops is keras_ops
    # The seed's shape example says keras.zeros, which Keras 3 does not export (keras.ops.zeros).
    text = EXAMPLES[name]
    if not hasattr(keras, "zeros"):
        text = text.replace("keras.zeros", "keras.ops.zeros")
    return _run(text, {"keras": keras, "np": np})


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_examples_are_the_seeds(name):
    if not SEED.exists():
        pytest.skip(f"{SEED} is not available here; the examples above are kept verbatim")
    text = SEED.read_text()
    assert EXAMPLES[name] in text, f"the seed's {name} example changed"
    # The substitution only touches the Keras namespace.
    assert "keras" not in _as_kcore(EXAMPLES[name])


def test_cast_example(keras_ops):
    ns = _run_kcore("cast")
    expected = np.asarray(_run_keras("cast", keras_ops)["x"])
    x = ns["x"]
    assert isinstance(x, kcore.Tensor)
    assert x.dtype == "float16" == str(expected.dtype)
    assert_tensor(x, expected)
    assert_tensor(x, np.array([0.0, 1.0, 2.0, 3.0], np.float16))
    assert repr(x) == "array([0., 1., 2., 3.], dtype=float16)"
    assert repr(x) == repr(expected)  # NumPy prints the float16 array the same way


def test_convert_to_tensor_example(keras_ops):
    ns = _run_kcore("convert_to_tensor")
    keras_y = _run_keras("convert_to_tensor", keras_ops)["y"]
    y = ns["y"]
    assert isinstance(y, kcore.Tensor) and kcore.is_tensor(y)
    # A NumPy array keeps its dtype (int64 here); Keras on JAX narrows it to int32, kcore keeps
    # 64 bits (SEMANTICS §1).
    assert y.dtype == ns["x"].dtype.name == "int64"
    assert str(keras_y.dtype) == "int32"
    assert_tensor(y, np.asarray(keras_y).astype(np.int64))
    assert repr(y) == "array([1, 2, 3], dtype=int64)"
    ns["x"][0] = 100  # the tensor holds a copy
    assert_tensor(y, np.array([1, 2, 3], np.int64))


def test_shape_example(keras_ops):
    ns = _run_kcore("shape")  # the doctest checks the printed "(8, 12)"
    assert kcore.shape(ns["x"]) == (8, 12)
    assert type(kcore.shape(ns["x"])) is tuple
    keras_ns = _run_keras("shape", keras_ops)
    assert kcore.shape(ns["x"]) == keras_ops.shape(keras_ns["x"])
    assert_tensor(ns["x"], np.asarray(keras_ns["x"]))


def test_logsumexp_example_conversion(keras_ops):
    x = _run_kcore("logsumexp")["x"]
    expected = _run_keras("logsumexp", keras_ops)["x"]
    assert x.dtype == str(expected.dtype) == "float32"
    assert_tensor(x, np.asarray(expected))
    assert repr(x) == "array([1., 2., 3.], dtype=float32)"


def test_is_tensor_docstring():
    # "This checks for backend specific tensors": only kcore's own tensors count.
    assert kcore.is_tensor(kcore.zeros((8, 12)))
    assert kcore.is_tensor(kcore.convert_to_tensor(np.array([1, 2, 3])))
    assert not kcore.is_tensor(np.array([1, 2, 3]))
    assert not kcore.is_tensor(jnp.zeros((8, 12)))
    assert not kcore.is_tensor([1, 2, 3])


def test_convert_to_numpy_docstring():
    # "Convert a tensor to a NumPy array."
    y = kcore.convert_to_tensor(np.array([1, 2, 3]))
    a = kcore.convert_to_numpy(y)
    assert type(a) is np.ndarray and a.dtype == np.int64
    np.testing.assert_array_equal(a, [1, 2, 3])
