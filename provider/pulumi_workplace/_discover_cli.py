"""`pulumi-workplace discover`: every account in the tenant, each in one class.

Run in the Pulumi project folder. The connection, the directory, the assignments, the scope,
the mappings and `workplace:shard` come from one stack's config (`--stack`; the token from
WORKPLACE_TOKEN, else the stack's secret `workplace:token`); flags override them. The tenant is
listed once (`workplace:pageSize`, at least 100 per page); which accounts the stack manages comes
from its last deployment (`pulumi stack export`), and with shards from every shard's stack.

    pulumi-workplace discover --stack prod                       # Markdown, for a job summary
    pulumi-workplace discover --stack prod --format csv --output accounts.csv
    pulumi-workplace discover --stack prod --format json

Classes: managed (by this stack), other_shard (managed by another shard's stack), not_managed
(matches a person in scope; the next run adopts it), out_of_scope (matches a person out of
scope), no_person (matches no person in the directory). Nothing is written to the tenant.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent import futures
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulumi_workplace._shards_cli import stack_pattern
from pulumi_workplace._stack_cli import (
    CommandError,
    scope_inputs,
    secret_setting,
    stack_config,
    stack_resources,
)
from pulumi_workplace.census import (
    CLASS_TITLES,
    CLASSES,
    Census,
    CensusEntry,
    PeopleIndex,
    take_census,
)
from pulumi_workplace.directory import InputError
from pulumi_workplace.operations._escape import markdown_cell
from pulumi_workplace.operations.discovery import AccountListingError, list_accounts
from pulumi_workplace.planning import scope_members
from pulumi_workplace.program import load_directory, load_mappings
from pulumi_workplace.resources._unmanaged import tenant_accounts
from pulumi_workplace.settings import SettingsError, WorkplaceSettings, load_settings
from pulumi_workplace.sharding import ShardSpec

DEFAULT_LIMIT = 100
"""Accounts listed per class in Markdown (a job summary holds at most 1 MiB); CSV and JSON
list every one."""
_COLUMNS = (
    "class",
    "id",
    "userName",
    "externalId",
    "active",
    "invited",
    "claimed",
    "person",
    "shard",
)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "discover",
        help="every account in the tenant, each in one class (managed, not managed, no person)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--stack", required=True, help="the stack whose config and state to use")
    add("--project-dir", default=".", help="folder holding Pulumi.yaml")
    add("--format", choices=("markdown", "csv", "json"), default="markdown", help="output format")
    add("--output", metavar="FILE", help="write the output to FILE (default: standard output)")
    add("--tenant-url", metavar="URL", help="override workplace:tenantUrl")
    add("--profile", help="override workplace:profile")
    add("--page-size", type=int, metavar="N", help="override workplace:pageSize")
    add(
        "--directory",
        metavar="FILE",
        help="override workplace:directory with a people file (.csv, .json, .yaml)",
    )
    add("--scope", choices=("assigned", "all"), help="override workplace:scope")
    add(
        "--stack-name",
        metavar="PATTERN",
        help="the shards' stack names with {index} (default: from --stack)",
    )
    add(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"accounts listed per class in Markdown (default {DEFAULT_LIMIT})",
    )
    parser.set_defaults(run=_run)


def _config(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    config = stack_config(folder, args.stack)
    overrides = {
        "workplace:tenantUrl": args.tenant_url,
        "workplace:profile": args.profile,
        "workplace:pageSize": args.page_size,
        "workplace:scope": args.scope,
    }
    config.update({key: value for key, value in overrides.items() if value is not None})
    if args.directory:
        path = Path(args.directory)
        kind = path.suffix.lstrip(".").lower().replace("yml", "yaml")
        field = "people" if kind == "csv" else "path"
        config["workplace:directory"] = {"format": kind, field: str(path.resolve())}
    if not os.environ.get("WORKPLACE_TOKEN"):
        token = secret_setting(folder, args.stack, "workplace:token")
        if token:
            config["workplace:token"] = token
    return config


def managed_accounts(resources: Sequence[Mapping[str, Any]] | None) -> set[str]:
    """Ids of the accounts a stack's `User`s manage (not those released this run)."""
    found: set[str] = set()
    for resource in resources or ():
        if not str(resource.get("type", "")).endswith("workplace:User") or resource.get("delete"):
            continue
        account_id = resource.get("id")
        inputs = resource.get("inputs") or {}
        options = inputs.get("options") or {}
        attributes = inputs.get("attributes") or {}
        released = options.get("deprovision") == "retain" and attributes.get("active") is None
        if account_id and not released:
            found.add(str(account_id))
    return found


def _other_shards(folder: Path, args: argparse.Namespace, spec: ShardSpec) -> dict[str, int]:
    if not spec.sharded:
        return {}
    pattern = stack_pattern(args.stack, spec, args.stack_name)
    others = [index for index in range(spec.count) if index != spec.index]
    with futures.ThreadPoolExecutor(max_workers=8) as pool:
        exports = list(pool.map(lambda i: stack_resources(folder, pattern.format(index=i)), others))
    owners: dict[str, int] = {}
    for index, resources in zip(others, exports, strict=True):
        for account_id in managed_accounts(resources):
            owners.setdefault(account_id, index)
    return owners


