"""The `pulumi-workplace` command: emulator, test-connection, report, urn, shards, discover."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pulumi_workplace._version import __version__


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pulumi-workplace",
        description="Tools for the pulumi-workplace provider.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    from pulumi_workplace.emulator import _cli as emulator_cli

    emulator_cli.add_parser(commands)

    from pulumi_workplace.operations import _connection_cli, _report_cli

    _connection_cli.add_parser(commands)
    _report_cli.add_parser(commands)

    from pulumi_workplace import _discover_cli, _shards_cli, _urn_cli

    _urn_cli.add_parser(commands)
    _shards_cli.add_parser(commands)
    _discover_cli.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pulumi-workplace` console script."""
    args = _build_parser().parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
