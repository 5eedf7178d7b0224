"""`pulumi-workplace urn UPN`: the URN of one person's `User`, for provision on demand.

`pulumi up --target "$(pulumi-workplace urn bob@contoso.com --stack prod)"` applies that one
person now (Entra's "provision on demand"), leaving every other pending change for the next run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from pulumi_workplace.resources._user_props import flatten

USER_TYPE = "pulumi-python:dynamic/workplace:User"
COMPONENT_TYPE = "pulumi-workplace:index:Provisioning"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "urn",
        help="print the URN of a person's User resource (for `pulumi up --target`)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("user_principal_name", help="the person's userPrincipalName / userName")
    parser.add_argument("--stack", required=True, help="the Pulumi stack")
    parser.add_argument("--component", default="workplace", help="Provisioning component name")
    parser.add_argument("--project-dir", default=".", help="folder holding Pulumi.yaml")
    parser.set_defaults(run=_run)


def find_in_state(deployment: dict[str, Any], user_name: str) -> str | None:
    """The URN of the User whose stored userName is `user_name` (renamed people included)."""
    wanted = user_name.casefold()
    for resource in deployment.get("deployment", {}).get("resources") or []:
        if resource.get("type") != USER_TYPE:
            continue
        stored = flatten(resource.get("outputs") or {}).get("userName") or ""
        if isinstance(stored, str) and stored.casefold() == wanted:
            return str(resource["urn"])
    return None


def planned_urn(stack: str, project: str, component: str, user_name: str) -> str:
    """The URN the Provisioning component gives a person it has not created yet."""
    from pulumi_workplace.resources.provisioning import resource_name

    name = resource_name(component, user_name)
    return f"urn:pulumi:{stack}::{project}::{COMPONENT_TYPE}${USER_TYPE}::{name}"


def _run(args: argparse.Namespace) -> int:
    folder = Path(args.project_dir)
    try:
        project = yaml.safe_load((folder / "Pulumi.yaml").read_text())["name"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as error:
        print(
            f"cannot read the project name from {folder / 'Pulumi.yaml'}: {error}", file=sys.stderr
        )
        return 2
    pulumi = shutil.which("pulumi")
    if pulumi:
        exported = subprocess.run(
            [pulumi, "stack", "export", "--stack", args.stack, "--non-interactive"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        if exported.returncode == 0:
            found = find_in_state(json.loads(exported.stdout), args.user_principal_name)
            if found:
                print(found)
                return 0
    print(planned_urn(args.stack, project, args.component, args.user_principal_name))
    return 0
