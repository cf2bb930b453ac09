"""Read and write network scenarios: YAML, JSON and GeoJSON (schema version 1).

YAML/JSON (``.yaml``, ``.yml``, ``.json``)::

    version: 1                      # required: the schema version
    name: my-network
    route_factor: 1.1               # optional: fibre km = great-circle km x this, for links
                                    # that give no fibre_km (default 1.1)
    systems:                        # optional: named QKD systems (fields of QkdSystem)
      fast: {detector: {efficiency: 0.8, dark_count_probability: 1e-7,
                        afterpulse_probability: 0, dead_time_ns: 20}}
    nodes:
      - {name: Moscow, kind: trusted, lat_deg: 55.7767, lon_deg: 37.6553}
      - {name: Bank, kind: user, lat_deg: 55.75, lon_deg: 37.62}
    links:
      - a: Moscow                   # ends (node names)
        b: Bank
        fibre_km: 6.0               # optional: else great-circle x route_factor
        attenuation_db_per_km: 0.2  # optional (0.2)
        insertion_loss_db: 1.0      # optional (0); or loss_db: total loss in dB
        system: apd                 # optional: a preset, a name under systems, or a mapping
        systems: 1                  # optional: parallel QKD systems on the link
        pool_capacity_bits: 1e9     # optional
    demands:                        # optional
      - {a: Bank, b: Moscow, rate_bps: 1e4, start_s: 0, end_s: null}
    faults:                         # optional
      - {type: link-cut, link: Moscow-Bank, start_s: 3600, end_s: 7200}
      - {type: node-outage, node: Moscow, start_s: 0, end_s: 60, purge_keys: false}

GeoJSON (``.geojson``): a FeatureCollection whose Point features are nodes (``properties``:
``name``, ``kind``) and whose LineString features are links (``properties`` as a link above,
without ``a``/``b`` coordinates: ``a`` and ``b`` name the nodes; with no ``fibre_km`` the length
is the LineString's great-circle length x ``route_factor``, default 1.0 since the geometry
traces the cable). The other top-level keys (``version``, ``name``, ``systems``, ``demands``,
``faults``) sit in a ``"kvant"`` member of the collection.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from kvant.errors import KvantIOError, TopologyError
from kvant.network._scenario import Scenario
from kvant.network._systems import QkdSystem
from kvant.network._topology import great_circle_km

__all__ = [
    "SCHEMA_VERSION",
    "load_scenario",
    "save_scenario",
    "scenario_from_mapping",
    "scenario_to_geojson",
]

SCHEMA_VERSION = 1
DEFAULT_ROUTE_FACTOR = 1.1


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KvantIOError(f"cannot read {path}: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        if suffix in (".json", ".geojson"):
            return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TopologyError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except Exception as exc:  # yaml.YAMLError without importing yaml at module level
        raise TopologyError(f"{path}: not valid YAML ({exc})") from None
    raise TopologyError(f"{path}: unknown file type {suffix!r}; use .yaml, .json or .geojson")


def _systems(raw: Any) -> dict[str, QkdSystem]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TopologyError("'systems' must be a mapping of name -> QKD system", "systems")
    out = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict):
            raise TopologyError("must be a mapping of QkdSystem fields", f"systems.{name}")
        try:
            out[str(name)] = QkdSystem.from_dict({"name": str(name), **spec})
        except (TypeError, ValueError) as exc:
            raise TopologyError(str(exc), f"systems.{name}") from None
    return out


def _fill_links(data: dict[str, Any], route_factor: float) -> list[dict[str, Any]]:
    """Give every link a fibre_km (great circle x route factor) and an insertion loss."""
    coords: dict[str, tuple[float, float]] = {}
    for node in data.get("nodes") or []:
        if isinstance(node, dict) and "name" in node:
            lat, lon = node.get("lat_deg"), node.get("lon_deg")
            if isinstance(lat, int | float) and isinstance(lon, int | float):
                coords[str(node["name"])] = (float(lat), float(lon))
    links = []
    for i, raw in enumerate(data.get("links") or []):
        if not isinstance(raw, dict):
            raise TopologyError("must be a mapping", f"links[{i}]")
        link = dict(raw)
        if "fibre_km" not in link:
            end_a, end_b = (coords.get(str(link.get(k))) for k in ("a", "b"))
            if end_a is None or end_b is None:
                raise TopologyError("no fibre_km and no coordinates for both ends", f"links[{i}]")
            (lat1, lon1), (lat2, lon2) = end_a, end_b
            factor = float(link.pop("route_factor", route_factor))
            link["fibre_km"] = great_circle_km(lat1, lon1, lat2, lon2) * factor
        link.pop("route_factor", None)
        if "loss_db" in link:
            fixed = float(link.pop("loss_db")) - float(
                link.get("attenuation_db_per_km", 0.2)
            ) * float(link["fibre_km"])
            if fixed < -1e-9:
                raise TopologyError("loss_db is below the fibre's own loss", f"links[{i}]")
            link["insertion_loss_db"] = max(fixed, 0.0)
        for key in ("pool_capacity_bits", "systems"):
            if key in link:
                link[key] = int(float(link[key]))
        links.append(link)
    return links


def scenario_from_mapping(data: Any, *, source: str = "scenario") -> Scenario:
    """Build a scenario from the parsed YAML/JSON mapping (schema version 1).

    Args:
        data: The mapping.
        source: Where it came from (for messages).

    Returns:
        The validated scenario.

    Raises:
        TopologyError: for a wrong version or any invalid entry (the message names it).

    >>> s = scenario_from_mapping({"version": 1, "nodes": [
    ...     {"name": "A", "lat_deg": 55.0, "lon_deg": 37.0},
    ...     {"name": "B", "lat_deg": 55.5, "lon_deg": 37.0}], "links": [{"a": "A", "b": "B"}]})
    >>> round(s.topology.links[0].fibre_km, 1)  # 55.6 km great circle x 1.1
    61.2
    """
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        data = _from_geojson(data)
    if not isinstance(data, dict):
        raise TopologyError(f"{source}: the top level must be a mapping")
    version = data.get("version")
    if version != SCHEMA_VERSION:
        raise TopologyError(
            f"{source}: 'version' must be {SCHEMA_VERSION} (the schema this Kvant reads), "
            f"got {version!r}"
        )
    route_factor = float(data.get("route_factor", DEFAULT_ROUTE_FACTOR))
    if not route_factor >= 1.0:
        raise TopologyError(f"{source}: route_factor must be >= 1, got {route_factor}")
    body = {**data, "links": _fill_links(data, route_factor)}
    return Scenario.from_dict(body, _systems(data.get("systems")))


def _from_geojson(collection: dict[str, Any]) -> dict[str, Any]:
    meta = collection.get("kvant") or {}
    if not isinstance(meta, dict):
        raise TopologyError("GeoJSON: the 'kvant' member must be a mapping")
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for i, feature in enumerate(collection.get("features") or []):
        geometry = (feature or {}).get("geometry") or {}
        props = dict((feature or {}).get("properties") or {})
        kind, coords = geometry.get("type"), geometry.get("coordinates")
        if not isinstance(coords, list):
            raise TopologyError("geometry without coordinates", f"features[{i}]")
        if kind == "Point":
            lon, lat = coords[:2]
            nodes.append(
                {
                    "name": props.get("name"),
                    "kind": props.get("kind", "trusted"),
                    "lat_deg": lat,
                    "lon_deg": lon,
                }
            )
        elif kind == "LineString":
            if "fibre_km" not in props:
                factor = float(props.pop("route_factor", 1.0))
                props["fibre_km"] = factor * sum(
                    great_circle_km(p[1], p[0], q[1], q[0]) for p, q in itertools.pairwise(coords)
                )
            links.append(props)
        else:
            raise TopologyError(f"geometry {kind!r} is not a Point or LineString", f"features[{i}]")
    return {**meta, "nodes": nodes, "links": links}


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario (topology, demands, faults) from YAML, JSON or GeoJSON.

    Args:
        path: The file (``.yaml``/``.yml``, ``.json`` or ``.geojson``).

    Returns:
        The scenario.

    Raises:
        KvantIOError: if the file cannot be read.
        TopologyError: if it does not follow the schema (the message names the entry).
    """
    path = Path(path)
    return scenario_from_mapping(_read(path), source=str(path))


