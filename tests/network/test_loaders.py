"""Scenario files: YAML, JSON and GeoJSON, schema version 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kvant.errors import KvantIOError, TopologyError
from kvant.network import (
    Demand,
    LinkCut,
    NodeOutage,
    QkdSystem,
    great_circle_km,
    load_scenario,
    moscow_spb,
    save_scenario,
    scenario_from_mapping,
    scenario_to_geojson,
)

YAML = """\
version: 1
name: metro
route_factor: 1.2
systems:
  fast:
    detector: {efficiency: 0.8, dark_count_probability: 1.0e-7,
               afterpulse_probability: 0.0, dead_time_ns: 20}
nodes:
  - {name: Hub, kind: trusted, lat_deg: 55.75, lon_deg: 37.62}
  - {name: Bank, kind: user, lat_deg: 55.80, lon_deg: 37.50}
  - {name: Lab, kind: user, lat_deg: 55.70, lon_deg: 37.70}
links:
  - {a: Hub, b: Bank, system: fast, pool_capacity_bits: 5e8}
  - {a: Hub, b: Lab, fibre_km: 12.5, loss_db: 4.0, systems: 2}
demands:
  - {a: Bank, b: Lab, rate_bps: 2.0e4}
faults:
  - {type: link-cut, link: Hub-Lab, start_s: 60, end_s: 120}
  - {type: node-outage, node: Hub, start_s: 300, purge_keys: true}
"""


def test_yaml_schema(tmp_path: Path) -> None:
    path = tmp_path / "metro.yaml"
    path.write_text(YAML)
    sc = load_scenario(path)
    net = sc.topology
    assert net.name == "metro"
    hub_bank = net.links[0]
    expected_km = great_circle_km(55.75, 37.62, 55.80, 37.50) * 1.2
    assert hub_bank.fibre_km == pytest.approx(expected_km)
    assert hub_bank.system.name == "fast"
    assert hub_bank.system.detector.dead_time_ns == 20
    assert hub_bank.pool_capacity_bits == 500_000_000
    hub_lab = net.links[1]
    assert hub_lab.insertion_loss_db == pytest.approx(4.0 - 0.2 * 12.5)
    assert hub_lab.systems == 2
    assert sc.demands == (Demand("Bank", "Lab", 2e4),)
    assert sc.faults == (LinkCut("Hub-Lab", 60.0, 120.0), NodeOutage("Hub", 300.0, None, True))


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".geojson"])
def test_round_trip_every_format(tmp_path: Path, suffix: str) -> None:
    sc = moscow_spb().with_faults([LinkCut("Tver-Likhoslavl", 10.0, 20.0)])
    custom = QkdSystem(name="custom", clock_hz=5e8)
    links = list(sc.topology.links)
    links[0] = type(links[0])(links[0].a, links[0].b, links[0].fibre_km, system=custom)
    sc = type(sc)(sc.topology.with_links(links), sc.demands, sc.faults)
    path = save_scenario(sc, tmp_path / f"net{suffix}")
    assert load_scenario(path) == sc


def test_geojson_line_length_and_members() -> None:
    data = scenario_to_geojson(moscow_spb())
    assert data["type"] == "FeatureCollection"
    assert data["kvant"]["version"] == 1
    points = [f for f in data["features"] if f["geometry"]["type"] == "Point"]
    assert len(points) == 15
    # a LineString without fibre_km takes its traced length (x route_factor, default 1)
    line = {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[37.0, 55.0], [37.0, 55.5], [37.0, 56.0]],
        },
        "properties": {"a": "A", "b": "B"},
    }
    nodes = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [37.0, 55.0 + i]},
            "properties": {"name": n},
        }
        for i, n in enumerate("AB")
    ]
    sc = scenario_from_mapping(
        {"type": "FeatureCollection", "features": [*nodes, line], "kvant": {"version": 1}}
    )
    assert sc.topology.links[0].fibre_km == pytest.approx(111.195, abs=1e-3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"nodes": []}, "'version' must be 1"),
        ({"version": 2, "nodes": []}, "'version' must be 1"),
        ([1, 2], "must be a mapping"),
        (
            {
                "version": 1,
                "nodes": [{"name": "A", "lat_deg": 0, "lon_deg": 0}],
                "links": [{"a": "A", "b": "B"}],
            },
            r"links\[0\]: no fibre_km",
        ),
        (
            {
                "version": 1,
                "nodes": [
                    {"name": "A", "lat_deg": 0, "lon_deg": 0},
                    {"name": "B", "lat_deg": 0, "lon_deg": 1},
                ],
                "links": [{"a": "A", "b": "B", "fibre_km": 10, "system": "warp"}],
            },
            "unknown QKD",
        ),
        (
            {
                "version": 1,
                "nodes": [{"name": "A", "lat_deg": 0, "lon_deg": 0}],
                "demands": [{"a": "A", "b": "Q", "rate_bps": 1}],
            },
            r"demands\[0\]",
        ),
        (
            {
                "version": 1,
                "nodes": [{"name": "A", "lat_deg": 0, "lon_deg": 0}],
                "faults": [{"type": "flood", "start_s": 0}],
            },
            "unknown fault type",
        ),
        (
            {
                "version": 1,
                "nodes": [{"name": "A", "lat_deg": 0, "lon_deg": 0}],
                "faults": [{"type": "link-cut", "link": "A-B", "start_s": 0}],
            },
            "no link named",
        ),
        (
            {
                "version": 1,
                "nodes": [
                    {"name": "A", "lat_deg": 0, "lon_deg": 0},
                    {"name": "B", "lat_deg": 0, "lon_deg": 1},
                ],
                "links": [{"a": "A", "b": "B", "fibre_km": 50, "loss_db": 1.0}],
            },
            "below the fibre",
        ),
    ],
)
def test_schema_errors_name_the_entry(data: object, message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        scenario_from_mapping(data)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(KvantIOError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(TopologyError, match="not valid JSON"):
        load_scenario(bad)
    (tmp_path / "x.txt").write_text("version: 1")
    with pytest.raises(TopologyError, match="unknown file type"):
        load_scenario(tmp_path / "x.txt")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("version: [1\n")
    with pytest.raises(TopologyError, match="not valid YAML"):
        load_scenario(bad_yaml)


def test_saved_json_has_the_version(tmp_path: Path) -> None:
    path = save_scenario(moscow_spb(), tmp_path / "m.json")
    assert json.loads(path.read_text())["version"] == 1


def test_scenario_demand_and_fault_round_trips() -> None:
    sc = moscow_spb().with_faults(
        [LinkCut("Tver-Likhoslavl", 5.0), NodeOutage("Tver", 1.0, 2.0, purge_keys=True)]
    )
    assert type(sc).from_dict(sc.to_dict()) == sc
    demand = Demand("Moscow", "Tver", 1e3, 10.0, 20.0)
    assert Demand.from_dict(demand.to_dict()) == demand
    with pytest.raises(TopologyError, match="unknown site"):
        sc.with_demands([Demand("Moscow", "Paris", 1.0)])
