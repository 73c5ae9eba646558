"""``collider console``: placeholder until the console lands."""

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    subparsers.add_parser("console", help="try the bot in the terminal")
