"""kcore against NumPy, JAX, PyTorch and MLX: times every op of bench/ops.py over sizes and
thread counts, with the per-call overhead, the conversions and the machine's memory bandwidth,
and writes docs/benchmarks.md, the plots in docs/img/ and the README's headline figures.

    python bench/run.py                       # everything (what `make bench` runs)
    python bench/run.py --ops cast --sizes 1000,1000000 --threads 1
                                              # one op while working on it: prints a table,
                                              # writes build/bench/results.{json,md}, not docs/
    python bench/run.py --sections control_flow,transforms
                                              # only the loops and the transforms

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
import queue
import statistics
import tempfile
import threading
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


class Worker:
    """A bench/worker.py process for one implementation and thread count."""

    def __init__(self, impl, threads, cpus, args, log_dir):
        self.impl = impl
        cmd = [sys.executable, os.path.join(HERE, "worker.py"), "--impl", impl,
               "--threads", str(threads), "--cpus", ",".join(map(str, cpus)),
               "--target", str(args.target)]
        self.log_path = os.path.join(log_dir, f"worker-{impl}-{threads}t.log")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=open(self.log_path, "w"), text=True, bufsize=1,
                                     env=dict(os.environ, **peers.thread_env(threads)))
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.timeout = args.worker_timeout
        self.dead = None
        hello = self.ask(None)
        self.version = hello.get("version")
        self.missing = hello.get("missing")
        if self.dead and not self.missing:
            self.missing = self.dead

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def ask(self, msg) -> dict:
        if self.dead:
            return {"status": "crashed", "detail": self.dead}
        try:
            if msg is not None:
                self.proc.stdin.write(json.dumps(msg) + "\n")
            line = self.lines.get(timeout=self.timeout)
        except (OSError, queue.Empty) as e:
            line = None
            self.proc.kill()
            self.dead = f"no answer ({type(e).__name__})"
        if line is None:
            if not self.dead:
                self.proc.wait()
                with open(self.log_path) as f:
                    tail = " | ".join(f.read().strip().splitlines()[-2:])
                self.dead = f"worker exited ({self.proc.returncode}): {tail}"[:300]
            log(f"  {self.impl}: {self.dead}")
            return {"status": "crashed", "detail": self.dead}
        return json.loads(line)

    def close(self):
        if not self.dead:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def time_case(workers, prepare, repeats, gap=0.0) -> dict:
    """Prepares a case in every worker, then takes `repeats` samples of each, interleaved (the
    order rotates every round), `gap` seconds apart. Returns impl -> record.

    The gap matters on more than one thread: a pool that spins after its last task (libgomp's,
    in torch, spins for milliseconds) takes a core from the next worker's sample."""
    recs = {}
    for w in workers:
        recs[w.impl] = w.ask(prepare) if not w.missing else {"status": "missing"}
    live = [w for w in workers if recs[w.impl].get("status") == "ok"]
    samples = {w.impl: [] for w in live}
    for r in range(repeats):
        k = r % len(live) if live else 0
        for w in live[k:] + live[:k]:
            if gap > 0:
                time.sleep(gap)
            ans = w.ask({"cmd": "sample"})
            if "t" in ans:
                samples[w.impl].append(ans["t"])
            else:
                recs[w.impl] = ans
    for w in live:
        ts = samples[w.impl]
        if ts and recs[w.impl].get("status") == "ok":
            recs[w.impl].update(median=statistics.median(ts), min=min(ts), samples=ts)
    return recs


