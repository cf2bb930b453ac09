"""Study of the int16 LDPC decoder: int16 posteriors and messages, 32 frames per vector.

Two questions, measured side by side (one pinned core):

1. Efficiency: does the blind protocol end at the same f when posteriors and messages are
   int16 in units of 2^-B (saturating at +-32767 units) instead of float32? Emulated in the
   plain 16-lane Numba sweep (every value rounded to the 2^-B grid and clamped after each
   update, phi read from the 64-entry table rounded to the grid; the phi sums kept exact, as
   int32 or unsigned saturating int16 sums would), 16 frames of n = 65536 per seed, the same
   frames and protocol as the float32 rows.
2. Speed: a sweep of the int16 kernel (:mod:`kvant.qkd._ldpc_int16`, 32 frames per 512-bit
   register, AVX512-FP16) against the float32 16-lane kernel of :mod:`kvant.qkd._ldpc_simd`,
   sweeps interleaved.

    python benchmarks/ldpc_int16_study.py --out benchmarks/results/ldpc_int16_study.json
"""

from __future__ import annotations

import os

for _name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

import kvant.qkd._ldpc_lanes as lanes_module  # noqa: E402
from kvant.qkd import ClassicalChannel, LdpcReconciler  # noqa: E402
from kvant.qkd._ldpc_codes import family_code  # noqa: E402
from kvant.qkd._ldpc_int16 import (  # noqa: E402
    INT16_KERNEL,
    INT16_LANES,
    UNIT_BITS,
    int16_table,
    sweep_int16,
)
from kvant.qkd._ldpc_kernels import phi_log_table, phi_lookup  # noqa: E402
from kvant.qkd._ldpc_simd import sweep_lanes, sweep_vector  # noqa: E402

_ZERO = np.float32(0.0)


def _int16_sweep(bits: int) -> Any:
    """The plain sweep with every posterior on the 2^-bits grid, saturating like int16."""
    scale = np.float32(2.0**bits)
    top = np.float32(32767 / 2.0**bits)

    @njit
    def grid(x: float) -> np.float32:
        return min(max(np.float32(np.rint(x * scale) / scale), -top), top)

    @njit
    def sweep(check_start, check_vars, syn, posterior, messages, active, table, unsatisfied,
              scratch, min_sum, alpha, unit):  # fmt: skip
        unsatisfied[:] = 0
        lanes = posterior.shape[1]
        total = np.empty(lanes, np.float32)
        sign = np.empty(lanes, np.float32)
        parity = np.empty(lanes, np.float32)
        step, per_step = np.float32(unit), np.float32(1.0 / unit)
        for c in range(check_start.size - 1):
            lo, hi = check_start[c], check_start[c + 1]
            for lane in range(lanes):
                total[lane] = _ZERO
                sign[lane] = syn[c, lane]
                parity[lane] = syn[c, lane]
            for k in range(lo, hi):
                v = check_vars[k]
                for lane in range(lanes):
                    old = messages[k, lane] * step if active[lane] == 1 else _ZERO
                    value = grid(posterior[v, lane] - old)
                    posterior[v, lane] = value
                    sign[lane] = -sign[lane] if value < _ZERO else sign[lane]
                    p = phi_lookup(abs(value), table)
                    scratch[k - lo, lane] = p
                    total[lane] += p
            for k in range(lo, hi):
                v = check_vars[k]
                for lane in range(lanes):
                    value = posterior[v, lane]
                    r = phi_lookup(max(total[lane] - scratch[k - lo, lane], _ZERO), table)
                    r = -r if (sign[lane] < _ZERO) != (value < _ZERO) else r
                    if active[lane] > 0:
                        messages[k, lane] = r * per_step
                        value = grid(value + r)
                    posterior[v, lane] = value
                    parity[lane] = -parity[lane] if value < _ZERO else parity[lane]
            for lane in range(lanes):
                unsatisfied[lane] += parity[lane] < _ZERO

    return sweep


