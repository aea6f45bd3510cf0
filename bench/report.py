"""Turns bench/run.py's results into tables (console, docs/benchmarks.md, README's headline)
and plots (docs/img/). `python bench/report.py build/bench/results.json` redraws them from a
saved run without timing anything again."""

from __future__ import annotations

import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import ops as optable  # noqa: E402
import peers  # noqa: E402

README_START = "<!-- bench-headline:start (written by make bench) -->"
README_END = "<!-- bench-headline:end -->"

def cache_bytes(results) -> int:
    """The last-level cache: an op whose bytes fit in it is not bound by DRAM bandwidth."""
    size = 32 * 2**20
    caches = results.get("machine", {}).get("caches", {})
    if caches:
        s = caches[max(caches)]
        m = re.match(r"(\d+)\s*([KMG]?)", s)
        if m:
            size = int(m.group(1)) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[m.group(2)]
    return size
COLORS = {"kcore": "#d62728", "kcore C++": "#8c1a1a", "numpy": "#1f77b4", "jax": "#2ca02c",
          "torch": "#ff7f0e", "mlx": "#7f7f7f"}


# ---------------------------------------------------------------------------------------------
# Results -> one row per (op, size, threads)


def build(results: dict) -> dict:
    peer_list = results["peers"]
    bw = {int(t): b["gbps"] for t, b in results.get("bandwidth", {}).items()}
    llc = cache_bytes(results)
    status, times, nbytes, detail = {}, {}, {}, {}
    versions = dict(results.get("versions", {}))
    missing = dict(results.get("missing", {}))
    for r in results["cases"]:
        key = (r["op"], r["size"], r["threads"], r["impl"])
        status[key] = r.get("status", "?")
        if "median" in r:
            times[key] = r["median"]
        elif status[key] == "ok":
            status[key] = "error"
            detail[key] = "no sample"
        if "detail" in r:
            detail[key] = r["detail"]
        if r["impl"] == "kcore" and "bytes" in r:
            nbytes[(r["op"], r["size"])] = r["bytes"]
    for impl, reason in results.get("install", {}).get("missing", {}).items():
        missing.setdefault(impl, reason)
    rows = []
    for threads in results["threads"]:
        for op in results["ops"]:
            spec = optable.OPS_BY_NAME.get(op)
            for n in results["sizes"]:
                row = {"op": op, "size": n, "threads": threads, "cells": {}, "times": {}}
                for impl in ["kcore"] + peer_list:
                    key = (op, n, threads, impl)
                    st = status.get(key, "missing" if impl in missing else "not run")
                    row["cells"][impl] = st
                    if key in times:
                        row["times"][impl] = times[key]
                cpp = results.get("cpp", {}).get(str(threads), {})
                if spec and spec.cpp and f"{spec.cpp}/{n}" in cpp:
                    row["times"]["kcore C++"] = cpp[f"{spec.cpp}/{n}"]
                    row["cells"]["kcore C++"] = "ok"
                ok_peers = {p: row["times"][p] for p in peer_list if p in row["times"]}
                if ok_peers and "kcore" in row["times"]:
                    best = min(ok_peers, key=ok_peers.get)
                    row["best_peer"] = best
                    row["ratio"] = row["times"]["kcore"] / ok_peers[best]
                if (spec and spec.roofline and threads in bw and nbytes.get((op, n), 0) > llc
                        and "kcore" in row["times"]):
                    roof = nbytes[(op, n)] / (bw[threads] * 1e9)
                    row["roof_s"] = roof
                    row["roof_pct"] = 100 * roof / row["times"]["kcore"]
                    if "kcore C++" in row["times"]:
                        row["roof_pct_cpp"] = 100 * roof / row["times"]["kcore C++"]
                rows.append(row)
    problems = [(k, status[k], detail.get(k, "")) for k in sorted(status)
                if status[k] in ("mismatch", "error", "crashed")]
    problems += [((r["case"], 1, 1, r["impl"]), r["status"], r.get("detail", ""))
                 for r in results.get("dispatch", [])
                 if r.get("status") in ("mismatch", "error", "crashed")]
    dispatch = []
    cases = [c for c, _ in optable.DISPATCH]
    dtimes = {(r["case"], r["impl"]): r["median"] for r in results.get("dispatch", [])
              if "median" in r}
    cpp1 = results.get("cpp", {}).get(str(results["threads"][0]), {})
    for c in cases:
        row = {"case": c, "times": {i: dtimes[(c, i)] for i in ["kcore"] + peer_list
                                    if (c, i) in dtimes}}
        cname = optable.DISPATCH_CPP.get(c)
        if cname and cname in cpp1:
            row["times"]["kcore C++"] = cpp1[cname]
        if len(row["times"]) > 0:
            dispatch.append(row)
    for section in ("control_flow", "transforms"):
        problems += [((f"{section}: {r['case']}", 1, r.get("threads", 1), r["impl"]),
                      r["status"], r.get("detail", "")) for r in results.get(section, [])
                     if r.get("status") in ("mismatch", "error", "crashed")]
    return {"rows": rows, "problems": problems, "dispatch": dispatch, "bandwidth": bw,
            "versions": versions, "missing": missing, "peers": peer_list,
            "control_flow": _case_rows(results, "control_flow", cpp1),
            "transforms": _case_rows(results, "transforms", cpp1)}


