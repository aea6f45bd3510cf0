"""Shared pytest setup for the kcore Python tests.

Keras is used as an oracle on its JAX backend, so KERAS_BACKEND must be set before anything
imports keras. Hypothesis runs with a modest example count so the whole suite stays well under
three minutes on two cores; set HYPOTHESIS_PROFILE=thorough for a longer run.
"""

import os

os.environ["KERAS_BACKEND"] = "jax"
# Keras on JAX must not grab every core or the GPU; the tests only need CPU.
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import warnings  # noqa: E402

import hypothesis  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

hypothesis.settings.register_profile(
    "kcore",
    max_examples=12,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow,
                           hypothesis.HealthCheck.data_too_large],
)
hypothesis.settings.register_profile(
    "thorough",
    max_examples=200,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow,
                           hypothesis.HealthCheck.data_too_large],
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "kcore"))


@pytest.fixture(autouse=True)
def _quiet_numpy():
    # NumPy oracles compute with infinities, NaNs and wrapping integers on purpose.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        yield


@pytest.fixture(scope="session")
def keras_ops():
    import keras

    assert keras.backend.backend() == "jax"
    return keras.ops


@pytest.fixture
def rng(request):
    # A fixed seed per test id: failures reproduce, and different parametrisations see
    # different values.
    import zlib

    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
