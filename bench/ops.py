"""The table of benchmarked ops: one `Op` entry per op, with its inputs and, for kcore and each
peer, the function that `keras.ops` calls on that backend.

Adding an op is one entry in `OPS`. Each implementation is `lambda lib: fn`, where `lib` is the
library's module (kcore, numpy, jax.numpy, torch, mlx.core) and `fn(*inputs)` computes the op on
inputs already converted to that library's arrays. A peer left out of `impls` is reported as
"n/a" for that op. `cpp` names the op in bench/cpp/kcore_bench.cpp (its C++ timing), if any.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

IMPLS = ("kcore", "numpy", "jax", "torch", "mlx")
PEERS = IMPLS[1:]


def shape2d(n: int) -> tuple[int, int]:
    """(rows, cols) with rows * cols == n and rows the largest divisor of n <= sqrt(n)."""
    r = math.isqrt(n)
    while n % r:
        r -= 1
    return r, n // r


def rng_for(name: str, n: int) -> np.random.Generator:
    """The same inputs in every process: the seed depends only on the op and the size."""
    return np.random.default_rng(zlib.crc32(f"{name}/{n}".encode()))


# Input makers: (n, rng) -> list of NumPy arrays; n is the number of output elements.
def f32(lo=-1.0, hi=1.0, count=1, shape=None):
    def make(n, rng):
        s = shape(n) if shape else (n,)
        return [rng.uniform(lo, hi, s).astype(np.float32) for _ in range(count)]

    return make


def where_inputs(n, rng):
    return [rng.random(n) < 0.5] + [rng.uniform(-1, 1, n).astype(np.float32) for _ in range(2)]


def concat_inputs(n, rng):
    r, c = shape2d(max(n // 2, 1))
    return [rng.uniform(-1, 1, (r, c)).astype(np.float32) for _ in range(2)]


# Inputs and helpers of the indexing ops (scatter ... extract_sequences).
def scatter_inputs(n, rng):
    return [rng.integers(0, n, (n, 1)), rng.integers(-8, 9, n).astype(np.float32)]


def scatter_update_inputs(n, rng):
    m = max(n // 16, 1)
    return [rng.uniform(-1, 1, n).astype(np.float32), rng.permutation(n)[:m].reshape(m, 1),
            rng.integers(-8, 9, m).astype(np.float32)]


def slice_update_inputs(n, rng):
    return [rng.uniform(-1, 1, n).astype(np.float32),
            rng.uniform(-1, 1, max(n // 8, 1)).astype(np.float32)]


def _np_add_at(z, i, v):
    __import__("numpy").add.at(z, i, v)
    return z


def _np_set(y, i, u):
    y[i] = u
    return y


def _set_window(y, start, u):
    y[start:start + u.shape[0]] = u
    return y


def _mx_evaluated(mx, arrays):
    mx.eval(arrays)
    return arrays


# Inputs and helpers of the selection ops (top_k, in_top_k, segment_sum, segment_max).
TOPK_ROW = 1000  # row length of top_k_k*: n // 1000 rows (top_k_1row_k*: one row of n)
TOPK_INPUT_SETS = 64  # top_k_*: calls cycle through up to 64 inputs (Op.input_sets)
IN_TOP_K_CLASSES = 1000
IN_TOP_K_K = 5
SEGMENT_LEN = 1000  # elements per segment on average: num_segments = n // 1000


def top_k_inputs(row=None):
    """(n // row, row) float32, or (1, n) when row is None; every row a random permutation of
    row distinct integers (exact in float32 up to 2^24), so no ties and indices compare exactly;
    for a comparison-based selection the same as continuous random data."""

    def make(n, rng):
        r = min(row, n) if row else n
        base = np.tile(np.arange(r, dtype=np.float32) - r // 2, (max(n // r, 1), 1))
        return [rng.permuted(base, axis=1)]

    return make


def in_top_k_inputs(n, rng):
    rows = max(n // IN_TOP_K_CLASSES, 1)
    targets = rng.integers(0, IN_TOP_K_CLASSES, rows).astype(np.int32)
    pred = rng.uniform(-1, 1, (rows, IN_TOP_K_CLASSES)).astype(np.float32)
    # Half the rows get their target's score near the top (about 0 to 10 entries above it), so
    # about a quarter of the answers are True, and half are decided near the k-th entry.
    near = np.flatnonzero(rng.random(rows) < 0.5)
    pred[near, targets[near]] = rng.uniform(0.98, 1.0, near.size).astype(np.float32)
    return [targets, pred]


def segment_inputs(sorted_ids: bool):
    """data (n,) float32 multiples of 1/256 in [-1, 1] (sums exact in any order), ids (n,) int32
    uniform in [0, n // 1000); sorted_ids: ids in non-decreasing order."""

    def make(n, rng):
        ids = rng.integers(0, max(n // SEGMENT_LEN, 1), n).astype(np.int32)
        if sorted_ids:
            ids.sort()
        return [(rng.integers(-256, 257, n) / 256).astype(np.float32), ids]

    return make


def _np_top_k(np_, x, k):
    # keras' numpy backend, top_k(x, k, sorted=True): a full argsort, reversed.
    sorted_indices = np_.argsort(x, axis=-1)[..., ::-1]
    sorted_values = np_.take_along_axis(x, sorted_indices, axis=-1)
    return sorted_values[..., :k], sorted_indices[..., :k]


def _top_k(k):
    return {
        "kcore": lambda kc: lambda x: kc.top_k(x, k),
        "numpy": lambda np_: lambda x: _np_top_k(np_, x, k),
        "jax": lambda jnp: lambda x: __import__("jax").lax.top_k(x, k),
        "torch": lambda t: lambda x: t.topk(x, k, sorted=True),
        "mlx": lambda mx: lambda x: mx.topk(x, k, axis=-1),
    }


def _sorted_values(outs):
    # MLX's topk gives the values only, in no particular order: compare them sorted.
    return [np.sort(outs[0], axis=-1)]


def _np_in_top_k(np_, k):
    # keras' numpy backend.
    def f(targets, predictions):
        targets = targets[:, None]
        topk_values = _np_top_k(np_, predictions, k)[0]
        targets_values = np_.take_along_axis(predictions, targets, axis=-1)
        return np_.any(targets_values >= topk_values, axis=-1)

    return f


def _jax_in_top_k(jnp, k):
    # keras' jax backend (the rank of the target: 1 + the count of larger entries).
    def f(targets, predictions):
        at = jnp.take_along_axis(predictions, jnp.expand_dims(targets, axis=-1), axis=-1)
        at = jnp.where(jnp.isnan(at), -jnp.inf, at)
        return jnp.less_equal(1 + jnp.sum(jnp.greater(predictions, at), axis=-1), k)

    return f


def _torch_in_top_k(t, k):
    # keras' torch backend.
    def f(targets, predictions):
        targets = targets.type(t.int64)[:, None]
        topk_values = t.topk(predictions, k).values
        targets_values = t.take_along_dim(predictions, targets, dim=-1)
        return t.any(targets_values >= topk_values, axis=-1)

    return f


def _mlx_in_top_k(mx, k):
    # No keras backend: the jax backend's formula in MLX.
    def f(targets, predictions):
        at = mx.take_along_axis(predictions, mx.expand_dims(targets, -1), axis=-1)
        at = mx.where(mx.isnan(at), -math.inf, at)
        return (1 + mx.sum(predictions > at, axis=-1)) <= k

    return f


def _np_segment(np_, method, sorted_ids):
    # keras' numpy backend (_segment_reduction_fn).
    reduction = getattr(np_, method)

    def f(data, segment_ids):
        num_segments = data.shape[0] // SEGMENT_LEN
        valid = segment_ids >= 0
        valid_data = data[valid]
        valid_ids = segment_ids[valid]
        shape = [num_segments, *valid_data.shape[1:]]
        if method == "maximum":
            result = np_.ones(shape, dtype=valid_data.dtype) * -np_.inf
        else:
            result = np_.zeros(shape, dtype=valid_data.dtype)
        if sorted_ids:
            reduction.at(result, valid_ids, valid_data)
        else:
            order = np_.argsort(valid_ids)
            reduction.at(result, valid_ids[order], valid_data[order])
        return result

    return f


def _torch_segment(t, method):
    # keras' torch backend (_segment_reduction_fn): scatter_reduce into num_segments + 1 rows,
    # the last one collecting out-of-range ids.
    def f(data, segment_ids):
        num_segments = data.shape[0] // SEGMENT_LEN
        num_repeats = t.prod(t.tensor(data.shape[1:])).long()
        ids = segment_ids.repeat_interleave(num_repeats).view(*data.shape).type(t.int64)
        ids = t.where(ids >= 0, ids, num_segments)
        ids = t.where(ids < num_segments, ids, num_segments)
        shape = (num_segments + 1,) + tuple(data.shape[1:])
        if method == "amax":
            result = t.ones(*shape) * -float("inf")
        else:
            result = t.zeros(*shape)
        result = result.scatter_reduce(0, ids, data.float(), method)
        return result[:-1, ...].type(data.dtype)

    return f


def _segment(method, sorted_ids):
    name = {"maximum": "segment_max", "add": "segment_sum"}[method]
    torch_method = {"maximum": "amax", "add": "sum"}[method]

    def mlx_impl(mx):
        def f(data, ids):
            s = data.shape[0] // SEGMENT_LEN
            if method == "maximum":
                return mx.full((s,), -math.inf, dtype=data.dtype).at[ids].maximum(data)
            return mx.zeros((s,), dtype=data.dtype).at[ids].add(data)

        return f

    return {
        "kcore": lambda kc: lambda d, i: getattr(kc, name)(
            d, i, num_segments=d.shape[0] // SEGMENT_LEN, sorted=sorted_ids),
        "numpy": lambda np_: _np_segment(np_, method, sorted_ids),
        "jax": lambda jnp: lambda d, i: getattr(__import__("jax").ops, name)(
            d, i, d.shape[0] // SEGMENT_LEN, indices_are_sorted=sorted_ids),
        "torch": lambda t: _torch_segment(t, torch_method),
        "mlx": mlx_impl,
    }


def same(attr: str, **overrides) -> dict[str, Callable]:
    """Every implementation is lib.<attr>, except the overrides."""
    impls = {impl: (lambda lib, a=attr: getattr(lib, a)) for impl in IMPLS}
    impls.update(overrides)
    return impls


@dataclass
class Op:
    name: str
    inputs: Callable[[int, np.random.Generator], list]
    impls: dict[str, Callable]
    cpp: str | None = None
    # Compared to kcore's output: |peer - kcore| <= atol + rtol * |kcore|, or for reductions
    # (`reduce_axis` set) <= rtol * sum(|x|) over the reduced elements.
    rtol: float = 0.0
    atol: float = 0.0
    reduce_axis: object = "none"
    roofline: bool = True  # memory-bound: report % of the memory bandwidth (bytes in + out)
    convert_inputs: bool = True  # False: inputs are given to the op as NumPy arrays
    jit: bool = True  # JAX: time jax.jit(fn); False: the eager call keras makes
    note: str = ""
    tags: list = field(default_factory=list)
    # Per implementation, a function applied to kcore's and that implementation's outputs (lists
    # of NumPy arrays, one per output) before they are compared, e.g. to sort unordered values.
    compare_as: dict[str, Callable] = field(default_factory=dict)
    # Calls cycle through this many different input sets (fewer where they would pass
    # INPUT_SETS_BYTES): a branch predictor learns a small input seen over and over, which made
    # comparison-based selections (top_k) up to 8x faster than on data they had not seen.
    input_sets: int = 1


# The most bytes the cycled input sets of one case may hold together.
INPUT_SETS_BYTES = 16 << 20


def input_set_count(op: "Op", inputs: list) -> int:
    """How many input sets op's calls cycle through, given its first set."""
    nbytes = sum(np.asarray(a).nbytes for a in inputs)
    return max(1, min(op.input_sets, INPUT_SETS_BYTES // max(nbytes, 1)))


def _cast(dtype):
    # keras.ops.cast: jax -> jnp.asarray(x, dtype) (an astype); torch -> x.to(dtype);
    # numpy -> x.astype(dtype); mlx -> x.astype(dtype).
    def numpy_dtype(np_):
        if dtype == "bfloat16":
            import ml_dtypes

            return ml_dtypes.bfloat16
        return np_.dtype(dtype)

    return {
        "kcore": lambda k: lambda x: k.cast(x, dtype),
        "numpy": lambda np_: lambda x: x.astype(numpy_dtype(np_)),
        "jax": lambda jnp: lambda x: jnp.asarray(x, dtype=dtype),
        "torch": lambda t: lambda x: x.to(getattr(t, dtype)),
        "mlx": lambda mx: lambda x: x.astype(getattr(mx, dtype)),
    }


def _sum(axis):
    return {
        "kcore": lambda k: lambda x: k.sum(x, axis=axis),
        "numpy": lambda np_: lambda x: np_.sum(x, axis=axis),
        "jax": lambda jnp: lambda x: jnp.sum(x, axis=axis),
        "torch": lambda t: (lambda x: t.sum(x)) if axis is None else (lambda x: t.sum(x, dim=axis)),
        "mlx": lambda mx: lambda x: mx.sum(x, axis=axis),
    }


OPS: list[Op] = [
    Op("add", f32(count=2), same("add"), cpp="add"),
    Op("multiply", f32(count=2), same("multiply"), cpp="multiply"),
    Op("exp", f32(-4, 4), same("exp"), cpp="exp", rtol=4e-7,
       note="float32; peers may differ by a few ulps (rtol 4e-7)"),
    Op("sqrt", f32(0, 4), same("sqrt"), cpp="sqrt", rtol=1.2e-7),
    Op("sum", f32(), _sum(None), cpp="sum", rtol=1e-5, reduce_axis=None,
       note="all elements to a scalar"),
    Op("sum_axis0", f32(shape=shape2d), _sum(0), cpp="sum_axis0", rtol=1e-5, reduce_axis=0,
       note="(r, c) -> (c,), r ~ sqrt(n)"),
    Op("sum_axis1", f32(shape=shape2d), _sum(1), cpp="sum_axis1", rtol=1e-5, reduce_axis=1,
       note="(r, c) -> (r,), r ~ sqrt(n)"),
    Op("cast_f32_f16", f32(-100, 100), _cast("float16"), cpp="cast_f32_f16"),
    Op("cast_f32_bf16", f32(-100, 100), _cast("bfloat16"), cpp="cast_f32_bf16"),
    Op("cast_f32_i32", f32(-1000, 1000), _cast("int32"), cpp="cast_f32_i32"),
    Op("transpose_copy", f32(shape=shape2d),
       {"kcore": lambda k: lambda x: k.array(k.transpose(x)),
        "numpy": lambda np_: lambda x: np_.ascontiguousarray(np_.transpose(x)),
        "jax": lambda jnp: jnp.transpose,
        "torch": lambda t: lambda x: x.T.contiguous(),
        "mlx": lambda mx: lambda x: mx.contiguous(mx.transpose(x))},
       cpp="transpose_copy",
       note="(r, c) -> (c, r) materialised; transpose alone is a view in kcore, NumPy, torch"),
    Op("concatenate", concat_inputs,
       {"kcore": lambda k: lambda a, b: k.concatenate([a, b], axis=1),
        "numpy": lambda np_: lambda a, b: np_.concatenate([a, b], axis=1),
        "jax": lambda jnp: lambda a, b: jnp.concatenate([a, b], axis=1),
        "torch": lambda t: lambda a, b: t.cat([a, b], dim=1),
        "mlx": lambda mx: lambda a, b: mx.concatenate([a, b], axis=1)},
       cpp="concatenate", note="two (r, c) -> (r, 2c), along the last axis"),
    Op("where", where_inputs, same("where"), cpp="where"),
    Op("convert_to_tensor", f32(),
       {"kcore": lambda k: k.convert_to_tensor,
        "numpy": lambda np_: np_.array,
        "jax": lambda jnp: jnp.asarray,
        "torch": lambda t: t.as_tensor,
        "mlx": lambda mx: mx.array},
       cpp="convert_to_tensor", convert_inputs=False, jit=False,
       note="from a float32 NumPy array; torch.as_tensor shares the array's memory (no copy)"),
    Op("convert_to_numpy", f32(),
       {"kcore": lambda k: k.convert_to_numpy,
        "numpy": lambda np_: np_.array,
        "jax": lambda jnp: __import__("numpy").array,
        "torch": lambda t: __import__("numpy").array,
        "mlx": lambda mx: __import__("numpy").array},
       cpp="convert_to_numpy", jit=False,
       note="to a fresh NumPy array (keras: np.array(x)); kcore C++: a copy to a host buffer"),
    # erf, erfinv, rsqrt, logsumexp: what keras.ops calls on each backend (numpy: SciPy and
    # 1 / np.sqrt; jax: jax.scipy.special, lax.rsqrt, jax.nn.logsumexp, jitted).
    Op("erf", f32(-3, 3),
       {"kcore": lambda k: k.erf,
        "numpy": lambda np_: __import__("scipy.special", fromlist=["erf"]).erf,
        "jax": lambda jnp: __import__("jax.scipy.special", fromlist=["erf"]).erf,
        "torch": lambda t: t.erf,
        "mlx": lambda mx: mx.erf},
       rtol=1e-6, atol=2e-7,
       note="float32 in [-3, 3]; kcore within 1 ulp, peers checked to 1e-6 relative + 2e-7"),
    Op("erfinv", f32(-0.999, 0.999),
       {"kcore": lambda k: k.erfinv,
        "numpy": lambda np_: __import__("scipy.special", fromlist=["erfinv"]).erfinv,
        "jax": lambda jnp: __import__("jax.scipy.special", fromlist=["erfinv"]).erfinv,
        "torch": lambda t: t.erfinv,
        "mlx": lambda mx: mx.erfinv},
       rtol=2e-6, atol=2e-7, note="float32 in (-0.999, 0.999); kcore within 2 ulp"),
    Op("rsqrt", f32(0.01, 4),
       {"kcore": lambda k: k.rsqrt,
        "numpy": lambda np_: lambda x: 1.0 / np_.sqrt(x),
        "jax": lambda jnp: __import__("jax", fromlist=["lax"]).lax.rsqrt,
        "torch": lambda t: t.rsqrt,
        "mlx": lambda mx: mx.rsqrt},
       rtol=6e-7, note="float32 in [0.01, 4]; kcore within 1 ulp"),
    Op("logsumexp", f32(-4, 4, shape=shape2d),
       {"kcore": lambda k: lambda x: k.logsumexp(x, axis=1),
        "numpy": lambda np_: lambda x: __import__("scipy.special", fromlist=["logsumexp"])
        .logsumexp(x, axis=1),
        "jax": lambda jnp: lambda x: __import__("jax", fromlist=["nn"]).nn.logsumexp(x, axis=1),
        "torch": lambda t: lambda x: t.logsumexp(x, dim=1),
        "mlx": lambda mx: lambda x: mx.logsumexp(x, axis=1)},
       rtol=1e-6, reduce_axis=1, note="(r, c) -> (r,) over the last axis, r ~ sqrt(n)"),
    # end erf, erfinv, rsqrt, logsumexp
    # scatter, scatter_update, slice, slice_update, unstack, extract_sequences: the library's
    # fastest native form of what keras.ops does (functional: peers copy the input before an
    # in-place update; keras' torch scatter is a Python loop, its numpy slice an np.ix_ gather).
    Op("scatter", scatter_inputs,
       {"kcore": lambda k: lambda i, v: k.scatter(i, v, v.shape),
        "numpy": lambda np_: lambda i, v: _np_add_at(np_.zeros(v.shape, v.dtype), i[:, 0], v),
        "jax": lambda jnp: lambda i, v: jnp.zeros(v.shape, v.dtype).at[i[:, 0]].add(v),
        "torch": lambda t: lambda i, v: t.zeros(v.shape).index_put_((i[:, 0],), v,
                                                                    accumulate=True),
        "mlx": lambda mx: lambda i, v: mx.zeros(v.shape).at[i[:, 0]].add(v)},
       roofline=False, cpp="scatter",
       note="n values added at n random indices (duplicates) into zeros of (n,); exact sums"),
    Op("scatter_update", scatter_update_inputs,
       {"kcore": lambda k: lambda x, i, u: k.scatter_update(x, i, u),
        "numpy": lambda np_: lambda x, i, u: _np_set(x.copy(), i[:, 0], u),
        "jax": lambda jnp: lambda x, i, u: x.at[i[:, 0]].set(u),
        "torch": lambda t: lambda x, i, u: x.clone().index_put_((i[:, 0],), u),
        "mlx": lambda mx: lambda x, i, u: _np_set(mx.array(x), i[:, 0], u)},
       roofline=False, cpp="scatter_update",
       note="(n,) with n/16 distinct random rows overwritten; a fresh result"),
    Op("scatter_update_add", scatter_update_inputs,
       {"kcore": lambda k: lambda x, i, u: k.scatter_update(x, i, u, "add"),
        "numpy": lambda np_: lambda x, i, u: _np_add_at(x.copy(), i[:, 0], u),
        "jax": lambda jnp: lambda x, i, u: x.at[i[:, 0]].add(u),
        "torch": lambda t: lambda x, i, u: x.clone().index_put_((i[:, 0],), u, accumulate=True),
        "mlx": lambda mx: lambda x, i, u: x.at[i[:, 0]].add(u)},
       roofline=False, cpp="scatter_update_add",
       note="(n,) with n/16 distinct random rows added to; a fresh result"),
    Op("slice", f32(shape=shape2d),
       {"kcore": lambda k: lambda x: k.slice(x, [x.shape[0] // 4, 0],
                                             [x.shape[0] // 2, x.shape[1]]),
        "numpy": lambda np_: lambda x: x[x.shape[0] // 4:x.shape[0] // 4 + x.shape[0] // 2],
        "jax": lambda jnp: lambda x: __import__("jax").lax.dynamic_slice(
            x, (x.shape[0] // 4, 0), (x.shape[0] // 2, x.shape[1])),
        "torch": lambda t: lambda x: x[x.shape[0] // 4:x.shape[0] // 4 + x.shape[0] // 2],
        "mlx": lambda mx: lambda x: x[x.shape[0] // 4:x.shape[0] // 4 + x.shape[0] // 2]},
       roofline=False, note="half the rows of (r, c); a view in kcore, NumPy and torch"),
    Op("slice_update", slice_update_inputs,
       {"kcore": lambda k: lambda x, u: k.slice_update(x, [x.shape[0] // 3], u),
        "numpy": lambda np_: lambda x, u: _set_window(x.copy(), x.shape[0] // 3, u),
        "jax": lambda jnp: lambda x, u: __import__("jax").lax.dynamic_update_slice(
            x, u, (x.shape[0] // 3,)),
        "torch": lambda t: lambda x, u: _set_window(x.clone(), x.shape[0] // 3, u),
        "mlx": lambda mx: lambda x, u: _set_window(mx.array(x), x.shape[0] // 3, u)},
       note="(n,) with a window of n/8 written; a fresh result (from Python kcore copies too)"),
    Op("unstack", f32(shape=shape2d),
       {"kcore": lambda k: k.unstack,
        "numpy": lambda np_: list,
        "jax": lambda jnp: jnp.unstack,
        "torch": lambda t: t.unbind,
        "mlx": lambda mx: lambda x: _mx_evaluated(mx, [x[i] for i in range(x.shape[0])])},
       roofline=False, note="(r, c) -> r rows, r ~ sqrt(n); views in kcore, NumPy and torch"),
    Op("extract_sequences", f32(),
       {"kcore": lambda k: lambda x: k.extract_sequences(x, 64, 32),
        "numpy": lambda np_: lambda x: np_.lib.stride_tricks.sliding_window_view(x, 64)[::32],
        "jax": lambda jnp: lambda x: __import__("jax").lax.conv_general_dilated_patches(
            x.reshape(1, -1, 1), (64,), (32,), "VALID",
            dimension_numbers=("NTC", "OIT", "NTC")).reshape(-1, 64),
        "torch": lambda t: lambda x: x.unfold(0, 64, 32),
        "mlx": lambda mx: lambda x: mx.as_strided(x, ((x.shape[0] - 64) // 32 + 1, 64),
                                                  (32, 1))},
       roofline=False,
       note="windows of 64, hop 32, over (n,); views in kcore, NumPy (keras' as_strided), torch"),
    # end scatter ... extract_sequences
    # top_k, in_top_k, segment_sum, segment_max (issue 6): what keras.ops calls on each backend
    # (numpy: keras' numpy code, a full argsort for top_k and np.<ufunc>.at for segments; jax:
    # lax.top_k, jax.ops.segment_*, jitted; torch: torch.topk, scatter_reduce). Outputs are
    # compared exactly: values and indices for top_k (no ties in its inputs).
    *[Op(f"top_k_k{k}", top_k_inputs(TOPK_ROW), _top_k(k), cpp=f"top_k_k{k}",
         roofline=k == 1, compare_as={"mlx": _sorted_values}, input_sets=TOPK_INPUT_SETS,
         note=f"(n/1000, 1000) float32 -> top {k} values and indices of each row, sorted; "
              "rows of distinct values; MLX: mx.topk (values only, unsorted; compared sorted)")
      for k in (1, 10, 100)],
    *[Op(f"top_k_1row_k{k}", top_k_inputs(None), _top_k(k), cpp=f"top_k_1row_k{k}",
         roofline=k == 1, compare_as={"mlx": _sorted_values}, input_sets=TOPK_INPUT_SETS,
         note=f"one row (1, n) float32 (rows of 10^3 to 10^7 elements) -> top {k}, as top_k_k{k}")
      for k in (1, 10, 100)],
    Op("in_top_k", in_top_k_inputs,
       {"kcore": lambda kc: lambda t, p: kc.in_top_k(t, p, IN_TOP_K_K),
        "numpy": lambda np_: _np_in_top_k(np_, IN_TOP_K_K),
        "jax": lambda jnp: _jax_in_top_k(jnp, IN_TOP_K_K),
        "torch": lambda t: _torch_in_top_k(t, IN_TOP_K_K),
        "mlx": lambda mx: _mlx_in_top_k(mx, IN_TOP_K_K)},
       cpp="in_top_k", roofline=False,
       note="targets (n/1000,) int32, predictions (n/1000, 1000) float32, k = 5; half the "
            "targets scored near the top; numpy, torch: keras' top_k then >=; JAX (and MLX): "
            "keras' rank 1 + count(greater) <= k"),
    Op("segment_sum", segment_inputs(False), _segment("add", False), cpp="segment_sum",
       roofline=False,
       note="data (n,) float32 (multiples of 1/256: exact sums), ids (n,) int32 random in "
            "[0, n/1000), num_segments = n/1000; MLX: zeros.at[ids].add"),
    Op("segment_sum_sorted", segment_inputs(True), _segment("add", True),
       cpp="segment_sum_sorted",
       note="as segment_sum with ids sorted and sorted=True (jax: indices_are_sorted)"),
    Op("segment_max", segment_inputs(False), _segment("maximum", False), cpp="segment_max",
       roofline=False, note="as segment_sum; MLX: full(-inf).at[ids].maximum"),
    Op("segment_max_sorted", segment_inputs(True), _segment("maximum", True),
       cpp="segment_max_sorted", note="as segment_sum_sorted"),
]

OPS_BY_NAME = {op.name: op for op in OPS}


def select(patterns: list[str] | None) -> list[Op]:
    """Ops whose name equals or starts with one of the patterns (all when none)."""
    if not patterns:
        return list(OPS)
    chosen = [op for op in OPS if any(op.name == p or op.name.startswith(p) for p in patterns)]
    if not chosen:
        raise SystemExit(f"no op matches {patterns}; ops: {', '.join(OPS_BY_NAME)}")
    return chosen


# Per-call overhead on one-element inputs (the dispatch part). Each case: name, input maker
# (NumPy arrays), and per implementation `lambda lib: fn`. JAX is timed eagerly here: that is
# what keras.ops does outside a jit.
DISPATCH = [
    ("add(x, x)", {i: (lambda lib: lambda x: lib.add(x, x)) for i in IMPLS}),
    ("x + x", {i: (lambda lib: lambda x: x + x) for i in IMPLS}),
    ("x + 1.0 (weak scalar)", {i: (lambda lib: lambda x: x + 1.0) for i in IMPLS}),
    ("exp(x)", same("exp")),
    ("sum(x)", _sum(None)),
    ("cast(x, float16)", _cast("float16")),
    ("reshape(x, (1, 1))", {
        "kcore": lambda k: lambda x: k.reshape(x, (1, 1)),
        "numpy": lambda np_: lambda x: np_.reshape(x, (1, 1)),
        "jax": lambda jnp: lambda x: jnp.reshape(x, (1, 1)),
        "torch": lambda t: lambda x: t.reshape(x, (1, 1)),
        "mlx": lambda mx: lambda x: mx.reshape(x, (1, 1))}),
    ("convert_to_tensor(ndarray)", OPS_BY_NAME["convert_to_tensor"].impls),
    ("convert_to_numpy(x)", OPS_BY_NAME["convert_to_numpy"].impls),
]
DISPATCH_RAW_INPUT = {"convert_to_tensor(ndarray)"}  # given the NumPy array itself
DISPATCH_CPP = {"add(x, x)": "dispatch/add", "x + x": "dispatch/add_operator",
                "x + 1.0 (weak scalar)": "dispatch/add_scalar", "exp(x)": "dispatch/exp",
                "sum(x)": "dispatch/sum", "cast(x, float16)": "dispatch/cast_f16",
                "reshape(x, (1, 1))": "dispatch/reshape",
                "convert_to_tensor(ndarray)": "dispatch/convert_to_tensor",
                "convert_to_numpy(x)": "dispatch/convert_to_numpy"}


# ---------------------------------------------------------------------------------------------
# Sections beyond single ops: control flow (issue 8) and transforms (issue 7). Each `Case` is
# timed like an op (the same workers, checks and interleaved samples) on fixed inputs; `per`
# divides its time (the loop iterations of one call). A peer's output is compared with kcore's
# output of the case `ref` (default: the case itself), so that the Python loop and the
# whole-batch ops are checked against vectorized_map too.


@dataclass
class Case:
    name: str
    label: str
    inputs: Callable[[np.random.Generator], list]
    impls: dict[str, Callable]
    per: int = 1
    ref: str | None = None
    rtol: float = 0.0
    atol: float = 0.0
    jit: bool = True  # JAX: time jax.jit(fn); False: eager
    note: str = ""


LOOP_N = 10_000  # loop iterations per call: 10^4 fills a sample with one call or a few


def _scalar_vars(rng):
    return [np.asarray(0, np.int32), np.asarray(0, np.float32)]


def _python_while(cond, body, loop_vars):
    # keras' numpy and torch backends' while_loop (without maximum_iterations): a Python loop.
    while cond(*loop_vars):
        loop_vars = tuple(body(*loop_vars))
    return loop_vars


def _while_cond(i, x):
    return i < LOOP_N


def _while_body(i, x):
    return i + 1, x * 0.5 + 1.0


def _jax_while(jnp):
    lax = __import__("jax", fromlist=["lax"]).lax
    return lambda i, x: lax.while_loop(lambda v: _while_cond(*v), lambda v: _while_body(*v),
                                       (i, x))


def _mlx_while(mx):
    def run(i, x):
        out = _python_while(_while_cond, _while_body, (i, x))
        mx.eval(out)
        return out

    return run


def _jax_fori(jnp):
    lax = __import__("jax", fromlist=["lax"]).lax
    return lambda x: lax.fori_loop(0, LOOP_N, lambda i, v: v + i, x)


LOOPS: list[Case] = [
    Case("while_loop", "cond i < n, body (i + 1, x * 0.5 + 1.0)", _scalar_vars,
         {"kcore": lambda k: lambda i, x: k.while_loop(_while_cond, _while_body, (i, x)),
          "numpy": lambda np_: lambda i, x: _python_while(_while_cond, _while_body, (i, x)),
          "jax": _jax_while,
          "torch": lambda t: lambda i, x: _python_while(_while_cond, _while_body, (i, x)),
          "mlx": _mlx_while},
         per=LOOP_N, rtol=1e-6,
         note="loop vars (i int32, x float32) 0-d; JAX: jax.jit(lax.while_loop); "
              "numpy, torch: the Python while loop of keras' backends on NumPy scalars / 0-d "
              "tensors; MLX: the same eager loop (no loop primitive), evaluated at the end"),
    Case("fori_loop", "i from 0 to n, body x + i", lambda rng: [np.asarray(0, np.float32)],
         {"kcore": lambda k: lambda x: k.fori_loop(0, LOOP_N, lambda i, v: v + i, x),
          "jax": _jax_fori},
         per=LOOP_N, rtol=1e-6, note="x float32 0-d; JAX: jax.jit(lax.fori_loop)"),
]
# kcore_bench.cpp names them "<name>/<iterations>".
LOOP_CPP = {"while_loop": "loop/while_scalar", "fori_loop": "loop/fori_scalar"}

VMAP_ROWS = 10_000
CHAIN_N = 10**6
CHAIN_SEGMENTS = 1000


def _five_ops(lib, axis=None):
    # Five ops per row: multiply, exp, divide, add and subtract, then the sum.
    if axis is None:
        return lambda r: lib.sum(lib.exp(r * 0.5) + r / 3.0 - 1.0)
    return lambda r: lib.sum(lib.exp(r * 0.5) + r / 3.0 - 1.0, axis=axis)


def _vmap_inputs(rng):
    return [rng.normal(size=(VMAP_ROWS, 64)).astype(np.float32)]


def _chain_inputs(rng):
    return [rng.normal(size=(CHAIN_N,)).astype(np.float32),
            (np.arange(CHAIN_N) // (CHAIN_N // CHAIN_SEGMENTS)).astype(np.int32)]


def _kcore_chain(k):
    return lambda v, ids: k.logsumexp(k.segment_sum(k.erf(v), ids, num_segments=CHAIN_SEGMENTS))


def _jax_chain(jnp):
    jax = __import__("jax")
    return lambda v, ids: jax.nn.logsumexp(
        jax.ops.segment_sum(jax.scipy.special.erf(v), ids, num_segments=CHAIN_SEGMENTS))


def _grad_of(make_chain, grad_name):
    def impl(lib):
        chain = make_chain(lib)
        grad = getattr(__import__("jax") if grad_name == "jax" else lib, "grad")
        return lambda v, ids: grad(lambda a: chain(a, ids))(v)

    return impl


TRANSFORMS: list[Case] = [
    Case("vmap", "vectorized_map(five_ops, x)", _vmap_inputs,
         {"kcore": lambda k: lambda x: k.vectorized_map(_five_ops(k), x),
          "jax": lambda jnp: __import__("jax").vmap(_five_ops(jnp)),
          "torch": lambda t: t.vmap(_five_ops(t))},
         rtol=1e-5, atol=1e-5,
         note="x (10^4, 64) float32; five_ops(r) = sum(exp(r * 0.5) + r / 3 - 1); JAX: "
              "jax.jit(jax.vmap(f)); torch: torch.vmap(f) (keras' torch vectorized_map)"),
    Case("vmap_loop", "Python loop + stack", _vmap_inputs,
         {"kcore": lambda k: lambda x: k.stack([_five_ops(k)(x[i]) for i in range(x.shape[0])])},
         ref="vmap", rtol=1e-5, atol=1e-5, note="stack([five_ops(x[i]) for each row])"),
    Case("vmap_batch", "the same ops on the whole batch", _vmap_inputs,
         {"kcore": lambda k: _five_ops(k, axis=1), "jax": lambda jnp: _five_ops(jnp, axis=1),
          "torch": lambda t: lambda x: t.sum(t.exp(x * 0.5) + x / 3.0 - 1.0, dim=1)},
         ref="vmap", rtol=1e-5, atol=1e-5, note="sum(exp(x * 0.5) + x / 3 - 1, axis=1)"),
    Case("chain", "forward", _chain_inputs,
         {"kcore": _kcore_chain, "jax": _jax_chain}, rtol=1e-5,
         note="v (10^6,) float32, ids = arange(10^6) // 1000: "
              "logsumexp(segment_sum(erf(v), ids, 1000)); JAX jitted"),
    Case("chain_grad", "grad", _chain_inputs,
         {"kcore": _grad_of(_kcore_chain, "kcore"), "jax": _grad_of(_jax_chain, "jax")},
         rtol=1e-4, atol=1e-9, note="the gradient with respect to v (kcore.grad, jax.grad)"),
    Case("chain_eager", "forward, eager", _chain_inputs, {"jax": _jax_chain},
         ref="chain", rtol=1e-5, jit=False, note="JAX without jit"),
    Case("chain_grad_eager", "grad, eager", _chain_inputs,
         {"jax": _grad_of(_jax_chain, "jax")}, ref="chain_grad", rtol=1e-4, atol=1e-9,
         jit=False, note="JAX without jit"),
]

# The sections of bench/run.py (--sections) and the worker's cases by section.
SECTIONS = ("ops", "dispatch", "control_flow", "transforms")
CASES = {"control_flow": {c.name: c for c in LOOPS},
         "transforms": {c.name: c for c in TRANSFORMS}}
