"""No function is over 80 lines (decorators and docstring included): a longer one holds more
than one idea, and a reader loses its thread. Alembic migrations are exempt: a create-table
is long because the table is."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("bot", "handlers", "services", "models", "scheduler", "matching", "i18n")
MAX_LINES = 80


def long_functions(root: Path = ROOT, limit: int = MAX_LINES) -> list[str]:
    """``path:line name (N lines)`` for every function or method longer than ``limit``."""
    found = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > limit:
                    name = path.relative_to(root).as_posix()
                    found.append(f"{name}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_function_is_over_80_lines() -> None:
    assert long_functions() == []


def test_the_walk_finds_long_functions() -> None:
    # Else the test above would pass on a walk that reads nothing: at 20 lines some are found.
    assert long_functions(limit=20)
