"""One implementation at one thread count, in its own process, driven by bench/run.py.

The driver starts one worker per implementation and sends each the same cases, one JSON command
per line on stdin; replies are JSON lines on the original stdout (library output goes to
stderr). Samples of all implementations are interleaved by the driver, so that a change in the
machine's load hits every implementation alike.

Commands:
  {"cmd": "prepare", "op": NAME, "size": N}   build the inputs (the same in every process),
      compute kcore's result as the reference, run once and compare, warm up, choose the number
      of calls per sample -> {"status": "ok"|"mismatch"|"error"|"n/a", "bytes", "number", ...}
  {"cmd": "dispatch", "case": NAME}           the same for a per-call overhead case
  {"cmd": "case", "section": S, "case": NAME} the same for a case of a section (control_flow,
      transforms: bench/ops.py's CASES), checked against kcore's output of the case's `ref`
  {"cmd": "sample"}                           time one sample of the prepared case -> {"t": s}
  {"cmd": "bandwidth", "bytes": B}            prepare the memory-bandwidth case
  {"cmd": "quit"}
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import sys
import time
import traceback


def pin(cpus: str | None) -> None:
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})


def calibrate(call, target: float) -> int:
    """Warms up (at least two calls, about `target` seconds) and returns the number of calls
    that fills one sample of `target` seconds."""
    end = time.perf_counter() + target
    calls = 0
    while calls < 2 or time.perf_counter() < end:
        call()
        calls += 1
    t0 = time.perf_counter()
    call()
    one = time.perf_counter() - t0
    return max(1, min(1_000_000, int(target / max(one, 1e-8))))


def sample(call, number: int) -> float:
    """Seconds per call over `number` calls, with the garbage collector off."""
    gc.disable()
    try:
        t0 = time.perf_counter()
        for _ in range(number):
            call()
        return (time.perf_counter() - t0) / number
    finally:
        gc.enable()


def compare(op, ref, out, inputs):
    """None when `out` matches kcore's `ref` under the op's tolerance, else a description."""
    import numpy as np

    ref = np.asarray(ref)
    out = np.asarray(out)
    if out.shape != ref.shape:
        return f"shape {out.shape}, kcore {ref.shape}"

    def kind(a):
        return "b" if a.dtype == bool else ("i" if a.dtype.kind in "iu" else "f")

    if kind(out) != kind(ref):
        return f"dtype {out.dtype}, kcore {ref.dtype}"
    r = ref.astype(np.float64)
    o = out.astype(np.float64)
    if getattr(op, "reduce_axis", "none") != "none":
        x = np.abs(np.asarray(inputs[0], dtype=np.float64))
        bound = op.rtol * np.sum(x, axis=op.reduce_axis) + 1e-30
    else:
        bound = op.atol + op.rtol * np.abs(r)
    bad = ~((np.abs(o - r) <= bound) | (np.isnan(o) & np.isnan(r)))
    if not bad.any():
        return None
    i = np.flatnonzero(bad.ravel())[0]
    return (f"{int(bad.sum())} of {bad.size} elements differ; first at flat index {i}: "
            f"{o.ravel()[i]!r} vs kcore {r.ravel()[i]!r}")


def compare_leaves(case, ref, out, inputs=None):
    """compare() for every leaf of a (possibly tuple) output: elementwise within
    atol + rtol * |kcore| (a case, or an op without `reduce_axis`)."""
    if len(out) != len(ref):
        return f"{len(out)} outputs, kcore {len(ref)}"
    for k, (r, o) in enumerate(zip(ref, out)):
        bad = compare(case, r, o, inputs)
        if bad:
            return f"output {k}: {bad}" if len(ref) > 1 else bad
    return None


def leaves(impl, out) -> list:
    """An output as a list of NumPy arrays (a tuple or list of outputs gives one per item)."""
    items = out if isinstance(out, (tuple, list)) else [out]
    return [impl.to_numpy(o) for o in items]


def copy_case(threads: int, nbytes: int, pool):
    """STREAM "add": NumPy add(a, b, out=c) of large float64 arrays split over `threads` Python
    threads (ufuncs release the GIL). Returns the call and the bytes it moves (two reads and a
    write). Not a plain copy: np.copyto of a large array is memmove, whose non-temporal stores
    run at half the speed of an ordinary loop on some machines (measured: 27 against 55 GB/s
    here), which would put simple kernels above 100% of the "bandwidth"."""
    import numpy as np

    n = nbytes // 8
    a = np.ones(n)
    b = np.ones(n)
    c = np.zeros(n)
    bounds = [n * i // threads for i in range(threads + 1)]
    parts = [(a[i:j], b[i:j], c[i:j]) for i, j in zip(bounds, bounds[1:])]

    def run():
        if threads == 1:
            np.add(a, b, out=c)
        else:
            list(pool.map(lambda p: np.add(p[0], p[1], out=p[2]), parts))

    return run, 3 * n * 8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--cpus")
    ap.add_argument("--target", type=float, default=0.01)
    args = ap.parse_args()
    pin(args.cpus)
    # Replies go to the original stdout; anything a library prints goes to stderr.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    replies = os.fdopen(reply_fd, "w", buffering=1)

    def reply(obj):
        replies.write(json.dumps(obj) + "\n")

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy as np

    import ops as optable
    import peers

    try:
        kc = peers.KcoreImpl()
        kc.setup_threads(args.threads)
        impl = kc if args.impl == "kcore" else peers.IMPL_CLASSES[args.impl]()
        impl.setup_threads(args.threads)
    except Exception as e:  # noqa: BLE001 (an import failure is a result: "missing")
        reply({"missing": f"{type(e).__name__}: {e}".splitlines()[0][:300]})
        return
    reply({"version": impl.version})

    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(args.threads)
    dispatch = dict(optable.DISPATCH)
    call, number = None, 1
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg["cmd"]
        if cmd == "quit":
            break
        if cmd == "sample":
            reply({"t": sample(call, number)})
            continue
        call = None
        gc.collect()
        res = {}
        try:
            if cmd == "bandwidth":
                call, res["bytes"] = copy_case(args.threads, msg["bytes"], pool)
            elif cmd == "case":
                case = optable.CASES[msg["section"]][msg["case"]]
                if args.impl not in case.impls:
                    reply({"status": "n/a"})
                    continue
                inputs = case.inputs(optable.rng_for(case.ref or case.name, 0))
                ref_case = optable.CASES[msg["section"]][case.ref or case.name]
                kx = [kc.to_tensor(a) for a in inputs]
                ref = leaves(kc, ref_case.impls["kcore"](kc.lib)(*kx))
                del kx
                xs = [impl.to_tensor(a) for a in inputs]
                fn = impl.make(case.impls[args.impl](impl.lib), case.jit)
                out = fn(*xs)
                bad = None if impl is kc and case.ref is None else compare_leaves(
                    case, ref, leaves(impl, out))
                del out, ref
                if bad:
                    reply({"status": "mismatch", "detail": bad, "per": case.per})
                    continue
                call = lambda fn=fn, xs=xs: fn(*xs)  # noqa: E731
                res["per"] = case.per
            elif cmd == "dispatch":
                impls = dispatch[msg["case"]]
                if args.impl not in impls:
                    reply({"status": "n/a"})
                    continue
                a = np.array([1.5], dtype=np.float32)
                x = a if msg["case"] in optable.DISPATCH_RAW_INPUT else impl.to_tensor(a)
                fn = impl.make(impls[args.impl](impl.lib), jit=False)
                call = lambda fn=fn, x=x: fn(x)  # noqa: E731
            else:
                op = optable.OPS_BY_NAME[msg["op"]]
                n = msg["size"]
                if args.impl not in op.impls:
                    reply({"status": "n/a"})
                    continue
                rng = optable.rng_for(op.name, n)
                inputs = op.inputs(n, rng)
                # More input sets (op.input_sets), drawn after the first from the same generator:
                # every implementation gets the same ones.
                extra = [op.inputs(n, rng) for _ in range(optable.input_set_count(op, inputs) - 1)]
                kx = [kc.to_tensor(a) for a in inputs] if op.convert_inputs else inputs
                out = op.impls["kcore"](kc.lib)(*kx)
                if isinstance(out, tuple):  # several outputs (top_k): compared one by one
                    ref = leaves(kc, out)
                    res["bytes"] = int(sum(a.nbytes for a in inputs) + sum(r.nbytes for r in ref))
                else:
                    ref = kc.to_numpy(out)
                    res["bytes"] = int(sum(a.nbytes for a in inputs) + np.asarray(ref).nbytes)
                del kx, out
                xs = [impl.to_tensor(a) for a in inputs] if op.convert_inputs else inputs
                fn = impl.make(op.impls[args.impl](impl.lib), op.jit)
                out = fn(*xs)
                if impl is kc:
                    bad = None
                elif isinstance(ref, list) or args.impl in op.compare_as:
                    ref, got = (ref if isinstance(ref, list) else [ref]), leaves(impl, out)
                    canon = op.compare_as.get(args.impl, lambda a: a)
                    bad = compare_leaves(op, canon(ref), canon(got), inputs)
                else:
                    bad = compare(op, ref, impl.to_numpy(out), inputs)
                del out, ref, inputs
                if bad:
                    reply({"status": "mismatch", "detail": bad, **res})
                    continue
                if extra:
                    sets = itertools.cycle([xs] + [[impl.to_tensor(a) for a in s]
                                                   if op.convert_inputs else s for s in extra])
                    del extra
                    call = lambda fn=fn, sets=sets: fn(*next(sets))  # noqa: E731
                else:
                    call = lambda fn=fn, xs=xs: fn(*xs)  # noqa: E731
            number = calibrate(call, args.target)
            reply({"status": "ok", "number": number, **res})
        except Exception as e:  # noqa: BLE001 (a failing peer is reported, not fatal)
            traceback.print_exc()
            call = None
            reply({"status": "error", "detail": f"{type(e).__name__}: {e}".splitlines()[0][:300]})


if __name__ == "__main__":
    main()
