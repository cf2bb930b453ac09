"""The post-processing pipeline: raw detections to a secret key identical on both sides.

sift -> estimate -> reconcile -> verify -> amplify, every message over one authenticated
:class:`~kvant.qkd.ClassicalChannel`. The secret length is Lim et al., PRA 89, 022307 (2014),
Eq. (1), with its lambda_EC + log2(2/epsilon_cor) replaced by the bits actually disclosed
(error correction plus verification tags, from the channel's ledger):

    l = floor(s_0 + s_1 (1 - h(phi)) - leak_EC - leak_verification - 6 log2(21/epsilon_sec))

with s_0, s_1 and phi from the measured counts (:func:`kvant.qkd.keyrate.lim_key_length`).
The authentication key spent in the round is replenished from the head of the new key.
"""

from __future__ import annotations

import math
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from kvant.errors import AbortReason, ConfigError, ProtocolAbortError, SimulationError
from kvant.qkd._asymptotic import binary_entropy
from kvant.qkd._authentication import TAG_BYTES, KeyPool, Message, WegmanCarterAuthenticator
from kvant.qkd._classical import ClassicalChannel
from kvant.qkd._config import SourceConfig
from kvant.qkd._detections import Detections
from kvant.qkd._estimation import estimate_parameters
from kvant.qkd._finite import lim_key_length
from kvant.qkd._keyblock import EpsilonBudget, KeyBlock, Leakage
from kvant.qkd._random import generator
from kvant.qkd._reconcile import Reconciler
from kvant.qkd._sifting import sift
from kvant.qkd._toeplitz import FftBackend, FftPlanning, amplify_privacy
from kvant.qkd._verification import verify_keys

__all__ = ["Pipeline", "PipelineConfig", "reconciler_by_name"]

RECONCILERS = ("cascade-improved", "cascade-original", "ldpc")


def reconciler_by_name(name: str) -> Reconciler:
    """A reconciler by name: ``cascade-improved``, ``cascade-original`` or ``ldpc``.

    >>> reconciler_by_name("cascade-original").name
    'cascade-original'
    """
    from kvant.qkd._cascade import CascadeReconciler
    from kvant.qkd._ldpc import LdpcReconciler

    if name == "cascade-improved":
        return CascadeReconciler("improved")
    if name == "cascade-original":
        return CascadeReconciler("original")
    if name == "ldpc":
        return LdpcReconciler()
    raise ConfigError(f"unknown reconciler {name!r}; choose one of {', '.join(RECONCILERS)}")


