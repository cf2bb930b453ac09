"""The whole post-processing: equal secret keys on both sides, every abort named."""

from __future__ import annotations

import dataclasses
import hmac

import numpy as np
import pytest
from numpy.typing import NDArray

from kvant.errors import AbortReason, ConfigError, ProtocolAbortError
from kvant.qkd import (
    CascadeReconciler,
    ClassicalChannel,
    Detections,
    FibreConfig,
    KeyBlock,
    LdpcReconciler,
    LinkConfig,
    Message,
    Pipeline,
    PipelineConfig,
    ReconciliationResult,
    SourceConfig,
    WegmanCarterAuthenticator,
    iter_detections,
    protocol_source,
)

from .conftest import BRIGHT_LINK


@pytest.mark.parametrize("method", ["cascade-improved", "cascade-original", "ldpc"])
def test_every_method_distils_equal_keys(method: str, bright_detections: list[Detections]) -> None:
    pipeline = Pipeline(BRIGHT_LINK.source, PipelineConfig(reconciler=method))
    block = pipeline.process(bright_detections, seed=5)
    assert hmac.compare_digest(block.key, block.bob_key)
    assert block.method == method
    assert block.key_bits > 10_000
    assert 0.008 < block.qber < 0.013
    assert block.qber_upper > block.qber
    assert block.corrected_qber == pytest.approx(0.0101, abs=0.001)
    assert block.leakage.total_bits == block.leakage.error_correction_bits + 64
    assert block.secret_bits == block.key_bits + block.authentication_bits
    assert block.epsilon.total < 2e-9
    assert set(block.timings_s) == {
        "sifting", "estimation", "reconciliation", "verification", "privacy_amplification"
    }  # fmt: skip


def test_key_block_round_trip_and_secret_free_repr(bright_detections: list[Detections]) -> None:
    block = Pipeline(BRIGHT_LINK.source).process(bright_detections, seed=1)
    assert KeyBlock.from_dict(block.to_dict()) == block
    assert block.key.hex() not in repr(block)
    assert PipelineConfig.from_dict(PipelineConfig().to_dict()) == PipelineConfig()


def test_the_authentication_key_is_replenished(bright_detections: list[Detections]) -> None:
    pipeline = Pipeline(BRIGHT_LINK.source, preshared_key=bytes(128))
    for seed in range(3):  # 1024 pre-shared bits last one round without the refill
        block = pipeline.process(bright_detections, seed=seed)
        assert 512 < block.authentication_bits < 1024
        assert pipeline.authentication_key_bits == (1024, 1024)


