"""The house: no import cycle in notifier/ or adapters/, counting every import statement.

The graph is built from the source with `ast`, so imports inside functions and under
`TYPE_CHECKING` count as much as the ones at the top: a cycle hidden behind a lazy import is
still a cycle a newcomer has to untangle.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Collection, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("notifier", "adapters")
MAX_LOOSE_MODULES = 8
MAX_MODULE_LINES = 450

Graph = dict[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def imported_names(path: Path, name: str, modules: Collection[str]) -> Iterator[str]:
    """Every module an import statement in `path` names, relative imports resolved:
    `from a import b` names `a.b` when that is a module, else `a` (b is a name in it)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, name, is_package)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if full in modules else base


def _absolute(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = name.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    return ".".join(parts[:keep] + ([node.module] if node.module else []))


def import_graph() -> Graph:
    files = {module_name(path): path for path in source_files()}
    graph: Graph = {name: set() for name in files}
    for name, path in files.items():
        for target in imported_names(path, name, files):
            if target in files and target != name:
                graph[name].add(target)
    return graph


def reachable(graph: Graph, start: str) -> set[str]:
    """Every module `start` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def cycles(graph: Graph) -> list[list[str]]:
    """The groups of modules that import each other, directly or around a loop."""
    reach = {node: reachable(graph, node) for node in graph}
    groups = {
        tuple(sorted(m for m in reach[node] if node in reach[m]))
        for node in graph
        if node in reach[node]
    }
    return sorted(list(group) for group in groups)


def test_the_graph_sees_lazy_and_type_only_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("def f():\n    from pkg import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import f\n"
    )
    modules = {"pkg", "pkg.a", "pkg.b"}
    graph = {
        "pkg.a": set(imported_names(package / "a.py", "pkg.a", modules)),
        "pkg.b": set(imported_names(package / "b.py", "pkg.b", modules)) - {"typing"},
    }
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_no_import_cycle_in_notifier_or_adapters() -> None:
    graph = import_graph()
    assert len(graph) > 60, "the graph should cover every module"
    assert cycles(graph) == []


def test_the_ground_is_small() -> None:
    loose = sorted(p.name for p in (ROOT / "notifier").glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= MAX_LOOSE_MODULES, loose


def test_no_module_is_long() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in source_files()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts over a copy of the source at `tree`."""
    environment = os.environ | {"PYTHONPATH": str(tree)}
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    return subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True)


def copy_of_the_source(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_and_break_when_a_decision_reaches_for_the_database(
    tmp_path: Path,
) -> None:
    tree = copy_of_the_source(tmp_path)
    kept = lint_imports(tree)
    assert kept.returncode == 0, kept.stdout[-2000:]
    retry = tree / "notifier" / "decide" / "retry.py"
    retry.write_text(retry.read_text() + "\nfrom notifier.store import db  # noqa\n")
    broken = lint_imports(tree)
    assert broken.returncode == 1
    assert "decide is pure: no database, broker, HTTP, provider or upper layer BROKEN" in (
        broken.stdout
    )
    assert "notifier.decide.retry -> notifier.store.db" in broken.stdout