def scenario_to_geojson(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a GeoJSON FeatureCollection (readable by :func:`load_scenario`)."""
    net = scenario.topology
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [n.lon_deg, n.lat_deg]},
            "properties": {"name": n.name, "kind": n.kind},
        }
        for n in net.nodes
    ]
    for link in net.links:
        a, b = net.nodes[net.node_index(link.a)], net.nodes[net.node_index(link.b)]
        line = [[a.lon_deg, a.lat_deg], [b.lon_deg, b.lat_deg]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": link.to_dict(),
            }
        )
    meta = {
        "version": SCHEMA_VERSION,
        "name": net.name,
        "demands": [d.to_dict() for d in scenario.demands],
        "faults": [f.to_dict() for f in scenario.faults],
    }
    return {"type": "FeatureCollection", "features": features, "kvant": meta}


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario as YAML, JSON or GeoJSON (by the file's suffix).

    Raises:
        KvantIOError: if the file cannot be written.
        TopologyError: for an unknown suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".geojson":
        text = json.dumps(scenario_to_geojson(scenario), indent=1)
    elif suffix in (".json", ".yaml", ".yml"):
        data = {"version": SCHEMA_VERSION, **scenario.to_dict()}
        if suffix == ".json":
            text = json.dumps(data, indent=1)
        else:
            import yaml

            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        raise TopologyError(f"{path}: unknown file type {suffix!r}; use .yaml, .json or .geojson")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise KvantIOError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
