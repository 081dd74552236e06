"""The package's imports follow the one-way flow of STYLE.md: no circle, nothing imports upward.

The graph is read from the source with ``ast`` (every ``import`` and ``from … import``, also
inside functions and ``if TYPE_CHECKING:``), so a lazy import cannot hide a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "woonplanner"

#: The flow, bottom to top: a module may import only from its own layer's package or below.
#: Within a layer, modules import nothing of one another (a package's own modules excepted).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_blas",),  # one BLAS thread, set before numpy loads (imports nothing of woonplanner)
    ("outcome", "schema", "fingerprint", "privacy"),  # words and rules everything shares
    ("errors",),  # each error carries its outcome
    ("parallel",),  # Dask: the batch work's tasks on local workers or a cluster
    ("scenario",),  # the validated scenario
    ("data",),  # one adapter per source, and the run-folder reader
    ("region", "travel", "demand"),  # tidy tables of one region
    ("problem",),  # the solver-neutral instance
    ("service",),  # spare places for a service level (data of the problem)
    ("youthcare",),  # the rules → Problem
    ("model",),  # the formulation and the solve
    ("plan", "orlib", "diagnosis"),  # results of a solve: tables, benchmarks, why no plan
    ("outputs",),  # files, maps, pages (never the solver)
    ("runner",),  # one run end to end
    ("batch", "sweep", "simulate"),  # many runs, many demand draws
    ("serve",),  # the workbench (runs the command line as processes)
    ("cli", "__init__"),  # the user's entry points
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """The ``woonplanner`` modules ``path`` imports (packages resolved to their modules)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = name.split(".")
                is_package = path.name == "__init__.py"
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            # "from woonplanner.outputs import maps" imports the module outputs.maps.
            found |= {f"{module}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] == "woonplanner"}


def import_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports (only modules that exist)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _imports(path, name) if m in files and m != name}
        for name, path in files.items()
    }


def _layer(module: str) -> int:
    parts = module.split(".")[1:] or ["__init__"]
    for level, names in enumerate(LAYERS):
        if parts[0] in names:
            return level
    msg = f"{module}: in no layer of LAYERS; add it where it belongs in the flow"
    raise AssertionError(msg)


def _unit(module: str) -> str:
    """The layer member a module belongs to: ``outputs`` for ``woonplanner.outputs.maps``."""
    parts = module.split(".")[1:] or ["__init__"]
    return parts[0]


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle, each once (depth-first search, a path back to a visited module)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Each import of a module above, or of another member of the same layer."""
    found = []
    for module, imported in sorted(graph.items()):
        for other in sorted(imported):
            if other == "woonplanner":
                continue
            if _layer(other) > _layer(module) or (
                _layer(other) == _layer(module) and _unit(other) != _unit(module)
            ):
                found.append(f"{module} imports {other}")
    return found


def test_every_module_has_a_layer() -> None:
    for module in import_graph():
        _layer(module)


def test_no_import_circle() -> None:
    assert find_cycles(import_graph()) == []


def test_no_module_imports_one_above_it() -> None:
    assert upward_imports(import_graph()) == []


def test_the_checks_catch_a_circle_and_an_upward_import() -> None:
    graph = {
        "woonplanner.plan": {"woonplanner.outputs.maps"},
        "woonplanner.outputs.maps": {"woonplanner.plan"},
    }
    assert find_cycles(graph) == [
        ["woonplanner.outputs.maps", "woonplanner.plan", "woonplanner.outputs.maps"]
    ]
    assert upward_imports(graph) == ["woonplanner.plan imports woonplanner.outputs.maps"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from woonplanner.outputs import maps",
            {"woonplanner.outputs", "woonplanner.outputs.maps"},
        ),
        ("def f():\n    import woonplanner.plan", {"woonplanner.plan"}),
        ("import numpy", set()),
    ],
)
def test_imports_are_read_also_inside_functions(
    source: str, expected: set[str], tmp_path: Path
) -> None:
    path = tmp_path / "x.py"
    path.write_text(source, encoding="utf-8")
    assert _imports(path, "woonplanner.x") == expected
