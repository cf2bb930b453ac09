"""Study for the next LDPC decoder: int16 posteriors and messages, 32 frames per vector.

Two questions, measured side by side (one pinned core):

1. Efficiency: does the blind protocol end at the same f when posteriors and messages are
   int16 in units of 2^-B (saturating at +-32767 units) instead of float32? Emulated in the
   plain 16-lane Numba sweep (every value rounded to the 2^-B grid and clamped after each
   update, phi read from the 64-entry table rounded to the grid; the phi sums kept exact, as
   int32 or unsigned saturating int16 sums would), 16 frames of n = 65536 per seed, the same
   frames and protocol as the float32 rows.
2. Speed: a prototype sweep on 32 int16 lanes per 512-bit register (AVX512-FP16 ``vcvtw2ph``
   turns |Q| into half floats, whose exponent and top two mantissa bits index the phi table,
   ``vpermi2w`` looks up 64 int16 entries for 32 lanes at once; saturating int16 arithmetic)
   against the float32 16-lane kernel of :mod:`kvant.qkd._ldpc_simd`, sweeps interleaved.
   Only the timing is measured: the prototype is not part of the decoder.

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

import llvmlite.binding as llvm  # noqa: E402
import numpy as np  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba import njit, types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

import kvant.qkd._ldpc_lanes as lanes_module  # noqa: E402
from kvant.qkd import ClassicalChannel, LdpcReconciler  # noqa: E402
from kvant.qkd._ldpc_codes import family_code  # noqa: E402
from kvant.qkd._ldpc_kernels import phi_log_table, phi_lookup  # noqa: E402
from kvant.qkd._ldpc_phi_ir import splat  # noqa: E402
from kvant.qkd._ldpc_simd import sweep_lanes, sweep_vector  # noqa: E402
from kvant.qkd._llvm_ir import host_features, parses  # noqa: E402

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


_W = 32
_V = f"<{_W} x i16>"


def _prototype_ir(bits: int) -> str:
    """One check on 32 int16 lanes (the layout of :mod:`kvant.qkd._ldpc_simd`, int16)."""

    def sp(value: int) -> str:
        return splat("i16", str(value), _W)

    v = _V
    return f"""
