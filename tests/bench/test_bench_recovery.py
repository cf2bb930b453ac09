"""On the emulator, the suite recovers what the noise model injects (a few qubits here; all 50
in benchmarks/datasheet.py)."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.bench import Datasheet, SuiteConfig, measure_device


@pytest.fixture(scope="module")
def sheet() -> Datasheet:
    config = SuiteConfig(
        qubits=(3, 11, 17, 26),
        couplers=((3, 13), (11, 12), (17, 27), (26, 27)),
        seed=11,
        qv_widths=(2,),
        xeb_qubits=0,
    )
    result, _ = measure_device("kvant-50", config)
    return result


def _relative(sheet: Datasheet, name: str) -> np.ndarray:
    return np.array([m / i - 1 for _, m, _, i in sheet.compare_injected(name)])


@pytest.mark.parametrize("name", ["t1_us", "t2_us", "t2_star_us"])
def test_coherence_times_within_5_percent(sheet: Datasheet, name: str) -> None:
    rel = _relative(sheet, name)
    assert rel.size == 4
    assert np.median(np.abs(rel)) < 0.05
    assert all(m.good for m in sheet.find(name))


def test_readout_errors_within_3_standard_errors(sheet: Datasheet) -> None:
    for name in ("p_meas1_prep0", "p_meas0_prep1", "readout_error"):
        for _, measured, stderr, injected in sheet.compare_injected(name):
            assert abs(measured - injected) < 3 * stderr, (name, measured, injected, stderr)


def test_rb_error_per_gate_within_10_percent_of_the_channel_infidelity(sheet: Datasheet) -> None:
    # injected: 1 - F_avg of the noise model's sx and cz channels (Nielsen 2002), not the
    # calibration file's numbers
    one = _relative(sheet, "epg_1q")
    two = _relative(sheet, "error_cz")
    assert one.size == 4
    assert two.size == 4
    assert np.all(np.abs(one) < 0.10), one
    assert np.all(np.abs(two) < 0.10), two
