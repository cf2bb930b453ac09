"""The coupling map of a device: qubits, couplers between them, and where to draw them."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError

__all__ = ["Topology"]

_PRESET_PATTERNS = (
    (re.compile(r"^kvant-50$"), "kvant-50"),
    (re.compile(r"^line-(\d+)$"), "line"),
    (re.compile(r"^grid-(\d+)x(\d+)$"), "grid"),
    (re.compile(r"^heavy-hex-(\d+)$"), "heavy-hex"),
)
_MAX_QUBITS = 100_000


@dataclass(frozen=True, eq=False)
class Topology:
    """Qubits ``0..num_qubits-1`` and undirected couplers between pairs of them.

    Attributes:
        name: A label (``"kvant-50"``, ``"grid-3x4"``...).
        num_qubits: Number of qubits.
        couplers: Coupled pairs ``(a, b)`` with ``a < b``, sorted, no repeats.
        positions: ``(x, y)`` of each qubit for drawing; a spectral layout if not given.

    Raises:
        ConfigError: For a coupler on an unknown qubit, a self-loop, or positions of the wrong
            length.

    >>> t = Topology.from_name("grid-2x3")
    >>> t.num_qubits, t.couplers
    (6, ((0, 1), (0, 3), (1, 2), (1, 4), (2, 5), (3, 4), (4, 5)))
    >>> t.distance(0, 5), t.shortest_path(0, 5)
    (3, (0, 1, 2, 5))
    """

    name: str
    num_qubits: int
    couplers: tuple[tuple[int, int], ...]
    positions: tuple[tuple[float, float], ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = self.num_qubits
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= _MAX_QUBITS:
            raise ConfigError(f"num_qubits must be an integer in 1..{_MAX_QUBITS}, got {n!r}")
        pairs: set[tuple[int, int]] = set()
        for index, pair in enumerate(self.couplers):
            try:
                a, b = (int(q) for q in pair)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"couplers[{index}] must be a pair of qubits, got {pair!r}"
                ) from None
            if a == b or not (0 <= a < n and 0 <= b < n):
                raise ConfigError(
                    f"couplers[{index}] = {[a, b]} must join two different qubits in 0..{n - 1}"
                )
            pairs.add((min(a, b), max(a, b)))
        object.__setattr__(self, "num_qubits", int(n))
        object.__setattr__(self, "couplers", tuple(sorted(pairs)))
        if self.positions:
            if len(self.positions) != n:
                raise ConfigError(f"positions has {len(self.positions)} entries, need {n}")
            coords = tuple((float(x), float(y)) for x, y in self.positions)
            object.__setattr__(self, "positions", coords)
        else:
            object.__setattr__(self, "positions", _spectral_layout(n, self.couplers))

    # presets --------------------------------------------------------------------------------
    @classmethod
    def line(cls, num_qubits: int) -> Topology:
        """Qubits on a line, each coupled to the next.

        >>> Topology.line(3).couplers
        ((0, 1), (1, 2))
        """
        n = _positive("line length", num_qubits)
        return cls(
            f"line-{n}",
            n,
            tuple((q, q + 1) for q in range(n - 1)),
            tuple((q, 0.0) for q in range(n)),
        )

    @classmethod
    def grid(cls, rows: int, cols: int, *, name: str | None = None) -> Topology:
        """A ``rows x cols`` square lattice, qubit ``r * cols + c`` at row r, column c.

        >>> Topology.grid(2, 2).couplers
        ((0, 1), (0, 2), (1, 3), (2, 3))
        """
        r_count, c_count = _positive("rows", rows), _positive("cols", cols)
        couplers = []
        for r in range(r_count):
            for c in range(c_count):
                q = r * c_count + c
                if c + 1 < c_count:
                    couplers.append((q, q + 1))
                if r + 1 < r_count:
                    couplers.append((q, q + c_count))
        positions = tuple((float(c), -float(r)) for r in range(r_count) for c in range(c_count))
        return cls(
            name or f"grid-{r_count}x{c_count}", r_count * c_count, tuple(couplers), positions
        )

    @classmethod
    def heavy_hex(cls, distance: int) -> Topology:
        """IBM's heavy-hex lattice of odd code distance ``d``: ``(5d^2 - 2d - 1) / 2`` qubits.

        ``d`` rows of ``2d - 1`` qubits (data and flag qubits alternating along each row) and
        ``(d + 1) / 2`` bridge qubits between consecutive rows, the construction of Chamberland
        et al., "Topological and subsystem codes on low-degree graphs with flag qubits",
        PRX 10, 011022 (2020), Fig. 2; isomorphic to Qiskit's ``CouplingMap.from_heavy_hex(d)``.
        Degree at most 3.

        >>> t = Topology.heavy_hex(3)
        >>> t.num_qubits, len(t.couplers)
        (19, 20)
        """
        d = _positive("heavy-hex distance", distance)
        if d < 3 or d % 2 == 0:
            raise ConfigError(f"heavy-hex distance must be odd and >= 3, got {d}")
        width = 2 * d - 1
        positions: list[tuple[float, float]] = []
        rows: list[list[int]] = []
        bridges: list[list[tuple[int, int]]] = []  # (column, qubit) between row r and r + 1
        for r in range(d):
            rows.append(list(range(len(positions), len(positions) + width)))
            positions.extend((float(col), -2.0 * r) for col in range(width))
            if r < d - 1:
                cols = [0, *range(3, width, 4)] if r % 2 == 0 else [*range(1, width, 4), width - 1]
                bridges.append([(col, len(positions) + i) for i, col in enumerate(cols)])
                positions.extend((float(col), -2.0 * r - 1.0) for col in cols)
        couplers = [(row[c], row[c + 1]) for row in rows for c in range(width - 1)]
        for r, gap in enumerate(bridges):
            for col, qubit in gap:
                couplers += [(rows[r][col], qubit), (qubit, rows[r + 1][col])]
        return cls(f"heavy-hex-{d}", len(positions), tuple(couplers), tuple(positions))

    @classmethod
    def from_name(cls, name: str) -> Topology:
        """A preset by name: ``kvant-50`` (5 x 10 grid), ``line-N``, ``grid-RxC``,
        ``heavy-hex-D`` (D the odd code distance).

        Raises:
            ConfigError: For an unknown name.

        >>> Topology.from_name("kvant-50").num_qubits
        50
        """
        for pattern, kind in _PRESET_PATTERNS:
            match = pattern.match(str(name).strip().lower())
            if match is None:
                continue
            if kind == "kvant-50":
                return cls.grid(5, 10, name="kvant-50")
            numbers = [int(g) for g in match.groups()]
            if kind == "line":
                return cls.line(numbers[0])
            if kind == "grid":
                return cls.grid(numbers[0], numbers[1])
            return cls.heavy_hex(numbers[0])
        raise ConfigError(
            f"unknown topology {name!r}; use kvant-50, line-N, grid-RxC or heavy-hex-D (odd D)"
        )

    # graph queries --------------------------------------------------------------------------
    def neighbours(self, qubit: int) -> tuple[int, ...]:
        """Qubits coupled to ``qubit``, sorted."""
        return self._adjacency()[self._check_qubit(qubit)]

    def are_coupled(self, a: int, b: int) -> bool:
        """True if a coupler joins ``a`` and ``b``."""
        return self._check_qubit(b) in self._adjacency()[self._check_qubit(a)]

    def degree(self, qubit: int) -> int:
        """Number of couplers at ``qubit``."""
        return len(self.neighbours(qubit))

    def distances(self) -> NDArray[np.int64]:
        """All-pairs hop counts (breadth-first search from each qubit); -1 if unreachable."""
        if "distances" not in self._cache:
            n = self.num_qubits
            adjacency = self._adjacency()
            out = np.full((n, n), -1, dtype=np.int64)
            for source in range(n):
                out[source, source] = 0
                queue = deque([source])
                while queue:
                    q = queue.popleft()
                    for nb in adjacency[q]:
                        if out[source, nb] < 0:
                            out[source, nb] = out[source, q] + 1
                            queue.append(nb)
            out.flags.writeable = False
            self._cache["distances"] = out
        return self._cache["distances"]  # type: ignore[no-any-return]

    def distance(self, a: int, b: int) -> int:
        """Hops between ``a`` and ``b`` (-1 if not connected)."""
        return int(self.distances()[self._check_qubit(a), self._check_qubit(b)])

    def shortest_path(self, a: int, b: int) -> tuple[int, ...]:
        """A shortest path from ``a`` to ``b`` (both included), lowest-numbered hops first.

        Raises:
            ConfigError: If the qubits are not connected.
        """
        dist = self.distances()
        a, b = self._check_qubit(a), self._check_qubit(b)
        if dist[a, b] < 0:
            raise ConfigError(f"qubits {a} and {b} are not connected on {self.name}")
        path = [a]
        while path[-1] != b:
            here = path[-1]
            path.append(
                next(nb for nb in self._adjacency()[here] if dist[nb, b] == dist[here, b] - 1)
            )
        return tuple(path)

    @property
    def is_connected(self) -> bool:
        """True if every qubit can reach every other."""
        return bool(np.all(self.distances()[0] >= 0))

    def subgraph_is_connected(self, qubits: Iterable[int]) -> bool:
        """True if ``qubits`` induce a connected subgraph."""
        chosen = set(qubits)
        if not chosen:
            return True
        start = next(iter(chosen))
        seen = {start}
        queue = deque([start])
        while queue:
            for nb in self._adjacency()[queue.popleft()]:
                if nb in chosen and nb not in seen:
                    seen.add(nb)
                    queue.append(nb)
        return seen == chosen

    def _adjacency(self) -> tuple[tuple[int, ...], ...]:
        if "adjacency" not in self._cache:
            lists: list[list[int]] = [[] for _ in range(self.num_qubits)]
            for a, b in self.couplers:
                lists[a].append(b)
                lists[b].append(a)
            self._cache["adjacency"] = tuple(tuple(sorted(x)) for x in lists)
        return self._cache["adjacency"]  # type: ignore[no-any-return]

    def _check_qubit(self, qubit: int) -> int:
        if (
            isinstance(qubit, bool)
            or not isinstance(qubit, int | np.integer)
            or not 0 <= qubit < self.num_qubits
        ):
            raise ConfigError(
                f"qubit {qubit!r} is not on {self.name} (qubits 0..{self.num_qubits - 1})"
            )
        return int(qubit)

    # plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data.

        >>> t = Topology.line(3)
        >>> Topology.from_dict(t.to_dict()) == t
        True
        """
        return {
            "name": self.name,
            "num_qubits": self.num_qubits,
            "couplers": [list(p) for p in self.couplers],
            "positions": [list(p) for p in self.positions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Topology:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ConfigError: If a field is missing or malformed.
        """
        try:
            return cls(
                str(data["name"]),
                int(data["num_qubits"]),
                tuple((int(a), int(b)) for a, b in data["couplers"]),
                tuple((float(x), float(y)) for x, y in data.get("positions", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"cannot read a Topology from this data: {exc!r}") from exc

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Topology):
            return NotImplemented
        return (self.name, self.num_qubits, self.couplers, self.positions) == (
            other.name,
            other.num_qubits,
            other.couplers,
            other.positions,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Topology(name={self.name!r}, num_qubits={self.num_qubits}, "
            f"couplers={len(self.couplers)})"
        )


def _positive(label: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{label} must be a positive integer, got {value!r}")
    return int(value)


def _spectral_layout(
    num_qubits: int, couplers: Sequence[tuple[int, int]]
) -> tuple[tuple[float, float], ...]:
    """Positions from the two lowest non-trivial eigenvectors of the graph Laplacian
    (Hall, Management Science 17, 219, 1970), for drawing maps that came without positions."""
    if num_qubits == 1:
        return ((0.0, 0.0),)
    laplacian = np.zeros((num_qubits, num_qubits))
    for a, b in couplers:
        laplacian[a, b] = laplacian[b, a] = -1.0
        laplacian[a, a] += 1.0
        laplacian[b, b] += 1.0
    _, vectors = np.linalg.eigh(laplacian + 1e-9 * np.eye(num_qubits))
    coords = vectors[:, 1:3] if num_qubits > 2 else np.c_[vectors[:, -1], np.zeros(num_qubits)]
    scale = np.ptp(coords, axis=0)
    scale[scale == 0] = 1.0
    coords = (coords - coords.min(axis=0)) / scale * max(2.0, np.sqrt(num_qubits))
    return tuple((round(float(x), 6), round(float(y), 6)) for x, y in coords)
