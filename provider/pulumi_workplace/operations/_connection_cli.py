"""The `pulumi-workplace test-connection` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pulumi_workplace.operations.connection_check import (
    EXIT_SETTINGS,
    StackConfig,
    check_connection,
    load_stack_config,
    render_outcome,
)
from pulumi_workplace.settings import SettingsError


def add_parser(subparsers: Any) -> None:
    """Add the `test-connection` sub-command to the `pulumi-workplace` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "test-connection",
        help="check the tenant URL, token and permission",
        description="Read the connection settings as the provider does (stack config, else "
        "WORKPLACE_TENANT_URL / WORKPLACE_TOKEN), call the SCIM API once and say what is "
        "wrong. The token is read from the stack file or WORKPLACE_TOKEN only: a token on the "
        "command line would be visible in ps. Exit codes: 0 ok, 1 unexpected answer, "
        "2 settings, 3 token rejected, 4 permission missing, 5 network, 6 TLS.",
    )
    parser.add_argument(
        "--stack-config",
        type=Path,
        metavar="FILE",
        help="a Pulumi.<stack>.yaml file to read workplace:* settings from",
    )
    parser.add_argument(
        "--tenant-url",
        metavar="URL",
        help="SCIM base URL, overriding workplace:tenantUrl / WORKPLACE_TENANT_URL",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the connection, print the verdict and return its exit code."""
    config = StackConfig()
    if args.stack_config is not None:
        try:
            config = load_stack_config(args.stack_config)
        except SettingsError as error:
            print(f"test-connection: {error}", file=sys.stderr)
            return EXIT_SETTINGS
    outcome = check_connection(config, tenant_url=args.tenant_url)
    stream = sys.stdout if outcome.ok else sys.stderr
    stream.write(render_outcome(outcome))
    return outcome.exit_code
