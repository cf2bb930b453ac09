# Numba compiles these functions from their argument types; Python annotations would be
# ignored by it, so mypy checks neither their signatures nor their bodies:
# mypy: disallow-untyped-defs=False, check-untyped-defs=False
"""Frame-interleaved belief propagation: one layered sweep over 16 frames of the same code at
once, for the blind LDPC reconciler (:mod:`kvant.qkd._ldpc`).

Layout: posteriors ``[bit][lane]`` (float32), check-to-bit messages ``[edge][lane]`` (int16
in units of 2^-12, exact: every sum-product message is a signed entry of a rounded phi
table), syndromes as ``[check][lane]`` signs (+1 / -1);
16 lanes of float32 are one 64-byte cache line (one AVX-512 register, two AVX2 ones). The
rule is that of :func:`kvant.qkd._ldpc_kernels.layered_decode` (layered sum-product, Hocevar
2004; phi(x) = -ln tanh(x/2) from a table, Richardson & Urbanke 2008, Sec. 2.5), applied to
every lane with no data-dependent branch: the random access per edge fetches all 16 frames'
posteriors in one cache line (prefetched 16 edges ahead), and phi comes from the 64 entries of
:func:`~kvant.qkd._ldpc_kernels.phi_log_table` held in registers (:mod:`kvant.qkd._ldpc_phi_ir`:
the index is the float's exponent and top two mantissa bits, the lookup in-register permutes
chosen for the CPU). A lane whose ``active`` entry is 0 is left exactly as it is (its
posteriors and messages are not touched), so frames that converged, or slots with no frame,
ride along.

Measured per sweep of 16 frames, n = 65536, rate 0.8 (392k edges), one core. A Xeon with
AVX-512: 1.05e8 edge updates per CPU second for the one-frame kernel; here 1.1e9 when phi
came from 16-wide gathers into the 4096-entry :func:`~kvant.qkd._ldpc_kernels.phi_table`
(4.5-4.8 ms per sweep; without any phi, 2.1 ms), 2.9 ms (1.6e9 edge updates per second) with
the 64-entry register table. A Zen 3 core with AVX2 (``benchmarks/qkd_postprocessing.py
--sweeps``, a shared VM): 9.0-10.4 ms with six ``vpermps`` per 8 lanes, 9.3-14.6 ms with
gathers (the two within the VM's noise), 129-161 ms for the plain Numba sweep; 3.9 ms with no
phi at all (an experiment, not a kernel).

The same update is compiled for rows of 8 and 4 lanes (:data:`WIDTHS`: half and a quarter
of a line), for the last frames of a pass.

Two implementations of one sweep, which agree bit for bit (a test checks it):

- :func:`sweep_vector`: the check update written once in LLVM IR on ``<16 x float>`` vectors
  (:func:`check_ir`), inlined into a Numba loop over checks. Numba's own loops over 16 lanes
  do not vectorise: LLVM cannot prove that the rows of the different arrays do not overlap.
  The IR text uses opaque pointers (``ptr``, LLVM >= 15); written for llvmlite 0.50 (LLVM 22).
  :data:`FLAVOUR` names the phi lookup the host CPU runs (AVX-512, AVX2, or a portable gather
  for any other target), :data:`VECTOR_KERNEL` whether this LLVM parsed the IR.
- :func:`sweep_lanes`: plain Numba, one lane after the other: the fallback (about 15x
  slower), the one for the exact :func:`~kvant.qkd._ldpc_kernels.phi_table` (it reads either
  table through :func:`~kvant.qkd._ldpc_kernels.phi_lookup`), and the only one for normalised
  min-sum (Chen & Fossorier, IEEE Trans. Commun. 50, 406 (2002)), whose messages are float32.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import llvmlite.binding as llvm  # type: ignore[import-untyped]
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from kvant.errors import ConfigError
from kvant.qkd._ldpc_kernels import MESSAGE_UNIT, PHI_LOG_TABLE_SIZE, phi_lookup
from kvant.qkd._ldpc_phi_ir import (
    FLAVOURS,
    LANES,
    WIDTHS,
    Flavour,
    ir_float,
    phi_ir,
    splat,
    vectors,
)
from kvant.qkd._llvm_ir import cache_follows, host_features, parses

__all__ = [
    "FLAVOUR",
    "LANES",
    "VECTOR_KERNEL",
    "WIDTHS",
    "check_intrinsic",
    "check_ir",
    "check_layout",
    "checks_loop",
    "host_flavours",
    "lane_satisfied",
    "lane_unsatisfied_checks",
    "sweep_lanes",
    "sweep_vector",
    "vector_sweep",
]

_ZERO = np.float32(0.0)
_BIG = np.float32(1e30)


_PREFETCH_EDGES = 16  # posterior rows are fetched this many edges ahead: +40% at n = 65536


def check_name(flavour: Flavour, lanes: int = LANES) -> str:
    """The IR symbol of the check update on ``lanes`` lanes with ``flavour``'s phi."""
    return f"kvant_ldpc_check{lanes}_{flavour}"