declare {v} @llvm.sadd.sat.v32i16({v}, {v})
declare {v} @llvm.ssub.sat.v32i16({v}, {v})
declare {v} @llvm.uadd.sat.v32i16({v}, {v})
declare {v} @llvm.usub.sat.v32i16({v}, {v})
declare {v} @llvm.abs.v32i16({v}, i1)
declare {v} @llvm.smax.v32i16({v}, {v})
declare {v} @llvm.smin.v32i16({v}, {v})
declare {v} @llvm.x86.avx512.vpermi2var.hi.512({v}, {v}, {v})
declare void @llvm.prefetch.p0(ptr, i32, i32, i32)
define internal {v} @phi({v} %x, {v} %t0, {v} %t1) alwaysinline {{
  %h = sitofp {v} %x to <{_W} x half>
  %b = bitcast <{_W} x half> %h to {v}
  %s = lshr {v} %b, {sp(8)}
  %i0 = sub {v} %s, {sp(4 * bits + 28)}
  %i1 = call {v} @llvm.smax.v32i16({v} %i0, {v} zeroinitializer)
  %i = call {v} @llvm.smin.v32i16({v} %i1, {v} {sp(63)})
  %r = call {v} @llvm.x86.avx512.vpermi2var.hi.512({v} %t0, {v} %i, {v} %t1)
  ret {v} %r
}}
define weak_odr void @kvant_study_check32(ptr noalias %post, ptr noalias %msg, ptr noalias %f,
    ptr noalias %vars, i64 %lo, i64 %hi, ptr noalias %syn, ptr noalias %active,
    ptr noalias %table, ptr noalias %unsat, i64 %last) alwaysinline {{
entry:
  %act = load {v}, ptr %active, align 2
  %on = icmp sgt {v} %act, zeroinitializer
  %keep = icmp eq {v} %act, {sp(1)}
  %s0 = load {v}, ptr %syn, align 2
  %tp1 = getelementptr {v}, ptr %table, i64 1
  %t0 = load {v}, ptr %table, align 2
  %t1 = load {v}, ptr %tp1, align 2
  br label %in
in:
  %k = phi i64 [ %lo, %entry ], [ %k1, %in ]
  %tot = phi {v} [ zeroinitializer, %entry ], [ %tot1, %in ]
  %sgn = phi {v} [ %s0, %entry ], [ %sgn1, %in ]
  %vp = getelementptr i32, ptr %vars, i64 %k
  %var = load i32, ptr %vp, align 4
  %pvp = getelementptr [{_W} x i16], ptr %post, i32 %var
  %ahead = add i64 %k, 16
  %inside = icmp slt i64 %ahead, %last
  %kp = select i1 %inside, i64 %ahead, i64 %last
  %vpp = getelementptr i32, ptr %vars, i64 %kp
  %vf = load i32, ptr %vpp, align 4
  %pfp = getelementptr [{_W} x i16], ptr %post, i32 %vf
  call void @llvm.prefetch.p0(ptr %pfp, i32 1, i32 3, i32 1)
  %mkp = getelementptr [{_W} x i16], ptr %msg, i64 %k
  %j = sub i64 %k, %lo
  %fp = getelementptr [{_W} x i16], ptr %f, i64 %j
  %pv = load {v}, ptr %pvp, align 2
  %mk = load {v}, ptr %mkp, align 2
  %mka = select <{_W} x i1> %keep, {v} %mk, {v} zeroinitializer
  %val = call {v} @llvm.ssub.sat.v32i16({v} %pv, {v} %mka)
  store {v} %val, ptr %pvp, align 2
  %sgn1 = xor {v} %sgn, %val
  %abs = call {v} @llvm.abs.v32i16({v} %val, i1 false)
  %p = call {v} @phi({v} %abs, {v} %t0, {v} %t1)
  store {v} %p, ptr %fp, align 2
  %tot1 = call {v} @llvm.uadd.sat.v32i16({v} %tot, {v} %p)
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %hi
  br i1 %more, label %in, label %mid
mid:
  %sign = ashr {v} %sgn1, {sp(15)}
  br label %out
out:
  %q = phi i64 [ %lo, %mid ], [ %q1, %out ]
  %par = phi {v} [ %s0, %mid ], [ %par1, %out ]
  %qvp = getelementptr i32, ptr %vars, i64 %q
  %qv = load i32, ptr %qvp, align 4
  %qpvp = getelementptr [{_W} x i16], ptr %post, i32 %qv
  %qmkp = getelementptr [{_W} x i16], ptr %msg, i64 %q
  %qj = sub i64 %q, %lo
  %qfp = getelementptr [{_W} x i16], ptr %f, i64 %qj
  %w = load {v}, ptr %qpvp, align 2
  %fq = load {v}, ptr %qfp, align 2
  %ex = call {v} @llvm.usub.sat.v32i16({v} %tot1, {v} %fq)
  %mag = call {v} @phi({v} %ex, {v} %t0, {v} %t1)
  %ws = ashr {v} %w, {sp(15)}
  %m = xor {v} %ws, %sign
  %rx = xor {v} %mag, %m
  %r = sub {v} %rx, %m
  %old = load {v}, ptr %qmkp, align 2
  %rm = select <{_W} x i1> %on, {v} %r, {v} %old
  store {v} %rm, ptr %qmkp, align 2
  %ra = select <{_W} x i1> %on, {v} %r, {v} zeroinitializer
  %u = call {v} @llvm.sadd.sat.v32i16({v} %w, {v} %ra)
  store {v} %u, ptr %qpvp, align 2
  %par1 = xor {v} %par, %u
  %q1 = add i64 %q, 1
  %qmore = icmp slt i64 %q1, %hi
  br i1 %qmore, label %out, label %done
done:
  %bad = lshr {v} %par1, {sp(15)}
  %count = load {v}, ptr %unsat, align 2
  %count1 = add {v} %count, %bad
  store {v} %count1, ptr %unsat, align 2
  ret void
}}
"""


def _prototype_sweep(bits: int) -> Any:
    text = _prototype_ir(bits)
    name = "kvant_study_check32"

    @intrinsic
    def check32(typingctx, post, msg, f, check_vars, lo, hi, syn, c, active, table, unsat, last):
        def codegen(context, builder, signature, args):
            context.active_code_library.add_llvm_module(llvm.parse_assembly(text))
            pointer = ir.PointerType()
            fnty = ir.FunctionType(ir.VoidType(), [pointer] * 4 + [ir.IntType(64)] * 2
                                   + [pointer] * 4 + [ir.IntType(64)])  # fmt: skip
            fn = builder.module.globals.get(name) or ir.Function(builder.module, fnty, name)

            def data(i: int) -> Any:
                array = context.make_array(signature.args[i])(context, builder, args[i])
                return builder.bitcast(array.data, pointer)

            syn_data = context.make_array(signature.args[6])(context, builder, args[6]).data
            offset = builder.mul(args[7], ir.Constant(ir.IntType(64), _W))
            row = builder.gep(syn_data, [offset], source_etype=ir.IntType(16))
            builder.call(fn, [data(0), data(1), data(2), data(3), args[4], args[5],
                              builder.bitcast(row, pointer), data(8), data(9), data(10),
                              args[11]])  # fmt: skip
            return context.get_dummy_value()

        return types.none(post, msg, f, check_vars, types.int64, types.int64, syn, types.int64,
                          active, table, unsat, types.int64), codegen  # fmt: skip

    @njit
    def sweep(check_start, check_vars, syn, post, msg, active, table, unsat, scratch):
        unsat[:] = 0
        last = np.int64(check_vars.size - 1)
        for c in range(check_start.size - 1):
            lo, hi = np.int64(check_start[c]), np.int64(check_start[c + 1])
            check32(post, msg, scratch, check_vars, lo, hi, syn, np.int64(c), active, table,
                    unsat, last)  # fmt: skip

    return sweep


def speed(bits: int, sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Median ms per sweep: the int16 prototype on 32 frames against the float32 kernel on
    16, interleaved; per frame the prototype is 2 / ratio times as fast."""
    features = host_features()
    if not (features.get("avx512fp16") and features.get("avx512bw")) or not parses(
        _prototype_ir(bits)
    ):
        print("speed: this CPU has no AVX512-FP16; the prototype cannot run here")
        return []
    prototype = _prototype_sweep(bits)
    rng = np.random.default_rng(1)
    rows = []
    for n in sizes:
        code = family_code(0.8, n)
        widest = int(np.diff(code.check_start).max())
        table = np.round(phi_log_table().astype(np.float64) * 2**bits).astype(np.int16)
        wide = (np.where(rng.random((code.num_checks, _W)) < 0.5, 1, -1).astype(np.int16),
                np.round(rng.normal(3.9, 2.5, (n, _W)) * 2**bits).astype(np.int16),
                np.zeros((code.num_edges, _W), np.int16), np.ones(_W, np.int16), table,
                np.zeros(_W, np.int16), np.zeros((widest, _W), np.int16))  # fmt: skip
        narrow = (np.where(rng.random((code.num_checks, 16)) < 0.5, 1, -1).astype(np.float32),
                  rng.normal(3.9, 2.5, (n, 16)).astype(np.float32),
                  np.zeros((code.num_edges, 16), np.int16), np.ones(16, np.float32),
                  phi_log_table(), np.zeros(16, np.int32),
                  np.zeros((widest, 16), np.float32))  # fmt: skip
        times: dict[str, list[float]] = {"int16x32": [], "float32x16": []}
        runs = (("int16x32", prototype, wide), ("float32x16", sweep_vector, narrow))
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
    sweeps = speed(bits[0], [4096, 16384, 65536], args.repeats)
    effs = efficiency(bits, [float(q) for q in args.qbers.split(",")],
                      [int(s) for s in args.seeds.split(",")])  # fmt: skip
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"speed": sweeps, "efficiency": effs}, indent=2) + "\n")
        print(f"JSON written to {args.out}")


if __name__ == "__main__":
    main()