def take_stack_census(args: argparse.Namespace) -> tuple[Census, WorkplaceSettings]:
    """List the tenant and classify every account, as the stack sees it."""
    folder = Path(args.project_dir)
    settings = load_settings(_config(args, folder))
    if settings.directory is None:
        raise CommandError("workplace:directory is not set in this stack's config")
    spec = ShardSpec.from_setting(settings.shard)
    with futures.ThreadPoolExecutor(max_workers=1) as pool:
        # The listing waits on the server most of the time: read everything else meanwhile.
        listing = pool.submit(list_accounts, settings)
        try:
            census = _classify(args, folder, settings, spec, listing)
        except BaseException:
            listing.cancel()
            raise
    return census, settings


def _classify(
    args: argparse.Namespace,
    folder: Path,
    settings: WorkplaceSettings,
    spec: ShardSpec,
    listing: futures.Future[list[Any]],
) -> Census:
    assert settings.directory is not None
    directory = load_directory(settings.directory, folder)
    members = scope_members(directory, shard=spec, **scope_inputs(settings))
    people = PeopleIndex(directory, load_mappings(settings.mappings, settings.profile), members)
    managed = managed_accounts(stack_resources(folder, args.stack))
    others = _other_shards(folder, args, spec)
    accounts = tenant_accounts(listing.result())
    return take_census(
        accounts, people, in_scope=members, shard=spec, managed=managed, other_shards=others
    )


def _flag(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def _row(entry: CensusEntry) -> list[str]:
    account = entry.account
    return [
        entry.account_class,
        account.id,
        account.user_name or "",
        account.external_id or "",
        _flag(account.active),
        _flag(account.invited),
        _flag(account.claimed),
        entry.person or "",
        "" if entry.shard is None else str(entry.shard),
    ]


def _summary_rows(census: Census) -> list[list[str]]:
    rows = []
    for name in CLASSES:
        entries = census.of(name)
        active = sum(e.account.active is not False for e in entries)
        invited = sum(bool(e.account.invited) for e in entries)
        claimed = sum(bool(e.account.claimed) for e in entries)
        rows.append([CLASS_TITLES[name], name, *map(str, (len(entries), active, invited, claimed))])
    total = len(census.entries)
    rows.append(["Total", "", str(total), "", "", ""])
    return rows


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def render_markdown(census: Census, stack: str, limit: int) -> str:
    """A summary table, then each non-empty class's accounts (at most `limit` each)."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"## Workplace accounts: stack {markdown_cell(stack)}",
        "",
        f"{len(census.entries)} account(s) listed at {when}.",
        "",
    ]
    out += _markdown_table(
        ("Class", "Key", "Accounts", "Active", "Invited", "Claimed"), _summary_rows(census)
    )
    for name in CLASSES:
        entries = census.of(name)
        if not entries:
            continue
        out += ["", f"### {CLASS_TITLES[name]} ({len(entries)})", ""]
        out += _markdown_table(
            ("userName", "id", "externalId", "active", "invited", "claimed", "person", "shard"),
            [_row(entry)[2:3] + _row(entry)[1:2] + _row(entry)[3:] for entry in entries[:limit]],
        )
        if len(entries) > limit:
            out += ["", f"... and {len(entries) - limit} more (`--format csv` lists every one)."]
    return "\n".join(out) + "\n"


def render_csv(census: Census) -> str:
    """One row per account, with its class."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for entry in census.entries:
        # A cell starting with = + - @ would be a formula in a spreadsheet.
        writer.writerow([f"'{c}" if c[:1] in ("=", "+", "-", "@") else c for c in _row(entry)])
    return buffer.getvalue()


def render_json(census: Census, stack: str) -> str:
    """Counts per class, then the accounts of each class."""
    classes: dict[str, list[dict[str, Any]]] = {name: [] for name in CLASSES}
    for entry in census.entries:
        account = entry.account
        classes[entry.account_class].append(
            {
                "id": account.id,
                "userName": account.user_name,
                "externalId": account.external_id,
                "active": account.active,
                "invited": account.invited,
                "claimed": account.claimed,
                "person": entry.person,
                "personId": entry.person_id,
                "shard": entry.shard,
            }
        )
    document = {
        "stack": stack,
        "total": len(census.entries),
        "counts": census.counts(),
        "classes": classes,
    }
    return json.dumps(document, indent=2) + "\n"


def _run(args: argparse.Namespace) -> int:
    if args.limit < 0:
        print("--limit must be 0 or more", file=sys.stderr)
        return 2
    try:
        census, _ = take_stack_census(args)
    except (CommandError, SettingsError, InputError, AccountListingError) as error:
        print(f"pulumi-workplace discover: {error}", file=sys.stderr)
        return 2
    if args.format == "csv":
        text = render_csv(census)
    elif args.format == "json":
        text = render_json(census, args.stack)
    else:
        text = render_markdown(census, args.stack, args.limit)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        counts = ", ".join(f"{k} {v}" for k, v in census.counts().items())
        print(f"{len(census.entries)} account(s) written to {args.output}: {counts}")
    else:
        sys.stdout.write(text)
    return 0
