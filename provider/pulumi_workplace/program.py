"""The root Pulumi program, driven by stack config alone.

An administrator configures everything under the `workplace:` namespace in `Pulumi.<stack>.yaml`
(see docs/configuration.md) and runs `pulumi preview` / `pulumi up` without writing Python.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pulumi

from pulumi_workplace.census import KeepPatterns
from pulumi_workplace.directory import Directory, InputError
from pulumi_workplace.mapping import (
    Mapping,
    MappingError,
    ScopingError,
    compile_filters,
    default_mappings,
    fit_to_server,
    merge_mappings,
)
from pulumi_workplace.mapping.sources import unknown_sources
from pulumi_workplace.operations.discovery import (
    AccountListingError,
    discover_target,
    list_accounts,
)
from pulumi_workplace.resources._program_config import ProgramConfig, stack_config_keys
from pulumi_workplace.resources._unmanaged import UnmanagedAccounts, tenant_accounts
from pulumi_workplace.resources.provisioning import Provisioning
from pulumi_workplace.settings import (
    SettingsError,
    WorkplaceSettings,
    check_no_unknown_settings,
    desired_state_fingerprint,
    load_settings,
)
from pulumi_workplace.sharding import ShardError, ShardSpec

_MAPPING_FIELDS = {
    "target": "target",
    "source": "source",
    "type": "type",
    "expression": "expression",
    "constant": "constant",
    "default": "default",
    "apply": "apply",
    "matchingPrecedence": "matching_precedence",
    "clearWhenEmpty": "clear_when_empty",
}


ConfigError = SettingsError
"""A `workplace:` stack setting is missing or wrong (the name earlier versions used)."""


def _path(raw: str, setting: str, base: Path) -> Path:
    path = Path(raw)
    path = path if path.is_absolute() else base / path
    if not path.exists():
        raise ConfigError(f"{setting}: file not found: {path}")
    return path


def load_directory(spec: dict[str, Any], base: Path) -> Directory:
    """The directory a `workplace:directory` setting names."""
    kind = str(spec.get("format") or spec.get("type") or "").lower()
    if kind == "csv":
        people = _path(str(spec.get("people", "")), "workplace:directory.people", base)
        groups = spec.get("groups")
        groups_path = _path(str(groups), "workplace:directory.groups", base) if groups else None
        return Directory.from_csv(people, groups_path)
    if kind in ("json", "yaml"):
        path = _path(str(spec.get("path", "")), "workplace:directory.path", base)
        return Directory.from_json(path) if kind == "json" else Directory.from_yaml(path)
    if kind in ("graph", "entra"):
        secret = spec.get("clientSecret") or os.environ.get("AZURE_CLIENT_SECRET")
        missing = [k for k in ("tenantId", "clientId") if not spec.get(k)]
        if missing or not secret:
            names = [*missing, *([] if secret else ["clientSecret (or AZURE_CLIENT_SECRET)"])]
            raise ConfigError(f"workplace:directory: Entra ID source needs {', '.join(names)}")
        return Directory.from_graph(
            str(spec["tenantId"]),
            str(spec["clientId"]),
            str(secret),
            group_ids=spec.get("groupIds"),
        )
    raise ConfigError(
        f"workplace:directory.format must be csv, json, yaml or graph, not {kind or 'missing'!r}"
    )


def parse_mapping_overrides(overrides: list[dict[str, Any]] | None) -> list[tuple[str, Mapping]]:
    """The `workplace:mappings` entries, each with the setting that names it."""
    parsed: list[tuple[str, Mapping]] = []
    for index, raw in enumerate(overrides or []):
        setting = f"workplace:mappings[{index}]"
        unknown = set(raw) - set(_MAPPING_FIELDS)
        if unknown:
            raise ConfigError(f"{setting}: unknown field(s) {sorted(unknown)}")
        if "target" not in raw:
            raise ConfigError(f"{setting}: target is required")
        kwargs = {_MAPPING_FIELDS[k]: v for k, v in raw.items() if k != "target"}
        try:
            parsed.append((setting, Mapping(str(raw["target"]), **kwargs)))
        except MappingError as error:
            # "mapping displayName: ..." -> "workplace:mappings[0] (displayName): ..."
            raise MappingError(
                [_renamed(problem, "mapping ", f"{setting} (", "):") for problem in error.problems]
            ) from None
    return parsed


def _renamed(problem: str, prefix: str, opening: str, closing: str) -> str:
    """`<prefix><name>: rest` -> `<opening><name><closing> rest`: messages name the setting."""
    if not problem.startswith(prefix) or ": " not in problem:
        return problem
    name, rest = problem[len(prefix) :].split(": ", 1)
    return f"{opening}{name}{closing} {rest}"


def check_scoping_filters(raw: list[Any] | None) -> None:
    """Parse `workplace:scopingFilters` now, so its messages name the setting."""
    try:
        compile_filters(raw or [])
    except ScopingError as error:
        raise ScopingError(
            [
                problem.replace("scoping_filters[", "workplace:scopingFilters[", 1)
                for problem in error.problems
            ]
        ) from None


def load_mappings(
    overrides: list[dict[str, Any]] | None, profile: str = "workplace"
) -> list[Mapping]:
    """The profile's default mappings with the `workplace:mappings` overrides applied."""
    parsed = [mapping for _, mapping in parse_mapping_overrides(overrides)]
    return merge_mappings(default_mappings(profile), parsed)