def edge_ir(real: str, lanes: int) -> tuple[str, str]:
    """The addressing of an edge in both passes of a check update, shared by the float32 and
    int16 kernels: pass 1 reads edge ``%k``'s bit and addresses its posterior row ``%pvp``
    (prefetching the row of the edge :data:`_PREFETCH_EDGES` ahead), message row ``%mkp`` and
    scratch row ``%fp``; pass 2 the same for edge ``%q`` (``%qpvp``, ``%qmkp``, ``%qfp``).
    Posterior and scratch rows hold ``lanes`` values of IR type ``real``, message rows i16.

    >>> "%pfp = getelementptr [32 x i16]" in edge_ir("i16", 32)[0]
    True
    """
    row, messages = f"[{lanes} x {real}]", f"[{lanes} x i16]"
    first = f"""  %vp = getelementptr i32, ptr %vars, i64 %k
  %var = load i32, ptr %vp, align 4
  %pvp = getelementptr {row}, ptr %post, i32 %var
  %ahead = add i64 %k, {_PREFETCH_EDGES}
  %inside = icmp slt i64 %ahead, %last
  %kp = select i1 %inside, i64 %ahead, i64 %last
  %vpp = getelementptr i32, ptr %vars, i64 %kp
  %vf = load i32, ptr %vpp, align 4
  %pfp = getelementptr {row}, ptr %post, i32 %vf
  call void @llvm.prefetch.p0(ptr %pfp, i32 1, i32 3, i32 1)
  %mkp = getelementptr {messages}, ptr %msg, i64 %k
  %j = sub i64 %k, %lo
  %fp = getelementptr {row}, ptr %f, i64 %j
"""
    second = f"""  %qvp = getelementptr i32, ptr %vars, i64 %q
  %qv = load i32, ptr %qvp, align 4
  %qpvp = getelementptr {row}, ptr %post, i32 %qv
  %qmkp = getelementptr {messages}, ptr %msg, i64 %q
  %qj = sub i64 %q, %lo
  %qfp = getelementptr {row}, ptr %f, i64 %qj
"""
    return first, second