@dataclass(frozen=True)
class PipelineConfig:
    """Settings of the post-processing.

    Attributes:
        reconciler: ``cascade-improved``, ``cascade-original`` or ``ldpc``.
        qber_threshold: Abort when the sampled key-basis QBER is above this.
        sample_fraction: Fraction of the sifted key disclosed to estimate the QBER.
        confidence: Confidence of the QBER upper bounds reported.
        epsilon_sec: Secrecy parameter of the finite-key bound.
        epsilon_cor: Target correctness (sets the number of verification hashes).
        fft_backend: Privacy-amplification backend (``auto``, ``clmul``, ``scipy``,
            ``pyfftw``, ...: :func:`~kvant.qkd.toeplitz_hash`).
        fft_planning: FFTW planning (``measure``: slow once per transform length, then about
            twice as fast; the plans are kept on disk).
    """

    reconciler: str = "cascade-improved"
    qber_threshold: float = 0.11
    sample_fraction: float = 0.03
    confidence: float = 1.0 - 1e-6
    epsilon_sec: float = 1e-9
    epsilon_cor: float = 1e-15
    fft_backend: FftBackend = "auto"
    fft_planning: FftPlanning = "estimate"

    def __post_init__(self) -> None:
        if self.reconciler not in RECONCILERS:
            raise ConfigError(
                f"unknown reconciler {self.reconciler!r}; choose one of {', '.join(RECONCILERS)}"
            )
        if not 0.0 < self.qber_threshold <= 0.5:
            raise ConfigError(f"qber_threshold must be in (0, 0.5], got {self.qber_threshold}")
        if not 0.0 < self.sample_fraction < 1.0:
            raise ConfigError(f"sample_fraction must be in (0, 1), got {self.sample_fraction}")
        if self.fft_planning not in ("estimate", "measure"):
            raise ConfigError(f"fft_planning must be estimate or measure, got {self.fft_planning}")
        for name in ("confidence", "epsilon_sec", "epsilon_cor"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in (0, 1), got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineConfig:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


def _abort(message: str, reason: AbortReason) -> ProtocolAbortError:
    return ProtocolAbortError(message, reason)


class Pipeline:
    """Post-processing of one QKD link (module docstring).

    Holds the two parties' authentication key pools across rounds.

    Args:
        source: The source (three intensities: signal, weak decoy, vacuum), for the bound.
        config: Settings.
        reconciler: Override the configured error correction (any :class:`Reconciler`).
        preshared_key: The initial authentication key (default: 65536 fresh random bits,
            standing for a key installed out of band).
        tamper: An adversary on the classical channel (tests).

    >>> from kvant.qkd import DetectorConfig, FibreConfig, LinkConfig, iter_detections
    >>> source = SourceConfig((0.5, 0.1, 0.0), (0.6, 0.2, 0.2))
    >>> link = LinkConfig(source, FibreConfig(2.0), DetectorConfig(0.9, 1e-7, 0.0, 0.0))
    >>> detections = list(iter_detections(link, 4_000_000, seed=1))
    >>> block = Pipeline(link.source).process(detections, seed=2)
    >>> block.key == block.bob_key, block.key_bits > 0
    (True, True)
    """

    def __init__(
        self,
        source: SourceConfig,
        config: PipelineConfig | None = None,
        *,
        reconciler: Reconciler | None = None,
        preshared_key: bytes | None = None,
        tamper: Callable[[Message], Message] | None = None,
    ) -> None:
        if not isinstance(source, SourceConfig):
            raise ConfigError(
                "Pipeline needs the link's SourceConfig (for instance LinkConfig.source), got "
                f"{type(source).__name__}"
            )
        if config is not None and not isinstance(config, PipelineConfig):
            raise ConfigError(f"config must be a PipelineConfig, got {type(config).__name__}")
        if source.num_intensities != 3:
            raise ConfigError(
                "the pipeline's finite-key bound (Lim et al. 2014) needs three intensities "
                f"(signal, weak decoy, vacuum); this source has {source.num_intensities}"
            )
        self.source = source
        self.config = config or PipelineConfig()
        self.reconciler = reconciler or reconciler_by_name(self.config.reconciler)
        key = secrets.token_bytes(8192) if preshared_key is None else preshared_key
        self._pools = (KeyPool(key), KeyPool(key))
        self._tamper = tamper

    @property
    def authentication_key_bits(self) -> tuple[int, int]:
        """Unused authentication key bits in Alice's and Bob's pools."""
        return self._pools[0].available_bits, self._pools[1].available_bits

    def process(
        self,
        detections: Detections | Sequence[Detections],
        *,
        seed: int | np.random.Generator | None = None,
    ) -> KeyBlock:
        """Distil one key block from the detections of one block of pulses.

        Args:
            detections: The block's detection records.
            seed: Source of every random choice (samples, shuffles, hash seeds).

        Returns:
            The key block.

        Raises:
            ProtocolAbortError: with ``reason`` qber-above-threshold, no-secret-key,
                reconciliation-failed, verification-failed, authentication-failed,
                authentication-key-exhausted or key-length-not-positive.
        """
        cfg, rng, times = self.config, generator(seed), {}
        pools = self._pools
        before = pools[0].consumed_bits
        channel = ClassicalChannel(
            (WegmanCarterAuthenticator(pools[0]), WegmanCarterAuthenticator(pools[1])),
            tamper=self._tamper,
        )
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            times[name] = now - clock
            clock = now

        sifted = sift(detections, channel)
        lap("sifting")
        rest, estimate = estimate_parameters(
            sifted, channel, rng, sample_fraction=cfg.sample_fraction, confidence=cfg.confidence
        )
        qber = estimate.key_qber.qber
        if qber > cfg.qber_threshold:
            raise _abort(
                f"sampled QBER {qber:.4f} is above the threshold {cfg.qber_threshold}: "
                "too noisy or an eavesdropper; round aborted",
                AbortReason.QBER_ABOVE_THRESHOLD,
            )
        finite = lim_key_length(
            self.source.mean_photon_numbers, self.source.intensity_probabilities,
            estimate.key_detections, (0, 0, 0), estimate.test_detections, estimate.test_errors,
            error_correction_efficiency=0.0, epsilon_sec=cfg.epsilon_sec,
            epsilon_cor=cfg.epsilon_cor,
        )  # fmt: skip
        if finite.aborted:
            raise _abort(
                "the decoy bounds certify no single-photon key (phase error bound "
                f"{finite.phase_error_upper:.3f}); round aborted",
                AbortReason.NO_SECRET_KEY,
            )
        lap("estimation")
        result = self.reconciler.reconcile(rest.alice_key, rest.bob_key, qber, channel, seed=rng)
        if not result.success:
            raise _abort("error correction gave up", AbortReason.RECONCILIATION_FAILED)
        lap("reconciliation")
        verdict = verify_keys(
            rest.alice_key, result.bob_key, channel, rng, epsilon_cor=cfg.epsilon_cor
        )
        if not verdict.accepted:
            raise _abort(
                "verification hashes differ: the keys were not reconciled; round aborted",
                AbortReason.VERIFICATION_FAILED,
            )
        lap("verification")
        leakage = Leakage(result.leaked_bits, verdict.tag_bits, estimate.key_qber.sample_bits)
        if leakage.total_bits != channel.leaked_bits:
            raise SimulationError(
                f"leakage mismatch: stages declared {leakage.total_bits} bits, the channel "
                f"carried {channel.leaked_bits}"
            )
        phi = finite.phase_error_upper
        raw_length = (
            finite.vacuum_events_lower
            + finite.single_photon_events_lower * (1.0 - binary_entropy(phi))
            - leakage.total_bits
            - 6.0 * math.log2(21.0 / cfg.epsilon_sec)
        )
        secret_bits = 8 * max(0, math.floor(raw_length) // 8)
        refill_bytes = (pools[0].consumed_bits - before) // 8 + TAG_BYTES  # + the PA message
        if secret_bits <= 8 * refill_bytes:
            raise _abort(
                f"only {max(secret_bits, 0)} secret bits after paying {leakage.total_bits} "
                f"leaked bits, fewer than the {8 * refill_bytes} authentication bits spent; "
                "send more pulses per block",
                AbortReason.KEY_LENGTH_NOT_POSITIVE,
            )
        alice_out, bob_out = amplify_privacy(
            rest.alice_key, result.bob_key, secret_bits, channel, rng,
            backend=cfg.fft_backend, planning=cfg.fft_planning,
        )  # fmt: skip
        if (pools[0].consumed_bits - before) // 8 != refill_bytes:  # pragma: no cover
            raise SimulationError("authentication key use differs from the refill")
        for pool in pools:
            pool.add(alice_out[:refill_bytes])
        lap("privacy_amplification")
        key_id = str(uuid.UUID(bytes=rng.bytes(16), version=4))
        return KeyBlock(
            key_id=key_id,
            key=alice_out[refill_bytes:],
            bob_key=bob_out[refill_bytes:],
            num_pulses=sifted.num_pulses,
            sifted_bits=sifted.key_bits,
            reconciled_bits=rest.key_bits,
            secret_bits=secret_bits,
            authentication_bits=8 * refill_bytes,
            qber=qber,
            qber_upper=estimate.key_qber.upper,
            corrected_qber=result.errors_corrected / max(rest.key_bits, 1),
            method=result.method,
            efficiency=result.efficiency,
            leakage=leakage,
            epsilon=EpsilonBudget(cfg.epsilon_sec, verdict.epsilon_cor, channel.forgery_bound),
            estimate=estimate,
            finite=finite,
            timings_s=times,
        )
