"""Architecture contract (DESIGN.md): arrows point down the room list, and the two pillars
(computing, communications) share only errors, report and cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ORDER = [
    "errors", "circuit", "sim", "testing", "device", "qkd", "network", "kms",
    "bench", "apps", "report", "cli",
]  # fmt: skip
COMPUTING = {"circuit", "sim", "testing", "device", "bench", "apps"}
COMMUNICATIONS = {"qkd", "network", "kms"}
SRC = Path(__file__).resolve().parents[1] / "src" / "kvant"


def room_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "kvant" or len(parts) < 2:
        return None
    return parts[1]


def imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


MODULES = sorted(p for p in SRC.rglob("*.py") if p.parent != SRC)


def test_every_room_is_known() -> None:
    rooms = {p.relative_to(SRC).parts[0] for p in MODULES}
    rooms |= {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"}
    assert rooms <= set(ORDER), f"rooms not in DESIGN.md's order: {rooms - set(ORDER)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    room = path.relative_to(SRC).parts[0]
    rank = ORDER.index(room)
    for module, line in imports(path):
        target = room_of(module)
        if target is None or target == room:
            continue
        assert target in ORDER, f"{path}:{line} imports unknown room {module}"
        assert ORDER.index(target) < rank, f"{path}:{line}: {room} may not import {module}"
        crosses = (room in COMPUTING and target in COMMUNICATIONS) or (
            room in COMMUNICATIONS and target in COMPUTING
        )
        assert not crosses, f"{path}:{line}: pillars may not import each other ({module})"


def test_the_contract_catches_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from kvant.cli import app\nimport kvant.sim\n")
    targets = [room_of(m) for m, _ in imports(bad)]
    assert targets == ["cli", "sim"]
    assert ORDER.index("cli") > ORDER.index("circuit")