def check_ir(flavour: Flavour, lanes: int = LANES) -> str:
    """LLVM IR of one check update on ``lanes`` lanes (16, 8 or 4; the syndrome enters as the
    sign bit of ``syn``), with the phi lookup of ``flavour`` (:mod:`kvant.qkd._ldpc_phi_ir`).

    >>> "vpermi2var" in check_ir("avx512"), "vpermi2var" in check_ir("gather")
    (True, False)
    >>> "<8 x i16>" in check_ir("avx2", 8)
    True
    """
    phi = f"kvant_ldpc_phi{lanes}_{flavour}"
    wide = flavour == "avx512" and lanes == LANES
    width = '"prefer-vector-width"="512" "min-legal-vector-width"="512"' if wide else ""
    fv, iv = vectors(lanes)
    sign = splat("i32", "-2147483648", lanes)
    unit = splat("float", ir_float(MESSAGE_UNIT), lanes)
    per_unit = splat("float", ir_float(1.0 / MESSAGE_UNIT), lanes)
    # total - phi(|Q|) can round below 0; phi bodies take x >= 0, except the AVX-512 one,
    # which clamps any x to [2^-8, 16] itself
    excess, positive = (
        ("%ex", "")
        if wide
        else (
            "%ex0",
            f"  %pos = fcmp ogt {fv} %ex, zeroinitializer\n"
            f"  %ex0 = select <{lanes} x i1> %pos, {fv} %ex, {fv} zeroinitializer\n",
        )
    )
    first, second = edge_ir("float", lanes)
    return f"""
declare {iv} @llvm.smax.v{lanes}i32({iv}, {iv})
declare {iv} @llvm.smin.v{lanes}i32({iv}, {iv})
declare {fv} @llvm.fabs.v{lanes}f32({fv})
declare void @llvm.prefetch.p0(ptr, i32, i32, i32)

{phi_ir(flavour, phi, lanes)}
;  One check (edges lo..hi-1) on {lanes} lanes: pass 1 takes the old messages out of the posteriors
; and sums phi(|Q|) (kept in %f) and the signs; pass 2 writes R = sign * phi(total - phi(|Q|))
; and adds it back, and counts the lanes whose check is unsatisfied afterwards in %unsat.
define weak_odr void @{check_name(flavour, lanes)}(ptr noalias %post, ptr noalias %msg,
    ptr noalias %f, ptr noalias %vars, i64 %lo, i64 %hi, ptr noalias %syn,
    ptr noalias %active, ptr noalias %table, ptr noalias %unsat, i64 %last) alwaysinline
    {width} {{
entry:
  %act = load {fv}, ptr %active, align 4
  %on = fcmp ogt {fv} %act, zeroinitializer
  %keep = fcmp oeq {fv} %act, {splat("float", ir_float(1.0), lanes)}
  %s0 = load {iv}, ptr %syn, align 4
  br label %in
in:
  %k = phi i64 [ %lo, %entry ], [ %k1, %in ]
  %tot = phi {fv} [ zeroinitializer, %entry ], [ %tot1, %in ]
  %sgn = phi {iv} [ %s0, %entry ], [ %sgn1, %in ]
{first}  %pv = load {fv}, ptr %pvp, align 4
  %mkq = load <{lanes} x i16>, ptr %mkp, align 2
  %mkf = sitofp <{lanes} x i16> %mkq to {fv}
  %mk = fmul contract {fv} %mkf, {unit}
  %less = fsub contract {fv} %pv, %mk
  %val = select <{lanes} x i1> %keep, {fv} %less, {fv} %pv
  store {fv} %val, ptr %pvp, align 4
  %vbits = bitcast {fv} %val to {iv}
  %sgn1 = xor {iv} %sgn, %vbits
  %abs = call {fv} @llvm.fabs.v{lanes}f32({fv} %val)
  %p = call {fv} @{phi}({fv} %abs, ptr %table)
  store {fv} %p, ptr %fp, align 4
  %tot1 = fadd {fv} %tot, %p
  %k1 = add i64 %k, 1
  %more = icmp slt i64 %k1, %hi
  br i1 %more, label %in, label %mid
mid:
  %sign = and {iv} %sgn1, {sign}
  br label %out
out:
  %q = phi i64 [ %lo, %mid ], [ %q1, %out ]
  %par = phi {iv} [ %s0, %mid ], [ %par1, %out ]
{second}  %w = load {fv}, ptr %qpvp, align 4
  %fq = load {fv}, ptr %qfp, align 4
  %ex = fsub {fv} %tot1, %fq
{positive}  %mag = call {fv} @{phi}({fv} {excess}, ptr %table)
  %wbits = bitcast {fv} %w to {iv}
  %rs = xor {iv} %wbits, %sign
  %rsb = and {iv} %rs, {sign}
  %magb = bitcast {fv} %mag to {iv}
  %rb = or {iv} %magb, %rsb
  %r = bitcast {iv} %rb to {fv}
  %rscaled = fmul {fv} %r, {per_unit}
  %rq = fptosi {fv} %rscaled to <{lanes} x i16>
  %old = load <{lanes} x i16>, ptr %qmkp, align 2
  %rm = select <{lanes} x i1> %on, <{lanes} x i16> %rq, <{lanes} x i16> %old
  store <{lanes} x i16> %rm, ptr %qmkp, align 2
  %ra = select <{lanes} x i1> %on, {fv} %r, {fv} zeroinitializer
  %u = fadd {fv} %w, %ra
  store {fv} %u, ptr %qpvp, align 4
  %ubits = bitcast {fv} %u to {iv}
  %par1 = xor {iv} %par, %ubits
  %q1 = add i64 %q, 1
  %qmore = icmp slt i64 %q1, %hi
  br i1 %qmore, label %out, label %done
done:
  %bad = lshr {iv} %par1, {splat("i32", "31", lanes)}
  %count = load {iv}, ptr %unsat, align 4
  %count1 = add {iv} %count, %bad
  store {iv} %count1, ptr %unsat, align 4
  ret void
}}
"""