def _case_rows(results, section, cpp1) -> list[dict]:
    """One row per case of a section that ran: times per call divided by the case's `per` (per
    loop iteration for the loops), cells as in the ops' rows, and the C++ loop's time."""
    recs = {(r["case"], r["impl"]): r for r in results.get(section, [])}
    rows = []
    for case in optable.CASES[section].values():
        if not any(c == case.name for c, _ in recs):
            continue
        row = {"case": case.name, "label": case.label, "times": {}, "cells": {}}
        for impl in ["kcore"] + results["peers"]:
            r = recs.get((case.name, impl))
            if r is None:
                row["cells"][impl] = "not run"
                continue
            row["cells"][impl] = r.get("status", "?")
            if "median" in r:
                row["times"][impl] = r["median"] / r.get("per", case.per)
        cname = optable.LOOP_CPP.get(case.name) if section == "control_flow" else None
        for key, t in cpp1.items() if cname else ():
            if key.startswith(cname + "/"):
                row["times"]["kcore C++"] = t / int(key.rsplit("/", 1)[1])
                row["cells"]["kcore C++"] = "ok"
        rows.append(row)
    return rows


def _threads(results) -> str:
    t = results["threads"][0]
    return f"{t} thread{'s' * (t > 1)}"


def _met(ok) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**not met**")


def _ratio(a, b):
    return a / b if a is not None and b else None


def control_flow_summary(table) -> dict:
    """The issue's targets for while_loop: kcore from Python below PyTorch, from C++ under 1 µs
    per iteration."""
    row = next((r for r in table["control_flow"] if r["case"] == "while_loop"), None)
    t = row["times"] if row else {}
    py_vs_torch = _ratio(t.get("kcore"), t.get("torch"))
    cpp = t.get("kcore C++")
    return {"times": t, "py_vs_torch": py_vs_torch, "cpp": cpp,
            "py_met": None if py_vs_torch is None else py_vs_torch < 1,
            "cpp_met": None if cpp is None else cpp < 1e-6}


def transforms_summary(table) -> dict:
    """The issue's targets: vectorized_map >= 50x faster than the loop and within 2x of the
    whole-batch ops; the gradient within 3x of the forward pass (kcore)."""
    t = {r["case"]: r["times"] for r in table["transforms"]}

    def kc(case, impl="kcore"):
        return t.get(case, {}).get(impl)

    loop_speedup = _ratio(kc("vmap_loop"), kc("vmap"))
    vs_batch = _ratio(kc("vmap"), kc("vmap_batch"))
    grad_vs_fwd = _ratio(kc("chain_grad"), kc("chain"))
    return {"loop_speedup": loop_speedup, "vs_batch": vs_batch, "grad_vs_fwd": grad_vs_fwd,
            "loop_met": None if loop_speedup is None else loop_speedup >= 50,
            "batch_met": None if vs_batch is None else vs_batch <= 2,
            "grad_met": None if grad_vs_fwd is None else grad_vs_fwd <= 3,
            "jax_vs_batch": _ratio(kc("vmap", "jax"), kc("vmap_batch", "jax")),
            "jax_grad_vs_fwd": _ratio(kc("chain_grad", "jax"), kc("chain", "jax")),
            "jax_eager_grad_vs_fwd": _ratio(kc("chain_grad_eager", "jax"),
                                            kc("chain_eager", "jax"))}


# ---------------------------------------------------------------------------------------------
# Formatting


def fmt_time(s: float | None) -> str:
    if s is None:
        return ""
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_size(n: int) -> str:
    e = round(math.log10(n)) if n > 0 else 0
    return f"10^{e}" if 10**e == n else f"{n:,}"


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "–"
    return f"**{r:.2f}×**" if r <= 1 else f"{r:.2f}×"


