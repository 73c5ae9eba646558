"""Subcommands of the ``collider`` CLI: one module each, each with ``register(subparsers)``.

``register`` adds an ``argparse`` subparser and sets ``handler=`` to a function taking the
parsed ``args`` and returning an exit code.
"""
