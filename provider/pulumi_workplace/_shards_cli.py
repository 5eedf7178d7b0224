"""`pulumi-workplace shards`: how many shards the tenant needs, and the CI matrix of their stacks.

Run in the Pulumi project folder. The directory, the assignments, the scope and
`workplace:shard` come from one stack's config (`--stack`, read with `pulumi config --json`;
secrets are not read), so the people counted are exactly those the stacks would manage.

    pulumi-workplace shards --stack prod-0                      # a table and the matrix
    pulumi-workplace shards --stack prod-0 --format matrix      # {"include": [...]} for CI
    pulumi-workplace shards --stack prod-0 --changed --format matrix

`--changed` keeps only the shards whose desired state differs from the one their stack last
applied: each stack exports a digest after a complete run (`<name>.desiredDigest`), and this
command computes every shard's digest from the directory and config alone. A stack never run,
one whose last run failed, or one still waiting for a manager's account in another shard
counts as changed. Drift made in the tenant is not seen here: a scheduled run of every shard
catches it.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from concurrent import futures
from pathlib import Path
from typing import Any

from pulumi_workplace._stack_cli import CommandError, scope_inputs, stack_config, stack_outputs
from pulumi_workplace.directory import InputError
from pulumi_workplace.planning import ShardOverview, shard_overview
from pulumi_workplace.program import load_directory
from pulumi_workplace.resources.provisioning import digest_output_name
from pulumi_workplace.settings import (
    SettingsError,
    WorkplaceSettings,
    desired_state_fingerprint,
    load_settings,
)
from pulumi_workplace.sharding import ShardSpec

DEFAULT_MAX_PER_STACK = 10_000
"""About what one stack carries with a no-op preview under a minute on a 2-core runner."""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "shards",
        help="how many shards the tenant needs, and the CI matrix of their stacks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stack", required=True, help="a stack of the project (its config)")
    parser.add_argument("--project-dir", default=".", help="folder holding Pulumi.yaml")
    parser.add_argument(
        "--max-per-stack",
        type=int,
        default=DEFAULT_MAX_PER_STACK,
        metavar="N",
        help=f"people one stack may carry (default {DEFAULT_MAX_PER_STACK})",
    )
    parser.add_argument(
        "--stack-name",
        metavar="PATTERN",
        help="the shards' stack names with {index}, e.g. prod-{index} (default: from --stack)",
    )
    parser.add_argument(
        "--changed",
        action="store_true",
        help="only shards whose desired state differs from what their stack last applied",
    )
    parser.add_argument(
        "--format", choices=("text", "json", "matrix"), default="text", help="output format"
    )
    parser.set_defaults(run=_run)


def stack_digest(folder: Path, stack: str, component: str) -> str | None:
    """The desired-state digest a stack exported after its last complete run, or None."""
    outputs = stack_outputs(folder, stack)
    value = (outputs or {}).get(digest_output_name(component))
    return value if isinstance(value, str) else None


def stack_pattern(stack: str, spec: ShardSpec, given: str | None) -> str:
    """The shards' stack names, `{index}` standing for the shard index."""
    if given:
        if "{index}" not in given:
            raise CommandError("--stack-name must contain {index}, e.g. prod-{index}")
        return given
    match = re.fullmatch(rf"(.*?){spec.index}", stack)
    if spec.sharded and match:
        return match.group(1) + "{index}"
    if not spec.sharded:
        return stack
    raise CommandError(
        f"stack {stack!r} does not end with its shard index {spec.index}; "
        "name the shards' stacks with --stack-name, e.g. prod-{index}"
    )


def _overview(folder: Path, settings: WorkplaceSettings, spec: ShardSpec) -> ShardOverview:
    if settings.directory is None:
        raise CommandError("workplace:directory is not set in this stack's config")
    directory = load_directory(settings.directory, folder)
    return shard_overview(
        directory,
        shard=spec,
        fingerprint=desired_state_fingerprint(settings),
        **scope_inputs(settings),
    )


def _run(args: argparse.Namespace) -> int:
    folder = Path(args.project_dir)
    if args.max_per_stack < 1:
        print("--max-per-stack must be at least 1", file=sys.stderr)
        return 2
    try:
        settings = load_settings(stack_config(folder, args.stack), environ={})
        spec = ShardSpec.from_setting(settings.shard)
        pattern = stack_pattern(args.stack, spec, args.stack_name)
        overview = _overview(folder, settings, spec)
    except (CommandError, SettingsError, InputError) as error:
        print(f"pulumi-workplace shards: {error}", file=sys.stderr)
        return 2
    needed = max(1, math.ceil(overview.in_scope / args.max_per_stack))
    shards = [
        {"shard": index, "stack": pattern.format(index=index), "people": people}
        for index, people in enumerate(overview.people)
    ]
    if args.changed:
        with futures.ThreadPoolExecutor(max_workers=8) as pool:
            exported = list(
                pool.map(lambda s: stack_digest(folder, s["stack"], settings.name), shards)
            )
        shards = [
            s
            for s, last, wanted in zip(shards, exported, overview.digests, strict=True)
            if last != wanted
        ]
    matrix = {"include": [{"shard": s["shard"], "stack": s["stack"]} for s in shards]}
    advice = ""
    if needed > spec.count:
        advice = (
            f"the tenant needs {needed} shards at --max-per-stack {args.max_per_stack}, the "
            f"config has {spec.count}: raise workplace:shard.count in every shard's stack "
            "(it moves people: each stack's next run must be approved, docs/sharding.md)"
        )
    if args.format == "matrix":
        print(json.dumps(matrix, separators=(",", ":")))
    elif args.format == "json":
        print(
            json.dumps(
                {
                    "inScope": overview.in_scope,
                    "configured": spec.count,
                    "needed": needed,
                    "maxPerStack": args.max_per_stack,
                    "changedOnly": args.changed,
                    "shards": shards,
                    "matrix": matrix,
                },
                indent=2,
            )
        )
    else:
        print(
            f"people in scope: {overview.in_scope}; shards: {spec.count} by {spec.key}; "
            f"needed at {args.max_per_stack} per stack: {needed}"
        )
        label = "changed shards" if args.changed else "shards"
        print(f"{label}: {len(shards)}")
        for s in shards:
            print(f"  {s['shard']:>4}  {s['stack']}  {s['people']} people")
        print("matrix: " + json.dumps(matrix, separators=(",", ":")))
    if advice:
        print(advice, file=sys.stderr)
    return 0