def cell(row, impl) -> str:
    if impl in row["times"]:
        return fmt_time(row["times"][impl])
    st = row["cells"].get(impl, "")
    return {"ok": "", "not run": "–"}.get(st, st)


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def md_table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def headline(table, results, img_prefix=None) -> str:
    """The figures a reader wants first: standing per op at the largest size, dispatch, bandwidth."""
    rows = table["rows"]
    big = max(results["sizes"])
    lines = []
    bw = table["bandwidth"]
    if bw:
        lines.append("- Memory bandwidth (STREAM add of 256 MiB float64 arrays, 2 reads + 1 write): "
                     + ", ".join(f"{bw[t]:.1f} GB/s on {t} thread{'s' * (t > 1)}"
                                 for t in sorted(bw)) + ".")
    d = {r["case"]: r["times"] for r in table["dispatch"]}
    if "add(x, x)" in d and "kcore" in d["add(x, x)"]:
        t = d["add(x, x)"]
        parts = [f"kcore {fmt_time(t['kcore'])} from Python"]
        if "kcore C++" in t:
            parts.append(f"{fmt_time(t['kcore C++'])} from C++")
        for p in table["peers"]:
            if p in t:
                parts.append(f"{p} {fmt_time(t[p])} ({t['kcore'] / t[p]:.2f}×)")
        lines.append("- Per-call overhead, `add(x, x)` on one element: " + ", ".join(parts)
                     + " (ratio: kcore / peer).")
    if table["control_flow"]:
        cf = control_flow_summary(table)
        t = cf["times"]
        parts = [f"kcore {fmt_time(t['kcore'])} from Python"] if "kcore" in t else []
        if "kcore C++" in t:
            parts.append(f"{fmt_time(t['kcore C++'])} from C++")
        parts += [f"{p} {fmt_time(t[p])}" for p in table["peers"] if p in t]
        if parts:
            lines.append("- `while_loop` with a scalar body, per iteration: " + ", ".join(parts)
                         + (f" (kcore / torch {cf['py_vs_torch']:.2f}×)"
                            if cf["py_vs_torch"] else "") + ".")
    if table["transforms"]:
        ts = transforms_summary(table)
        parts = []
        if ts["loop_speedup"]:
            parts.append(f"`vectorized_map` {ts['loop_speedup']:.0f}× faster than a Python loop")
        if ts["vs_batch"]:
            parts.append(f"{ts['vs_batch']:.2f}× the whole-batch ops")
        if ts["grad_vs_fwd"]:
            parts.append(f"`grad` {ts['grad_vs_fwd']:.2f}× its forward pass")
        if parts:
            lines.append("- Transforms (kcore): " + ", ".join(parts) + ".")
    for threads in results["threads"]:
        rs = [r for r in rows if r["threads"] == threads and "ratio" in r]
        if not rs:
            continue
        wins = sum(r["ratio"] <= 1 for r in rs)
        g_small = geomean([r["ratio"] for r in rs if r["size"] == min(results["sizes"])])
        g_big = geomean([r["ratio"] for r in rs if r["size"] == big])
        lines.append(
            f"- {threads} thread{'s' * (threads > 1)}: kcore is the fastest in {wins} of "
            f"{len(rs)} (op, size) cases; geometric mean of kcore / fastest peer: "
            + (f"{g_small:.2f}× at {fmt_size(min(results['sizes']))}, " if g_small else "")
            + (f"{g_big:.2f}× at {fmt_size(big)}." if g_big else ""))
    if table["problems"]:
        kinds = sorted({(k[0], k[3], st) for k, st, _ in table["problems"]})
        lines.append("- Not timed (output differs from kcore's, or failed): "
                     + ", ".join(f"{op} on {impl} ({st})" for op, impl, st in kinds) + ".")
    hdr = ["op"]
    for t in results["threads"]:
        hdr += [f"kcore, {t}T", f"fastest peer, {t}T", f"kcore / fastest, {t}T"]
    if any("roof_pct" in r for r in rows):
        hdr.append("% roofline, 1T")
    body = []
    for op in results["ops"]:
        line = [f"`{op}`"]
        for t in results["threads"]:
            r = next((r for r in rows if r["op"] == op and r["size"] == big
                      and r["threads"] == t), None)
            if r is None:
                line += ["", "", ""]
                continue
            line.append(cell(r, "kcore"))
            bp = r.get("best_peer")
            line.append(f"{bp} {fmt_time(r['times'][bp])}" if bp else "–")
            line.append(fmt_ratio(r.get("ratio")))
        if len(hdr) > len(line):
            r1 = next((r for r in rows if r["op"] == op and r["size"] == big
                       and r["threads"] == results["threads"][0]), {})
            line.append(f"{r1['roof_pct']:.0f}%" if "roof_pct" in r1 else "")
        body.append(line)
    if not results["ops"]:
        return "\n".join(lines) + "\n"
    out = "\n".join(lines) + "\n\n" + f"At {fmt_size(big)} elements (float32; T = threads; " \
        "a ratio below 1, in bold, means kcore is faster):\n\n" + md_table(hdr, body) + "\n"
    notes = [f"`{op.name}`: {op.note}" for op in optable.OPS
             if op.name in results["ops"] and op.note]
    if notes:
        out += "\n" + "; ".join(notes) + ".\n"
    if img_prefix:
        out += (f"\n![kcore time / fastest peer, every op and size]({img_prefix}/bench_ratio.png)\n")
    return out


