"""Rate-adaptive, blind LDPC syndrome reconciliation.

Protocol (Elkouss, Martinez-Mateo & Martin, arXiv:1006.2660, Sec. 3, rate adaptation by
puncturing and shortening; blind retries as in Martinez-Mateo, Elkouss & Martin, QIC 12, 791
(2012) and Kiktenko et al., arXiv:1612.03673, Sec. 2):

1. From the estimated QBER Q, pick the code of the family (:mod:`kvant.qkd._ldpc_codes`) with
   the highest rate whose full syndrome still allows efficiency ``max_efficiency``; each frame
   of n bits holds k = n - d key bits and d = |untainted set| modulated bits.
2. Alice fills p_0 modulated positions with random bits (punctured: Bob knows nothing) and the
   other d - p_0 with zeros (shortened: known to both), p_0 chosen so that the starting
   efficiency (m - p_0) / (k h(Q)) is ``start_efficiency``, and sends every frame's syndrome.
3. Bob decodes with belief propagation (:mod:`kvant.qkd._ldpc_kernels`) and reports which
   frames failed; for those Alice reveals the values of ``step`` more punctured bits (they
   become shortened) and Bob decodes again; this repeats until every frame decodes. A frame
   that still fails with no punctured bit left has key bits revealed instead (public random
   order), each counted as leakage, so reconciliation always ends with the keys equal (up
   to the final verification) and the cost shows in the efficiency. Frames go in groups of
   16; each later group starts one step below the median of what earlier frames needed, so
   most frames decode at the first or second attempt.

Leakage of a frame: m - p_0 + r + 32, with r the bits revealed (the syndrome discloses
m - p_0 bits, each revealed bit one more; untainted puncturing makes this exact)
and 32 bits of a per-frame hash with which Bob rejects a decoding that satisfies the syndrome
on a wrong codeword (then retried like a failure). The last, partial frame pads the key with
shortened zeros, so keys of a whole number of frames use the codes best.
"""

from __future__ import annotations

import math
import time
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._asymptotic import binary_entropy
from kvant.qkd._classical import ClassicalChannel
from kvant.qkd._ldpc_codes import DEFAULT_FRAME_BITS, LdpcCode, code_family
from kvant.qkd._ldpc_kernels import layered_decode, layered_min_sum_batch, phi_table
from kvant.qkd._polyhash import poly_hash
from kvant.qkd._reconcile import ReconciliationResult, check_keys

__all__ = ["LdpcReconciler"]

_KNOWN_LLR = 60.0
_MIN_QBER = 1e-3
_STALL_ITERATIONS = 10
_FRAME_TAG_BITS = 32
_BATCH = 16


def _frame_tag(bits: NDArray[np.uint8], key: int) -> int:
    """32 bits of the polynomial hash of a frame's key bits: a decoding that satisfies the
    syndrome but lands on another codeword is caught as a failure (and retried) with
    probability >= 1 - (L + 1) / 2^32 (truncating an epsilon-AXU hash, Stinson 1994)."""
    return poly_hash(np.packbits(bits), key, bits.size) & 0xFFFFFFFF


