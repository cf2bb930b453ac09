"""Configuration types: validation messages and to_dict/from_dict round trips."""

from __future__ import annotations

import json

import pytest

from kvant.errors import ConfigError, KvantError
from kvant.qkd import (
    DetectorConfig,
    FibreConfig,
    InterceptResend,
    LinkConfig,
    PhotonNumberSplitting,
    SourceConfig,
    attack_from_dict,
    protocol_source,
)
from kvant.qkd.keyrate import ChannelModel

SOURCE = SourceConfig((0.5, 0.1, 0.0), (0.8, 0.1, 0.1), 0.9)


@pytest.mark.parametrize(
    "value",
    [
        SOURCE,
        FibreConfig(12.5, 0.17, 1.5),
        DetectorConfig.ingaas_apd(),
        LinkConfig(SOURCE, FibreConfig(80.0), DetectorConfig.snspd(), 0.02, 2.5e9),
        ChannelModel.gys(),
    ],
    ids=lambda v: type(v).__name__,
)
def test_round_trip_through_json(value: object) -> None:
    data = json.loads(json.dumps(value.to_dict()))  # type: ignore[attr-defined]
    assert type(value).from_dict(data) == value  # type: ignore[attr-defined]


@pytest.mark.parametrize("attack", [InterceptResend(0.3), PhotonNumberSplitting(0.2, 0.9)])
def test_attack_round_trip(attack: InterceptResend | PhotonNumberSplitting) -> None:
    assert attack_from_dict(json.loads(json.dumps(attack.to_dict()))) == attack


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: FibreConfig(-1.0), "distance_km must be >= 0"),
        (lambda: SourceConfig((0.5, 0.1), (0.5, 0.6)), "must sum to 1"),
        (lambda: SourceConfig((0.1, 0.5), (0.5, 0.5)), "decrease strictly"),
        (lambda: SourceConfig((0.5, 0.5), (0.5, 0.5)), "decrease strictly"),
        (lambda: SourceConfig((0.5, 0.1), (1.0,)), "one probability per intensity"),
        (lambda: DetectorConfig(efficiency=1.2), r"in \[0, 1\]"),
        (lambda: DetectorConfig(dark_count_probability=-1e-6), r"in \[0, 1\]"),
        (lambda: DetectorConfig(dead_time_ns=-5), "dead_time_ns"),
        (lambda: LinkConfig(SOURCE, FibreConfig(1), misalignment_error=0.7), "relabel"),
        (lambda: LinkConfig(SOURCE, FibreConfig(1), clock_hz=0), "clock_hz"),
        (lambda: InterceptResend(1.5), "intercept fraction"),
        (lambda: ChannelModel(detector_efficiency=2.0), "detector_efficiency"),
        (lambda: protocol_source("b92"), "unknown protocol"),
    ],
)
def test_bad_parameters_raise_clear_errors(build: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        build()  # type: ignore[operator]
    assert isinstance(info.value, KvantError)
    assert isinstance(info.value, ValueError)


def test_dead_time_in_gates_rounds_up() -> None:
    link = LinkConfig(SOURCE, FibreConfig(0), DetectorConfig(dead_time_ns=10.5), clock_hz=1e9)
    assert link.dead_time_gates == 11


def test_transmittance_is_ten_to_minus_loss_over_ten() -> None:
    fibre = FibreConfig(100.0, 0.2, 3.0)
    assert fibre.loss_db == pytest.approx(23.0)
    assert fibre.transmittance == pytest.approx(10**-2.3)
