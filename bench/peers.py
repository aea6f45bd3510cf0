"""How each implementation is loaded, fed, synchronised and read back, and how its threads are
controlled. Only bench/worker.py imports the libraries, one implementation per process."""

from __future__ import annotations

import os

import numpy as np

# What sets the thread count of each implementation, as applied by bench/run.py and
# bench/worker.py. Every worker is also pinned to N CPUs (sched_setaffinity) before any import,
# which is the only control for libraries without a setting of their own.
THREAD_CONTROL = {
    "kcore": "kcore.set_num_threads(N) (and KCORE_NUM_THREADS=N)",
    "numpy": "none needed: ufuncs, reductions and copies run on the calling thread; "
             "OMP/OPENBLAS/MKL_NUM_THREADS=N only reach BLAS, which no op here uses",
    "jax": "N=1: XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'; "
           "N>1: XLA's default pool (one thread per CPU of the affinity mask)",
    "torch": "torch.set_num_threads(N) (intra-op pool; OMP_NUM_THREADS=N too)",
    "mlx": "no setting in the API; the CPU affinity mask is the only control",
}


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables a worker runs with for `threads` threads."""
    env = {v: str(threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                       "MKL_NUM_THREADS", "KCORE_NUM_THREADS")}
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    env["XLA_FLAGS"] = flags.strip()
    env["JAX_PLATFORMS"] = "cpu"
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


class Impl:
    """An implementation: `lib` is the module given to the op table's lambdas."""

    name: str
    lib: object
    version: str

    def to_tensor(self, a: np.ndarray):
        return a

    def to_numpy(self, x) -> np.ndarray:
        return np.asarray(x)

    def make(self, fn, jit: bool):
        """The timed callable: runs fn and waits for its result."""
        return fn

    def setup_threads(self, threads: int) -> None:
        pass


class KcoreImpl(Impl):
    name = "kcore"

    def __init__(self):
        import kcore

        self.lib = kcore
        self.version = kcore.__version__

    def to_tensor(self, a):
        return self.lib.convert_to_tensor(a)

    def to_numpy(self, x):
        return self.lib.convert_to_numpy(x) if self.lib.is_tensor(x) else np.asarray(x)

    def setup_threads(self, threads):
        self.lib.set_num_threads(threads)


class NumpyImpl(Impl):
    name = "numpy"

    def __init__(self):
        self.lib = np
        self.version = np.__version__


class JaxImpl(Impl):
    name = "jax"

    def __init__(self):
        import jax

        jax.config.update("jax_platforms", "cpu")
        import jax.numpy as jnp

        self.jax = jax
        self.lib = jnp
        self.version = jax.__version__

    def to_tensor(self, a):
        return self.jax.block_until_ready(self.lib.asarray(a))

    def make(self, fn, jit):
        f = self.jax.jit(fn) if jit else fn
        block = self.jax.block_until_ready
        return lambda *xs: block(f(*xs))


class TorchImpl(Impl):
    name = "torch"

    def __init__(self):
        import torch

        self.lib = torch
        self.version = torch.__version__

    def to_tensor(self, a):
        return self.lib.from_numpy(a.copy())

    def to_numpy(self, x):
        if not isinstance(x, self.lib.Tensor):
            return np.asarray(x)
        if x.dtype == self.lib.bfloat16:
            return x.float().numpy()
        return x.numpy()

    def setup_threads(self, threads):
        self.lib.set_num_threads(threads)


class MlxImpl(Impl):
    name = "mlx"

    def __init__(self):
        import mlx.core as mx

        self.lib = mx
        self.version = getattr(mx, "__version__", "?")
        self.lib.set_default_device(mx.cpu)

    def to_tensor(self, a):
        x = self.lib.array(a)
        self.lib.eval(x)
        return x

    def to_numpy(self, x):
        if not isinstance(x, self.lib.array):
            return np.asarray(x)
        if x.dtype == self.lib.bfloat16:
            x = x.astype(self.lib.float32)
        return np.array(x)

    def make(self, fn, jit):
        mx = self.lib

        def call(*xs):
            out = fn(*xs)
            if isinstance(out, mx.array):
                mx.eval(out)
            return out

        return call


IMPL_CLASSES = {"kcore": KcoreImpl, "numpy": NumpyImpl, "jax": JaxImpl, "torch": TorchImpl,
                "mlx": MlxImpl}

# The PyPI distributions whose versions the report shows.
DISTRIBUTIONS = {"kcore": "kcore", "numpy": "numpy", "jax": "jax", "torch": "torch",
                 "mlx": "mlx"}