class _Broken:
    """A reconciler that claims success and leaves one error in Bob's key."""

    name = "broken"

    def reconcile(
        self, alice_key: NDArray[np.uint8], bob_key: NDArray[np.uint8], qber_estimate: float,
        channel: ClassicalChannel, *, seed: object = None,
    ) -> ReconciliationResult:  # fmt: skip
        good = CascadeReconciler().reconcile(alice_key, bob_key, qber_estimate, channel, seed=1)
        wrong = good.bob_key.copy()
        wrong[len(wrong) // 2] ^= 1
        return dataclasses.replace(good, bob_key=wrong)


def test_a_broken_reconciler_is_caught_by_verification(
    bright_detections: list[Detections],
) -> None:
    pipeline = Pipeline(BRIGHT_LINK.source, reconciler=_Broken())
    with pytest.raises(ProtocolAbortError) as info:
        pipeline.process(bright_detections, seed=2)
    assert info.value.reason is AbortReason.VERIFICATION_FAILED


def test_tampering_aborts_the_round(bright_detections: list[Detections]) -> None:
    def flip_a_parity(message: Message) -> Message:
        if message.kind != "cascade/parities":
            return message
        payload = bytearray(message.payload)
        payload[0] ^= 1
        return dataclasses.replace(message, payload=bytes(payload))

    pipeline = Pipeline(BRIGHT_LINK.source, tamper=flip_a_parity)
    with pytest.raises(ProtocolAbortError) as info:
        pipeline.process(bright_detections, seed=2)
    assert info.value.reason is AbortReason.AUTHENTICATION_FAILED


def test_an_exhausted_authentication_key_aborts(bright_detections: list[Detections]) -> None:
    with pytest.raises(ProtocolAbortError) as info:
        Pipeline(BRIGHT_LINK.source, preshared_key=bytes(24)).process(bright_detections)
    assert info.value.reason is AbortReason.AUTHENTICATION_KEY_EXHAUSTED


def test_high_qber_aborts(bright_detections: list[Detections]) -> None:
    pipeline = Pipeline(BRIGHT_LINK.source, PipelineConfig(qber_threshold=0.005))
    with pytest.raises(ProtocolAbortError) as info:
        pipeline.process(bright_detections, seed=2)
    assert info.value.reason is AbortReason.QBER_ABOVE_THRESHOLD


def test_too_few_pulses_certify_no_key() -> None:
    detections = list(iter_detections(BRIGHT_LINK, 200_000, seed=3))
    with pytest.raises(ProtocolAbortError) as info:
        Pipeline(BRIGHT_LINK.source).process(detections, seed=1)
    assert info.value.reason is AbortReason.NO_SECRET_KEY


class _Leaky:
    """Cascade followed by a disclosure of the whole key (declared and counted)."""

    name = "leaky"

    def reconcile(
        self, alice_key: NDArray[np.uint8], bob_key: NDArray[np.uint8], qber_estimate: float,
        channel: ClassicalChannel, *, seed: object = None,
    ) -> ReconciliationResult:  # fmt: skip
        good = CascadeReconciler().reconcile(alice_key, bob_key, qber_estimate, channel, seed=1)
        channel.send("alice", "leaky/key", np.packbits(alice_key).tobytes(),
                     leaked_bits=alice_key.size)  # fmt: skip
        return dataclasses.replace(good, leaked_bits=good.leaked_bits + alice_key.size)


def test_leakage_larger_than_the_bound_leaves_no_key(
    bright_detections: list[Detections],
) -> None:
    pipeline = Pipeline(BRIGHT_LINK.source, reconciler=_Leaky())
    with pytest.raises(ProtocolAbortError) as info:
        pipeline.process(bright_detections, seed=2)
    assert info.value.reason is AbortReason.KEY_LENGTH_NOT_POSITIVE


def test_bad_configuration() -> None:
    with pytest.raises(ConfigError):
        Pipeline(protocol_source("bb84"))
    with pytest.raises(ConfigError):
        PipelineConfig(reconciler="turbo")
    with pytest.raises(ConfigError):
        PipelineConfig(sample_fraction=0.0)
    with pytest.raises(ConfigError):
        PipelineConfig(epsilon_cor=1.0)
    assert Pipeline(SourceConfig((0.6, 0.2, 0.0), (0.8, 0.1, 0.1))).reconciler.name == (
        "cascade-improved"
    )


def test_pipeline_inputs_of_the_wrong_kind_get_a_clear_error() -> None:
    source = SourceConfig((0.5, 0.1, 0.0), (0.6, 0.2, 0.2))
    with pytest.raises(ConfigError, match="SourceConfig"):
        Pipeline("bb84")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="PipelineConfig"):
        Pipeline(source, {"reconciler": "ldpc"})  # type: ignore[arg-type]
    pipeline = Pipeline(source)
    bits = np.zeros(64, np.uint8)
    link = LinkConfig(source, FibreConfig(2.0))
    for seed in ("x", -1, 1.5, True):  # every stage that takes a seed says so, none crashes
        with pytest.raises(ConfigError, match="seed must be"):
            pipeline.process([], seed=seed)  # type: ignore[arg-type]
        for reconciler in (CascadeReconciler("improved"), LdpcReconciler(2048)):
            with pytest.raises(ConfigError, match="seed must be"):
                reconciler.reconcile(bits, bits, 0.02, ClassicalChannel(), seed=seed)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="seed must be"):
            next(iter_detections(link, 1000, seed=seed))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="KeyPool"):
        WegmanCarterAuthenticator(None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="payload is bytes"):
        ClassicalChannel().send("alice", "x", "text")  # type: ignore[arg-type]
    assert pipeline.authentication_key_bits == (8 * 8192, 8 * 8192)  # nothing was spent
