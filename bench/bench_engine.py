#!/usr/bin/env python
"""chainrule's engine against the peers a user would pick instead, on the same workloads.

Run from the repository root (see bench/README.md):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python bench/bench_engine.py [--quick]

Every number is the MEDIAN of several repeats, garbage collector on (as users run it);
chainrule and its peer are timed alternately, repeat by repeat. BLAS and PyTorch are pinned
to one thread each (two threads on these 2-core machines made matmuls 10-40x slower).
Before anything is timed, every peer's loss and gradients are checked against chainrule's
(relative 1e-6), so no wrong answer is ever benchmarked.
"""

from __future__ import annotations

import os

THREADS = os.environ.get("BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = THREADS  # before numpy / torch load their thread pools

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import orjson  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(int(THREADS))
torch.set_num_interop_threads(int(THREADS))

from bench import peers  # noqa: E402
from bench.workloads import (  # noqa: E402
    TENSOR_MLP_TEXT,
    Scalar,
    chain,
    fanin,
    scalar_mlp,
    tensor_mlp_data,
    tree_leaves,
    worked,
)
from chainrule.allocator import keep_freed_memory  # noqa: E402
from chainrule.engine import Program, analyze, compile_program  # noqa: E402
from chainrule.engine.analysis import render  # noqa: E402
from chainrule.engine.values import resolve_values  # noqa: E402

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # optional: only reports and re-pins the BLAS pool
    threadpool_info = threadpool_limits = None  # type: ignore[assignment]

RTOL = 1e-6
ATOL = 1e-12

#: The clock of every in-process timing: CPU time of this process by default, so that other
#: processes sharing the 2 cores (load average above 2) do not inflate one side's numbers;
#: ``--clock wall`` for perf_counter. The code under test is single-threaded (BLAS and torch
#: pinned to one thread), so CPU time and wall time agree on an idle machine.
CLOCK = time.process_time
FRESH = itertools.count()  # numbers the trailing comment that keeps each end-to-end text new


# ---------------------------------------------------------------- timing
def calibrate(fn: Callable[[], Any], min_time: float) -> int:
    """How many calls make one timed repeat last at least ``min_time`` seconds (after a warm-up)."""
    t0 = CLOCK()
    fn()
    once = CLOCK() - t0
    if once < min_time:  # a slow call is warm enough after one; time a fast one again
        t0 = CLOCK()
        fn()
        once = CLOCK() - t0
    return 1 if once >= min_time else max(1, int(min_time / max(once, 1e-9)) + 1)


def timed(fn: Callable[[], Any], inner: int) -> float:
    """Seconds per call over ``inner`` calls. The collector runs (untimed) first, so one side's
    cyclic garbage (micrograd's closures hold cycles) is never collected on the other's clock."""
    gc.collect()
    t0 = CLOCK()
    for _ in range(inner):
        fn()
    return (CLOCK() - t0) / inner


def compare(a: Callable[[], Any], b: Callable[[], Any], repeats: int,
            min_time: float) -> tuple[float, float, list[float], list[float]]:
    """Median seconds per call of ``a`` and ``b``, timed alternately, repeat by repeat."""
    ia, ib = calibrate(a, min_time), calibrate(b, min_time)
    ta, tb = [], []
    for r in range(repeats):
        if r % 2 == 0:
            ta.append(timed(a, ia))
            tb.append(timed(b, ib))
        else:
            tb.append(timed(b, ib))
            ta.append(timed(a, ia))
    return statistics.median(ta), statistics.median(tb), ta, tb


def single(fn: Callable[[], Any], repeats: int, min_time: float) -> tuple[float, list[float]]:
    inner = calibrate(fn, min_time)
    ts = [timed(fn, inner) for _ in range(repeats)]
    return statistics.median(ts), ts


# ---------------------------------------------------------------- checks
class Mismatch(AssertionError):
    pass


def close(what: str, got: float, want: float) -> None:
    if not abs(got - want) <= ATOL + RTOL * abs(want):
        raise Mismatch(f"{what}: {got!r} != {want!r}")


def close_array(what: str, got: Any, want: Any) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise Mismatch(f"{what}: shape {got.shape} != {want.shape}")
    err = float(np.max(np.abs(got - want))) if got.size else 0.0
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    if not err <= ATOL + RTOL * scale:
        raise Mismatch(f"{what}: max |diff| {err:.3g} vs max |value| {scale:.3g}")


def check_scalar(w: Scalar) -> str:
    """chainrule (analyze and run) vs micrograd vs PyTorch: loss and the chosen gradients."""
    result = analyze(w.text, w.values)
    program = compile_program(w.text)
    run = program.run(dict(w.values))
    names = tree_leaves(w.names)

    mg_loss, mg_leaves = peers.micrograd_run(w)
    mg_grads = dict(zip(names, (v.grad for v in tree_leaves(mg_leaves)), strict=True))
    th_loss, th_leaves = peers.torch_scalar_run(w)
    th_grads = dict(zip(names, (t.grad.item() for t in tree_leaves(th_leaves)), strict=True))

    want = th_loss.item()
    close(f"{w.name}: analyze value vs torch", result["value"], want)
    close(f"{w.name}: run loss vs torch", run.loss, want)
    close(f"{w.name}: micrograd loss vs torch", mg_loss.data, want)
    for name in w.check:
        g = th_grads[name]
        close(f"{w.name}: analyze d/d{name} vs torch", result["gradients"][name], g)
        close(f"{w.name}: run d/d{name} vs torch", run.input_grads[name], g)
        close(f"{w.name}: micrograd d/d{name} vs torch", mg_grads[name], g)
    return f"loss {want:.12g}, " + ", ".join(f"d/d{n} {th_grads[n]:.6g}" for n in w.check[:3])


def check_tensor(data: dict[str, np.ndarray]) -> str:
    program = compile_program(TENSOR_MLP_TEXT)
    values = resolve_values(data, program.input_names)
    run = program.run(values)
    np_loss, np_grads = peers.numpy_mlp_run(data)
    L = peers.torch_mlp_leaves(data, torch.float64)
    th_loss = peers.torch_mlp_run(L).item()
    close("tensor MLP: chainrule loss vs torch", run.loss, th_loss)
    close("tensor MLP: numpy loss vs torch", np_loss, th_loss)
    for name in ("x", "W1", "b1", "W2", "b2"):
        want = L[name].grad.numpy()
        close_array(f"tensor MLP: chainrule d/d{name} vs torch", run.input_grads[name], want)
        close_array(f"tensor MLP: numpy d/d{name} vs torch", np_grads[name], want)
    L32 = peers.torch_mlp_leaves(data, torch.float32)
    loss32 = peers.torch_mlp_run(L32).item()
    if abs(loss32 - th_loss) > 1e-4 * abs(th_loss):
        raise Mismatch(f"tensor MLP: torch float32 loss {loss32} vs float64 {th_loss}")
    return f"loss {th_loss:.12g}, |dW1| max {float(np.abs(L['W1'].grad.numpy()).max()):.6g}"


# ---------------------------------------------------------------- the table
Row = dict[str, Any]


def row(measure: str, workload: str, ours: float, peer_name: str, theirs: float | None,
        target: str, passed: bool | None, note: str = "") -> Row:
    return {"measure": measure, "workload": workload, "chainrule_s": ours, "peer": peer_name,
            "peer_s": theirs, "ratio": (ours / theirs) if theirs else None, "target": target,
            "pass": passed, "note": note}


def fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def print_table(rows: list[Row]) -> str:
    head = ["measure", "workload", "chainrule", "peer", "peer time", "ratio", "target", "result"]
    body = []
    for r in rows:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[r["pass"]]
        body.append([r["measure"], r["workload"], fmt_time(r["chainrule_s"]), r["peer"],
                     fmt_time(r["peer_s"]), f"{r['ratio']:.2f}" if r["ratio"] is not None else "-",
                     r["target"], verdict + (f" ({r['note']})" if r["note"] else "")])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["| " + " | ".join(h.ljust(wd) for h, wd in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (wd + 2) for wd in widths) + "|"]
    for b in body:
        lines.append("| " + " | ".join(str(x).ljust(wd) for x, wd in zip(b, widths, strict=True)) + " |")
    text = "\n".join(lines)
    print(text, flush=True)
    return text


# ---------------------------------------------------------------- profiling
def profile(label: str, fn: Callable[[], Any], calls: int, top: int) -> str:
    prof = cProfile.Profile(CLOCK)
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).strip_dirs()
    out.write(f"\n=== profile: {label} ({calls} call(s)) — by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(top)
    out.write(f"=== profile: {label} — by own (tottime) time ===\n")
    stats.sort_stats("tottime").print_stats(top)
    return _trim(out.getvalue())


def _trim(text: str) -> str:
    keep = []
    for line in text.splitlines():
        if line.strip().startswith(("Ordered by", "List reduced")) or not line.strip():
            continue
        keep.append(line)
    return "\n".join(keep)


def phases(text: str, values: Any, mode: str, repeats: int = 3) -> str:
    """Unprofiled median time of each stage of ``analyze`` (cProfile inflates call-heavy code)."""
    from chainrule.engine import analysis
    from chainrule.engine.graph import build_graph

    stages: dict[str, list[float]] = {}
    gc.collect()  # once: a collection before each repeat would leave tiny workloads cache-cold
    for _ in range(repeats):
        t = [CLOCK()]
        graph = build_graph(text)
        t.append(CLOCK())
        program = Program(graph)
        t.append(CLOCK())
        resolved = resolve_values(values, program.input_names)
        t.append(CLOCK())
        run = program.run(resolved)
        t.append(CLOCK())
        try:
            analysis.render(program, run, mode)
        except Exception as exc:  # the lead may change render's signature: say so, go on
            return f"(phase breakdown unavailable: {type(exc).__name__}: {exc})"
        t.append(CLOCK())
        names = ["parse+build_graph", "Program(graph)", "resolve_values", "run (fwd+bwd)", "render"]
        for name, a, b in zip(names, t, t[1:], strict=False):
            stages.setdefault(name, []).append(b - a)
    med = {k: statistics.median(v) for k, v in stages.items()}
    total = sum(med.values())
    line = "phases (unprofiled medians): " + ", ".join(
        f"{k} {fmt_time(v)} ({100 * v / total:.0f}%)" for k, v in med.items())
    on, off = [], []
    gc.collect()
    for _ in range(repeats):  # what the cyclic collector costs analyze (its graphs hold no cycles)
        for times, enabled in ((on, True), (off, False)):
            if not enabled:
                gc.disable()
            t0 = CLOCK()
            analyze(text, values, arrays=mode)
            times.append(CLOCK() - t0)
            gc.enable()
    a, b = statistics.median(on), statistics.median(off)
    return line + (f"\nanalyze with gc on {fmt_time(a)}, with gc disabled {fmt_time(b)}: "
                   f"the collector is {100 * (a - b) / a:.0f}% of it")


# ---------------------------------------------------------------- environment
def environment() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except Exception:  # only informational
            return "?"

    blas = []
    if threadpool_info is not None:
        blas = [f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} "
                f"threads={p.get('num_threads')}" for p in threadpool_info()]
    dirty = git("status", "--porcelain", "--", "chainrule")
    from importlib.metadata import version

    import micrograd  # noqa: F401 - version below
    return {
        "commit": git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else ""),
        "python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
        "micrograd": version("micrograd"), "orjson": orjson.__version__,
        "blas": blas or ["(threadpoolctl not installed)"],
        "torch_threads": f"intra={torch.get_num_threads()} interop={torch.get_num_interop_threads()}",
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE", "(unset)"),
        "gc": "enabled" if gc.isenabled() else "DISABLED",
        "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# ---------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repeats, shorter timings (~1 min)")
    ap.add_argument("--repeats", type=int, help="repeats per measure (default 7, quick 3)")
    ap.add_argument("--profile", choices=["failing", "all", "none"], default="failing",
                    help="cProfile the chainrule side of failing (default), all or no rows")
    ap.add_argument("--top", type=int, default=12, help="functions shown per profile")
    ap.add_argument("--json", type=Path, help="also write the rows and environment here")
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                    help="cpu: time.process_time (default, robust to other load); wall: perf_counter")
    ap.add_argument("--only", nargs="+", metavar="WORD",
                    help="run only the workloads whose name contains one of these words "
                         "(worked, chain, fan-in, MLP, tensor)")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    repeats = args.repeats or (3 if args.quick else 7)
    min_time = 0.05 if args.quick else 0.2
    if threadpool_limits is not None:
        threadpool_limits(int(THREADS))
    # As every server process does (create_app): large responses reuse mapped pages instead
    # of faulting fresh ones (chainrule/allocator.py); peers and chainrule share this process.
    tuned = keep_freed_memory()

    env = environment()
    env["allocator"] = "glibc tuned (chainrule/allocator.py)" if tuned else "untuned"
    started = time.perf_counter()
    print("chainrule engine benchmark —", time.strftime("%Y-%m-%d %H:%M"), flush=True)
    for k, v in env.items():
        print(f"  {k}: {v}")
    if env["OPENBLAS_CORETYPE"] != "(unset)":
        print("  WARNING: OPENBLAS_CORETYPE is set: numpy runs an older kernel; unset "
              "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in this command to time current numpy")
    print(f"  clock: {args.clock} ({CLOCK.__name__}); repeats: {repeats} (median), "
          f"min {min_time}s per timed repeat\n", flush=True)

    def wanted(name: str) -> bool:
        return not args.only or any(word.lower() in name.lower() for word in args.only)

    scalars = [w for w in (worked(), chain(), fanin(), scalar_mlp()) if wanted(w.name)]
    rows: list[Row] = []
    profiles: list[tuple[str, Callable[[], Any], int, str]] = []
    wrong: list[str] = []

    # -------- correctness first
    print("checks (loss and gradients, relative 1e-6):", flush=True)
    for w in scalars:
        try:
            print(f"  {w.name}: {len(w.values)} inputs, OK — {check_scalar(w)}", flush=True)
        except Mismatch as exc:
            wrong.append(str(exc))
            print(f"  {w.name}: WRONG — {exc}", flush=True)
        except Exception as exc:  # a workload chainrule cannot run is a result
            wrong.append(f"{w.name}: {type(exc).__name__}: {exc}")
            print(f"  {w.name}: ERROR — {type(exc).__name__}: {exc}", flush=True)
    data = tensor_mlp_data()
    if wanted("tensor MLP"):
        try:
            print(f"  tensor MLP: OK — {check_tensor(data)}", flush=True)
        except Mismatch as exc:
            wrong.append(str(exc))
            print(f"  tensor MLP: WRONG — {exc}", flush=True)
    print(flush=True)
    bad = {m.split(":")[0] for m in wrong} | (set() if wanted("tensor MLP") else {"tensor MLP"})

    # -------- scalar workloads
    for w in scalars:
        if w.name in bad:
            continue
        program = compile_program(w.text)
        nodes = len(program.graph.nodes)
        label = f"{w.name} ({nodes:,} nodes)"
        reps = repeats if nodes < 20_000 else max(3, repeats - 2)

        def e2e(w: Scalar = w, n: Iterator[int] = FRESH) -> Any:
            # a fresh trailing comment each call: text in is always parsed, whatever caches
            return analyze(f"{w.text}\n# {next(n)}", w.values)

        def th(w: Scalar = w) -> Any:
            return peers.torch_scalar_run(w)

        ours, theirs, _, _ = compare(e2e, th, reps, min_time)
        ok = ours < theirs
        rows.append(row("end to end: analyze(text) -> dict", label, ours, "torch 0-d build+fwd+bwd",
                        theirs, "< 1", ok))
        print_progress(rows[-1])
        if args.profile == "all" or (args.profile == "failing" and not ok):
            profiles.append((f"analyze(text) — {w.name}", e2e, 1 if nodes > 1000 else 2000,
                             phases(w.text, w.values, "list", 3 if nodes > 1000 else 200)))

        values = dict(w.values)

        def run(program: Any = program, values: dict[str, float] = values) -> Any:
            return program.run(values)

        def mg(w: Scalar = w) -> Any:
            return peers.micrograd_run(w)

        ours, theirs, _, _ = compare(run, mg, reps, min_time)
        ok = ours < theirs
        rows.append(row("fwd+bwd of built graph: program.run", label, ours,
                        "micrograd build+fwd+bwd", theirs, "< 1", ok))
        print_progress(rows[-1])
        if args.profile == "all" or (args.profile == "failing" and not ok):
            profiles.append((f"program.run — {w.name}", run, 1 if nodes > 1000 else 2000, ""))

        # context, no target: the parse/build cost that end-to-end pays and run() does not
        t_compile, _ = single(lambda w=w: compile_program(w.text), max(3, reps - 2), min_time)
        rows.append(row("(context) compile_program(text)", label, t_compile, "", None, "", None))
        print_progress(rows[-1])

    # -------- tensor MLP
    if "tensor MLP" not in bad:
        program = compile_program(TENSOR_MLP_TEXT)
        values = resolve_values(data, program.input_names)
        label = "tensor MLP 64x784 ->128 relu ->10 CE"

        def trun() -> Any:
            return program.run(values)

        L64 = peers.torch_mlp_leaves(data, torch.float64)
        ours, theirs, _, _ = compare(trun, lambda: peers.torch_mlp_run(L64), repeats * 3, min_time)
        ok = ours <= 1.5 * theirs
        rows.append(row("tensor fwd+bwd: program.run", label, ours, "torch float64 vectorised", theirs,
                        "<= 1.5", ok))
        print_progress(rows[-1])
        if args.profile == "all" or (args.profile == "failing" and not ok):
            profiles.append(("program.run — tensor MLP", trun, 200, ""))
        try:  # what training runs: no per-edge locals (context only; absent in older engines)
            program.run(values, record_edges=False)

            def trun_lean() -> Any:
                return program.run(values, record_edges=False)

            ours, theirs, _, _ = compare(trun_lean, lambda: peers.torch_mlp_run(L64), repeats * 3,
                                         min_time)
            rows.append(row("(context) run(record_edges=False)", label, ours,
                            "torch float64 vectorised", theirs, "", None))
            print_progress(rows[-1])
        except TypeError:
            pass
        L32 = peers.torch_mlp_leaves(data, torch.float32)
        ours, theirs, _, _ = compare(trun, lambda: peers.torch_mlp_run(L32), repeats * 3, min_time)
        rows.append(row("tensor fwd+bwd: program.run", label, ours,
                        "torch float32 (default dtype)", theirs, "", None, "float64 vs float32"))
        print_progress(rows[-1])
        ours, theirs, _, _ = compare(trun, lambda: peers.numpy_mlp_run(data), repeats * 3, min_time)
        rows.append(row("tensor fwd+bwd: program.run", label, ours, "numpy hand-written bwd", theirs,
                        "", None))
        print_progress(rows[-1])

        # Serialization = building the response from a finished run (render, which serializes
        # each distinct array into an orjson Fragment) + orjson.dumps of the whole.
        program = compile_program(TENSOR_MLP_TEXT)
        finished = program.run(resolve_values(data, program.input_names))

        def serialize() -> bytes:
            return orjson.dumps(render(program, finished, "numpy"), option=orjson.OPT_SERIALIZE_NUMPY)

        body = serialize()
        t_dump, _ = single(serialize, repeats * 3, min_time)
        ok = t_dump < 0.020
        rows.append(row("serialize: render + orjson.dumps", label, t_dump, "", None, "< 20 ms", ok,
                        f"{len(body) / 1e6:.1f} MB"))
        print_progress(rows[-1])

        def full() -> Any:
            return orjson.dumps(analyze(TENSOR_MLP_TEXT, data, arrays="numpy"),
                                option=orjson.OPT_SERIALIZE_NUMPY)

        t_full, _ = single(full, repeats, min_time)
        rows.append(row("(context) analyze(arrays=numpy)+dumps", label, t_full, "", None, "", None))
        print_progress(rows[-1])
        if args.profile == "all" or (args.profile == "failing" and not ok):
            profiles.append(("analyze(arrays=numpy) + orjson.dumps — tensor MLP", full, 20,
                             phases(TENSOR_MLP_TEXT, data, "numpy", 20)))

    print(f"\nResults (median of {repeats} repeats; ratio = chainrule / peer; "
          f"{time.perf_counter() - started:.0f} s):\n", flush=True)
    table = print_table(rows)
    failed = [r for r in rows if r["pass"] is False]
    print(f"\ntargets: {sum(r['pass'] is True for r in rows)} pass, {len(failed)} fail"
          + (f"; {len(wrong)} WRONG/ERROR workloads: " + "; ".join(wrong) if wrong else ""), flush=True)

    texts = []
    if args.profile != "none" and profiles:
        for label_, fn, calls, phase_line in profiles:
            texts.append(profile(label_, fn, calls, args.top) + (f"\n{phase_line}" if phase_line else ""))
            print(texts[-1], flush=True)
    if args.json:
        args.json.write_text(json.dumps({"environment": env, "repeats": repeats, "rows": rows,
                                         "table": table, "wrong": wrong, "profiles": texts},
                                        indent=2))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at end {load} "
          f"({os.cpu_count()} cores: above that, other processes shared the CPU)", flush=True)
    return 1 if wrong else 0


def print_progress(r: Row) -> None:
    ratio = f" ratio {r['ratio']:.2f}" if r["ratio"] is not None else ""
    peer = f" vs {r['peer']} {fmt_time(r['peer_s'])}" if r["peer_s"] is not None else ""
    verdict = {True: "PASS", False: "FAIL", None: ""}[r["pass"]]
    print(f"  {r['measure']} | {r['workload']}: {fmt_time(r['chainrule_s'])}{peer}{ratio} {verdict}",
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