def fit_mappings(
    settings: WorkplaceSettings, overrides: list[tuple[str, Mapping]]
) -> list[Mapping]:
    """The mappings for the target: the profile's defaults it can store, plus the overrides.

    Reads the target's discovery endpoints once; a configured mapping the server's schema
    lacks fails here, before any account is planned.
    """
    found = discover_target(settings)
    if found.warning:
        pulumi.log.warn(f"workplace:profile {settings.profile}: {found.warning}")
    for note in found.notes:
        pulumi.log.info(note)
    fit = fit_to_server(
        default_mappings(settings.profile), overrides, found.capabilities.lacking_keys()
    )
    if fit.refused:
        raise ConfigError("; ".join(fit.refused))
    if fit.left_out:
        pulumi.log.info(
            f"the server's schema has no target for {len(fit.left_out)} default mapping(s), "
            f"left out: {', '.join(fit.left_out)}"
        )
    return fit.mappings


def _check_parallel(settings: WorkplaceSettings) -> None:
    """Say when the engine runs fewer steps at once than the provider may serve."""
    from pulumi.runtime import settings as runtime_settings

    parallel = getattr(runtime_settings.SETTINGS, "parallel", None)
    if (
        settings.concurrency > 4
        and isinstance(parallel, int)
        and 0 < parallel < settings.concurrency
    ):
        pulumi.log.warn(
            f"workplace:concurrency is {settings.concurrency} but the engine runs {parallel} "
            f"steps at a time: run `pulumi up --parallel {settings.concurrency}`"
        )


def unmanaged_accounts(settings: WorkplaceSettings) -> UnmanagedAccounts | None:
    """The tenant as listed for `workplace:unmanagedAccounts` (None with `ignore`).

    Called after every input check, so a bad setting still fails with no request.
    """
    keep = KeepPatterns(settings.keep_accounts)
    if settings.unmanaged_accounts == "ignore":
        return None
    try:
        listed = list_accounts(settings)
    except (SettingsError, AccountListingError) as error:
        raise ConfigError(
            f"workplace:unmanagedAccounts is {settings.unmanaged_accounts}, which lists the "
            f"tenant: {error}"
        ) from None
    return UnmanagedAccounts(settings.unmanaged_accounts, keep, tenant_accounts(listed))


def main() -> None:
    """Build the `Provisioning` component from `workplace:` stack config."""
    base = Path.cwd()
    try:
        check_no_unknown_settings(stack_config_keys())
        settings = load_settings(ProgramConfig())
        if settings.directory is None:
            raise ConfigError(
                "Missing required configuration variable 'workplace:directory' "
                "(the people and groups to provision from; see docs/configuration.md)"
            )
        directory = load_directory(settings.directory, base)
        overrides = parse_mapping_overrides(settings.mappings)
        check_scoping_filters(settings.scoping_filters)
        # Checked against the defaults and the directory first: a bad override or a misspelt
        # source attribute fails with no request to the tenant.
        merge_mappings(default_mappings(settings.profile), [m for _, m in overrides])
        unknown = unknown_sources(
            directory,
            overrides,
            settings.scoping_filters or (),
            filters_setting="workplace:scopingFilters",
        )
        if unknown:
            raise MappingError(unknown)
        shard = ShardSpec.from_setting(settings.shard)
        misspelt_key = shard.key_problems(directory)
        if misspelt_key:
            raise ShardError(misspelt_key)
        KeepPatterns(settings.keep_accounts)  # a bad pattern fails before any request
        mappings = fit_mappings(settings, overrides)
        unmanaged = unmanaged_accounts(settings)
        _check_parallel(settings)
        provisioning = Provisioning(
            settings.name,
            directory=directory,
            assignments=settings.assignments,
            roles=settings.roles,
            mappings=mappings,
            scope=settings.scope,
            scoping_filters=settings.scoping_filters,
            nested_groups=settings.nested_groups,
            skip_out_of_scope_deletions=settings.skip_out_of_scope_deletions,
            deprovision=settings.deprovision,
            invalid_people=settings.invalid_people,
            # Messages name the settings the administrator edits.
            assignments_setting="workplace:assignments",
            roles_setting="workplace:roles",
            shard=shard,
            fingerprint=desired_state_fingerprint(settings),
            unmanaged=unmanaged,
        )
    except InputError as error:
        raise pulumi.RunError(str(error)) from None
    pulumi.export("counts", provisioning.counts)
    pulumi.export("deactivated", provisioning.deactivated)