def markdown(table, results, img_dir=None, images=None) -> str:
    m = results["machine"]
    peer_list = table["peers"]
    out = [
        "# kcore benchmarks",
        "",
        f"Generated by `make bench` ({results['command']}) on {results['date']}, kcore at commit "
        f"{results['commit']}, in {results.get('elapsed_s', '?')} s. Do not edit by hand: rerun "
        "the command. Times are medians of repeated samples after warm-up, the samples of all "
        "implementations interleaved so that a change in the machine's load hits them alike "
        "(on 2 threads 20 ms apart, so that a library's threads still spinning after its own "
        "sample, as torch's OpenMP threads do for milliseconds, do not slow the next one); "
        "every peer's output was compared with kcore's before it was timed (a mismatch is "
        "listed, never timed). The top_k cases cycle each implementation's calls through up to "
        "64 different inputs (16 MiB in all), the same ones for every implementation: a branch "
        "predictor learns a small input seen over and over, which made comparison-based "
        "selections up to 8 times faster than on data not seen before.",
        "",
        "## Headline",
        "",
        headline(table, results),
    ]
    la, lb = m.get("loadavg_start"), m.get("loadavg_end")
    out += [
        "## Machine",
        "",
        md_table(["", ""], [
            ["CPU", m.get("cpu", "?")],
            ["CPUs (online / used)", f"{m.get('cpus_online')} / {len(m.get('affinity') or [])}"],
            ["caches", ", ".join(f"{k} {v}" for k, v in m.get("caches", {}).items())],
            ["memory", f"{m.get('memory_gib', '?')} GiB"],
            ["OS", m.get("platform", "?")],
            ["Python", m.get("python", "?")],
            ["load average (1 min) at start / end",
             f"{la[0]:.2f} / {lb[0]:.2f}" if la and lb else "?"],
        ]),
        "",
        "A load average above the number of CPUs means other processes shared the machine "
        "during the run: the figures are then noisy, and ratios (measured in the same run) are "
        "more telling than absolute times.",
        "",
        "## Peers",
        "",
        md_table(["implementation", "version", "installed with", "thread control"],
                 [[p, table["versions"].get(p, "missing: " + table["missing"].get(p, "?")),
                   _how(results, p), peers.THREAD_CONTROL[p]] for p in ["kcore"] + peer_list]),
        "",
        "Each (implementation, thread count) runs in its own process, pinned with "
        "`sched_setaffinity` to that many CPUs before anything is imported. The function timed "
        "for a peer is the one `keras.ops` calls on that backend (see bench/ops.py); JAX is "
        "timed under `jax.jit` (compiled once, before timing) except for the conversions, which "
        "keras runs eagerly. MLX is evaluated (`mx.eval`) inside each timed call, JAX waits with "
        "`block_until_ready`.",
        "",
    ]
    if images:
        out += ["## Plots", ""]
        for name, caption in images:
            out += [f"![{caption}]({img_dir}/{name})", "", f"*{caption}*", ""]
    if table["dispatch"]:
        impls = ["kcore", "kcore C++"] + peer_list
        rows = []
        for r in table["dispatch"]:
            t = r["times"]
            best = min((t[p] for p in peer_list if p in t), default=None)
            rows.append([r["case"]] + [fmt_time(t.get(i)) or "–" for i in impls]
                        + [f"{t['kcore'] / best:.2f}×" if best and "kcore" in t else "–"])
        out += [
            "## Per-call overhead",
            "",
            "One-element float32 inputs, 1 thread: the cost of a call itself. JAX is eager here "
            "(`jnp.add(x, x)`, what keras.ops does outside a jit), MLX includes `mx.eval`. The "
            "kcore C++ column calls the same op from C++ (bench/cpp/kcore_bench.cpp).",
            "",
            md_table(["call", *impls, "kcore / fastest peer"], rows),
            "",
        ]
    out += control_flow_markdown(table, results) + transforms_markdown(table, results)
    bw = table["bandwidth"]
    if bw:
        out += [
            "## Memory bandwidth and roofline",
            "",
            md_table(["threads", "memory bandwidth (GB/s)"],
                     [[t, f"{bw[t]:.1f}"] for t in sorted(bw)]),
            "",
            "Measured in the same run: STREAM's add, NumPy `add(a, b, out=c)` of 256 MiB float64 "
            "arrays, split over the threads, counting bytes read + bytes written (STREAM's "
            "convention; a plain `copyto` is memmove, whose non-temporal stores run at half this "
            "speed on some machines). An op's roofline "
            "time is (bytes of its inputs + bytes of its output) / this bandwidth; "
            "**% roofline** = roofline time / kcore's time, shown where those bytes exceed the "
            f"last-level cache ({cache_bytes(results) // 2**20} MiB): smaller working sets live "
            "in cache, where a DRAM roofline does not apply.",
            "",
        ]
    impls = ["kcore", "kcore C++"] + peer_list
    hdr = ["op", "size", "threads", *impls, "kcore / fastest peer", "fastest peer",
           "% roofline (Py / C++)"]
    body = []
    for r in table["rows"]:
        roof = ""
        if "roof_pct" in r:
            roof = f"{r['roof_pct']:.0f}%"
            if "roof_pct_cpp" in r:
                roof += f" / {r['roof_pct_cpp']:.0f}%"
        body.append([f"`{r['op']}`", fmt_size(r["size"]), r["threads"],
                     *[cell(r, i) for i in impls], fmt_ratio(r.get("ratio")),
                     r.get("best_peer", "–"), roof])
    notes = [f"- `{op.name}`: {op.note}" for op in optable.OPS if op.name in results["ops"]
             and op.note]
    out += [
        "## Ops",
        "",
        "float32 inputs, the same values for every implementation (seeded by op and size). "
        "Times per call; **kcore / fastest peer** below 1 (bold) means kcore is faster. "
        "Cells: *mismatch* = output differs from kcore's (not timed; see below), *n/a* = no "
        "equivalent, *missing* = peer not installed.",
        "",
        *notes,
        "",
        md_table(hdr, body),
        "",
    ]
    out += ["## Mismatches and errors", ""]
    if table["problems"]:
        out += [md_table(["op", "size", "threads", "implementation", "status", "detail"],
                         [[f"`{k[0]}`", fmt_size(k[1]), k[2], k[3], st,
                           d.replace("|", "\\|")] for k, st, d in table["problems"]]), ""]
        all_bad = _kcore_suspect(table)
        if all_bad:
            out += ["Every peer that ran disagrees with kcore on: "
                    + ", ".join(f"`{o}`" for o in all_bad) + " — kcore is the likely culprit.", ""]
    else:
        out += ["None: every peer's output matched kcore's.", ""]
    out += [
        "## Running it",
        "",
        "```",
        "make bench                                  # everything: this page, docs/img, README",
        "make bench OPS=cast SIZES=1000,1000000      # one op (name or prefix), some sizes",
        "make bench OPS=add,exp THREADS=1 PEERS=numpy,torch",
        "make bench SECTIONS=control_flow,transforms # only the loops and the transforms",
        ".bench-venv/bin/python bench/run.py --help  # the script's own flags",
        "```",
        "",
        "A partial run prints its table and writes build/bench/results.{json,md}, leaving this "
        "page alone. The C++ microbenchmarks run on their own too: "
        "`build/bench/bench/cpp/kcore_bench --kcore_threads=1 --benchmark_filter=exp`. "
        "See bench/README.md for adding an op.",
        "",
    ]
    return "\n".join(out)


