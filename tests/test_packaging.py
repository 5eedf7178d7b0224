"""The package as users install it: the version from git, the files and entry point in the wheel,
and (marker `installed`, also run by scripts/wheel-smoke.sh on the wheel `make dist` built) the
package the tests import is the one installed."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import pytest

import pulumi_workplace

REPO = Path(__file__).parents[1]
PACKAGE = REPO / "provider" / "pulumi_workplace"
TAG = "v9.8.7"
# Variables that would override or redirect what git and setuptools-scm see in the copy.
_OVERRIDES = re.compile(
    r"^(SETUPTOOLS_SCM_|VCS_VERSIONING_|GIT_DIR$|GIT_WORK_TREE$|GIT_INDEX_FILE$)"
)


@pytest.mark.installed
def test_version_flag_prints_the_installed_version() -> None:
    script = Path(sys.executable).parent / "pulumi-workplace"
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    installed = importlib.metadata.version("pulumi-workplace")
    assert result.stdout.strip() == f"pulumi-workplace {installed}"
    assert pulumi_workplace.__version__ == installed
    wheel_version = os.environ.get("WHEEL_SMOKE_VERSION")
    if wheel_version:  # scripts/wheel-smoke.sh: the version in the wheel's file name
        assert installed == wheel_version


@pytest.mark.installed
def test_the_package_is_imported_from_where_it_is_installed() -> None:
    imported = Path(pulumi_workplace.__file__).resolve()
    wheel_venv = os.environ.get("WHEEL_SMOKE_VENV")
    if wheel_venv:
        # scripts/wheel-smoke.sh: from the wheel in that venv's site-packages, not from provider/.
        assert Path(sys.prefix).resolve() == Path(wheel_venv).resolve()
        site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
        assert imported.is_relative_to(site_packages), imported
        assert not imported.is_relative_to(REPO), imported
        for name in ("pulumi-plugin.json", "py.typed", "_version.py"):
            assert (imported.parent / name).is_file(), name
    else:
        # The development venvs: the editable install of this checkout.
        assert imported == (PACKAGE / "__init__.py").resolve()


# --- A build of the working tree, tagged, in a temporary repository --------------------------


def _git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid",
         "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main",
         *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return result.stdout


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not _OVERRIDES.match(k)}


class TaggedBuild:
    def __init__(self, tagless_version: str, wheel: Path, copied: list[str]) -> None:
        self.tagless_version = tagless_version
        self.wheel = wheel
        self.copied = copied


@pytest.fixture(scope="module")
def tagged_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaggedBuild]:
    """The files of this checkout git would commit (tracked and new, not ignored), committed in a
    fresh repository: its version before and after `git tag v9.8.7`, and a wheel built then
    (hatchling from the venv, no build isolation: offline)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    env = _clean_env()
    base = tmp_path_factory.mktemp("tagged")
    copy = base / "repo"
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO, env=env)
    copied = []
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # not a file deleted in the working tree
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
            copied.append(name)
    assert "provider/pulumi_workplace/_version.py" not in copied  # written by the build, not in git
    _git("init", "-q", cwd=copy, env=env)
    _git("add", "-A", cwd=copy, env=env)
    _git("commit", "-q", "-m", "snapshot", cwd=copy, env=env)
    tagless = subprocess.run(
        [sys.executable, "-m", "hatchling", "version"],
        cwd=copy, env=env, capture_output=True, text=True, check=True, timeout=120,
    ).stdout.strip()  # fmt: skip
    _git("tag", TAG, cwd=copy, env=env)
    out = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=copy, env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    yield TaggedBuild(tagless, wheels[0], copied)


def test_a_clone_without_tags_gets_a_development_version(tagged_build: TaggedBuild) -> None:
    # setuptools-scm's default: 0.1.dev<commits>+g<commit>; one commit, clean tree.
    assert re.fullmatch(r"0\.1\.dev1\+g[0-9a-f]{7,}", tagged_build.tagless_version), (
        tagged_build.tagless_version
    )


def test_the_tag_is_the_version(tagged_build: TaggedBuild) -> None:
    assert tagged_build.wheel.name == "pulumi_workplace-9.8.7-py3-none-any.whl"
    with zipfile.ZipFile(tagged_build.wheel) as wheel:
        metadata = Parser().parsestr(
            wheel.read("pulumi_workplace-9.8.7.dist-info/METADATA").decode()
        )
        stamped = wheel.read("pulumi_workplace/_version.py").decode()
    assert metadata["Name"] == "pulumi-workplace"
    assert metadata["Version"] == "9.8.7"
    assert '__version__ = "9.8.7"' in stamped  # the fallback for sources run uninstalled


def test_the_wheel_holds_the_package_data_and_the_entry_point(tagged_build: TaggedBuild) -> None:
    with zipfile.ZipFile(tagged_build.wheel) as wheel:
        names = set(wheel.namelist())
        entry_points = wheel.read("pulumi_workplace-9.8.7.dist-info/entry_points.txt").decode()
        metadata = Parser().parsestr(
            wheel.read("pulumi_workplace-9.8.7.dist-info/METADATA").decode()
        )
    # Pulumi finds the package's plugin through pulumi-plugin.json; type checkers need py.typed.
    assert {"pulumi_workplace/pulumi-plugin.json", "pulumi_workplace/py.typed"} <= names
    assert re.search(
        r"^\[console_scripts\]\npulumi-workplace = pulumi_workplace\.cli:main$",
        entry_points,
        re.MULTILINE,
    ), entry_points
    # Every file of the package in the tree, the emulator's modules among them.
    in_tree = {
        name.removeprefix("provider/")
        for name in tagged_build.copied
        if name.startswith("provider/pulumi_workplace/")
    }
    assert {"pulumi_workplace/emulator/__init__.py", "pulumi_workplace/emulator/server.py"} <= (
        in_tree
    )
    assert in_tree <= names, sorted(in_tree - names)
    assert not [name for name in names if "__pycache__" in name or name.startswith("tests/")]
    assert "emulator" in metadata.get_all("Provides-Extra", [])
    assert any(r.startswith("pulumi<4,>=3.216") for r in metadata.get_all("Requires-Dist", []))