def host_flavours() -> tuple[Flavour, ...]:
    """The phi flavours this process can run, fastest first: the x86 ones where Numba
    compiles for this CPU (no ``NUMBA_CPU_NAME`` override) and it has the instructions;
    ``gather`` always."""
    features = host_features()
    usable = {"avx512": bool(features.get("avx512f")), "avx2": bool(features.get("avx2"))}
    return tuple(f for f in FLAVOURS if usable.get(f, True))


FLAVOUR: Flavour = host_flavours()[0]
"""The phi lookup :func:`sweep_vector` runs on this CPU."""

VECTOR_KERNEL = all(parses(check_ir(FLAVOUR, lanes)) for lanes in WIDTHS)
"""Whether this LLVM accepts :func:`check_ir` (else the reconciler uses :func:`sweep_lanes`)."""


def check_intrinsic(text: str, name: str, lanes: int, *, int16: bool = False) -> Any:
    """A Numba intrinsic calling the check update ``@name`` of the IR ``text`` on ``lanes``
    lanes of the arrays' data (row ``c`` of ``syn``): float32 posteriors, or with ``int16``
    the all-int16 layout of :mod:`kvant.qkd._ldpc_int16`."""
    real = types.int16 if int16 else types.float32
    counts = (types.int16, types.uint16) if int16 else (types.int32,)
    element = ir.IntType(16) if int16 else ir.FloatType()

    def check(typingctx, post, msg, f, check_vars, lo, hi, syn, c, active, table, unsat, last):
        def codegen(context, builder, signature, args):
            context.active_code_library.add_llvm_module(llvm.parse_assembly(text))
            pointer = ir.PointerType()
            fnty = ir.FunctionType(
                ir.VoidType(),
                [pointer] * 4 + [ir.IntType(64)] * 2 + [pointer] * 4 + [ir.IntType(64)],
            )
            fn = builder.module.globals.get(name)
            if fn is None:
                fn = ir.Function(builder.module, fnty, name)

            def data(index: int) -> ir.Value:
                array = context.make_array(signature.args[index])(context, builder, args[index])
                return builder.bitcast(array.data, pointer)

            syn = context.make_array(signature.args[6])(context, builder, args[6]).data
            offset = builder.mul(args[7], ir.Constant(ir.IntType(64), lanes))
            row = builder.bitcast(builder.gep(syn, [offset], source_etype=element), pointer)
            builder.call(
                fn,
                [data(0), data(1), data(2), data(3), args[4], args[5], row, data(8), data(9),
                 data(10), args[11]],
            )  # fmt: skip
            return context.get_dummy_value()

        arrays = {post: (2, (real,)), msg: (2, (types.int16,)), f: (2, (real,)),
                  check_vars: (1, (types.int32,)), syn: (2, (real,)), active: (1, (real,)),
                  table: (1, (real,)), unsat: (1, counts)}  # fmt: skip
        for array, (ndim, dtypes) in arrays.items():
            if not (isinstance(array, types.Array) and array.layout == "C"):
                return None  # the IR walks rows of contiguous lanes: C-contiguous only
            if array.ndim != ndim or array.dtype not in dtypes:
                return None
        sig = types.none(post, msg, f, check_vars, types.int64, types.int64, syn, types.int64,
                         active, table, unsat, types.int64)  # fmt: skip
        return sig, codegen

    check.__name__ = name
    return intrinsic(check)


def _check_intrinsic(flavour: Flavour, lanes: int) -> Any:
    """:func:`check_intrinsic` of ``flavour``'s float32 check update on ``lanes`` lanes."""
    return check_intrinsic(check_ir(flavour, lanes), check_name(flavour, lanes), lanes)


def _check_layout(check_start, check_vars, syn, posterior, messages, active, table, unsatisfied,
                  scratch):  # fmt: skip
    """Refuse arrays the IR would walk out of: every per-lane array must have the posteriors'
    lane count, the table 64 entries, the scratch a row per edge of the widest check."""
    m = check_start.size - 1
    lanes = posterior.shape[1]
    if (
        messages.shape != (check_vars.size, lanes) or syn.shape != (m, lanes)
        or active.size != lanes or unsatisfied.size != lanes or scratch.shape[1] != lanes
    ):  # fmt: skip
        raise ValueError("LDPC sweep: arrays must be [rows][lanes] (see sweep_vector)")
    if table.size != PHI_LOG_TABLE_SIZE:
        raise ValueError("LDPC sweep: table must be phi_log_table or int16_table (64 entries)")
    for c in range(m):
        if check_start[c + 1] - check_start[c] > scratch.shape[0]:
            raise ValueError("LDPC sweep: scratch needs a row per edge of the widest check")


