"""The Automation API path: an inline program needs only `pulumi` and the provider plugin script,
no language host (the fallback the foundation issue asks for)."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from pulumi_harness import pulumi_env, tools_bin

pytestmark = pytest.mark.cli


def test_inline_program_up_noop_destroy(tmp_path):
    env = pulumi_env(tmp_path)
    # Hide the language host: an inline program must not need it.
    env["PATH"] = env["PATH"].replace(str(tools_bin()), str(tmp_path / "bin"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("pulumi", "pulumi-resource-pulumi-python"):
        (bin_dir / name).symlink_to(tools_bin() / name)

    def program() -> None:
        import pulumi

        from pulumi_workplace.testing import Echo

        pulumi.export("value", Echo("inline", value="from-automation").value)

    stack = auto.create_or_select_stack(
        stack_name="inline",
        project_name="wp-inline",
        program=program,
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(tmp_path),
            pulumi_home=env["PULUMI_HOME"],
            env_vars=env,
            pulumi_command=auto.PulumiCommand(root=str(tmp_path), skip_version_check=False),
            project_settings=auto.ProjectSettings(
                name="wp-inline",
                runtime="python",
                backend=auto.ProjectBackend(url=env["PULUMI_BACKEND_URL"]),
            ),
        ),
    )
    up = stack.up()
    assert up.outputs["value"].value == "from-automation"
    assert up.summary.resource_changes == {"create": 2}
    again = stack.up()
    assert again.summary.resource_changes == {"same": 2}
    stack.destroy()
    assert stack.export_stack().deployment.get("resources") in (None, [])
    assert not (bin_dir / "pulumi-language-python").exists()
