"""The root Pulumi program, driven by stack config alone.

An administrator configures everything under the `workplace:` namespace in `Pulumi.<stack>.yaml`
(see docs/configuration.md) and runs `pulumi preview` / `pulumi up` without writing Python.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pulumi

from pulumi_workplace.directory import Directory, InputError
from pulumi_workplace.mapping import Mapping, default_mappings, merge_mappings
from pulumi_workplace.resources._program_config import ProgramConfig, stack_config_keys
from pulumi_workplace.resources.provisioning import Provisioning
from pulumi_workplace.settings import SettingsError, check_no_unknown_settings, load_settings

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


def load_mappings(overrides: list[dict[str, Any]] | None) -> list[Mapping]:
    """Workplace's default mappings with the `workplace:mappings` overrides applied."""
    parsed: list[Mapping] = []
    for index, raw in enumerate(overrides or []):
        unknown = set(raw) - set(_MAPPING_FIELDS)
        if unknown:
            raise ConfigError(f"workplace:mappings[{index}]: unknown field(s) {sorted(unknown)}")
        if "target" not in raw:
            raise ConfigError(f"workplace:mappings[{index}]: target is required")
        kwargs = {_MAPPING_FIELDS[k]: v for k, v in raw.items() if k != "target"}
        parsed.append(Mapping(str(raw["target"]), **kwargs))
    return merge_mappings(default_mappings(), parsed)


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
        provisioning = Provisioning(
            settings.name,
            directory=directory,
            assignments=settings.assignments,
            roles=settings.roles,
            mappings=load_mappings(settings.mappings),
            scope=settings.scope,
            scoping_filters=settings.scoping_filters,
            nested_groups=settings.nested_groups,
            skip_out_of_scope_deletions=settings.skip_out_of_scope_deletions,
            deprovision=settings.deprovision,
        )
    except InputError as error:
        raise pulumi.RunError(str(error)) from None
    pulumi.export("counts", provisioning.counts)
    pulumi.export("deactivated", provisioning.deactivated)
