"""QKD post-processing: throughput per stage on one core and error-correction efficiency.

Throughput is measured at QBER 2% on one CPU core (affinity pinned, Numba and BLAS/FFT threads
set to 1), as the median of repeated runs after a warm-up (Numba compilation and FFTW planning
are reported apart):

- Cascade (original, improved) and LDPC (blind, sum-product; n = 65536): sifted key bits per
  second, and the CPU time to build the LDPC code family once;
- the LDPC decoder (frames decoded together, :mod:`kvant.qkd._ldpc_lanes`): at 16, 64 and 256
  frames, iterations and attempts per frame, useful edge updates per CPU second, and the
  efficiency / throughput trade-off of the blind protocol's settings (``LDPC_SETTINGS``);
- one layered sweep of 16 frames (rate 0.8, n = 65536) with each phi lookup this CPU runs
  (AVX-512, AVX2, portable gather) and with the plain Numba fallback, and of 32 and 16 frames in
  int16 where the CPU has AVX512-FP16: milliseconds per sweep, edge updates per second and
  the speed per frame against the plain sweep (``--sweeps`` alone prints just these);
- Toeplitz privacy amplification: input bits per second at 1 Mbit blocks (output 0.4 Mbit),
  by FFT (scipy, FFTW) and by carry-less multiplication (each width this CPU runs);
- verification and authentication hashing: bytes per second;
- the whole pipeline (sift, estimate, reconcile, verify, amplify, authenticate): sifted key
  bits per second, from detections of a bright link at QBER 2%.

Efficiency f = leak / (n h(Q)) per method at QBER 0.5%-10% (mean over seeds, 1e5-bit keys for
Cascade, whole frames for LDPC).

cascade-python (B. Rijsman) is not on PyPI (``pip download cascade-python``: no such
distribution), so it is compared through its published figures (shared/REFERENCES.md):
19-36 kbit/s on 10 kbit keys, efficiency 1.15-1.21 (original) and 1.08-1.11 (BICONF).

    python benchmarks/qkd_postprocessing.py --out benchmarks/results/qkd_postprocessing.json
"""

from __future__ import annotations

import os

for _name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import llvmlite.binding as llvm  # noqa: E402
import numpy as np  # noqa: E402

from kvant.qkd import (  # noqa: E402
    CascadeReconciler,
    ClassicalChannel,
    DetectorConfig,
    FibreConfig,
    LdpcReconciler,
    LinkConfig,
    Pipeline,
    PipelineConfig,
    SourceConfig,
    iter_detections,
    toeplitz_hash,
    verify_keys,
)
from kvant.qkd._cascade import CHUNK_BITS  # noqa: E402
from kvant.qkd._clmul import host_flavours as clmul_flavours  # noqa: E402
from kvant.qkd._clmul import middle_product as clmul_product  # noqa: E402
from kvant.qkd._ldpc_codes import (  # noqa: E402
    DEFAULT_FRAME_BITS,
    LONG_FRAME_BITS,
    LONG_FRAME_MIN_RATE,
    code_family,
    distributions_for,
    family_code,
)
from kvant.qkd._ldpc_int16 import (  # noqa: E402
    INT16_KERNEL,
    INT16_LANES,
    INT16_WIDTHS,
    int16_table,
    sweep_int16,
    to_units,
)
from kvant.qkd._ldpc_kernels import MESSAGE_UNIT, phi_log_table  # noqa: E402
from kvant.qkd._ldpc_simd import (  # noqa: E402
    FLAVOUR,
    LANES,
    host_flavours,
    sweep_lanes,
    vector_sweep,
)
from kvant.qkd._polyhash import poly_hash  # noqa: E402
from kvant.sim._backends import gpu_unavailable_reason  # noqa: E402

PUBLISHED = {
    "cascade-python": {
        "source": "shared/REFERENCES.md (cascade-python, B. Rijsman)",
        "throughput_bps": [19e3, 36e3],
        "efficiency_original": [1.15, 1.21],
        "efficiency_biconf": [1.08, 1.11],
    },
    "toeplitz_cpu_fft": {"source": "Sci. Rep. 9, 15733 (2019)", "throughput_bps": [30e6, 70e6]},
}


def _median_time(run: Callable[[], Any], repeats: int) -> float:
    """Median wall time of ``repeats`` runs after a warm-up; the median CPU time of the same
    runs is kept in ``_median_time.cpu`` (on a shared machine the CPU time is the fairer
    one-core figure: the process is single-threaded, so it never exceeds the wall time)."""
    run()  # warm-up
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    _median_time.cpu = statistics.median(cpus)  # type: ignore[attr-defined]
    return statistics.median(walls)


