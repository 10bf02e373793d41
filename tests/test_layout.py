"""The layout the README's table promises: one name per part of the cycle in every layer, and
services that build on each other without a circle."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVALUATIONS = ROOT / "evaluations"


def _imports(path: Path, package: str) -> set[str]:
    """The modules of ``package`` that ``path`` imports, at any depth of the file (an import
    inside a function is still a dependency)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:  # from .x import …
                found.add(node.module.split(".")[0])
            elif node.level == 1:  # from . import x
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith(package + "."):
                found.add(node.module[len(package) + 1:].split(".")[0])
    return found


def test_services_import_no_circle():
    services = {p.stem: p for p in (EVALUATIONS / "services").glob("*.py")
                if p.stem != "__init__"}
    graph = {name: _imports(path, "evaluations.services") & services.keys()
             for name, path in services.items()}

    def cycle_from(start: str, node: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                return (*seen, nxt)
            if nxt not in seen:
                found = cycle_from(start, nxt, (*seen, nxt))
                if found:
                    return found
        return None

    circles = [c for name in sorted(graph) if (c := cycle_from(name, name, (name,)))]
    assert circles == []


@pytest.mark.parametrize("part", ["self_evaluation", "preliminary", "findings"])
def test_each_stage_has_a_module_in_every_layer(part):
    layers = sorted(p.parent.name for p in EVALUATIONS.glob(f"*/{part}.py"))
    expected = {"self_evaluation": ["demo", "exporters", "forms", "models", "selectors",
                                    "services", "templatetags", "views"],
                "preliminary": ["demo", "exporters", "forms", "models", "selectors", "services",
                                "views"],
                "findings": ["forms", "models", "selectors", "services", "views"]}[part]
    assert layers == expected


def test_evaluations_root_holds_only_the_app_modules():
    assert sorted(p.name for p in EVALUATIONS.glob("*.py")) == [
        "__init__.py", "apps.py", "audit.py", "completeness.py", "enums.py",
        "indicator_template.py", "rules.py", "tasks.py", "uploadlimits.py", "urls.py"]
