"""``collider match-csv``: placeholder, implemented with the matching engine."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("match-csv", help="group people from a CSV file (offline)")
    parser.set_defaults(handler=lambda args: 1)