def _case_notes(section, table) -> list[str]:
    ran = {r["case"] for r in table[section]}
    return [f"- {f'`{c.name}`' if section == 'control_flow' else c.label}: {c.note}"
            for c in optable.CASES[section].values() if c.name in ran and c.note]


def control_flow_markdown(table, results) -> list[str]:
    if not table["control_flow"]:
        return []
    impls = ["kcore", "kcore C++"] + table["peers"]
    body = []
    for r in table["control_flow"]:
        t = r["times"]
        cells = [f"{t[i] * 1e6:.3g}" if i in t else {"ok": "", "not run": "–"}.get(
            r["cells"].get(i, "n/a"), r["cells"].get(i, "n/a")) for i in impls]
        ratio = _ratio(t.get("kcore"), t.get("torch"))
        body.append([f"`{r['case']}`", r["label"], *cells,
                     f"{ratio:.2f}×" if ratio else "–"])
    cf = control_flow_summary(table)
    t = cf["times"]
    targets = [
        f"- kcore from Python below PyTorch: {_met(cf['py_met'])}"
        + (f" ({fmt_time(t['kcore'])} against {fmt_time(t['torch'])} per iteration, "
           f"{cf['py_vs_torch']:.2f}×)." if cf["py_vs_torch"] else "."),
        f"- kcore from C++ under 1 µs per iteration: {_met(cf['cpp_met'])}"
        + (f" ({fmt_time(cf['cpp'])})." if cf["cpp"] else "."),
    ]
    return [
        "## Control flow",
        "",
        f"The per-iteration cost of a loop whose body is a few scalar ops ({optable.LOOP_N:,} "
        f"iterations per call, the time of a call divided by them), {_threads(results)}. Every "
        "implementation runs the loop as keras.ops does on its backend; kcore C++ is "
        "`kcore::while_loop` / `kcore::fori_loop` with `kcore::Tree` loop variables "
        "(bench/cpp/kcore_bench.cpp, `loop/while_scalar`, `loop/fori_scalar`). Each final "
        "result was compared with kcore's before timing.",
        "",
        *_case_notes("control_flow", table),
        "",
        md_table(["loop", "body", *[f"{i} (µs/iter)" for i in impls], "kcore / torch"], body),
        "",
        "Targets (issue 8), from the `while_loop` row:",
        "",
        *targets,
        "",
    ]


