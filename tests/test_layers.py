"""The layers of ../shared/DESIGN.md, read from the imports of app/ (issue 22).

Features meet through hooks: a lower layer never imports a higher one, the features
search and the directory index never import them, the core imports no feature, and
nothing but the plug-in machinery imports an in-tree plug-in. A late import (inside a
function) is allowed only with a comment saying why, on its line or the line above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# package -> packages it must never import (directly, at any depth of the module).
FORBIDDEN: dict[str, set[str]] = {
    "accounts": {"forums", "qa", "search", "directory", "network", "referrals", "moderation", "chat"},
    "forums": {"qa", "search", "directory"},
    "qa": {"search", "directory"},
    "chat": {"search", "directory"},
    "moderation": {"search", "directory"},
    "notifications": {"search", "directory"},
    "referrals": {"search", "directory"},  # indexed through search_document_changed
    "plugins": {"search", "directory"},  # the same hooks, for every plug-in
}
FEATURES = {
    "accounts", "forums", "qa", "search", "directory", "network", "referrals", "chat",
    "moderation", "notifications", "uploads", "admin", "api", "jobs",
}  # fmt: skip


def _modules() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if "__pycache__" not in p.parts)


def _package(path: Path) -> str:
    parts = path.relative_to(APP).parts
    return parts[0] if len(parts) > 1 else path.stem


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name == "app" or name.startswith("app.")]


def _target(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_layer_imports_a_layer_above_it() -> None:
    wrong = []
    for path in _modules():
        banned = FORBIDDEN.get(_package(path), set())
        for line, module in _imports(path):
            if _target(module) in banned:
                wrong.append(f"{path.relative_to(APP.parent)}:{line} imports {module}")
    assert wrong == []


def test_core_imports_no_feature() -> None:
    wrong = [
        f"{path.relative_to(APP.parent)}:{line} imports {module}"
        for path in _modules()
        if _package(path) == "core"
        for line, module in _imports(path)
        if _target(module) in FEATURES
    ]
    assert wrong == []


def test_only_the_plugin_machinery_imports_an_in_tree_plugin() -> None:
    plugins = {p.name for p in (APP / "plugins").iterdir() if (p / "__init__.py").exists()}
    wrong = []
    for path in _modules():
        if _package(path) == "plugins":
            continue
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[:2] == ["app", "plugins"] and len(parts) > 2 and parts[2] in plugins:
                wrong.append(f"{path.relative_to(APP.parent)}:{line} imports {module}")
    assert wrong == []


def _late_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines: set[int] = set()
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    lines.add(node.lineno)
    return sorted(lines)


@pytest.mark.parametrize("path", [p for p in _modules() if p != APP / "__init__.py"], ids=str)
def test_every_late_import_says_why(path: Path) -> None:
    """``app/__init__.py`` is wiring (create_app imports every feature on purpose)."""
    source = path.read_text(encoding="utf-8").splitlines()
    silent = []
    for line in _late_imports(path):
        here = source[line - 1]
        # One comment may head a run of consecutive late imports.
        above = line - 2
        while above >= 0 and source[above].strip().startswith(("from ", "import ")):
            above -= 1
        if "#" not in here and not (above >= 0 and source[above].strip().startswith("#")):
            silent.append(f"{line}: {here.strip()}")
    assert silent == []
