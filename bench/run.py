"""kcore against NumPy, JAX, PyTorch and MLX: times every op of bench/ops.py over sizes and
thread counts, with the per-call overhead, the conversions and the machine's copy bandwidth,
and writes docs/benchmarks.md, the plots in docs/img/ and the README's headline figures.

    python bench/run.py                       # everything (what `make bench` runs)
    python bench/run.py --ops cast --sizes 1000,1000000 --threads 1
                                              # one op while working on it: prints a table,
                                              # writes build/bench/results.{json,md}, not docs/

Each (implementation, thread count) runs in its own process (bench/worker.py), pinned to that
many CPUs and with the thread settings of bench/peers.py. See docs/benchmarks.md for the method.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import ops as optable  # noqa: E402
import peers  # noqa: E402
import report  # noqa: E402

DEFAULT_SIZES = "1000,10000,100000,1000000,10000000"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine_info() -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpus_online": os.cpu_count(),
            "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else None}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        info["memory_gib"] = round(kb / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    caches = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    if os.path.isdir(base):
        for d in sorted(os.listdir(base)):
            try:
                with open(f"{base}/{d}/level") as f:
                    level = f.read().strip()
                with open(f"{base}/{d}/type") as f:
                    kind = f.read().strip()
                with open(f"{base}/{d}/size") as f:
                    size = f.read().strip()
            except OSError:
                continue
            if kind != "Instruction":
                caches[f"L{level}"] = size
    info["caches"] = caches
    info["loadavg_start"] = os.getloadavg()
    return info


def git_commit() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                             capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--",
                                "src", "include", "python"], cwd=ROOT, text=True,
                               capture_output=True).stdout.strip()
        return rev + ("+local changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_worker(impl, threads, cpus, args, dispatch, bandwidth_bytes) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [sys.executable, os.path.join(HERE, "worker.py"), "--impl", impl,
           "--threads", str(threads), "--cpus", ",".join(map(str, cpus)),
           "--ops", ",".join(op.name for op in args.op_list), "--sizes", args.sizes,
           "--repeats", str(args.repeats), "--target", str(args.target), "--out", out]
    if dispatch:
        cmd.append("--dispatch")
    if bandwidth_bytes:
        cmd += ["--bandwidth-bytes", str(bandwidth_bytes)]
    env = dict(os.environ, **peers.thread_env(threads))
    t0 = time.time()
    try:
        proc = subprocess.run(cmd, env=env, text=True, capture_output=True,
                              timeout=args.worker_timeout)
        rc, err = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as e:
        rc, err = "timeout", (e.stderr or b"").decode() if isinstance(e.stderr, bytes) else ""
    try:
        with open(out) as f:
            result = json.load(f)
    except (OSError, json.JSONDecodeError):
        result = {"impl": impl, "threads": threads, "records": [], "dispatch": []}
    finally:
        if os.path.exists(out):
            os.unlink(out)
    if rc != 0:
        tail = err.strip().splitlines()[-3:] if err else []
        result["crashed"] = f"worker exit {rc}: " + " | ".join(tail)
        log(f"  {impl}: worker exit {rc}\n    " + "\n    ".join(tail))
    log(f"  {impl:6} threads={threads}: {time.time() - t0:6.1f} s"
        + (f"  (missing: {result['missing']})" if "missing" in result else ""))
    return result


def run_cpp(binary, threads, cpus, args, dispatch) -> dict:
    """kcore_bench's medians, by "<op>/<size>" (seconds)."""
    cpp_ops = [op.cpp for op in args.op_list if op.cpp]
    pattern = []
    if cpp_ops:
        pattern.append("^(" + "|".join(map(re.escape, cpp_ops)) + ")/[0-9]+(/|$)")
    if dispatch:
        pattern.append("^dispatch/")
    if not pattern:
        return {}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [binary, f"--kcore_threads={threads}", f"--kcore_sizes={args.sizes}",
           f"--kcore_min_time={args.target * 2}", "--benchmark_filter=" + "|".join(pattern),
           f"--benchmark_repetitions={args.repeats}", "--benchmark_report_aggregates_only=true",
           f"--benchmark_out={out}", "--benchmark_out_format=json"]
    t0 = time.time()
    try:
        subprocess.run(cmd, env=dict(os.environ, KCORE_NUM_THREADS=str(threads)),
                       preexec_fn=lambda: os.sched_setaffinity(0, set(cpus)),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       timeout=args.worker_timeout)
        with open(out) as f:
            data = json.load(f)
    except (OSError, subprocess.SubprocessError, json.JSONDecodeError) as e:
        log(f"  kcore C++ threads={threads}: failed: {e}")
        return {"error": str(e)}
    finally:
        if os.path.exists(out):
            os.unlink(out)
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    times = {}
    for b in data.get("benchmarks", []):
        if b.get("aggregate_name", "median") != "median":
            continue
        name = re.sub(r"/(repeats|real_time|min_time)[^/]*", "", b.get("run_name", b["name"]))
        times[name] = b["real_time"] * scale[b.get("time_unit", "ns")]
    log(f"  kcore C++ threads={threads}: {time.time() - t0:6.1f} s")
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ops", default="",
                    help="comma-separated op names or prefixes (default: all): "
                         + ", ".join(optable.OPS_BY_NAME))
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help=f"elements (default {DEFAULT_SIZES})")
    ap.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    ap.add_argument("--peers", default=",".join(optable.PEERS),
                    help="peers to time (default: all of numpy,jax,torch,mlx)")
    ap.add_argument("--repeats", type=int, default=7, help="timed samples per case (median)")
    ap.add_argument("--target", type=float, default=0.01,
                    help="seconds per sample; calls per sample are chosen to fill it")
    ap.add_argument("--cpp", default=os.path.join(ROOT, "build/bench/bench/cpp/kcore_bench"),
                    help="kcore_bench binary (the C++ column; skipped if absent)")
    ap.add_argument("--no-dispatch", action="store_true", help="skip the per-call overhead part")
    ap.add_argument("--bandwidth-mib", type=int, default=256,
                    help="array size for the copy bandwidth (0 skips it)")
    ap.add_argument("--worker-timeout", type=int, default=1200)
    ap.add_argument("--install-log", default=os.path.join(ROOT, ".bench-venv/peers.json"),
                    help="written by bench/setup_venv.sh: which peers installed, and why not")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "build/bench"),
                    help="results.json and results.md go here")
    ap.add_argument("--docs", choices=("auto", "yes", "no"), default="auto",
                    help="write docs/benchmarks.md, docs/img/*.png and README's headline: "
                         "auto = only for a full run (no --ops/--sizes/--threads/--peers)")
    ap.add_argument("--from-json", metavar="RESULTS",
                    help="time nothing: rewrite the report from a saved results.json")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            results = json.load(f)
        publish(results, args, write_docs=args.docs != "no")
        return

    args.op_list = optable.select([p for p in args.ops.split(",") if p])
    peer_list = [p for p in args.peers.split(",") if p]
    for p in peer_list:
        if p not in optable.PEERS:
            raise SystemExit(f"unknown peer {p}; peers: {', '.join(optable.PEERS)}")
    thread_counts = [int(t) for t in args.threads.split(",") if t]
    full = (not args.ops and args.sizes == DEFAULT_SIZES and args.threads == "1,2"
            and set(peer_list) == set(optable.PEERS))
    write_docs = args.docs == "yes" or (args.docs == "auto" and full)

    cpus = sorted(os.sched_getaffinity(0))
    results = {"machine": machine_info(), "commit": git_commit(),
               "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes"),
               "command": " ".join(["bench/run.py"] + sys.argv[1:]),
               "sizes": [int(s) for s in args.sizes.split(",")], "threads": thread_counts,
               "ops": [op.name for op in args.op_list], "peers": peer_list,
               "repeats": args.repeats, "workers": [], "cpp": {}, "bandwidth": {}}
    try:
        with open(args.install_log) as f:
            results["install"] = json.load(f)
    except (OSError, json.JSONDecodeError):
        results["install"] = {}

    t_start = time.time()
    for threads in thread_counts:
        if threads > len(cpus):
            log(f"threads={threads}: only {len(cpus)} CPUs available; skipped")
            continue
        pinned = cpus[:threads]
        log(f"threads={threads} (CPUs {pinned})")
        first = threads == thread_counts[0]
        for impl in ["kcore"] + peer_list:
            w = run_worker(impl, threads, pinned, args,
                           dispatch=first and not args.no_dispatch,
                           bandwidth_bytes=args.bandwidth_mib * 2**20 if impl == "kcore" else 0)
            results["workers"].append(w)
            if "bandwidth" in w:
                results["bandwidth"][str(threads)] = w["bandwidth"]
        if os.path.exists(args.cpp):
            results["cpp"][str(threads)] = run_cpp(args.cpp, threads, pinned, args,
                                                   dispatch=first and not args.no_dispatch)
        else:
            log(f"  kcore C++: {args.cpp} not built (make bench builds it); column left empty")
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = round(time.time() - t_start, 1)

    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    publish(results, args, write_docs)
    log(f"total {results['elapsed_s']} s")


def publish(results, args, write_docs):
    os.makedirs(args.out_dir, exist_ok=True)
    table = report.build(results)
    with open(os.path.join(args.out_dir, "results.md"), "w") as f:
        f.write(report.markdown(table, results, img_dir=None))
    print(report.console(table, results))
    if write_docs:
        img_dir = os.path.join(ROOT, "docs/img")
        os.makedirs(img_dir, exist_ok=True)
        images = report.plots(table, results, img_dir)
        with open(os.path.join(ROOT, "docs/benchmarks.md"), "w") as f:
            f.write(report.markdown(table, results, img_dir="img", images=images))
        report.update_readme(os.path.join(ROOT, "README.md"), table, results)
        log("wrote docs/benchmarks.md, docs/img/*.png and README.md's headline figures")
    else:
        log(f"partial run: wrote {args.out_dir}/results.{{json,md}} (docs/ untouched; "
            "--docs yes to write them)")


if __name__ == "__main__":
    main()