def transforms_markdown(table, results) -> list[str]:
    if not table["transforms"]:
        return []
    impls = ["kcore"] + [p for p in table["peers"]
                         if any(p in r["times"] or r["cells"].get(p) not in ("n/a", "not run")
                                for r in table["transforms"])]
    label = {"jax": "jax (jit)"}

    def rows_of(cases):
        body = []
        for r in table["transforms"]:
            if r["case"] in cases:
                body.append([r["label"], *[cell(r, i) for i in impls]])
        return body

    ts = transforms_summary(table)
    out = [
        "## Transforms",
        "",
        "`vectorized_map` against the Python loop it replaces and the same ops written on the "
        "whole batch, and the gradient of a chain of ops against its forward pass; "
        f"{_threads(results)}. "
        "Outputs were compared with kcore's `vectorized_map` (resp. forward and `grad`) before "
        "timing.",
        "",
        *_case_notes("transforms", table),
        "",
        md_table(["10^4 rows of 64 float32", *[label.get(i, i) for i in impls]],
                 rows_of({"vmap", "vmap_loop", "vmap_batch"})),
        "",
    ]
    grad_rows = [r for r in table["transforms"] if r["case"].startswith("chain")]
    if grad_rows:
        t = {r["case"]: r["times"] for r in grad_rows}
        body = [["forward", fmt_time(t.get("chain", {}).get("kcore")),
                 fmt_time(t.get("chain", {}).get("jax")),
                 fmt_time(t.get("chain_eager", {}).get("jax"))],
                ["grad", fmt_time(t.get("chain_grad", {}).get("kcore")),
                 fmt_time(t.get("chain_grad", {}).get("jax")),
                 fmt_time(t.get("chain_grad_eager", {}).get("jax"))],
                ["grad / forward", *[f"{x:.2f}×" if x else "–" for x in (
                    ts["grad_vs_fwd"], ts["jax_grad_vs_fwd"], ts["jax_eager_grad_vs_fwd"])]]]
        out += [md_table(["erf -> segment_sum -> logsumexp, 10^6", "kcore", "jax (jit)",
                          "jax (eager)"], body), ""]
    fmt = lambda x, f: f.format(x) if x else "–"  # noqa: E731
    out += [
        "Targets (issue 7), kcore:",
        "",
        f"- `vectorized_map` at least 50× faster than the Python loop: {_met(ts['loop_met'])} "
        f"({fmt(ts['loop_speedup'], '{:.0f}×')}).",
        f"- `vectorized_map` within 2× of the whole-batch ops: {_met(ts['batch_met'])} "
        f"({fmt(ts['vs_batch'], '{:.2f}×')}; jax.vmap under jit: "
        f"{fmt(ts['jax_vs_batch'], '{:.2f}×')}).",
        f"- `grad` within 3× of the forward pass: {_met(ts['grad_met'])} "
        f"({fmt(ts['grad_vs_fwd'], '{:.2f}×')}; jax.grad under jit: "
        f"{fmt(ts['jax_grad_vs_fwd'], '{:.2f}×')}, eager: "
        f"{fmt(ts['jax_eager_grad_vs_fwd'], '{:.2f}×')}).",
        "",
    ]
    return out


def _how(results, impl) -> str:
    if impl == "kcore":
        return "pip install --no-build-isolation . (this checkout)"
    how = results.get("install", {}).get("how", {}).get(impl, "")
    if impl == "torch" and how and "--index-url" not in how:
        return f"pip install {how} (PyPI's default wheel, run on the CPU; the CPU-only index " \
               "was not reachable)"
    if how and how != "already installed":
        return f"pip install {how}"
    return "pip (already in the venv)" if how else "?"


def _kcore_suspect(table):
    ops = {}
    for r in table["rows"]:
        sts = [r["cells"].get(p) for p in table["peers"]]
        ran = [s for s in sts if s in ("ok", "mismatch")]
        if ran:
            ops.setdefault(r["op"], []).append(all(s == "mismatch" for s in ran))
    return [o for o, v in ops.items() if v and all(v)]