class LdpcReconciler:
    """Blind rate-adaptive LDPC reconciliation behind the :class:`~kvant.qkd.Reconciler`
    interface.

    Args:
        frame_bits: Code length n (the family is built once per length and cached).
        algorithm: ``sum-product`` (one frame at a time, better efficiency) or ``min-sum``
            (normalised, 16 frames per SIMD batch: each decoding is about ten times faster,
            but it needs more retries).
        max_iterations: BP iterations per decoding attempt.
        start_efficiency: Efficiency of the first attempt.
        step_efficiency: Efficiency added by each retry (sets how many bits are revealed).
        max_efficiency: The code is chosen so that revealing everything reaches this.
        min_sum_scale: alpha of normalised min-sum.

    >>> rng = np.random.default_rng(1)
    >>> alice = rng.integers(0, 2, 6000, dtype=np.uint8)
    >>> bob = alice ^ (rng.random(6000) < 0.03).astype(np.uint8)
    >>> from kvant.qkd import ClassicalChannel
    >>> result = LdpcReconciler(frame_bits=2048).reconcile(alice, bob, 0.03, ClassicalChannel())
    >>> bool(np.array_equal(result.bob_key, alice)), result.success
    (True, True)
    """

    def __init__(
        self,
        frame_bits: int = DEFAULT_FRAME_BITS,
        *,
        algorithm: Literal["sum-product", "min-sum"] = "sum-product",
        max_iterations: int = 60,
        start_efficiency: float = 1.05,
        step_efficiency: float = 0.03,
        max_efficiency: float = 1.3,
        min_sum_scale: float = 0.8,
    ) -> None:
        if algorithm not in ("sum-product", "min-sum"):
            raise ConfigError(f"unknown BP algorithm {algorithm!r}; use sum-product or min-sum")
        if not 1 <= max_iterations <= 10_000:
            raise ConfigError(f"max_iterations must be in [1, 10000], got {max_iterations}")
        if not 0.0 < start_efficiency <= max_efficiency or step_efficiency <= 0.0:
            raise ConfigError("need 0 < start_efficiency <= max_efficiency, step_efficiency > 0")
        self.frame_bits = int(frame_bits)
        self.algorithm = algorithm
        self.max_iterations = max_iterations
        self.start_efficiency = start_efficiency
        self.step_efficiency = step_efficiency
        self.max_efficiency = max_efficiency
        self.min_sum_scale = min_sum_scale
        code_family(self.frame_bits)  # validate and build now

    @property
    def name(self) -> str:
        """``ldpc``."""
        return "ldpc"

    def __repr__(self) -> str:
        return f"LdpcReconciler(frame_bits={self.frame_bits}, algorithm={self.algorithm!r})"

    def choose_code(self, qber: float) -> tuple[LdpcCode, int, int]:
        """(code, initial punctured bits p_0, bits revealed per retry) for QBER ``qber``."""
        family = code_family(self.frame_bits)
        h = binary_entropy(min(max(qber, _MIN_QBER), 0.5))
        fitting = [
            c
            for c in family
            if c.num_checks >= self.max_efficiency * (c.num_bits - c.puncture_order.size) * h
        ]
        code = min(fitting, key=lambda c: c.num_checks) if fitting else family[0]
        k = code.num_bits - code.puncture_order.size
        p0 = math.floor(code.num_checks - self.start_efficiency * k * h)
        p0 = min(max(p0, 0), code.puncture_order.size)
        step = max(1, math.ceil(self.step_efficiency * k * h))
        return code, p0, step

    def _decode(
        self,
        code: LdpcCode,
        syndromes: NDArray[np.uint8],
        posterior: NDArray[np.float64],
        frames: NDArray[np.int64],
    ) -> list[bool]:
        """Decode the given frames in place; min-sum runs up to 16 frames per SIMD batch."""
        if self.algorithm == "sum-product":
            table, out = phi_table(), []
            for f in frames:
                ok, _ = layered_decode(
                    code.check_start, code.check_vars, syndromes[f], posterior[f],
                    np.zeros(code.num_edges), self.max_iterations, False, self.min_sum_scale,
                    table, _STALL_ITERATIONS,
                )  # fmt: skip
                out.append(bool(ok))
            return out
        out = []
        for start in range(0, frames.size, _BATCH):
            batch = frames[start : start + _BATCH]
            llr = np.ascontiguousarray(posterior[batch].T, dtype=np.float32)
            signs = np.ascontiguousarray((1.0 - 2.0 * syndromes[batch]).T, dtype=np.float32)
            converged = layered_min_sum_batch(
                code.check_start, code.check_vars, signs, llr, self.max_iterations,
                self.min_sum_scale, _STALL_ITERATIONS,
            )  # fmt: skip
            posterior[batch] = llr.T
            out.extend(bool(v) for v in converged)
        return out

    @staticmethod
    def _reveal(
        channel: ClassicalChannel,
        x: NDArray[np.uint8],
        order: NDArray[np.int64],
        frames: NDArray[np.int64],
        revealed: NDArray[np.int64],
        channel_llr: NDArray[np.float64],
        count: int,
    ) -> None:
        """Alice discloses the next ``count`` bits (in ``order``) of each frame; Bob fixes them."""
        if count <= 0 or frames.size == 0:
            return
        reveal = [order[revealed[f] : revealed[f] + count] for f in frames]
        values = np.concatenate([x[f, r] for f, r in zip(frames, reveal, strict=True)])
        received = channel.send(
            "alice", "ldpc/revealed-bits", np.packbits(values).tobytes(),
            leaked_bits=int(values.size),
        )  # fmt: skip
        bits = np.unpackbits(np.frombuffer(received, np.uint8), count=values.size)
        cursor = 0
        for f, r in zip(frames, reveal, strict=True):
            channel_llr[f, r] = _KNOWN_LLR * (1.0 - 2.0 * bits[cursor : cursor + r.size])
            cursor += r.size
            revealed[f] += r.size

    def reconcile(
        self,
        alice_key: NDArray[np.uint8],
        bob_key: NDArray[np.uint8],
        qber_estimate: float,
        channel: ClassicalChannel,
        *,
        seed: int | np.random.Generator | None = None,
    ) -> ReconciliationResult:
        """Reconcile frame by frame (module docstring); see :class:`~kvant.qkd.Reconciler`.

        Raises:
            ConfigError: for keys that are not bit arrays of equal length, or a QBER estimate
                outside [0, 0.5].
        """
        start = time.perf_counter()
        alice, bob = check_keys(alice_key, bob_key, qber_estimate)
        rng = np.random.default_rng(seed)
        sent = len(channel.messages)
        code, p0, step = self.choose_code(qber_estimate)
        n, d = code.num_bits, code.puncture_order.size
        k = n - d
        frames = max(1, -(-alice.size // k))
        key_positions = np.setdiff1d(np.arange(n), code.puncture_order).astype(np.int64)
        padded = frames * k
        a_key = np.zeros(padded, np.uint8)
        a_key[: alice.size] = alice
        b_key = np.zeros(padded, np.uint8)
        b_key[: bob.size] = bob
        x = np.zeros((frames, n), np.uint8)
        x[:, key_positions] = a_key.reshape(frames, k)
        punctured = code.puncture_order[:p0]
        x[:, punctured] = rng.integers(0, 2, (frames, p0), dtype=np.uint8)
        syndromes = code.syndrome(x)
        hash_key = int(rng.integers(0, 2**63))
        frame_keys = a_key.reshape(frames, k)
        tags = np.asarray([_frame_tag(frame_keys[f], hash_key) for f in range(frames)], "<u4")
        channel.send(
            "alice",
            "ldpc/syndromes",
            np.asarray([code.num_bits, code.num_checks, p0, hash_key], "<u8").tobytes()
            + tags.tobytes()
            + np.packbits(syndromes).tobytes(),
            leaked_bits=frames * (code.num_checks - p0 + _FRAME_TAG_BITS),
        )
        q = min(max(qber_estimate, _MIN_QBER), 0.5)
        llr = math.log((1.0 - q) / q)
        posterior = np.full((frames, n), _KNOWN_LLR)  # shortened zeros (modulated, padding)
        posterior[:, key_positions] = llr * (1.0 - 2.0 * b_key.reshape(frames, k))
        posterior[:, punctured] = 0.0
        posterior[frames - 1, key_positions[np.arange(alice.size, padded) % k]] = _KNOWN_LLR
        channel_llr = posterior.copy()
        # what Alice reveals on each retry: the punctured bits (last punctured first), then,
        # once none is left, key bits in a public random order (never give up silently)
        order = np.concatenate(
            [code.puncture_order[:p0][::-1], rng.permutation(key_positions)]
        ).astype(np.int64)
        revealed = np.zeros(frames, dtype=np.int64)
        done = np.zeros(frames, dtype=bool)
        attempts = 0
        history: list[int] = []
        for first in range(0, frames, _BATCH):
            group = np.arange(first, min(first + _BATCH, frames))
            if history:  # start where earlier frames succeeded, one step lower
                ahead = max(0, int(np.median(history)) - step)
                self._reveal(channel, x, order, group, revealed, channel_llr, ahead)
            while True:
                pending = group[~done[group]]
                posterior[pending] = channel_llr[pending]  # restart: old messages mislead
                converged = self._decode(code, syndromes, posterior, pending)
                attempts += pending.size
                for f, ok in zip(pending, converged, strict=True):
                    decoded = (posterior[f, key_positions] < 0.0).astype(np.uint8)
                    done[f] = ok and _frame_tag(decoded, hash_key) == tags[f]
                failed = group[~done[group]]
                channel.send("bob", "ldpc/decoding-failed", np.packbits(~done[group]).tobytes())
                if failed.size == 0:
                    break
                self._reveal(channel, x, order, failed, revealed, channel_llr, step)
            history.extend(int(r) for r in revealed[group])
        corrected = (posterior[:, key_positions] < 0.0).astype(np.uint8).reshape(-1)[: bob.size]
        leaked = frames * (code.num_checks - p0 + _FRAME_TAG_BITS) + int(revealed.sum())
        return ReconciliationResult(
            method=self.name,
            bob_key=corrected,
            leaked_bits=leaked,
            errors_corrected=int(np.count_nonzero(corrected != bob)),
            messages=len(channel.messages) - sent,
            rounds=attempts,
            success=True,
            seconds=time.perf_counter() - start,
        )