def run_cpp(binary, threads, cpus, args, dispatch, loops) -> dict:
    """kcore_bench's medians, by "<op>/<size>" (seconds)."""
    cpp_ops = [op.cpp for op in args.op_list if op.cpp] if "ops" in args.section_list else []
    pattern = []
    if cpp_ops:
        pattern.append("^(" + "|".join(map(re.escape, cpp_ops)) + ")/[0-9]+(/|$)")
    if dispatch:
        pattern.append("^dispatch/")
    if loops:
        pattern.append("^loop/")
    if not pattern:
        return {}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [binary, f"--kcore_threads={threads}", f"--kcore_sizes={args.sizes}",
           f"--kcore_min_time={args.target * 2}", f"--kcore_loop_n={optable.LOOP_N}",
           "--benchmark_filter=" + "|".join(pattern),
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
    ap.add_argument("--sample-gap", type=float, default=0.02,
                    help="seconds between samples on more than one thread, so that one "
                         "library's spinning threads are idle before the next is timed")
    ap.add_argument("--target", type=float, default=0.01,
                    help="seconds per sample; calls per sample are chosen to fill it")
    ap.add_argument("--cpp", default=os.path.join(ROOT, "build/bench/bench/cpp/kcore_bench"),
                    help="kcore_bench binary (the C++ column; skipped if absent)")
    ap.add_argument("--sections", default="",
                    help="comma-separated parts to run: " + ",".join(optable.SECTIONS)
                         + " (default: all; with --ops, only ops,dispatch). control_flow and "
                         "transforms run at the first thread count only, like dispatch")
    ap.add_argument("--no-dispatch", action="store_true", help="skip the per-call overhead part")
    ap.add_argument("--bandwidth-mib", type=int, default=256,
                    help="array size for the memory bandwidth (0 skips it)")
    ap.add_argument("--worker-timeout", type=int, default=600,
                    help="seconds a worker may take to answer one command")
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
    sections = [s for s in args.sections.split(",") if s] or (
        ["ops", "dispatch"] if args.ops else list(optable.SECTIONS))
    for s in sections:
        if s not in optable.SECTIONS:
            raise SystemExit(f"unknown section {s}; sections: {', '.join(optable.SECTIONS)}")
    all_sections = set(sections) == set(optable.SECTIONS)
    if args.no_dispatch and "dispatch" in sections:
        sections.remove("dispatch")
    args.section_list = sections
    peer_list = [p for p in args.peers.split(",") if p]
    for p in peer_list:
        if p not in optable.PEERS:
            raise SystemExit(f"unknown peer {p}; peers: {', '.join(optable.PEERS)}")
    thread_counts = [int(t) for t in args.threads.split(",") if t]
    full = (not args.ops and args.sizes == DEFAULT_SIZES and args.threads == "1,2"
            and set(peer_list) == set(optable.PEERS) and all_sections)
    write_docs = args.docs == "yes" or (args.docs == "auto" and full)

    cpus = sorted(os.sched_getaffinity(0))
    results = {"machine": machine_info(), "commit": git_commit(),
               "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes"),
               "command": " ".join(["bench/run.py"] + sys.argv[1:]),
               "sizes": [int(s) for s in args.sizes.split(",")], "threads": thread_counts,
               "ops": [op.name for op in args.op_list] if "ops" in sections else [],
               "peers": peer_list, "sections": sections, "repeats": args.repeats,
               "versions": {}, "missing": {}, "cases": [], "dispatch": [], "control_flow": [],
               "transforms": [], "cpp": {}, "bandwidth": {}}
    try:
        with open(args.install_log) as f:
            results["install"] = json.load(f)
    except (OSError, json.JSONDecodeError):
        results["install"] = {}

    t_start = time.time()
    log_dir = os.path.join(args.out_dir, "logs")
    os.makedirs(log_dir, exist_ok=True)
    for threads in thread_counts:
        if threads > len(cpus):
            log(f"threads={threads}: only {len(cpus)} CPUs available; skipped")
            continue
        pinned = cpus[:threads]
        first = threads == thread_counts[0]
        if not first and "ops" not in sections:
            continue  # the other sections run at the first thread count only
        log(f"threads={threads} (CPUs {pinned})")
        gap = args.sample_gap if threads > 1 else 0.0
        workers = [Worker(impl, threads, pinned, args, log_dir) for impl in ["kcore"] + peer_list]
        for w in workers:
            if w.version:
                results["versions"][w.impl] = w.version
            if w.missing:
                results["missing"][w.impl] = w.missing
                log(f"  {w.impl}: missing ({w.missing})")
        if not workers[0].missing:
            if args.bandwidth_mib and "ops" in sections:
                rec = time_case(workers[:1], {"cmd": "bandwidth",
                                              "bytes": args.bandwidth_mib * 2**20},
                                args.repeats)["kcore"]
                if "median" in rec:
                    results["bandwidth"][str(threads)] = {
                        "bytes": rec["bytes"], "median_s": rec["median"],
                        "gbps": rec["bytes"] / rec["median"] / 1e9,
                        "best_gbps": rec["bytes"] / rec["min"] / 1e9}
            for op in args.op_list if "ops" in sections else []:
                t0 = time.time()
                for n in results["sizes"]:
                    recs = time_case(workers, {"cmd": "prepare", "op": op.name, "size": n},
                                     args.repeats, gap)
                    for impl, rec in recs.items():
                        rec.update(op=op.name, size=n, threads=threads, impl=impl)
                        results["cases"].append(rec)
                log(f"  {op.name:18} {time.time() - t0:6.1f} s")
            if first and "dispatch" in sections:
                for case, _ in optable.DISPATCH:
                    recs = time_case(workers, {"cmd": "dispatch", "case": case}, args.repeats)
                    for impl, rec in recs.items():
                        rec.update(case=case, impl=impl)
                        results["dispatch"].append(rec)
                log("  per-call overhead done")
            for section in ("control_flow", "transforms"):
                if not first or section not in sections:
                    continue
                for name in optable.CASES[section]:
                    t0 = time.time()
                    recs = time_case(workers, {"cmd": "case", "section": section, "case": name},
                                     args.repeats)
                    for impl, rec in recs.items():
                        rec.update(case=name, impl=impl, threads=threads)
                        results[section].append(rec)
                    log(f"  {section}/{name:16} {time.time() - t0:6.1f} s")
        for w in workers:
            w.close()
        if os.path.exists(args.cpp):
            results["cpp"][str(threads)] = run_cpp(args.cpp, threads, pinned, args,
                                                   dispatch=first and "dispatch" in sections,
                                                   loops=first and "control_flow" in sections)
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