check_layout = njit(inline="always")(_check_layout)


def checks_loop(check: Any) -> Any:
    """Every check of the code through ``check`` (one lane count), inlined into the sweep."""

    def loop(check_start, check_vars, syn, posterior, messages, active, table, unsatisfied,
             scratch):  # fmt: skip
        last = np.int64(check_vars.size - 1)
        for c in range(check_start.size - 1):
            lo = np.int64(check_start[c])
            hi = np.int64(check_start[c + 1])
            check(posterior, messages, scratch, check_vars, lo, hi, syn, np.int64(c), active,
                  table, unsatisfied, last)  # fmt: skip

    return njit(inline="always")(loop)


def _sweep_with(flavour: Flavour) -> Callable[..., None]:
    """The Python body of :func:`sweep_vector` with ``flavour``'s check update for every lane
    count in :data:`WIDTHS` (compiled by the caller)."""
    wide, half, quarter = (checks_loop(_check_intrinsic(flavour, n)) for n in WIDTHS)

    def sweep(check_start, check_vars, syn, posterior, messages, active, table, unsatisfied,
              scratch):  # fmt: skip
        lanes = posterior.shape[1]
        if lanes != 16 and lanes != 8 and lanes != 4:
            raise ValueError("sweep_vector: arrays must have 16, 8 or 4 lanes per row")
        check_layout(check_start, check_vars, syn, posterior, messages, active, table,
                     unsatisfied, scratch)  # fmt: skip
        unsatisfied[:] = 0
        if lanes == 16:
            wide(check_start, check_vars, syn, posterior, messages, active, table, unsatisfied,
                 scratch)  # fmt: skip
        elif lanes == 8:
            half(check_start, check_vars, syn, posterior, messages, active, table, unsatisfied,
                 scratch)  # fmt: skip
        else:
            quarter(check_start, check_vars, syn, posterior, messages, active, table,
                    unsatisfied, scratch)  # fmt: skip

    return sweep


@njit(cache=True)
def sweep_vector(  # pragma: no cover - compiled
    check_start, check_vars, syn, posterior, messages, active, table, unsatisfied, scratch
):
    """One layered sum-product iteration over every check, on every lane (16, 8 or 4 per
    row: :data:`WIDTHS`), in place, with the host's phi lookup (:data:`FLAVOUR`).

    Args:
        check_start, check_vars: H in compressed rows (int32).
        syn: Syndrome signs [check][lane], float32 +1 (bit 0) or -1 (bit 1).
        posterior: [bit][lane] float32 posteriors.
        messages: [edge][lane] check-to-bit messages, int16 in units of
            :data:`~kvant.qkd._ldpc_kernels.MESSAGE_UNIT` (exact: every message is a signed
            table entry).
        active: [lane] float32, 1 for a lane to decode, 2 for a lane to decode from zero
            messages (its stored ones are ignored, then overwritten: a new frame needs no
            clearing of its 392k messages), 0 for one to leave untouched.
        table: :func:`~kvant.qkd._ldpc_kernels.phi_log_table` (64 entries).
        unsatisfied: [lane] int32, zeroed here, then the checks found unsatisfied.
        scratch: [max check degree][lane] float32 work space.
    """
    _body(check_start, check_vars, syn, posterior, messages, active, table, unsatisfied, scratch)


_body = njit(inline="always")(_sweep_with(FLAVOUR))
cache_follows(sweep_vector, *(check_ir(FLAVOUR, n) for n in WIDTHS))


def vector_sweep(flavour: Flavour) -> Callable[..., None]:
    """:func:`sweep_vector` with another phi flavour (compiled on first use, not cached on
    disk): to test and time every flavour the host runs (:func:`host_flavours`).

    Raises:
        ConfigError: This CPU (or the CPU Numba compiles for) lacks the flavour's
            instructions.
    """
    if flavour not in host_flavours():
        raise ConfigError(
            f"this CPU cannot run the {flavour!r} phi lookup; it runs {', '.join(host_flavours())}"
        )
    return sweep_vector if flavour == FLAVOUR else _compiled_sweep(flavour)


@functools.cache
def _compiled_sweep(flavour: Flavour) -> Callable[..., None]:
    return njit(_sweep_with(flavour))  # type: ignore[no-any-return]


