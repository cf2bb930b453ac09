"""The counts format, its analysis into a datasheet, and the plain-data round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kvant.bench import (
    KINDS,
    Datasheet,
    ExperimentData,
    SuiteConfig,
    analyse_counts,
    counts_document,
    load_counts,
    measure_device,
    parse_counts,
)
from kvant.errors import AnalysisError, ConfigError, KvantIOError

DATA = Path(__file__).resolve().parents[1] / "data" / "bench"


def test_example_counts_file_covers_every_kind_and_analyses() -> None:
    device, records = load_counts(DATA / "lab_3q_counts.json")
    assert device.name == "lab-3q-example"
    assert {r.kind for r in records} == set(KINDS)
    sheet = analyse_counts(records, device, source="example")
    summary = sheet.summary()
    # the example was sampled from line-3 (T1 around the 200 us median of the preset)
    assert 150 < summary["t1_us"]["median"] < 260
    assert summary["t1_us"]["good"] == 3
    assert len(sheet.find("error_cz")) == 2
    assert Datasheet.from_dict(json.loads(json.dumps(sheet.to_dict()))) == sheet


def test_measured_and_reanalysed_counts_give_the_same_datasheet() -> None:
    config = SuiteConfig.reduced(
        qubits=(0, 1), couplers=((0, 1),), qv_widths=(2,), xeb_qubits=0, interleaved=False
    )
    sheet, records = measure_device("line-2", config)
    device, again = parse_counts(json.loads(json.dumps(counts_document(sheet.device, records))))
    reanalysed = analyse_counts(again, device, source=sheet.source, created=sheet.created)
    assert [m.to_dict() for m in reanalysed.metrics] == [m.to_dict() for m in sheet.metrics]


def test_round_trips() -> None:
    config = SuiteConfig.reduced(qubits=(1, 2), qv_widths=None, qv_max_width=3)
    assert SuiteConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    record = ExperimentData("readout", (4,), {"counts_prep0": {"0": 9}, "counts_prep1": {"1": 9}})
    assert ExperimentData.from_dict(record.to_dict()) == record


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"schema": "other"}, "schema"),
        ({"schema": "kvant.bench.counts/1", "experiments": []}, "non-empty"),
        (
            {"schema": "kvant.bench.counts/1", "experiments": [{"kind": "t3", "qubits": [0]}]},
            "unknown",
        ),
        ({"schema": "kvant.bench.counts/1", "experiments": [{"kind": "t1"}]}, "qubits"),
    ],
)
def test_malformed_counts_documents(document: dict[str, object], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        parse_counts(document)


def test_records_with_missing_or_bad_fields_name_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="missing 'delays_us'"):
        analyse_counts([ExperimentData("t1", (0,), {"counts": [{"1": 1}] * 5})])
    bad_rb = ExperimentData("rb_1q", (0,), {"lengths": [1, 2, 3, 4], "counts": "many"})
    with pytest.raises(AnalysisError, match="rb_1q"):
        analyse_counts([bad_rb])
    lonely = ExperimentData(
        "irb", (0, 1), {"lengths": [1, 2, 4, 8], "counts": [[{"00": 9, "01": 1}]] * 4}
    )
    with pytest.raises(AnalysisError, match="reference"):
        analyse_counts([lonely])
    with pytest.raises(KvantIOError):
        load_counts(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(AnalysisError, match="not JSON"):
        load_counts(tmp_path / "bad.json")
    with pytest.raises(ConfigError):
        SuiteConfig(rb_shots=0)
