"""grad / value_and_grad / vjp, stop_gradient, vectorized_map, cond, while_loop and fori_loop,
against jax (grad, vmap, lax control flow), keras.ops on JAX, finite differences and
loop-and-stack."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kcore

jax.config.update("jax_enable_x64", False)


def np_(t):
    return np.asarray(kcore.convert_to_numpy(t))


def _square_sum(v):
    return kcore.sum(v * v)


# A few functions written twice, in kcore and in jax.numpy, over the basics.
FUNCTIONS = {
    "poly": (lambda x: kcore.sum(x * x * 3.0 - x / 2.0), lambda x: jnp.sum(x * x * 3.0 - x / 2.0)),
    "exp_log": (lambda x: kcore.sum(kcore.log(kcore.exp(x) + 1.0)),
                lambda x: jnp.sum(jnp.log(jnp.exp(x) + 1.0))),
    "sqrt_abs": (lambda x: kcore.mean(kcore.sqrt(kcore.abs(x) + 0.5)),
                 lambda x: jnp.mean(jnp.sqrt(jnp.abs(x) + 0.5))),
    "max_where": (lambda x: kcore.max(kcore.where(x > 0, x, -2.0 * x)),
                  lambda x: jnp.max(jnp.where(x > 0, x, -2.0 * x))),
    "reshape_transpose": (
        lambda x: kcore.sum(kcore.transpose(kcore.reshape(x, (2, -1))) * kcore.arange(6.0)[0:2]),
        lambda x: jnp.sum(jnp.transpose(jnp.reshape(x, (2, -1))) * jnp.arange(6.0)[0:2])),
    "slices_concat": (
        lambda x: _square_sum(kcore.concatenate([x[::2], x[1:3] * 2.0])),
        lambda x: jnp.sum(jnp.concatenate([x[::2], x[1:3] * 2.0]) ** 2)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@given(values=st.lists(st.floats(-3, 3, width=32).filter(lambda v: abs(v) > 1e-3),
                       min_size=6, max_size=6, unique=True))
def test_grad_matches_jax(name, values):
    kf, jf = FUNCTIONS[name]
    x = np.array(values, np.float32)
    g = np_(kcore.grad(kf)(kcore.convert_to_tensor(x)))
    expected = np.asarray(jax.grad(jf)(jnp.asarray(x)))
    np.testing.assert_allclose(g, expected, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_grad_matches_finite_differences_in_float64(name):
    kf, _ = FUNCTIONS[name]
    x = np.array([0.3, -1.2, 2.1, 0.7, -0.4, 1.6])
    g = np_(kcore.grad(kf)(kcore.convert_to_tensor(x)))
    eps = 1e-6
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        numeric = (float(kf(kcore.convert_to_tensor(xp))) - float(kf(kcore.convert_to_tensor(xm)))) / (2 * eps)
        assert g[i] == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_grad_of_grad_elementwise():
    x = kcore.convert_to_tensor([0.5, 1.5, -2.0])
    for kf, jf in [(kcore.exp, jnp.exp), (kcore.sqrt, jnp.sqrt), (kcore.log, jnp.log)]:
        xs = np.array([0.5, 1.5, 2.0], np.float32) if kf is not kcore.exp else np_(x)
        d2 = kcore.grad(lambda v: kcore.sum(kcore.grad(lambda u: kcore.sum(kf(u)))(v)))
        j2 = jax.grad(lambda v: jnp.sum(jax.grad(lambda u: jnp.sum(jf(u)))(v)))
        np.testing.assert_allclose(np_(d2(kcore.convert_to_tensor(xs))), np.asarray(j2(jnp.asarray(xs))), rtol=1e-5)


def test_argnums_has_aux_and_value_and_grad():
    a = kcore.convert_to_tensor([1.0, 2.0])
    b = kcore.convert_to_tensor([3.0, 4.0])
    f = lambda x, y: kcore.sum(x * y * y)  # noqa: E731
    ga, gb = kcore.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(np_(ga), [9.0, 16.0])
    np.testing.assert_allclose(np_(gb), [6.0, 16.0])
    (gb_only,) = kcore.grad(f, argnums=(1,))(a, b)
    np.testing.assert_allclose(np_(gb_only), [6.0, 16.0])
    value, g = kcore.value_and_grad(f)(a, b)
    assert float(value) == 41.0
    np.testing.assert_allclose(np_(g), [9.0, 16.0])
    g, aux = kcore.grad(lambda x: (kcore.sum(x * x), {"n": x * 2.0}), has_aux=True)(a)
    np.testing.assert_allclose(np_(g), [2.0, 4.0])
    np.testing.assert_allclose(np_(aux["n"]), [2.0, 4.0])


def test_grad_over_nested_structures():
    params = {"w": kcore.convert_to_tensor([1.0, 2.0]), "b": (kcore.convert_to_tensor(0.5),)}
    g = kcore.grad(lambda p: kcore.sum(p["w"] * p["w"]) + p["b"][0] * 3.0)(params)
    np.testing.assert_allclose(np_(g["w"]), [2.0, 4.0])
    assert float(g["b"][0]) == 3.0


def test_grad_errors():
    with pytest.raises(TypeError, match="grad"):
        kcore.grad(lambda x: kcore.sum(kcore.cast(x, "float32")))(kcore.arange(3))
    with pytest.raises(TypeError, match="scalar"):
        kcore.grad(lambda x: x * 2.0)(kcore.convert_to_tensor([1.0, 2.0]))


def test_vjp_matches_jax():
    x = np.array([0.2, -0.7, 1.3], np.float32)
    ct = np.array([1.0, -2.0, 0.5], np.float32)
    out, pullback = kcore.vjp(lambda v: kcore.exp(v) * v, kcore.convert_to_tensor(x))
    jout, jpull = jax.vjp(lambda v: jnp.exp(v) * v, jnp.asarray(x))
    np.testing.assert_allclose(np_(out), np.asarray(jout), rtol=1e-6)
    (g,) = pullback(kcore.convert_to_tensor(ct))
    np.testing.assert_allclose(np_(g), np.asarray(jpull(jnp.asarray(ct))[0]), rtol=1e-6)


def test_stop_gradient_is_the_input_and_blocks_the_gradient(keras_ops):
    x = kcore.convert_to_tensor([1.0, 2.0, 3.0], dtype="float32")
    assert kcore.stop_gradient(x) is x
    g = kcore.grad(lambda v: kcore.sum(v * kcore.stop_gradient(v)))(x)
    np.testing.assert_allclose(np_(g), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(np_(kcore.stop_gradient(x)), np.asarray(keras_ops.stop_gradient(np.array([1.0, 2.0, 3.0], np.float32))))


MAPPED = {
    "elementwise": (lambda r: kcore.exp(r) * 2.0 - r, lambda r: jnp.exp(r) * 2.0 - r),
    "reduce": (lambda r: kcore.sum(r * r, axis=0) / 3.0, lambda r: jnp.sum(r * r, axis=0) / 3.0),
    "broadcast_const": (lambda r: r + kcore.arange(4.0), lambda r: r + jnp.arange(4.0)),
    "reshape_T": (lambda r: kcore.transpose(kcore.reshape(r, (2, 2))), lambda r: jnp.transpose(jnp.reshape(r, (2, 2)))),
    "slice_concat": (lambda r: kcore.concatenate([r[1:], r[:1]]), lambda r: jnp.concatenate([r[1:], r[:1]])),
    "max_where": (lambda r: kcore.where(r > 0, r, kcore.max(r)), lambda r: jnp.where(r > 0, r, jnp.max(r))),
}


@pytest.mark.parametrize("name", sorted(MAPPED))
@given(batch=st.integers(0, 5), seed=st.integers(0, 2**16))
def test_vectorized_map_matches_loop_and_jax_vmap(name, batch, seed):
    kf, jf = MAPPED[name]
    x = np.random.default_rng(seed).normal(size=(batch, 4)).astype(np.float32)
    got = np_(kcore.vectorized_map(kf, kcore.convert_to_tensor(x)))
    assert got.shape[0] == batch
    if batch:
        loop = np.stack([np_(kf(kcore.convert_to_tensor(row))) for row in x])
        np.testing.assert_array_equal(got, loop)
        np.testing.assert_allclose(got, np.asarray(jax.vmap(jf)(jnp.asarray(x))), rtol=1e-5, atol=1e-6)


def test_vectorized_map_structures_in_and_out(keras_ops):
    elements = {"a": kcore.convert_to_tensor(np.ones((3, 2), np.float32)),
                "b": (kcore.arange(3), [kcore.convert_to_tensor(np.zeros((3,), np.float32))])}
    out = kcore.vectorized_map(lambda e: {"s": e["a"] * 2.0, "t": (e["b"][0] + 1,)}, elements)
    assert out["s"].shape == (3, 2) and out["t"][0].shape == (3,)
    np.testing.assert_array_equal(np_(out["t"][0]), [1, 2, 3])
    with pytest.raises(ValueError, match="leading size"):
        kcore.vectorized_map(lambda e: e, (kcore.zeros((2, 1)), kcore.zeros((3, 1))))
    k = keras_ops.vectorized_map(lambda e: e["a"] * 2.0, {"a": np.ones((3, 2), np.float32)})
    np.testing.assert_array_equal(np_(kcore.vectorized_map(lambda e: e["a"] * 2.0, {"a": kcore.ones((3, 2))})), np.asarray(k))


def test_grad_of_vectorized_map_and_vectorized_map_of_grad():
    x = np.array([[0.5, -1.0], [2.0, 0.25], [1.5, 1.0]], np.float32)
    f = lambda m: kcore.sum(kcore.vectorized_map(lambda r: kcore.sum(kcore.exp(r) * r), m))  # noqa: E731
    jf = lambda m: jnp.sum(jax.vmap(lambda r: jnp.sum(jnp.exp(r) * r))(m))  # noqa: E731
    np.testing.assert_allclose(np_(kcore.grad(f)(kcore.convert_to_tensor(x))), np.asarray(jax.grad(jf)(jnp.asarray(x))), rtol=1e-5)
    per_row = kcore.vectorized_map(kcore.grad(lambda r: kcore.sum(r * r * r)), kcore.convert_to_tensor(x))
    np.testing.assert_allclose(np_(per_row), 3 * x * x, rtol=1e-6)


def test_seed_examples_control_flow():
    assert int(kcore.while_loop(lambda i: i < 10, lambda i: i + 1, 0)) == 10
    x, y = kcore.while_loop(lambda x, y: x < 10, lambda x, y: (x + 1, y + 1), (0, 1))
    assert (int(x), int(y)) == (10, 11)
    assert int(kcore.fori_loop(0, 10, lambda i, x: x + i, 0)) == 45
    assert kcore.cond(False, lambda: None, lambda: None) is None
    assert int(kcore.cond(True, lambda: 0, lambda: 1)) == 0


def test_while_loop_structures_and_errors(keras_ops):
    out = kcore.while_loop(lambda d: d["i"] < 3, lambda d: {"i": d["i"] + 1, "s": d["s"] * 2.0},
                           {"i": 0, "s": kcore.ones((2,))})
    assert isinstance(out, dict) and int(out["i"]) == 3
    np.testing.assert_array_equal(np_(out["s"]), [8.0, 8.0])
    r = kcore.while_loop(lambda i, j: True, lambda i, j: (i + 1, j), [0, 5], maximum_iterations=4)
    assert isinstance(r, tuple) and int(r[0]) == 4
    k = keras_ops.while_loop(lambda i, j: True, lambda i, j: (i + 1, j), [0, 5], maximum_iterations=4)
    assert int(r[0]) == int(k[0])
    with pytest.raises(ValueError, match="dtype"):
        kcore.while_loop(lambda i: i < 3, lambda i: kcore.cast(i, "float32"), 0)
    with pytest.raises(ValueError, match="shape"):
        kcore.while_loop(lambda s: kcore.sum(s) < 3, lambda s: kcore.concatenate([s, s]), kcore.ones((1,)))
    with pytest.raises(ValueError, match="scalar"):
        kcore.cond(kcore.ones((2,)), lambda: 1, lambda: 2)


def test_batched_control_flow_matches_jax_vmap():
    a = np.array([1.0, 5.0, 20.0, 0.25, 9.0], np.float32)

    def newton(v):
        return kcore.while_loop(lambda y, n: kcore.abs(y * y - v) > 1e-4,
                                lambda y, n: ((y + v / y) / 2.0, n + 1), (v, 0))

    def jnewton(v):
        return jax.lax.while_loop(lambda c: jnp.abs(c[0] * c[0] - v) > 1e-4,
                                  lambda c: ((c[0] + v / c[0]) / 2.0, c[1] + 1), (v, 0))

    y, n = kcore.vectorized_map(newton, kcore.convert_to_tensor(a))
    jy, jn = jax.vmap(jnewton)(jnp.asarray(a))
    np.testing.assert_array_equal(np_(n), np.asarray(jn))
    np.testing.assert_allclose(np_(y), np.asarray(jy), rtol=1e-6)
    loop = [newton(kcore.convert_to_tensor(v)) for v in a]
    np.testing.assert_array_equal(np_(y), [float(r[0]) for r in loop])
    sel = kcore.vectorized_map(lambda v: kcore.cond(v > 2.0, lambda: v * 10.0, lambda: -v), kcore.convert_to_tensor(a))
    jsel = jax.vmap(lambda v: jax.lax.cond(v > 2.0, lambda: v * 10.0, lambda: -v))(jnp.asarray(a))
    np.testing.assert_array_equal(np_(sel), np.asarray(jsel))


def test_grad_through_while_loop_which_jax_cannot_do():
    def power(x):
        return kcore.while_loop(lambda i, acc: i < 5, lambda i, acc: (i + 1, acc * x), (0, kcore.ones(())))[1]

    g = kcore.grad(power)(kcore.convert_to_tensor(1.5))
    assert float(g) == pytest.approx(5 * 1.5 ** 4, rel=1e-6)
    unrolled = kcore.grad(lambda x: x * x * x * x * x)(kcore.convert_to_tensor(1.5))
    assert float(g) == pytest.approx(float(unrolled), rel=1e-6)
    with pytest.raises(ValueError):
        jax.grad(lambda x: jax.lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * x), (0, 1.0))[1])(1.5)
