"""Bob's side of blind LDPC decoding on 16 frames at once: lanes that frames enter and leave.

Each of the :data:`~kvant.qkd._ldpc_simd.LANES` lanes of a :class:`LaneDecoder` holds one
frame. :meth:`LaneDecoder.run` sweeps all lanes together (one layered iteration per sweep,
:mod:`kvant.qkd._ldpc_simd`) until at least one frame needs the protocol: its hard decision
satisfies the syndrome (*converged*), or its count of unsatisfied checks has not reached a new
minimum for ``stall_iterations`` sweeps, or fell by less than 3% (``progress_ratio``) over the
last 4 sweeps, or it ran ``max_iterations`` sweeps (*stalled*: Alice
reveals more bits, :meth:`LaneDecoder.pin`, and the lane goes on from its messages). The
others keep their state, so a frame that converges is replaced at once by the next one and
the lanes stay busy whatever the spread of iterations per frame. When no frame is left to
enter, :meth:`LaneDecoder.narrow` moves the last ones to 8 or 4 lanes: with AVX2 (code compiled
for a Zen 3) a sweep of 8 lanes costs 0.7x one of 16 and a sweep of 4 0.6x, and 16 frames at
QBER 2% took 12% less decoder time; with AVX-512, where 16 lanes are one register, about the
same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._ldpc_codes import LdpcCode
from kvant.qkd._ldpc_int16 import (
    INT16_KERNEL,
    INT16_LANES,
    INT16_WIDTHS,
    UNIT_BITS,
    int16_table,
    sweep_int16,
    to_units,
)
from kvant.qkd._ldpc_kernels import (
    MESSAGE_UNIT,
    negative_at,
    phi_log_table,
    phi_table,
    set_column,
)
from kvant.qkd._ldpc_simd import (
    LANES,
    VECTOR_KERNEL,
    WIDTHS,
    lane_satisfied,
    lane_unsatisfied_checks,
    sweep_lanes,
    sweep_vector,
)

__all__ = ["DecoderStats", "LaneDecoder"]

_PHI = phi_log_table()
_PHI_EXACT = phi_table()
_PHI16 = int16_table()
_PER_LANE = ("syn", "posterior", "messages", "active", "frame", "_unsatisfied", "_best",
             "_since", "_iterations", "_recent")  # fmt: skip


@dataclass(frozen=True)
class DecoderStats:
    """Work done by the decoder during one reconciliation.

    Attributes:
        frames: Frames decoded.
        edges: Edges of the code (ones in H); for a sum of decodings, the mean per frame
            iteration.
        sweeps: Layered iterations over all lanes.
        lane_sweeps: Lanes swept, summed over sweeps (each costs ``edges`` updates; a
            sweep of 16 lanes counts 16, one after :meth:`LaneDecoder.narrow` 8 or 4).
        frame_iterations: Iterations summed over frames (lanes that held no frame or had
            converged do not count).
        decoder_seconds: CPU time spent in the sweeps (the process's, single-threaded).

    >>> s = DecoderStats(frames=2, edges=1000, sweeps=10, lane_sweeps=160,
    ...                  frame_iterations=20, decoder_seconds=0.5)
    >>> s.iterations_per_frame, s.edge_updates_per_second, s.lane_occupancy
    (10.0, 40000.0, 0.125)
    >>> DecoderStats.from_dict(s.to_dict()) == s
    True
    >>> (s + DecoderStats(frames=1, edges=4000, sweeps=5, lane_sweeps=20, frame_iterations=5,
    ...                   decoder_seconds=0.5)).edges  # per frame iteration: (20e3 + 20e3) / 25
    1600
    """

    frames: int
    edges: int
    sweeps: int
    lane_sweeps: int
    frame_iterations: int
    decoder_seconds: float

    @property
    def iterations_per_frame(self) -> float:
        """Mean layered iterations per frame, over every attempt."""
        return self.frame_iterations / self.frames if self.frames else 0.0

    @property
    def lane_occupancy(self) -> float:
        """Fraction of lane sweeps that decoded a frame."""
        return self.frame_iterations / self.lane_sweeps if self.lane_sweeps else 0.0

    @property
    def edge_updates_per_second(self) -> float:
        """Useful edge updates (frame iterations x edges) per CPU second of decoding."""
        work = self.frame_iterations * self.edges
        return work / self.decoder_seconds if self.decoder_seconds > 0 else 0.0

    def __add__(self, other: DecoderStats) -> DecoderStats:
        """The work of two decodings (of frames of different codes, say): ``edges`` becomes
        the mean edges per frame iteration, so the edge updates add up (to rounding)."""
        iterations = self.frame_iterations + other.frame_iterations
        updates = self.frame_iterations * self.edges + other.frame_iterations * other.edges
        return DecoderStats(
            frames=self.frames + other.frames,
            edges=round(updates / iterations) if iterations else max(self.edges, other.edges),
            sweeps=self.sweeps + other.sweeps,
            lane_sweeps=self.lane_sweeps + other.lane_sweeps,
            frame_iterations=iterations,
            decoder_seconds=self.decoder_seconds + other.decoder_seconds,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "frames": self.frames,
            "edges": self.edges,
            "sweeps": self.sweeps,
            "lane_sweeps": self.lane_sweeps,
            "frame_iterations": self.frame_iterations,
            "decoder_seconds": self.decoder_seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecoderStats:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            frames=int(data["frames"]),
            edges=int(data["edges"]),
            sweeps=int(data["sweeps"]),
            lane_sweeps=int(data["lane_sweeps"]),
            frame_iterations=int(data["frame_iterations"]),
            decoder_seconds=float(data["decoder_seconds"]),
        )


def _aligned_zeros(shape: tuple[int, int], dtype: type[np.generic]) -> NDArray[Any]:
    """Zeros whose rows start on 64-byte boundaries (a row of 16 float32 lanes is one cache
    line; NumPy only promises 16 bytes, and a row split over two lines costs 2 accesses)."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buffer = np.zeros(size + 64, np.uint8)
    start = -buffer.ctypes.data % 64
    out: NDArray[Any] = buffer[start : start + size].view(dtype).reshape(shape)
    return out


class LaneDecoder:
    """Belief-propagation state of up to :data:`LANES` frames of one code.

    Args:
        code: The code.
        min_sum: Normalised min-sum instead of sum-product.
        alpha: Normalisation of min-sum.
        stall_iterations: A frame stalls after this many sweeps without a new minimum of
            unsatisfied checks.
        max_iterations: ... or after this many sweeps in one attempt ...
        progress_ratio, progress_window: ... or when its count of unsatisfied checks is above
            ``progress_ratio`` times the count ``progress_window`` sweeps before (slow
            progress: a plateau is coming; 0 turns this off).
        vector: Use the LLVM vector kernel (sum-product only; default: where it compiled).
        exact_phi: Read phi from the 4096-entry :func:`~kvant.qkd._ldpc_kernels.phi_table`
            (plain kernel only, about 5x slower) instead of the 64-entry
            :func:`~kvant.qkd._ldpc_kernels.phi_log_table`: to measure what the smaller table
            costs in efficiency.
        lanes: Frames held at once, one of :data:`~kvant.qkd._ldpc_simd.WIDTHS` (16, 8, 4),
            or with ``int16`` one of :data:`~kvant.qkd._ldpc_int16.INT16_WIDTHS` (32, 16);
            :meth:`narrow` moves the frames to fewer lanes later.
        int16: Posteriors and messages in int16 (:mod:`kvant.qkd._ldpc_int16`, CPUs with
            AVX512-FP16); None (default): for 32 lanes only.
    """

    def __init__(
        self,
        code: LdpcCode,
        *,
        min_sum: bool = False,
        alpha: float = 0.8,
        stall_iterations: int = 3,
        max_iterations: int = 100,
        progress_ratio: float = 0.97,
        progress_window: int = 4,
        vector: bool | None = None,
        exact_phi: bool = False,
        lanes: int = LANES,
        int16: bool | None = None,
    ) -> None:
        int16 = lanes == INT16_LANES if int16 is None else int16
        widths = INT16_WIDTHS if int16 else WIDTHS
        if lanes not in widths:
            raise ConfigError(f"a lane decoder holds {' or '.join(map(str, widths))} frames")
        if int16 and not (INT16_KERNEL and vector is not False and not (min_sum or exact_phi)):
            raise ConfigError(
                f"{lanes} int16 lanes need the int16 sum-product kernel (AVX512-FP16), which"
                " this CPU or these settings do not run; use float32 lanes (16 or fewer)"
            )
        self.code = code
        self.min_sum = min_sum
        self.alpha = alpha
        self.stall_iterations = stall_iterations
        self.max_iterations = max_iterations
        self.vector = (VECTOR_KERNEL if vector is None else vector) and not (min_sum or exact_phi)
        self._table = _PHI_EXACT if exact_phi else _PHI
        # sum-product messages are signed phi-table entries, multiples of MESSAGE_UNIT
        self._unit = 1.0 if min_sum else MESSAGE_UNIT
        self.progress_ratio = progress_ratio
        self.progress_window = progress_window
        self._allocate(lanes, int16)
        self.syn[:] = 1.0
        self.frame[:] = -1
        self.sweeps = 0
        self.lane_sweeps = 0
        self.frame_iterations = 0
        self.seconds = 0.0

    def _allocate(self, lanes: int, int16: bool) -> None:
        """Zeroed per-lane state for ``lanes`` lanes (in int16: ``_ldpc_int16``)."""
        code = self.code
        self.lanes = lanes
        self.int16 = int16
        real: type[np.generic] = np.int16 if self.int16 else np.float32
        self.syn = _aligned_zeros((code.num_checks, lanes), real)
        self.posterior = _aligned_zeros((code.num_bits, lanes), real)
        kind = np.float32 if self.min_sum else np.int16
        self.messages = _aligned_zeros((code.num_edges, lanes), kind)
        self._scratch = _aligned_zeros((int(np.diff(code.check_start).max()), lanes), real)
        self.active = np.zeros(lanes, real)
        self.frame = np.zeros(lanes, np.int64)
        self._unsatisfied = np.zeros(lanes, np.uint16 if self.int16 else np.int32)
        self._best = np.zeros(lanes, np.int64)
        self._since = np.zeros(lanes, np.int64)
        self._iterations = np.zeros(lanes, np.int64)
        self._recent = np.zeros((self.progress_window + 1, lanes), np.int64)

    def narrow(self, lanes: int) -> None:
        """Move the frames into a layout of ``lanes`` lanes of the same kind (one of
        :data:`~kvant.qkd._ldpc_simd.WIDTHS` for float32 lanes, of
        :data:`~kvant.qkd._ldpc_int16.INT16_WIDTHS` for int16 ones), keeping every frame's
        state bit for bit: a pass left with few frames then sweeps no empty lanes. Lane
        numbers change (those of the frames become 0, 1, ...): call it between :meth:`run`
        calls only.

        Raises:
            ConfigError: ``lanes`` is not a width, or fewer than the frames held.
        """
        held = np.flatnonzero(self.frame >= 0)
        widths = INT16_WIDTHS if self.int16 else WIDTHS
        if lanes not in widths or lanes < held.size:
            raise ConfigError(f"cannot move {held.size} frames to {lanes} lanes (widths {widths})")
        old = {name: getattr(self, name) for name in _PER_LANE}
        self._allocate(lanes, self.int16)
        for name, values in old.items():
            new = getattr(self, name)
            new[..., : held.size] = np.take(values, held, axis=-1)  # 1.7x faster than [..., held]
            new[..., held.size :] = 0
        self.frame[held.size :] = -1
        self.syn[:, held.size :] = 1.0

    def free_lanes(self) -> NDArray[np.int64]:
        """Lanes that hold no frame."""
        return np.flatnonzero(self.frame < 0)

    def load(
        self, lane: int, frame: int, syndrome: NDArray[np.uint8], channel_llr: NDArray[np.float32]
    ) -> None:
        """Start ``frame`` in ``lane`` from its channel LLRs and zero messages."""
        self.frame[lane] = frame
        set_column(self.syn, lane, 1 - 2 * syndrome.astype(np.int8), 0)
        self.restart(lane, channel_llr)

    def restart(self, lane: int, channel_llr: NDArray[np.float32]) -> None:
        """Forget the lane's messages and start it again from ``channel_llr`` (the next sweep
        reads its messages as zeros and overwrites them: ``active`` 2)."""
        set_column(self.posterior, lane, channel_llr, UNIT_BITS if self.int16 else 0)
        self.active[lane] = 2.0
        self._next_attempt(lane)

    def pin(self, lane: int, positions: NDArray[np.int64], delta: NDArray[np.float32]) -> None:
        """Move the lane's posteriors at ``positions`` by ``delta`` (bits Alice revealed) and
        start its next attempt, keeping its messages."""
        if self.int16:
            moved = self.posterior[positions, lane] / np.float32(2**UNIT_BITS) + delta
            self.posterior[positions, lane] = to_units(moved)
        else:
            self.posterior[positions, lane] += delta
        self.active[lane] = max(self.active[lane], 1.0)  # a fresh lane (2) stays fresh
        self._next_attempt(lane)

    def satisfied(self, lane: int) -> bool:
        """Whether the lane's hard decision satisfies every check of H x = s now (a pass over
        all edges: about 0.7 ms at n = 65536)."""
        code = self.code
        return bool(
            lane_satisfied(code.check_start, code.check_vars, self.syn, self.posterior, lane)
        )

    def resume(self, lane: int) -> bool:
        """Go on with a lane that :meth:`run` returned as converged but is not done (its
        decision fails the syndrome): the same attempt, its counters kept. False (and the
        lane stays stopped) once the attempt has had ``max_iterations``: the caller treats
        it as stalled, so that a lane whose count keeps reading 0 cannot loop forever."""
        if self._iterations[lane] >= self.max_iterations:
            return False
        self.active[lane] = 1.0
        return True

    def release(self, lane: int) -> None:
        """Empty the lane (its frame is finished)."""
        self.frame[lane] = -1
        self.active[lane] = 0.0

    def decisions(self, lane: int, positions: NDArray[np.int64]) -> NDArray[np.uint8]:
        """Hard decisions (1 where the posterior is < 0) of the lane at ``positions``."""
        out: NDArray[np.uint8] = negative_at(self.posterior, positions, lane)
        return out

    def unsatisfied_count(self, lane: int) -> int:
        """Checks the lane's last sweep left unsatisfied (counted during the sweep: a cheap
        filter before :meth:`unsatisfied_checks`)."""
        return int(self._unsatisfied[lane])

    def unsatisfied_checks(self, lane: int) -> NDArray[np.int64]:
        """The checks that the lane's hard decision violates now."""
        code = self.code
        out: NDArray[np.int64] = lane_unsatisfied_checks(
            code.check_start, code.check_vars, self.syn, self.posterior, lane
        )
        return out

    def _next_attempt(self, lane: int) -> None:
        self._best[lane] = self.code.num_checks + 1
        self._since[lane] = 0
        self._iterations[lane] = 0

    def run(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Sweep until some frame converged or stalled.

        Returns:
            (lanes whose last sweep counted no unsatisfied check, lanes that stalled); both
            empty only when no lane holds an active frame. The sweep counts each check as it
            updates it, so a later check of the same sweep may flip a bit of an earlier one:
            a converged lane's hard decision almost always satisfies the syndrome, and
            :meth:`satisfied` tells exactly (the reconciler asks only when the frame's tag
            disagrees; :meth:`resume` goes on with a lane that is not done).
        """
        code = self.code
        on = self.active > 0
        if not on.any():
            return np.empty(0, np.int64), np.empty(0, np.int64)
        if self.int16 and np.any(~on & (self.frame >= 0)):  # the int16 sweep writes every lane
            raise RuntimeError("LaneDecoder.run: a lane holds a frame but is idle (pin it first)")
        start = time.process_time()
        while True:
            table = _PHI16 if self.int16 else self._table
            state = (self.syn, self.posterior, self.messages, self.active, table)
            work = (self._unsatisfied, self._scratch)
            if self.int16:
                sweep_int16(code.check_start, code.check_vars, *state, *work)
            elif self.vector:
                sweep_vector(code.check_start, code.check_vars, *state, *work)
            else:
                sweep_lanes(
                    code.check_start, code.check_vars, *state, *work, self.min_sum, self.alpha,
                    self._unit,
                )  # fmt: skip
            self.sweeps += 1
            self.lane_sweeps += self.lanes
            self.active[self.active > 1.0] = 1.0  # fresh lanes have their messages now
            self.frame_iterations += int(on.sum())
            self._iterations += on
            unsatisfied = self._unsatisfied.astype(np.int64)
            converged = np.flatnonzero(on & (unsatisfied == 0))
            better = on & (unsatisfied < self._best)
            self._best = np.where(better, unsatisfied, self._best)
            self._since = np.where(better, 0, self._since + on)
            w = self.progress_window
            self._recent[self.sweeps % (w + 1)] = unsatisfied
            slow = (
                (self.progress_ratio > 0.0)
                & (self._iterations > w)
                & (unsatisfied > self.progress_ratio * self._recent[(self.sweeps - w) % (w + 1)])
            )
            stuck = on & (
                (self._since >= self.stall_iterations)
                | (self._iterations >= self.max_iterations)
                | slow
            )
            stuck[converged] = False
            stalled = np.flatnonzero(stuck)
            if converged.size or stalled.size:
                self.active[converged] = 0.0
                self.active[stalled] = 0.0
                self.seconds += time.process_time() - start
                return converged, stalled

    def stats(self, frames: int) -> DecoderStats:
        """What the decoder did so far, for ``frames`` frames."""
        return DecoderStats(
            frames=frames,
            edges=self.code.num_edges,
            sweeps=self.sweeps,
            lane_sweeps=self.lane_sweeps,
            frame_iterations=self.frame_iterations,
            decoder_seconds=self.seconds,
        )