def console(table, results) -> str:
    impls = ["kcore", "kcore C++"] + table["peers"]
    w = 11
    lines = [f"{'op':18}{'size':>8}{'thr':>4}" + "".join(f"{i:>{w}}" for i in impls)
             + f"{'k/best':>8}{'roof':>6}"]
    for r in table["rows"]:
        roof = f"{r['roof_pct']:.0f}%" if "roof_pct" in r else ""
        ratio = f"{r['ratio']:.2f}" if "ratio" in r else "-"
        lines.append(f"{r['op']:18}{fmt_size(r['size']):>8}{r['threads']:>4}"
                     + "".join(f"{cell(r, i):>{w}}" for i in impls) + f"{ratio:>8}{roof:>6}")
    if table["dispatch"]:
        lines += ["", f"{'per-call overhead':28}" + "".join(f"{i:>{w}}" for i in impls)]
        for r in table["dispatch"]:
            lines.append(f"{r['case']:28}"
                         + "".join(f"{fmt_time(r['times'].get(i)) or '-':>{w}}" for i in impls))
    for section, unit in (("control_flow", "per iteration"), ("transforms", "per call")):
        if table[section]:
            lines += ["", f"{section + ', ' + unit:28}" + "".join(f"{i:>{w}}" for i in impls)]
            for r in table[section]:
                lines.append(f"{r['case']:28}" + "".join(f"{cell(r, i) or '-':>{w}}"
                                                          for i in impls))
    if table["control_flow"]:
        cf = control_flow_summary(table)
        lines.append(f"while_loop: kcore / torch {cf['py_vs_torch'] or 0:.2f} "
                     f"(target < 1: {_met(cf['py_met'])}); C++ {fmt_time(cf['cpp']) or '-'} "
                     f"per iteration (target < 1 µs: {_met(cf['cpp_met'])})".replace("**", ""))
    if table["transforms"]:
        ts = transforms_summary(table)
        lines.append(f"vectorized_map: {ts['loop_speedup'] or 0:.1f}x faster than the loop "
                     f"(target >= 50: {_met(ts['loop_met'])}), {ts['vs_batch'] or 0:.2f}x the "
                     f"whole batch (target <= 2: {_met(ts['batch_met'])}); grad "
                     f"{ts['grad_vs_fwd'] or 0:.2f}x forward (target <= 3: "
                     f"{_met(ts['grad_met'])})".replace("**", ""))
    for t, b in sorted(table["bandwidth"].items()):
        lines.append(f"memory bandwidth (STREAM add), {t} thread(s): {b:.1f} GB/s")
    for k, st, d in table["problems"]:
        lines.append(f"NOT TIMED {k[0]} size={k[1]} threads={k[2]} {k[3]}: {st}: {d}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Plots


def plots(table, results, img_dir) -> list[tuple[str, str]]:
    """Writes the PNGs; returns (file name, caption) pairs. Empty when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError:
        return []
    images = []
    ops = results["ops"]
    sizes = results["sizes"]
    threads = results["threads"]
    rows = {(r["op"], r["size"], r["threads"]): r for r in table["rows"]}
    stamp = f"{results['machine'].get('cpu', '')}, {results['date'][:10]}"

    impls = ["kcore", "kcore C++"] + table["peers"]
    if ops:  # a run of other sections only has no op plots
        # 1. The standing at a glance: kcore / fastest peer, every op and size.
        fig, axes = plt.subplots(1, len(threads), figsize=(3.2 + 1.1 * len(sizes) * len(threads),
                                                           0.45 * len(ops) + 1.8),
                                 squeeze=False, sharey=True)
        for ax, t in zip(axes[0], threads):
            m = np.full((len(ops), len(sizes)), np.nan)
            for i, op in enumerate(ops):
                for j, n in enumerate(sizes):
                    r = rows.get((op, n, t))
                    if r and "ratio" in r:
                        m[i, j] = math.log2(r["ratio"])
            ax.imshow(m, cmap="RdYlGn_r", vmin=-3, vmax=3, aspect="auto")
            for i, op in enumerate(ops):
                for j, n in enumerate(sizes):
                    r = rows.get((op, n, t))
                    if r and "ratio" in r:
                        txt = f"{r['ratio']:.2f}\n{r['best_peer']}"
                    else:
                        txt = "mismatch" if r and "mismatch" in r["cells"].values() else "–"
                    dark = not math.isnan(m[i, j]) and abs(m[i, j]) > 2
                    ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                            color="white" if dark else "black")
            ax.set_xticks(range(len(sizes)), [f"$10^{{{round(math.log10(n))}}}$"
                                              if fmt_size(n).startswith("10^") else str(n)
                                              for n in sizes])
            ax.set_yticks(range(len(ops)), ops)
            ax.set_title(f"{t} thread{'s' * (t > 1)}")
            ax.set_xlabel("elements")
        fig.suptitle("kcore time / fastest peer's time (green < 1: kcore faster; "
                     "second line: the fastest peer)", fontsize=10)
        fig.text(0.99, 0.005, stamp, ha="right", fontsize=6, color="gray")
        fig.tight_layout()
        fig.savefig(os.path.join(img_dir, "bench_ratio.png"), dpi=110)
        plt.close(fig)
        images.append(("bench_ratio.png",
                       "kcore's time over the fastest peer's, per op, size and thread count"))

        # 2. Time per element against size, every implementation, with the roofline; one figure
        # per thread count.
        cols = 4
        nrows = math.ceil(len(ops) / cols)
        for t in threads:
            fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 2.9 * nrows + 0.8),
                                     squeeze=False)
            for k, op in enumerate(ops):
                ax = axes[k // cols][k % cols]
                for impl in impls:
                    xs = [n for n in sizes if impl in rows.get((op, n, t), {}).get("times", {})]
                    if xs:
                        ax.plot(xs, [rows[(op, n, t)]["times"][impl] / n * 1e9 for n in xs],
                                "--" if impl == "kcore C++" else "-", color=COLORS[impl],
                                marker=".", lw=2.4 if impl == "kcore" else 1.2, label=impl)
                xs = [n for n in sizes if "roof_s" in rows.get((op, n, t), {})]
                if xs:
                    ax.plot(xs, [rows[(op, n, t)]["roof_s"] / n * 1e9 for n in xs], ":",
                            color="black", lw=1.5, marker="_", ms=14, label="memory roofline")
                ax.set_xscale("log")
                ax.set_yscale("log")
                ax.set_title(op, fontsize=10)
                ax.grid(True, which="major", alpha=0.3)
                if k % cols == 0:
                    ax.set_ylabel("ns per element")
            for k in range(len(ops), nrows * cols):
                axes[k // cols][k % cols].axis("off")
            handles, labels = [], []
            for ax in axes.flat:
                for h, lab in zip(*ax.get_legend_handles_labels()):
                    if lab not in labels:
                        handles.append(h)
                        labels.append(lab)
            fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9)
            fig.suptitle(f"Time per element against the number of elements, {t} "
                         f"thread{'s' * (t > 1)} (lower is better)", fontsize=11)
            fig.text(0.99, 0.002, stamp, ha="right", fontsize=6, color="gray")
            fig.tight_layout(rect=(0, 0.05, 1, 0.98))
            name = f"bench_times_{t}t.png"
            fig.savefig(os.path.join(img_dir, name), dpi=80)
            plt.close(fig)
            images.append((name, f"Time per element for every op and implementation, {t} "
                                 f"thread{'s' * (t > 1)} (dotted black: the memory roofline)"))

    # 3. Per-call overhead.
    if table["dispatch"]:
        cases = [r["case"] for r in table["dispatch"]]
        fig, ax = plt.subplots(figsize=(8, 0.55 * len(cases) * 1.4 + 1.2))
        h = 0.8 / len(impls)
        for j, impl in enumerate(impls):
            ys = [i + (j - len(impls) / 2 + 0.5) * h for i in range(len(cases))]
            vals = [r["times"].get(impl, np.nan) * 1e6 for r in table["dispatch"]]
            ax.barh(ys, vals, height=h, color=COLORS[impl], label=impl)
        ax.set_yticks(range(len(cases)), cases)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("µs per call (log scale, lower is better)")
        ax.grid(True, axis="x", which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        ax.set_title("Per-call overhead on one-element inputs, 1 thread\n"
                     "(kcore C++: the same call without Python)", fontsize=11)
        fig.text(0.99, 0.005, stamp, ha="right", fontsize=6, color="gray")
        fig.tight_layout()
        fig.savefig(os.path.join(img_dir, "bench_dispatch.png"), dpi=100)
        plt.close(fig)
        images.append(("bench_dispatch.png", "Per-call overhead on one-element inputs"))
    return images


def update_readme(path, table, results) -> None:
    """Replaces the block between the README's markers with the current headline."""
    with open(path) as f:
        text = f.read()
    block = (f"{README_START}\n"
             f"Measured on {results['date'][:10]} ({results['machine'].get('cpu', '?')}, "
             f"{len(results['machine'].get('affinity') or [])} CPUs; load average "
             f"{results['machine']['loadavg_start'][0]:.1f} at the start):\n\n"
             + headline(table, results, img_prefix="docs/img") + f"{README_END}")
    if README_START in text and README_END in text:
        text = re.sub(re.escape(README_START) + ".*?" + re.escape(README_END),
                      lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Benchmarks\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    import json

    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build/bench/results.json")
    with open(path) as f:
        results = json.load(f)
    table = build(results)
    print(console(table, results))


if __name__ == "__main__":
    main()