def _cpu() -> float:
    return float(_median_time.cpu)  # type: ignore[attr-defined]


def _pair(n: int, qber: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    return alice, alice ^ (rng.random(n) < qber).astype(np.uint8)


def _reconcilers() -> dict[str, Any]:
    return {
        "cascade-original": CascadeReconciler("original"),
        "cascade-improved": CascadeReconciler("improved"),
        "ldpc-sum-product": LdpcReconciler(),
    }


def _ldpc_construction_seconds() -> float:
    """CPU seconds to build the default LDPC code family once (outside the cache)."""
    start = time.process_time()
    code_family.__wrapped__(DEFAULT_FRAME_BITS)
    return time.process_time() - start


def _key_bits(name: str, reconciler: Any, qber: float, cascade_bits: int, frames: int) -> int:
    if name.startswith("ldpc"):
        code, _, _ = reconciler.choose_code(qber)
        return int(frames * (code.num_bits - code.puncture_order.size))
    return cascade_bits


def throughput(repeats: int, quick: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    qber = 0.02
    for name, rec in _reconcilers().items():
        n = _key_bits(name, rec, qber, 1_000_000, 4 if quick else 16)
        alice, bob = _pair(n, qber, 1)
        outcome: dict[str, Any] = {}

        def run(rec: Any = rec, alice: Any = alice, bob: Any = bob, out: Any = outcome) -> None:
            out["result"] = rec.reconcile(alice, bob, qber, ClassicalChannel(), seed=3)

        seconds = _median_time(run, 1 if name.startswith("ldpc") else repeats)
        result = outcome["result"]
        rows.append({
            "stage": name, "qber": qber, "bits": n, "seconds": seconds, "bps": n / seconds,
            "cpu_seconds": _cpu(), "cpu_bps": n / _cpu(),
            "efficiency": result.efficiency, "correct": bool(np.array_equal(result.bob_key, alice)),
        })  # fmt: skip
    rows += cascade_chunks(quick)
    rows += ldpc_decoder(quick)
    rows.append({"stage": "ldpc-code-family-construction", "bits": DEFAULT_FRAME_BITS,
                 "seconds": (build := _ldpc_construction_seconds()), "bps": 0.0,
                 "cpu_seconds": build, "cpu_bps": 0.0})  # fmt: skip
    rng = np.random.default_rng(2)
    n, m = 1_000_000, 400_000
    x = rng.integers(0, 2, n, dtype=np.uint8)
    backends = ["scipy"] + (["pyfftw"] if importlib.util.find_spec("pyfftw") else [])
    backends += ["clmul"] if clmul_flavours() else []
    for backend in backends:
        for modified in (True, False):
            plannings = (
                ["estimate", "measure"] if backend == "pyfftw" and not quick else ["estimate"]
            )
            for planning in plannings:
                seed = rng.integers(0, 2, n - 1 if modified else n + m - 1, dtype=np.uint8)
                start = time.perf_counter()
                toeplitz_hash(x, seed, m, modified=modified, backend=backend, planning=planning)  # type: ignore[arg-type]
                first = time.perf_counter() - start
                seconds = _median_time(
                    lambda s=seed, b=backend, mo=modified, p=planning: toeplitz_hash(
                        x, s, m, modified=mo, backend=b, planning=p
                    ),
                    repeats,
                )
                method = backend if backend == "clmul" else f"{backend}-{planning}"
                rows.append({
                    "stage": f"toeplitz-{'modified' if modified else 'plain'}-{method}",
                    "bits": n, "output_bits": m, "seconds": seconds, "bps": n / seconds,
                    "cpu_seconds": _cpu(), "cpu_bps": n / _cpu(),
                    "first_call_seconds": first,
                })  # fmt: skip
    seed = rng.integers(0, 2, n - 1, dtype=np.uint8)
    for flavour in clmul_flavours():  # each carry-less multiply width this CPU runs
        clmul_product(seed, x[m:], m, flavour)  # compile
        seconds = _median_time(lambda f=flavour: x[:m] ^ clmul_product(seed, x[m:], m, f), repeats)
        rows.append({"stage": f"toeplitz-modified-clmul-{flavour}", "bits": n,
                     "output_bits": m, "seconds": seconds, "bps": n / seconds,
                     "cpu_seconds": _cpu(), "cpu_bps": n / _cpu()})  # fmt: skip
    data = rng.integers(0, 256, 8_000_000, dtype=np.uint8)
    seconds = _median_time(lambda: poly_hash(data, 12345), repeats)
    rows.append({"stage": "poly-hash-gf64", "bits": 8 * data.size, "seconds": seconds,
                 "bps": 8 * data.size / seconds, "cpu_seconds": _cpu(),
                 "cpu_bps": 8 * data.size / _cpu()})  # fmt: skip
    key = rng.integers(0, 2, 1_000_000, dtype=np.uint8)
    seconds = _median_time(
        lambda: verify_keys(key, key, ClassicalChannel(), np.random.default_rng(0)), repeats
    )
    rows.append({"stage": "verification", "bits": key.size, "seconds": seconds,
                 "bps": key.size / seconds, "cpu_seconds": _cpu(),
                 "cpu_bps": key.size / _cpu()})  # fmt: skip
    return rows


def cascade_chunks(quick: bool) -> list[dict[str, Any]]:
    """Cascade improved on a 10 Mbit key (1 Mbit with --quick) at QBER 2%: in chunks of
    ``CHUNK_BITS`` (the default) and whole, as one pass over the key shuffles all of it."""
    n = 1_000_000 if quick else 10_000_000
    alice, bob = _pair(n, 0.02, 4)
    rows = []
    for name, chunk in (("chunked", CHUNK_BITS), ("whole", n)):
        rec = CascadeReconciler("improved", chunk_bits=chunk)
        out: dict[str, Any] = {}
        seconds = _median_time(
            lambda r=rec, o=out: o.update(
                r=r.reconcile(alice, bob, 0.02, ClassicalChannel(), seed=3)
            ),
            1 if quick else 3,
        )
        rows.append({
            "stage": f"cascade-improved-{n // 1_000_000}mbit-{name}", "qber": 0.02, "bits": n,
            "seconds": seconds, "bps": n / seconds, "cpu_seconds": _cpu(),
            "cpu_bps": n / _cpu(), "efficiency": out["r"].efficiency,
            "correct": bool(np.array_equal(out["r"].bob_key, alice)),
        })  # fmt: skip
    return rows


def _toeplitz_methods(
    x: np.ndarray, seed: np.ndarray, m: int, ffts: list[str]
) -> dict[str, Callable[[], Any]]:
    """The modified Toeplitz hash of x by each method, as calls to time."""
    methods: dict[str, Callable[[], Any]] = {}
    if clmul_flavours():
        methods["clmul-split"] = lambda: x[:m] ^ clmul_product(seed, x[m:], m)
        methods["clmul-schoolbook"] = lambda: x[:m] ^ clmul_product(seed, x[m:], m, split_bits=0)
    for backend in ffts + (["cupy"] if gpu_unavailable_reason() is None else []):
        methods[backend] = lambda b=backend: toeplitz_hash(x, seed, m, backend=b)
    return methods


def toeplitz_scaling(repeats: int, quick: bool) -> list[dict[str, Any]]:
    """The modified Toeplitz hash (output 0.4 n) at 1, 4 and 10 Mbit of input: the split
    carry-less product (the default), the schoolbook one it replaces above
    ``SPLIT_BITS`` and the FFTs (FFTW with estimated plans; scipy up to 4 Mbit; cuFFT where a
    GPU is present), with each one's ratio to the split product's time."""
    rows: list[dict[str, Any]] = []
    rng = np.random.default_rng(3)
    fft = ["pyfftw"] if importlib.util.find_spec("pyfftw") else []
    for n in (1_000_000,) if quick else (1_000_000, 4_000_000, 10_000_000):
        m = int(0.4 * n)
        x = rng.integers(0, 2, n, dtype=np.uint8)
        seed = rng.integers(0, 2, n - 1, dtype=np.uint8)
        methods = _toeplitz_methods(x, seed, m, fft + (["scipy"] if n <= 4_000_000 else []))
        times = {}
        for name, run in methods.items():
            run()  # compile, plan
            times[name] = _median_time(run, repeats if n < 10_000_000 else min(repeats, 3))
            rows.append({
                "stage": f"toeplitz-modified-{n // 1_000_000}mbit-{name}", "bits": n,
                "output_bits": m, "seconds": times[name], "bps": n / times[name],
                "cpu_seconds": _cpu(), "cpu_bps": n / _cpu(),
            })  # fmt: skip
        for row in rows[-len(methods) :]:
            split = times.get("clmul-split")
            row["ratio_to_split"] = row["seconds"] / split if split else None
    return rows


LDPC_SETTINGS: tuple[dict[str, float], ...] = (
    {"stall_iterations": 6, "progress_ratio": 0.0, "step_efficiency": 0.02},  # before
    {"stall_iterations": 3, "progress_ratio": 0.0, "step_efficiency": 0.02},
    {"stall_iterations": 3, "progress_ratio": 0.97, "step_efficiency": 0.02},  # default
    {"stall_iterations": 3, "progress_ratio": 0.95, "step_efficiency": 0.02},
    {"stall_iterations": 3, "progress_ratio": 0.85, "step_efficiency": 0.02},
    {"stall_iterations": 2, "progress_ratio": 0.0, "step_efficiency": 0.03},
)
"""Blind-protocol settings of the efficiency / throughput trade-off rows (QBER 2%)."""


def _ldpc_row(
    stage: str, rec: LdpcReconciler, frames: int, seeds: tuple[int, ...], repeats: int
) -> dict[str, Any]:
    """Blind LDPC reconciliation of ``frames`` frames at QBER 2% for each seed (its own key
    pair and protocol randomness), with decoder figures: per seed the run with the median CPU
    time of ``repeats`` (after one warm-up run), then bits / CPU seconds summed over seeds and
    the mean efficiency and iterations."""
    qber = 0.02
    n = _key_bits("ldpc", rec, qber, 0, frames)
    picked = []
    for seed in seeds:
        alice, bob = _pair(n, qber, seed)
        if not picked:
            rec.reconcile(alice, bob, qber, ClassicalChannel(), seed=seed)  # warm-up
        runs = []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            result, stats = rec.reconcile_with_stats(
                alice, bob, qber, ClassicalChannel(), seed=seed
            )
            runs.append((time.process_time() - cpu, time.perf_counter() - wall, result, stats))
            if not np.array_equal(result.bob_key, alice):
                raise SystemExit(f"LDPC failed to reconcile (seed {seed})")
        picked.append(sorted(runs, key=lambda r: r[0])[len(runs) // 2])
    cpu_s = sum(r[0] for r in picked)
    wall_s = sum(r[1] for r in picked)
    stats = [r[3] for r in picked]
    bits = n * len(seeds)
    stall, ratio = rec.stopping(DEFAULT_FRAME_BITS)  # frames of QBER 2%
    return {
        "stage": stage, "qber": qber, "bits": bits, "frames": frames, "seeds": list(seeds),
        "seconds": wall_s, "bps": bits / wall_s, "cpu_seconds": cpu_s, "cpu_bps": bits / cpu_s,
        "efficiency": float(np.mean([r[2].efficiency for r in picked])),
        "efficiency_per_seed": [r[2].efficiency for r in picked], "correct": True,
        "attempts_per_frame": float(np.mean([r[2].rounds / frames for r in picked])),
        "iterations_per_frame": float(np.mean([s.iterations_per_frame for s in stats])),
        "edge_updates_per_cpu_second": float(
            sum(s.frame_iterations * s.edges for s in stats) / sum(s.decoder_seconds for s in stats)
        ),
        "lane_occupancy": float(np.mean([s.lane_occupancy for s in stats])),
        "decoder": [s.to_dict() for s in stats],
        "settings": {"stall_iterations": stall,
                     "progress_ratio": ratio,
                     "progress_window": rec.progress_window,
                     "start_efficiency": rec.start_efficiency,
                     "step_efficiency": rec.step_efficiency},
    }  # fmt: skip


def _sweep_problem(seed: int = 1) -> tuple[Any, list[np.ndarray]]:
    """Rate-0.8 code, 16 lanes of random syndromes and channel-like posteriors (QBER ~2%)."""
    code = family_code(0.8)
    rng = np.random.default_rng(seed)
    syn = np.where(rng.random((code.num_checks, LANES)) < 0.5, 1, -1).astype(np.float32)
    posterior = rng.normal(3.9, 2.5, (code.num_bits, LANES)).astype(np.float32)
    arrays = [
        syn, posterior, np.zeros((code.num_edges, LANES), np.int16),
        np.full(LANES, 2.0, np.float32), phi_log_table(), np.zeros(LANES, np.int32),
        np.zeros((int(np.diff(code.check_start).max()), LANES), np.float32),
    ]  # fmt: skip
    return code, arrays


def sweep_flavours(repeats: int, quick: bool) -> list[dict[str, Any]]:
    """Milliseconds per layered sweep of 16 frames for every phi lookup the host runs and the
    plain Numba sweep, all on the same problem; each also checked equal to the plain one."""
    code, arrays = _sweep_problem()
    runs: dict[str, Callable[..., None]] = {f: vector_sweep(f) for f in host_flavours()}
    runs["plain"] = lambda *a: sweep_lanes(*a, False, 0.8, MESSAGE_UNIT)
    rows = []
    for name, sweep in runs.items():
        state = [a.copy() for a in arrays]
        sweep(code.check_start, code.check_vars, *state)  # compile, and fill the messages
        state[3][:] = 1.0
        times = []
        for _ in range(2 if quick or name == "plain" else max(repeats, 5) * 2):
            cpu = time.process_time()
            sweep(code.check_start, code.check_vars, *state)
            times.append(time.process_time() - cpu)
        best = min(times)
        rows.append({
            "stage": f"ldpc-sweep-{name}", "flavour": name, "host_default": name == FLAVOUR,
            "edges": code.num_edges, "lanes": LANES, "cpu_seconds_min": best,
            "cpu_seconds_median": statistics.median(times),
            "edge_updates_per_cpu_second": code.num_edges * LANES / best,
        })  # fmt: skip

    # every flavour leaves the same posteriors after the same number of sweeps as the plain one
    def posteriors_after_three(sweep: Callable[..., None]) -> np.ndarray:
        state = [a.copy() for a in arrays]
        for _ in range(3):
            sweep(code.check_start, code.check_vars, *state)
            state[3][:] = 1.0
        return state[1]

    plain = posteriors_after_three(runs["plain"])
    for name in host_flavours():
        if not np.array_equal(posteriors_after_three(runs[name]), plain):
            raise SystemExit(f"phi flavour {name} disagrees with the plain sweep")
    for row in rows:
        row["ratio_to_plain"] = rows[-1]["cpu_seconds_min"] / row["cpu_seconds_min"]
    if INT16_KERNEL:  # 32 and 16 frames in int16 (AVX512-FP16): per frame against plain
        plain_seconds = rows[-1]["cpu_seconds_min"]
        for lanes in INT16_WIDTHS:
            rows.append(_int16_sweep_row(code, arrays, repeats, quick, plain_seconds, lanes))
    return rows


def _int16_sweep_row(
    code: Any, arrays: list[np.ndarray], repeats: int, quick: bool, plain_seconds: float,
    lanes: int = INT16_LANES,
) -> dict[str, Any]:  # fmt: skip
    """The int16 sweep of 32 frames (two copies of the 16-frame problem side by side), or of
    the 16 frames in 16 int16 lanes (256-bit registers)."""
    syn, posterior = (np.concatenate([a, a], axis=1)[:, :lanes] for a in arrays[:2])
    state = [
        np.ascontiguousarray(syn.astype(np.int16)), np.ascontiguousarray(to_units(posterior)),
        np.zeros((code.num_edges, lanes), np.int16), np.full(lanes, 2, np.int16),
        int16_table(), np.zeros(lanes, np.uint16),
        np.zeros((int(np.diff(code.check_start).max()), lanes), np.int16),
    ]  # fmt: skip
    sweep_int16(code.check_start, code.check_vars, *state)
    state[3][:] = 1
    times = []
    for _ in range(2 if quick else max(repeats, 5) * 2):
        cpu = time.process_time()
        sweep_int16(code.check_start, code.check_vars, *state)
        times.append(time.process_time() - cpu)
    best = min(times)
    return {
        "stage": f"ldpc-sweep-int16-{lanes}-frames", "flavour": "int16", "host_default": False,
        "edges": code.num_edges, "lanes": lanes, "cpu_seconds_min": best,
        "cpu_seconds_median": statistics.median(times),
        "edge_updates_per_cpu_second": code.num_edges * lanes / best,
        "ratio_to_plain": plain_seconds * lanes / LANES / best,  # per frame
    }  # fmt: skip


def ldpc_decoder(quick: bool) -> list[dict[str, Any]]:
    """Blind LDPC at QBER 2% (n = 65536, rate 0.83): 16 frames (about 1 Mbit, one block of
    the pipeline), 64 and 256 frames (towards the steady state of a stream: later frames
    start from what earlier ones needed, and the lanes stay full for longer), and the
    trade-off between efficiency and throughput over :data:`LDPC_SETTINGS` (three seeds
    each)."""
    if quick:
        return [_ldpc_row("ldpc-blind-4-frames", LdpcReconciler(), 4, (1,), 1)]
    rows = [
        _ldpc_row("ldpc-blind-16-frames", LdpcReconciler(), 16, (1,), 3),
        _ldpc_row("ldpc-blind-64-frames", LdpcReconciler(), 64, (1,), 3),
        _ldpc_row("ldpc-blind-256-frames", LdpcReconciler(), 256, (1,), 1),
    ]
    for settings in LDPC_SETTINGS:
        label = "-".join(f"{v:g}" for v in settings.values())
        rows.append(
            _ldpc_row(f"ldpc-tradeoff-{label}", LdpcReconciler(**settings), 16, (1, 2, 3), 1)
        )
    return rows


def pipeline(repeats: int, quick: bool) -> list[dict[str, Any]]:
    link = LinkConfig(
        SourceConfig((0.5, 0.1, 0.0), (0.6, 0.2, 0.2)),
        FibreConfig(2.0),
        DetectorConfig(0.9, 1e-7, 0.0, 0.0),
        0.02,
    )
    rows = []
    for pulses in (4_000_000,) if quick else (20_000_000, 80_000_000):
        rows += _pipeline_rows(link, pulses, repeats)
    return rows


def _pipeline_rows(link: LinkConfig, pulses: int, repeats: int) -> list[dict[str, Any]]:
    """The whole pipeline on one block of ``pulses`` (20 M: 1.09 Mbit sifted, 80 M: 4.36)."""
    detections = list(iter_detections(link, pulses, seed=5))
    rows = []
    size = "" if pulses <= 20_000_000 else f"-{pulses // 20_000_000}x-block"
    for method in ("cascade-improved", "cascade-original", "ldpc"):
        if size and method == "cascade-original":
            continue
        pipe = Pipeline(link.source, PipelineConfig(reconciler=method, fft_planning="measure"))
        blocks: list[Any] = []
        reps = 3 if size else 1 if method == "ldpc" else repeats  # a big block: 1-2 s each
        seconds = _median_time(
            lambda p=pipe, b=blocks: b.append(p.process(detections, seed=7)), reps
        )
        block = blocks[-1]
        rows.append({
            "stage": f"pipeline-{method}{size}", "pulses": pulses, "bits": block.sifted_bits,
            "seconds": seconds, "bps": block.sifted_bits / seconds, "key_bits": block.key_bits,
            "cpu_seconds": _cpu(), "cpu_bps": block.sifted_bits / _cpu(),
            "qber": block.qber, "efficiency": block.efficiency,
            "keys_equal": block.key == block.bob_key, "timings_s": block.timings_s,
        })  # fmt: skip
    return rows


def efficiency(quick: bool) -> list[dict[str, Any]]:
    rows = []
    seeds = 2 if quick else 5
    for name, rec in _reconcilers().items():
        if name.startswith("ldpc"):
            continue  # ldpc_efficiency: more seeds, and the exact phi table beside
        for qber in (0.005, 0.01, 0.02, 0.05, 0.10):
            values = []
            for seed in range(seeds):
                n = _key_bits(name, rec, qber, 100_000, 4)
                alice, bob = _pair(n, qber, 100 + seed)
                result = rec.reconcile(alice, bob, qber, ClassicalChannel(), seed=seed)
                if not np.array_equal(result.bob_key, alice):
                    raise SystemExit(f"{name} failed to reconcile at QBER {qber}")
                values.append(result.efficiency)
            rows.append({"method": name, "qber": qber, "bits": n,
                         "efficiency": float(np.mean(values)), "runs": len(values)})  # fmt: skip
    return rows


def ldpc_needed_efficiency(
    num_bits: int = DEFAULT_FRAME_BITS,
    frames: int = 16,
    seeds: tuple[int, ...] = (7, 8),
    rates: tuple[float, ...] = (),
) -> str:
    """Efficiency the blind protocol ends at, per code of the family (of length ``num_bits``;
    for the long frames only the rates that use them; only ``rates`` where given: the rows a
    new code changes, its own and its neighbour's), at 15%, 50% and 95% of the QBER range
    the code serves, starting every frame from efficiency 1.05: one length's table of
    :data:`kvant.qkd._ldpc_start.NEEDED_EFFICIENCY` (printed as its Python source)."""
    rec = LdpcReconciler(frame_bits=num_bits, start_efficiency=1.05)
    rows = distributions_for(num_bits)  # the long frames' own rows where they differ
    served = sorted((d.threshold_qber * rec.threshold_margin, d.rate) for d in rows)
    lines = []
    for i, (top, rate) in enumerate(served):
        if num_bits == LONG_FRAME_BITS and rate < LONG_FRAME_MIN_RATE:
            continue
        if rates and rate not in rates:
            continue
        low = served[i - 1][0] if i else 0.003
        points = []
        for qber in (low + 0.15 * (top - low), (low + top) / 2, top - 0.05 * (top - low)):
            values = []
            for seed in seeds:
                n = _key_bits("ldpc", rec, qber, 0, frames)
                alice, bob = _pair(n, qber, seed)
                result = rec.reconcile(alice, bob, qber, ClassicalChannel(), seed=seed)
                values.append(result.efficiency)
            points.append(f"({qber:.5f}, {np.mean(values):.3f})")
        lines.append(f"    {rate}: ({', '.join(points)}),")
        print(lines[-1], flush=True)
    return f"{num_bits}: {{\n" + "\n".join(lines) + "\n}"


def ldpc_efficiency(quick: bool) -> list[dict[str, Any]]:
    """LDPC efficiency at QBER 0.5%-10% (seeds 100-102; one seed with ``quick``) on keys of
    4 frames of the length the default uses in big keys (262,144 bits below QBER ~1.8%,
    65,536 above): the default (``ldpc-sum-product``, which cuts such a key into 65,536-bit
    frames: long ones need 16 to fill the decoder's lanes), long frames as such
    (``ldpc-long``: ``frame_bits`` 262,144 where the default would use them), and the
    default's frames with the exact 4096-entry phi table (``ldpc-exact-phi``, plain Numba
    kernel): what the long frames gain and what the small table costs."""
    rows = []
    seeds = (0,) if quick else (0, 1, 2)
    auto = LdpcReconciler()

    def long_where_used(qber: float) -> LdpcReconciler:
        return LdpcReconciler(auto.frame_length(auto.code_rate(qber)))

    exact = LdpcReconciler(exact_phi=True)  # the default's frames, the exact table
    reconcilers: dict[str, Callable[[float], LdpcReconciler]] = {
        "ldpc-sum-product": lambda _: auto,
        "ldpc-long": long_where_used,
        "ldpc-exact-phi": lambda _: exact,
    }
    for name, make in reconcilers.items():
        for qber in (0.005, 0.01, 0.02, 0.05, 0.10):
            rec = make(qber)
            values = []
            n = _key_bits(name, auto, qber, 0, 4)
            for seed in seeds:
                alice, bob = _pair(n, qber, 100 + seed)
                result = rec.reconcile(alice, bob, qber, ClassicalChannel(), seed=seed)
                if not np.array_equal(result.bob_key, alice):
                    raise SystemExit(f"{name} failed to reconcile at QBER {qber}")
                values.append(result.efficiency)
            rows.append({"method": name, "qber": qber, "bits": n,
                         "efficiency": float(np.mean(values)), "runs": len(values),
                         "efficiency_per_seed": values})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write JSON here")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke test)")
    parser.add_argument(
        "--ldpc-only", action="store_true",
        help="only the LDPC rows: decoder throughput at 16/64 frames, trade-off, efficiency",
    )  # fmt: skip
    parser.add_argument(
        "--frame-bits", type=int, default=DEFAULT_FRAME_BITS,
        help=f"with --ldpc-needed: the frame length ({DEFAULT_FRAME_BITS} or {LONG_FRAME_BITS})",
    )  # fmt: skip
    parser.add_argument(
        "--sweeps", action="store_true", help="only the per-flavour decoder sweep timings"
    )
    parser.add_argument(
        "--toeplitz-only", action="store_true",
        help="only the Toeplitz hash at 1, 4 and 10 Mbit (split, schoolbook, FFT)",
    )  # fmt: skip
    parser.add_argument(
        "--rates", type=float, nargs="+", default=(),
        help="with --ldpc-needed: only these code rates (default: all)",
    )  # fmt: skip
    parser.add_argument(
        "--ldpc-needed", action="store_true",
        help="measure and print kvant.qkd._ldpc_start.NEEDED_EFFICIENCY (about 2 min)",
    )  # fmt: skip
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    load_before = os.getloadavg()
    start = time.perf_counter()
    cpu_start = time.process_time()
    if args.ldpc_needed:
        print(ldpc_needed_efficiency(args.frame_bits, rates=tuple(args.rates)))
        return
    sweeps = [] if args.toeplitz_only else sweep_flavours(args.repeats, args.quick)
    if sweeps:
        print(f"{'decoder sweep (16 frames, 392k edges)':40} {'ms min':>8} {'ms med':>8}"
              f" {'edge upd/s':>11} {'x plain':>8}")  # fmt: skip
    for row in sweeps:
        mark = " (this CPU's default)" if row["host_default"] else ""
        print(
            f"{row['stage']:40} {row['cpu_seconds_min'] * 1e3:>8.2f}"
            f" {row['cpu_seconds_median'] * 1e3:>8.2f}"
            f" {row['edge_updates_per_cpu_second']:>11.3g} {row['ratio_to_plain']:>8.1f}{mark}"
        )
    print() if sweeps else None
    if args.sweeps:
        if args.out:
            args.out.write_text(json.dumps({"decoder_sweeps": sweeps}, indent=2))
        return
    if args.toeplitz_only:
        rows, effs = toeplitz_scaling(args.repeats, args.quick), []
    elif args.ldpc_only:
        rows, effs = ldpc_decoder(args.quick), ldpc_efficiency(args.quick)
    else:
        rows = throughput(args.repeats, args.quick) + toeplitz_scaling(args.repeats, args.quick)
        rows += pipeline(args.repeats, args.quick)
        effs = efficiency(args.quick) + ldpc_efficiency(args.quick)
    print(
        f"{'stage':40} {'bits':>10} {'wall s':>8} {'Mbit/s':>8} {'cpu s':>8} {'Mbit/s':>8}  notes"
    )
    for row in rows:
        note = ""
        if "efficiency" in row:
            note = f"f = {row['efficiency']:.3f}"
        if "iterations_per_frame" in row:
            note += (
                f", {row['iterations_per_frame']:.1f} it/frame,"
                f" {row['attempts_per_frame']:.2f} attempts/frame,"
                f" {row['edge_updates_per_cpu_second']:.3g} edge updates/cpu s,"
                f" lanes {row['lane_occupancy']:.0%} busy"
            )
        if "first_call_seconds" in row:
            note = f"first call {row['first_call_seconds']:.2f} s"
        if row.get("ratio_to_split"):
            note = f"{row['ratio_to_split']:.2f}x the split product's time"
        print(
            f"{row['stage']:40} {row['bits']:>10,} {row['seconds']:>8.4f} {row['bps'] / 1e6:>8.2f}"
            f" {row['cpu_seconds']:>8.4f} {row['cpu_bps'] / 1e6:>8.2f}  {note}"
        )
    if effs:
        print(f"\n{'method':20} " + " ".join(f"{q:>7.3f}" for q in (0.005, 0.01, 0.02, 0.05, 0.1)))
    for method in dict.fromkeys(r["method"] for r in effs):
        values = [r["efficiency"] for r in effs if r["method"] == method]
        print(f"{method:20} " + " ".join(f"{v:>7.3f}" for v in values))
    print("\ncascade-python is not on PyPI; published: 19-36 kbit/s, f 1.15-1.21 (original), "
          "1.08-1.11 (BICONF)")  # fmt: skip
    load_after = os.getloadavg()
    wall_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    before = " ".join(f"{v:.2f}" for v in load_before)
    after = " ".join(f"{v:.2f}" for v in load_after)
    print(f"one core; wall {wall_s:.1f} s, CPU {cpu_s:.1f} s; load average (1/5/15 min)"
          f" before {before}, after {after} (2 cores: above 1, others shared them)")  # fmt: skip
    result = {
        "machine": {
            "python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
            "cores_used": 1, "load_average_before": load_before,
            "load_average_after": load_after, "wall_seconds": wall_s,
            "cpu_seconds": cpu_s, "llvm_host_cpu": llvm.get_host_cpu_name(),
            "ldpc_phi_flavour": FLAVOUR,
            "ldpc_phi_flavours": list(host_flavours()),
        },
        "decoder_sweeps": sweeps, "throughput": rows, "efficiency": effs, "published": PUBLISHED,
    }  # fmt: skip
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=float) + "\n")
        print(f"\nJSON written to {args.out}")


if __name__ == "__main__":
    main()
