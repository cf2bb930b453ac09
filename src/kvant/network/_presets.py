"""Built-in scenarios: the Moscow - St Petersburg backbone and a seeded regional mesh.

``moscow-spb`` follows the Oktyabrskaya main line (REFERENCES.md: Russian Railways' quantum
network, about 700 km, trusted nodes no more than 70-80 km apart). Trusted nodes sit at the
towns of the line named there (Moscow, Klin, Tver, Likhoslavl, Vyshny Volochyok, Bologoye,
Okulovka, Malaya Vishera, Chudovo, Tosno, St Petersburg); where a hop would exceed 80 km of
fibre a node is added at an intermediate station of the line: Solnechnogorsk (Moscow-Klin),
Zavidovo (Klin-Tver), Spirovo (Likhoslavl-Vyshny Volochyok) and Burga (Okulovka-Malaya
Vishera). Coordinates are those of the towns or stations (public gazetteers: Wikipedia /
OpenStreetMap, to about 0.01 degree; Zavidovo is the Novozavidovsky station settlement, placed
from its stated 49 km south-east of Tver). Fibre km = great-circle km x :data:`RAIL_ROUTE_FACTOR`
(1.10): the cable follows the track, which is itself about 3% longer than the great circle
between towns, plus slack and detours into stations; with it the line is about 700 km, the
reported length. Every link carries the ``apd`` system (decoy BB84, 1 GHz, InGaAs APDs).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from kvant.errors import ConfigError
from kvant.network._scenario import Demand, Scenario
from kvant.network._systems import QkdSystem
from kvant.network._topology import Link, Node, Topology, great_circle_km

__all__ = ["PRESETS", "RAIL_ROUTE_FACTOR", "moscow_spb", "preset_scenario", "regional_mesh"]

RAIL_ROUTE_FACTOR = 1.10
"""Fibre km per great-circle km along the railway (documented above)."""
MESH_ROUTE_FACTOR = 1.20
"""Fibre km per great-circle km in the regional mesh (roads and ducts wander more)."""
MAX_HOP_KM = 80.0

_LINE: tuple[tuple[str, float, float], ...] = (
    ("Moscow", 55.7767, 37.6553),  # Leningradsky station
    ("Solnechnogorsk", 56.1833, 36.9833),
    ("Klin", 56.3450, 36.7000),
    ("Zavidovo", 56.5500, 36.4500),
    ("Tver", 56.8350, 35.8940),
    ("Likhoslavl", 57.1222, 35.4667),
    ("Spirovo", 57.4208, 34.9917),
    ("Vyshny Volochyok", 57.5833, 34.5667),
    ("Bologoye", 57.8833, 34.0500),
    ("Okulovka", 58.3728, 33.2989),
    ("Burga", 58.7272, 32.4658),
    ("Malaya Vishera", 58.8500, 32.2167),
    ("Chudovo", 59.1167, 31.6667),
    ("Tosno", 59.5500, 30.8833),
    ("St Petersburg", 59.9300, 30.3625),  # Moskovsky station
)


def moscow_spb(system: QkdSystem | None = None) -> Scenario:
    """The Moscow - St Petersburg backbone: 15 trusted nodes, 14 hops, about 700 km.

    Demands: Moscow -> St Petersburg 12 kbit/s, Moscow -> Tver 20 kbit/s and
    Tver -> St Petersburg 6 kbit/s (the two long ones together exceed the Bologoye - Okulovka
    bottleneck of about 16.7 kbit/s, so some demand is blocked).

    Args:
        system: The QKD system on every link (default: the ``apd`` preset).

    Returns:
        The scenario (no faults).

    >>> net = moscow_spb().topology
    >>> net.num_nodes, round(net.total_fibre_km()), max(x.fibre_km for x in net.links) <= 80
    (15, 698, True)
    """
    sys_ = system or QkdSystem.preset("apd")
    nodes = tuple(Node(name, "trusted", lat, lon) for name, lat, lon in _LINE)
    links = tuple(
        Link(
            a.name,
            b.name,
            round(
                great_circle_km(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg) * RAIL_ROUTE_FACTOR, 1
            ),
            system=sys_,
        )
        for a, b in itertools.pairwise(nodes)
    )
    demands = (
        Demand("Moscow", "St Petersburg", 12_000.0),
        Demand("Moscow", "Tver", 20_000.0),
        Demand("Tver", "St Petersburg", 6_000.0),
    )
    return Scenario(Topology("moscow-spb", nodes, links), demands)


def regional_mesh(
    num_nodes: int = 50,
    seed: int = 7,
    *,
    spacing_km: float = 35.0,
    centre_deg: tuple[float, float] = (56.0, 38.5),
    system: QkdSystem | None = None,
) -> Scenario:
    """A reproducible regional mesh: trusted nodes on a jittered grid, dual-homed user sites.

    ``num_nodes`` trusted nodes are placed row by row on a square grid of ``spacing_km``
    (each jittered by up to +-spacing/4 in both directions, from ``seed``) around
    ``centre_deg``; each is linked to its grid neighbours, and diagonals are added with
    probability 0.3 when their fibre is at most 80 km. ``max(4, num_nodes // 10)`` user sites
    are each attached to their two nearest trusted nodes by 5-15 km access links. Fibre km =
    great circle x :data:`MESH_ROUTE_FACTOR`. Demands pair user ``i`` with user
    ``i + users // 2`` at 20-80 kbit/s.

    Args:
        num_nodes: Trusted nodes (>= 4).
        seed: Seed of the jitter, diagonals, user placement and demand rates.
        spacing_km: Grid spacing (10-50 km, so every grid link stays within 80 km of fibre).
        centre_deg: (latitude, longitude) of the grid's centre.
        system: The QKD system on every link (default ``apd``).

    Returns:
        The scenario (no faults).

    Raises:
        ConfigError: for too few nodes or a spacing out of range.

    >>> mesh = regional_mesh(50, seed=7).topology
    >>> mesh.num_nodes, sum(n.kind == "user" for n in mesh.nodes)
    (55, 5)
    """
    if not isinstance(num_nodes, int) or num_nodes < 4:
        raise ConfigError(f"num_nodes must be an int >= 4, got {num_nodes!r}")
    if not 10.0 <= spacing_km <= 50.0:
        raise ConfigError(f"spacing_km must be in [10, 50], got {spacing_km}")
    rng = np.random.default_rng(seed)
    sys_ = system or QkdSystem.preset("apd")
    cols = math.ceil(math.sqrt(num_nodes))
    rows = math.ceil(num_nodes / cols)
    idx = np.arange(num_nodes)
    r, c = idx // cols, idx % cols
    jitter = rng.uniform(-spacing_km / 4, spacing_km / 4, size=(num_nodes, 2))
    y_km = (r - (rows - 1) / 2) * spacing_km + jitter[:, 0]
    x_km = (c - (cols - 1) / 2) * spacing_km + jitter[:, 1]
    lat0, lon0 = centre_deg
    lat = lat0 + y_km / 111.195
    lon = lon0 + x_km / (111.195 * np.cos(np.radians(lat)))
    nodes = [
        Node(
            f"N{i:0{len(str(num_nodes))}d}",
            "trusted",
            round(float(lat[i]), 5),
            round(float(lon[i]), 5),
        )
        for i in range(num_nodes)
    ]

    def fibre(i: int, j: int, a: list[Node]) -> float:
        gc = great_circle_km(a[i].lat_deg, a[i].lon_deg, a[j].lat_deg, a[j].lon_deg)
        return round(gc * MESH_ROUTE_FACTOR, 2)

    links: list[Link] = []
    cell = {(int(r[i]), int(c[i])): i for i in range(num_nodes)}
    for (ri, ci), i in cell.items():
        for dr, dc, prob in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, 0.3), (1, -1, 0.3)):
            j = cell.get((ri + dr, ci + dc))
            draw = rng.random()
            if j is None or draw >= prob:
                continue
            km = fibre(i, j, nodes)
            if km <= MAX_HOP_KM:
                links.append(Link(nodes[i].name, nodes[j].name, km, system=sys_))
    num_users = max(4, num_nodes // 10)
    users_at = rng.choice(num_nodes, size=num_users, replace=False)
    trusted = np.array([[n.lat_deg, n.lon_deg] for n in nodes])
    for u, home in enumerate(users_at):
        bearing = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(5.0, 15.0) / MESH_ROUTE_FACTOR
        ulat = nodes[home].lat_deg + dist * math.cos(bearing) / 111.195
        ulon = nodes[home].lon_deg + dist * math.sin(bearing) / (
            111.195 * math.cos(math.radians(ulat))
        )
        user = Node(f"U{u:02d}", "user", round(ulat, 5), round(ulon, 5))
        d2 = (trusted[:, 0] - ulat) ** 2 + (
            (trusted[:, 1] - ulon) * math.cos(math.radians(ulat))
        ) ** 2
        for j in np.argsort(d2)[:2]:
            km = great_circle_km(ulat, ulon, nodes[j].lat_deg, nodes[j].lon_deg) * MESH_ROUTE_FACTOR
            links.append(Link(user.name, nodes[j].name, round(km, 2), system=sys_))
        nodes.append(user)
    users = [n.name for n in nodes if n.kind == "user"]
    rates = rng.uniform(20_000.0, 80_000.0, size=num_users)
    demands = tuple(
        Demand(users[i], users[(i + num_users // 2) % num_users], round(float(rates[i]), -1))
        for i in range(num_users)
    )
    name = f"regional-mesh-{num_nodes}"
    return Scenario(Topology(name, tuple(nodes), tuple(links)), demands)


PRESETS = ("moscow-spb", "regional-mesh")


def preset_scenario(name: str) -> Scenario:
    """A built-in scenario by name: ``moscow-spb``, ``regional-mesh`` (50 nodes, seed 7) or
    ``regional-mesh-N`` (N trusted nodes, seed 7).

    Raises:
        ConfigError: for an unknown name.

    >>> preset_scenario("regional-mesh-100").topology.num_nodes
    110
    """
    if name == "moscow-spb":
        return moscow_spb()
    if name == "regional-mesh":
        return regional_mesh()
    if name.startswith("regional-mesh-") and name.removeprefix("regional-mesh-").isdigit():
        return regional_mesh(int(name.removeprefix("regional-mesh-")))
    raise ConfigError(
        f"unknown scenario {name!r}; choose moscow-spb, regional-mesh, regional-mesh-N "
        "or give a scenario file"
    )
