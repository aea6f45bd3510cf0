"""Speed of the transforms (issue 7): vectorized_map against a Python loop and against the same
ops on the whole batch, and the gradient of an erf/logsumexp/segment_sum chain against its
forward pass. Prints medians; no assertions."""

import statistics
import time

import numpy as np

import kcore


def median_seconds(fn, repeats=5):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def five_ops(r):
    return kcore.sum(kcore.exp(r * 0.5) + r / 3.0 - 1.0)


def main():
    x = kcore.convert_to_tensor(np.random.default_rng(0).normal(size=(10000, 64)).astype(np.float32))
    mapped = median_seconds(lambda: kcore.vectorized_map(five_ops, x))
    loop = median_seconds(lambda: kcore.stack([five_ops(x[i]) for i in range(10000)]), repeats=1)
    whole = median_seconds(lambda: kcore.sum(kcore.exp(x * 0.5) + x / 3.0 - 1.0, axis=1))
    print(f"vectorized_map, 1e4 rows x 64, five ops: {mapped * 1e3:.2f} ms")
    print(f"Python loop + stack:                     {loop * 1e3:.2f} ms  ({loop / mapped:.0f}x slower)")
    print(f"the same ops on the whole batch:         {whole * 1e3:.2f} ms  (vectorized_map {mapped / whole:.2f}x)")

    n = 10 ** 6
    v = kcore.convert_to_tensor(np.random.default_rng(1).normal(size=(n,)).astype(np.float32))
    ids = kcore.convert_to_tensor((np.arange(n) // 1000).astype(np.int32))

    def chain(a):
        s = kcore.segment_sum(kcore.erf(a), ids, num_segments=1000)
        return kcore.logsumexp(s)

    forward = median_seconds(lambda: chain(v))
    backward = median_seconds(lambda: kcore.grad(chain)(v))
    print(f"erf -> segment_sum -> logsumexp on 1e6: forward {forward * 1e3:.2f} ms, "
          f"grad {backward * 1e3:.2f} ms ({backward / forward:.2f}x)")


if __name__ == "__main__":
    main()
