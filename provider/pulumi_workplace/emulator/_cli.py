"""The `pulumi-workplace emulator` command."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from pydantic import ValidationError

from pulumi_workplace.emulator.config import EmulatorConfig
from pulumi_workplace.emulator.journal import JournalError
from pulumi_workplace.emulator.profiles import PROFILES
from pulumi_workplace.emulator.server import EmulatorServer

TOKEN_ENV = "WORKPLACE_EMULATOR_TOKEN"  # noqa: S105 - the name of a variable, not a secret


def _methods(text: str) -> frozenset[str]:
    return frozenset(part.strip().upper() for part in text.split(",") if part.strip())


def add_parser(subparsers: Any) -> None:
    """Add the `emulator` sub-command to the `pulumi-workplace` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="run a local Workplace SCIM emulator",
        description="Serve a Workplace-like SCIM 2.0 API on a loopback port until SIGINT or "
        "SIGTERM; --profile makes it Meta Work Accounts or a plain RFC 7643/7644 host. Give "
        f"the access token in ${TOKEN_ENV} (a --token value is visible in ps).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="profiles:\n"
        + "\n".join(
            textwrap.fill(
                profile.summary, 78, initial_indent=f"  {name}: ", subsequent_indent="    "
            )
            for name, profile in PROFILES.items()
        ),
    )
    add = parser.add_argument
    add(
        "--profile",
        choices=list(PROFILES),
        default="workplace",
        help="kind of host to emulate (default workplace); it sets the defaults of "
        "--manager-shape, --[no-]discovery and --[no-]reject-v1-urns",
    )
    add(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="loopback address to listen on (default 127.0.0.1)",
    )
    add(
        "--port",
        type=int,
        metavar="PORT",
        default=0,
        help="port to listen on; 0 picks a free one (default)",
    )
    add("--token", metavar="TOKEN", help=f"access token clients must send (prefer ${TOKEN_ENV})")
    add("--data", type=Path, metavar="FILE", help="data file; without it state is in memory only")
    add("--seed", type=int, metavar="N", default=0, help="seed of the fault generator")
    add(
        "--error-rate",
        type=float,
        metavar="RATE",
        default=0.0,
        help="share of requests answered 500/503",
    )
    add(
        "--throttle-rate",
        type=float,
        metavar="RATE",
        default=0.0,
        help="share of requests answered 429",
    )
    add(
        "--retry-after",
        type=float,
        metavar="SECONDS",
        default=1.0,
        help="Retry-After of 429 answers, seconds",
    )
    add(
        "--drop-rate",
        type=float,
        metavar="RATE",
        default=0.0,
        help="share of connections closed unanswered",
    )
    add(
        "--lost-response-rate",
        type=float,
        metavar="RATE",
        default=0.0,
        help="share of requests processed whose response is then lost",
    )
    add(
        "--latency-ms", type=int, metavar="MS", default=0, help="delay added to every SCIM response"
    )
    add(
        "--visibility-delay-ms",
        type=int,
        metavar="MS",
        default=0,
        help="delay before searches see new users",
    )
    add(
        "--fault-methods",
        type=_methods,
        metavar="METHODS",
        help="comma-separated methods faults apply to",
    )
    add("--put-semantics", choices=["replace", "merge"], default="replace")
    add(
        "--manager-shape",
        choices=["both", "managerId", "value"],
        help="manager shapes accepted (default: the profile's; workplace: both)",
    )
    add(
        "--conflict-status",
        type=int,
        metavar="STATUS",
        default=409,
        help="status of a userName conflict",
    )
    add(
        "--delete-claimed-status",
        type=int,
        metavar="STATUS",
        default=400,
        help="status of DELETE on a claimed user",
    )
    add("--delete-status", type=int, choices=[200, 204], default=204)
    add("--create-status", type=int, choices=[200, 201], default=201)
    add(
        "--reject-v1-urns",
        action=argparse.BooleanOptionalAction,
        help="refuse SCIM 1.0 extension URNs (default: the profile's; workplace: translate them)",
    )
    add("--patch-simple-only", action="store_true", help="refuse PATCH add/remove/filter paths")
    add(
        "--discovery",
        action=argparse.BooleanOptionalAction,
        help="serve the discovery endpoints; --no-discovery answers 404 on them "
        "(default: the profile's; work-accounts: off)",
    )
    add("--read-only", action="store_true", help="refuse every write with 403")
    add("--permission-denied", action="store_true", help="answer 403 to every SCIM request")
    add("--error-format", choices=["scim", "graph", "text"], default="scim")
    add("--numeric-ids", action="store_true", help="emit user ids as JSON numbers")
    add("--default-page-size", type=int, default=100, metavar="N")
    add("--max-page-size", type=int, default=1000, metavar="N")
    parser.set_defaults(run=run)


def _config(args: argparse.Namespace, token: str) -> EmulatorConfig:
    # Left out when not given, so the profile's default applies.
    profile_defaulted = {
        name: value
        for name, value in (
            ("manager_shape", args.manager_shape),
            ("discovery", args.discovery),
            ("reject_v1_urns", args.reject_v1_urns),
        )
        if value is not None
    }
    return EmulatorConfig(
        token=token,
        profile=args.profile,
        **profile_defaulted,
        data_file=args.data,
        seed=args.seed,
        error_rate=args.error_rate,
        throttle_rate=args.throttle_rate,
        retry_after=args.retry_after,
        drop_rate=args.drop_rate,
        lost_response_rate=args.lost_response_rate,
        latency_ms=args.latency_ms,
        visibility_delay_ms=args.visibility_delay_ms,
        fault_methods=args.fault_methods,
        put_semantics=args.put_semantics,
        conflict_status=args.conflict_status,
        delete_claimed_status=args.delete_claimed_status,
        delete_status=args.delete_status,
        create_status=args.create_status,
        patch_simple_only=args.patch_simple_only,
        read_only=args.read_only,
        permission_denied=args.permission_denied,
        error_format=args.error_format,
        numeric_ids=args.numeric_ids,
        default_page_size=args.default_page_size,
        max_page_size=args.max_page_size,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM, then persist and return the exit code."""
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not token:
        print(f"emulator: give the access token in ${TOKEN_ENV} or --token", file=sys.stderr)
        return 2
    try:
        config = _config(args, token)
        server = EmulatorServer(config, host=args.host, port=args.port)
    except (ValidationError, ValueError) as error:
        print(f"emulator: invalid settings: {error}", file=sys.stderr)
        return 2

    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            server.start()
        except (RuntimeError, OSError, JournalError) as error:
            print(f"emulator: {error}", file=sys.stderr)
            return 1
        print(f"Workplace emulator listening on {server.url}", flush=True)
        # A timed wait lets the signal handler run promptly on every platform.
        while not stopping.wait(0.5):
            pass
        server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
