"""Per-call overhead of kcore from Python on one-element inputs, against NumPy (and JAX eager
when installed). Prints a table of medians; no assertions: benchmarks are programs, not tests."""

import statistics
import timeit

import numpy as np

import kcore

REPEATS = 7
NUMBER = 20000


def median_us(fn):
    times = timeit.repeat(fn, repeat=REPEATS, number=NUMBER)
    return statistics.median(times) / NUMBER * 1e6


def main():
    t = kcore.convert_to_tensor([1.5], dtype="float32")
    a = np.array([1.5], dtype=np.float32)
    cases = [
        ("add(x, x)", lambda: kcore.add(t, t), lambda: np.add(a, a)),
        ("x + x", lambda: t + t, lambda: a + a),
        ("x + 1.0 (weak scalar)", lambda: t + 1.0, lambda: a + 1.0),
        ("exp(x)", lambda: kcore.exp(t), lambda: np.exp(a)),
        ("sum(x)", lambda: kcore.sum(t), lambda: np.sum(a)),
        ("cast(x, float16)", lambda: kcore.cast(t, "float16"), lambda: a.astype(np.float16)),
        ("reshape(x, (1, 1))", lambda: kcore.reshape(t, (1, 1)), lambda: np.reshape(a, (1, 1))),
        ("convert_to_tensor(ndarray)", lambda: kcore.convert_to_tensor(a), lambda: np.asarray(a)),
    ]
    print(f"{'call':32} {'kcore (us)':>11} {'NumPy (us)':>11} {'kcore/NumPy':>12}")
    for name, k, n in cases:
        kt = median_us(k)
        nt = median_us(n)
        print(f"{name:32} {kt:11.3f} {nt:11.3f} {kt / nt:12.2f}")


if __name__ == "__main__":
    main()
