"""Imports run one way: bot/ -> handlers/ -> services/ -> models/ and matching/.

An AST walk rather than ruff's banned-api alone: it tolerates ``if TYPE_CHECKING:`` imports (no
run-time edge), resolves relative imports, and sees imports inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLACK = {"slack_bolt", "slack_sdk"}
NEVER: dict[str, set[str]] = {
    "handlers": {"bot"},
    "services": {"bot", "handlers", *SLACK},
    "models": {"bot", "handlers", "services", "scheduler", "matching"},
    "matching": {"bot", "handlers", "services", "models", "scheduler", "sqlalchemy", *SLACK},
}


def _typing_only(tree: ast.AST) -> set[int]:
    """Ids of nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside |= {id(child) for statement in node.body for child in ast.walk(statement)}
    return inside


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports at run time, relative imports made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(root).parent.parts
    skip = _typing_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            found.add(".".join([*base, *([node.module] if node.module else [])]))
    return found


def violations(root: Path = ROOT) -> set[tuple[str, str]]:
    found = set()
    for folder, banned in NEVER.items():
        for path in sorted((root / folder).rglob("*.py")):
            for module in imported_modules(path, root):
                if module.split(".")[0] in banned:
                    found.add((path.relative_to(root).as_posix(), module))
    return found


def test_no_module_imports_against_the_direction() -> None:
    assert sorted(violations()) == []