@njit(cache=True, fastmath=True)
def sweep_lanes(  # pragma: no cover - compiled
    check_start, check_vars, syn, posterior, messages, active, table, unsatisfied, scratch,
    min_sum, alpha, unit,
):  # fmt: skip
    """:func:`sweep_vector` in plain Numba (same arguments, but ``table`` may also be the
    exact :func:`~kvant.qkd._ldpc_kernels.phi_table`), or normalised min-sum
    (``min_sum``, scale ``alpha``). ``messages`` holds multiples of ``unit``: int16 with
    ``unit`` = :data:`~kvant.qkd._ldpc_kernels.MESSAGE_UNIT` for sum-product (as
    :func:`sweep_vector`), float32 with ``unit`` = 1 for min-sum (its messages are not on a
    grid)."""
    unsatisfied[:] = 0
    lanes = posterior.shape[1]
    total = np.empty(lanes, np.float32)
    sign = np.empty(lanes, np.float32)
    min1 = np.empty(lanes, np.float32)
    min2 = np.empty(lanes, np.float32)
    arg = np.empty(lanes, np.int64)
    parity = np.empty(lanes, np.float32)
    scale = np.float32(alpha)
    step = np.float32(unit)
    per_step = np.float32(1.0 / unit)
    for c in range(check_start.size - 1):
        lo = check_start[c]
        hi = check_start[c + 1]
        for lane in range(lanes):
            total[lane] = _ZERO
            sign[lane] = syn[c, lane]
            min1[lane] = _BIG
            min2[lane] = _BIG
            arg[lane] = lo
        for k in range(lo, hi):
            v = check_vars[k]
            for lane in range(lanes):
                old = messages[k, lane] * step if active[lane] == 1 else _ZERO
                value = posterior[v, lane] - old
                posterior[v, lane] = value
                sign[lane] = -sign[lane] if value < _ZERO else sign[lane]
                a = abs(value)
                if min_sum:
                    min2[lane] = min(min2[lane], max(min1[lane], a))
                    arg[lane] = k if a < min1[lane] else arg[lane]
                    min1[lane] = min(min1[lane], a)
                else:
                    p = phi_lookup(a, table)
                    scratch[k - lo, lane] = p
                    total[lane] += p
        for lane in range(lanes):
            parity[lane] = syn[c, lane]
        for k in range(lo, hi):
            v = check_vars[k]
            for lane in range(lanes):
                value = posterior[v, lane]
                if min_sum:
                    r = scale * (min2[lane] if k == arg[lane] else min1[lane])
                else:
                    excess = max(total[lane] - scratch[k - lo, lane], _ZERO)
                    r = phi_lookup(excess, table)
                r = -r if (sign[lane] < _ZERO) != (value < _ZERO) else r
                if active[lane] > 0:
                    messages[k, lane] = r * per_step
                    value += r
                posterior[v, lane] = value
                parity[lane] = -parity[lane] if value < _ZERO else parity[lane]
        for lane in range(lanes):
            unsatisfied[lane] += parity[lane] < _ZERO


@njit(cache=True)
def _violated(check_start, check_vars, syn, posterior, lane, limit):  # pragma: no cover
    """Up to ``limit`` checks (int64 indices, in order) of H x = s that the hard decision of
    ``lane`` (x = 1 where the posterior is < 0) violates. The decisions are copied out of the
    lane first (one pass in order, then the random accesses hit 64 KiB instead of a cache
    line per edge: 3x faster)."""
    decided = np.empty(posterior.shape[0], np.uint8)
    for v in range(posterior.shape[0]):
        decided[v] = posterior[v, lane] < 0
    found = np.empty(min(limit, check_start.size - 1), np.int64)
    count = 0
    for c in range(check_start.size - 1):
        parity = np.uint8(syn[c, lane] < 0)
        for k in range(check_start[c], check_start[c + 1]):
            parity ^= decided[check_vars[k]]
        if parity:
            found[count] = c
            count += 1
            if count == found.size:
                break
    return found[:count].copy()


@njit(cache=True)
def lane_satisfied(check_start, check_vars, syn, posterior, lane):  # pragma: no cover - compiled
    """Whether the hard decision of ``lane`` satisfies every check of H x = s exactly."""
    return _violated(check_start, check_vars, syn, posterior, lane, 1).size == 0


@njit(cache=True)
def lane_unsatisfied_checks(  # pragma: no cover - compiled
    check_start, check_vars, syn, posterior, lane
):
    """The checks of H x = s that the hard decision of ``lane`` violates (int64 indices, in
    order): where a stalled decoder is stuck."""
    return _violated(check_start, check_vars, syn, posterior, lane, check_start.size - 1)