def efficiency(bits: list[int], qbers: list[float], seeds: list[int]) -> list[dict[str, Any]]:
    """Mean f and iterations per frame, float32 and int16 at each 2^-B, plain kernel."""
    rows = []
    variants: list[tuple[str, Any, np.ndarray]] = [("float32", sweep_lanes, phi_log_table())]
    for b in bits:
        table = (np.round(phi_log_table().astype(np.float64) * 2.0**b) / 2.0**b).astype(np.float32)
        variants.append((f"int16 2^-{b}", _int16_sweep(b), table))
    original = lanes_module.sweep_lanes, lanes_module._PHI
    try:
        for name, sweep, table in variants:
            lanes_module.sweep_lanes, lanes_module._PHI = sweep, table
            for qber in qbers:
                rec = _plain()
                code, _, _ = rec.choose_code(qber)
                k = code.num_bits - code.puncture_order.size
                fs, its = [], []
                for seed in seeds:
                    rng = np.random.default_rng(seed)
                    alice = rng.integers(0, 2, 16 * k, dtype=np.uint8)
                    bob = alice ^ (rng.random(alice.size) < qber).astype(np.uint8)
                    result, stats = rec.reconcile_with_stats(
                        alice, bob, qber, ClassicalChannel(), seed=seed
                    )
                    if not np.array_equal(result.bob_key, alice):
                        raise SystemExit(f"{name}: keys differ at QBER {qber}, seed {seed}")
                    fs.append(result.efficiency)
                    its.append(stats.iterations_per_frame)
                rows.append({"variant": name, "qber": qber, "seeds": seeds,
                             "efficiency": float(np.mean(fs)), "efficiency_per_seed": fs,
                             "iterations_per_frame": float(np.mean(its))})  # fmt: skip
                print(f"{name:14} QBER {qber:<6} f {np.mean(fs):.4f}  it/frame {np.mean(its):5.1f}",
                      flush=True)  # fmt: skip
    finally:
        lanes_module.sweep_lanes, lanes_module._PHI = original
    return rows


def _plain() -> LdpcReconciler:
    """A reconciler with frames of 65536 decoding with the plain kernel (the vector kernel is
    float32 only) and the phi table in ``_ldpc_lanes._PHI``."""
    original = lanes_module.LaneDecoder.__init__

    def plain_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **{**kwargs, "vector": False})
        self._table = lanes_module._PHI

    class Plain(LdpcReconciler):
        def reconcile_with_stats(self, *args: Any, **kwargs: Any) -> Any:
            lanes_module.LaneDecoder.__init__ = plain_init
            try:
                return super().reconcile_with_stats(*args, **kwargs)
            finally:
                lanes_module.LaneDecoder.__init__ = original

    return Plain(65536)


def speed(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Median ms per sweep: the int16 kernel on 32 frames against the float32 kernel on 16,
    interleaved; per frame the int16 one is 2 / ratio times as fast."""
    if not INT16_KERNEL:
        print("speed: this CPU has no AVX512-FP16; the int16 kernel cannot run here")
        return []
    bits, width = UNIT_BITS, INT16_LANES
    rng = np.random.default_rng(1)
    rows = []
    for n in sizes:
        code = family_code(0.8, n)
        widest = int(np.diff(code.check_start).max())
        wide = (np.where(rng.random((code.num_checks, width)) < 0.5, 1, -1).astype(np.int16),
                np.round(rng.normal(3.9, 2.5, (n, width)) * 2**bits).astype(np.int16),
                np.zeros((code.num_edges, width), np.int16), np.ones(width, np.int16),
                int16_table(), np.zeros(width, np.uint16),
                np.zeros((widest, width), np.int16))  # fmt: skip
        narrow = (np.where(rng.random((code.num_checks, 16)) < 0.5, 1, -1).astype(np.float32),
                  rng.normal(3.9, 2.5, (n, 16)).astype(np.float32),
                  np.zeros((code.num_edges, 16), np.int16), np.ones(16, np.float32),
                  phi_log_table(), np.zeros(16, np.int32),
                  np.zeros((widest, 16), np.float32))  # fmt: skip
        times: dict[str, list[float]] = {"int16x32": [], "float32x16": []}
        runs = (("int16x32", sweep_int16, wide), ("float32x16", sweep_vector, narrow))
        for rep in range(repeats + 2):
            for label, sweep, state in runs:
                start = time.perf_counter()
                sweep(code.check_start, code.check_vars, *state)
                if rep >= 2:  # two warm-ups
                    times[label].append(time.perf_counter() - start)
        ratio = statistics.median(
            a / b for a, b in zip(times["int16x32"], times["float32x16"], strict=True)
        )
        rows.append({"n": n, "edges": code.num_edges,
                     "int16x32_ms": statistics.median(times["int16x32"]) * 1e3,
                     "float32x16_ms": statistics.median(times["float32x16"]) * 1e3,
                     "sweep_ratio": ratio, "per_frame_speedup": 2.0 / ratio})  # fmt: skip
        print(f"n = {n:6}: int16 x32 {rows[-1]['int16x32_ms']:.2f} ms, float32 x16"
              f" {rows[-1]['float32x16_ms']:.2f} ms per sweep; per frame"
              f" {rows[-1]['per_frame_speedup']:.2f}x", flush=True)  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write JSON here")
    parser.add_argument("--bits", default="8", help="fraction bits B to emulate, e.g. 7,8,10")
    parser.add_argument("--qbers", default="0.005,0.02,0.1")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    bits = [int(b) for b in args.bits.split(",")]
    sweeps = speed([4096, 16384, 65536], args.repeats)
    effs = efficiency(bits, [float(q) for q in args.qbers.split(",")],
                      [int(s) for s in args.seeds.split(",")])  # fmt: skip
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"speed": sweeps, "efficiency": effs}, indent=2) + "\n")
        print(f"JSON written to {args.out}")


if __name__ == "__main__":
    main()
