"""Shared helpers of the benchmarks: where the data is, and how to read it."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    label: str
    lang: str


def data_files() -> list[Path]:
    files = sorted(DATA_DIR.glob("*.csv"))
    if not files:
        raise SystemExit(f"no data in {DATA_DIR}: the benchmarks expect ../shared/data")
    return files


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [Row(r["id"], r["text"], r["label"], r["lang"]) for r in csv.DictReader(handle)]
