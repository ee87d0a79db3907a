"""The package's shape: no import cycles, no private names across modules, short modules, each saying what it is."""

from __future__ import annotations

import ast

import pytest

from conftest import ROOT

PACKAGE = ROOT / "auditor"
MAX_LINES = 400


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


MODULES = _modules()


def _imports(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
    """Every import of the module, wherever it is, except those only for the type checker."""
    checker_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
                    for node in ast.walk(block)}
    return [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in checker_only]


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in MODULES]
    if not node.module or not node.module.startswith("auditor"):
        return []
    return [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module for alias in node.names]


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_another_that_imports_it_back():
    # The package's own __init__ imports lazily (its names resolve on first use): not an edge.
    edges = {name: {t for node in _imports(tree) for t in _targets(node) if t != name and t != "auditor"} for name, tree in MODULES.items()}
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_a_private_name_of_another():
    private = [f"{name}: {node.module}.{alias.name}" for name, tree in MODULES.items() for node in _imports(tree)
               if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("auditor")
               for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert private == []


def test_names_are_imported_from_the_module_that_defines_them():
    # A package's __init__ may gather names for users; modules import from the defining module.
    def defined(tree: ast.Module) -> set[str]:
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name))
        return names

    definitions = {name: defined(tree) for name, tree in MODULES.items()}
    packages = {name for name in MODULES if (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()}
    relayed = [f"{name}: {node.module}.{alias.name}" for name, tree in MODULES.items() for node in _imports(tree)
               if isinstance(node, ast.ImportFrom) and node.module in MODULES and node.module not in packages
               for alias in node.names if f"{node.module}.{alias.name}" not in MODULES and alias.name not in definitions[node.module]]
    assert relayed == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_is_short_and_says_what_it_is(name):
    path = PACKAGE.parent / (name.replace(".", "/") + ("/__init__.py" if (PACKAGE.parent / name.replace(".", "/")).is_dir() else ".py"))
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name}: {lines} lines"
    assert ast.get_docstring(MODULES[name]), f"{name} has no docstring"
