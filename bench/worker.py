"""Times one implementation at one thread count, in its own process (started by bench/run.py).

For every op and size: builds the inputs (the same in every process), computes kcore's result
as the reference, runs the implementation once and compares; only a matching result is timed.
Writes a JSON list of records to --out.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
import traceback


def pin(cpus: str | None) -> None:
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})


def measure(call, repeats: int, target: float) -> dict:
    """Median seconds per call over `repeats` samples of `number` calls each (after warm-up);
    `number` is chosen so that one sample lasts about `target` seconds."""
    end = time.perf_counter() + target
    calls = 0
    while calls < 2 or time.perf_counter() < end:
        call()
        calls += 1
    t0 = time.perf_counter()
    call()
    one = time.perf_counter() - t0
    number = max(1, min(1_000_000, int(target / max(one, 1e-8))))
    samples = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(number):
                call()
            samples.append((time.perf_counter() - t0) / number)
    finally:
        gc.enable()
    return {"median": statistics.median(samples), "min": min(samples), "number": number,
            "repeats": repeats}


def compare(op, ref, out, inputs):
    """None when `out` matches kcore's `ref` under the op's tolerance, else a description."""
    import numpy as np

    ref = np.asarray(ref)
    out = np.asarray(out)
    if out.shape != ref.shape:
        return f"shape {out.shape}, kcore {ref.shape}"
    kind = lambda a: "b" if a.dtype == bool else ("i" if a.dtype.kind in "iu" else "f")  # noqa: E731
    if kind(out) != kind(ref):
        return f"dtype {out.dtype}, kcore {ref.dtype}"
    r = ref.astype(np.float64)
    o = out.astype(np.float64)
    if op.reduce_axis != "none":
        x = np.abs(np.asarray(inputs[0], dtype=np.float64))
        bound = op.rtol * np.sum(x, axis=op.reduce_axis) + 1e-30
    else:
        bound = op.atol + op.rtol * np.abs(r)
    err = np.abs(o - r)
    same_nan = np.isnan(o) & np.isnan(r)
    bad = ~((err <= bound) | same_nan)
    if not bad.any():
        return None
    i = np.flatnonzero(bad.ravel())[0]
    return (f"{int(bad.sum())} of {bad.size} elements differ; first at flat index {i}: "
            f"{o.ravel()[i]!r} vs kcore {r.ravel()[i]!r}")


def copy_bandwidth(threads: int, nbytes: int, repeats: int) -> dict:
    """STREAM-style copy bandwidth: (bytes read + bytes written) / time, NumPy copyto of a large
    array split over `threads` Python threads (copyto releases the GIL)."""
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor

    n = nbytes // 8
    src = np.ones(n)
    dst = np.zeros(n)
    bounds = [n * i // threads for i in range(threads + 1)]
    parts = [(dst[a:b], src[a:b]) for a, b in zip(bounds, bounds[1:])]
    with ThreadPoolExecutor(threads) as pool:
        def run():
            if threads == 1:
                np.copyto(dst, src)
            else:
                list(pool.map(lambda p: np.copyto(*p), parts))

        t = measure(run, repeats, 0.0)
    return {"threads": threads, "bytes": 2 * n * 8, "median_s": t["median"],
            "gbps": 2 * n * 8 / t["median"] / 1e9, "best_gbps": 2 * n * 8 / t["min"] / 1e9}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--cpus")
    ap.add_argument("--ops", default="")
    ap.add_argument("--sizes", required=True)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--target", type=float, default=0.01)
    ap.add_argument("--dispatch", action="store_true")
    ap.add_argument("--bandwidth-bytes", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    pin(args.cpus)

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy as np

    import ops as optable
    import peers

    result = {"impl": args.impl, "threads": args.threads, "records": [], "dispatch": []}

    def write():
        with open(args.out, "w") as f:
            json.dump(result, f)

    try:
        kc = peers.KcoreImpl()
        kc.setup_threads(args.threads)
        impl = kc if args.impl == "kcore" else peers.IMPL_CLASSES[args.impl]()
        impl.setup_threads(args.threads)
    except Exception as e:  # noqa: BLE001 (an import failure is a result: "missing")
        result["missing"] = f"{type(e).__name__}: {e}"
        write()
        return
    result["version"] = impl.version

    if args.bandwidth_bytes:
        result["bandwidth"] = copy_bandwidth(args.threads, args.bandwidth_bytes, args.repeats)

    sizes = [int(s) for s in args.sizes.split(",") if s]
    for op in optable.select([p for p in args.ops.split(",") if p]):
        for n in sizes:
            rec = {"op": op.name, "size": n, "impl": args.impl, "threads": args.threads}
            result["records"].append(rec)
            if args.impl not in op.impls:
                rec["status"] = "n/a"
                continue
            try:
                inputs = op.inputs(n, optable.rng_for(op.name, n))
                kx = [kc.to_tensor(a) for a in inputs] if op.convert_inputs else inputs
                kref = op.impls["kcore"](kc.lib)(*kx)
                ref = kc.to_numpy(kref)
                rec["bytes"] = int(sum(a.nbytes for a in inputs) + np.asarray(ref).nbytes)
                xs = [impl.to_tensor(a) for a in inputs] if op.convert_inputs else inputs
                fn = impl.make(op.impls[args.impl](impl.lib), op.jit)
                out = fn(*xs)
                bad = None if impl is kc else compare(op, ref, impl.to_numpy(out), inputs)
                del out, kref, kx
                if bad:
                    rec["status"] = "mismatch"
                    rec["detail"] = bad
                    continue
                rec.update(measure(lambda: fn(*xs), args.repeats, args.target))
                rec["status"] = "ok"
            except Exception as e:  # noqa: BLE001 (a failing peer is reported, not fatal)
                rec["status"] = "error"
                rec["detail"] = f"{type(e).__name__}: {e}".splitlines()[0][:300]
                traceback.print_exc()
            write()

    if args.dispatch:
        for name, impls in optable.DISPATCH:
            rec = {"case": name, "impl": args.impl}
            result["dispatch"].append(rec)
            if args.impl not in impls:
                rec["status"] = "n/a"
                continue
            try:
                a = np.array([1.5], dtype=np.float32)
                x = a if name in optable.DISPATCH_RAW_INPUT else impl.to_tensor(a)
                fn = impl.make(impls[args.impl](impl.lib), jit=False)
                rec.update(measure(lambda: fn(x), args.repeats, args.target))
                rec["status"] = "ok"
            except Exception as e:  # noqa: BLE001
                rec["status"] = "error"
                rec["detail"] = f"{type(e).__name__}: {e}".splitlines()[0][:300]
    write()


if __name__ == "__main__":
    main()
