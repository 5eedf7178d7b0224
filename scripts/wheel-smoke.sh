#!/usr/bin/env bash
# The package as a user gets it: the wheel `make dist` built (dist/), installed (not editable) into
# a fresh venv outside the tree, its dependencies from PyPI or the pip cache, then
# `pulumi-workplace --version` from that venv and the CLI smoke test run with that venv's Python,
# so a file or entry point missing from the wheel fails here, not for a user.
# Called by scripts/run-tests.sh (`make test`) and `make wheel-smoke`, after `make dist`.
# PULUMI_SDK_VERSION (from the Makefile) pins the SDK, as in .venv; WHEEL_SMOKE_KEEP=1 keeps the venv.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
started=$SECONDS

shopt -s nullglob
wheels=("$root"/dist/pulumi_workplace-*.whl)
if [ "${#wheels[@]}" -ne 1 ]; then
  echo "[wheel-smoke] expected one wheel in dist/, found ${#wheels[@]}: run \`make dist\` first" >&2
  exit 1
fi
wheel="${wheels[0]}"
# The wheel's file name holds the version: pulumi_workplace-<version>-py3-none-any.whl.
version="$(basename "$wheel")"
version="${version#pulumi_workplace-}"
version="${version%%-*}"

work="$(mktemp -d -t pulumi-workplace-wheel.XXXXXX)"
if [ "${WHEEL_SMOKE_KEEP:-}" = 1 ]; then
  echo "[wheel-smoke] keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
venv="$work/venv"

echo "[wheel-smoke] $(basename "$wheel") into a fresh venv ($venv)"
"$python" -m venv "$venv"
sdk=()
[ -n "${PULUMI_SDK_VERSION:-}" ] && sdk=("pulumi==$PULUMI_SDK_VERSION")
# The emulator extra too (the smoke test's conftest starts nothing from it, but a user's
# `pulumi-workplace emulator` needs it); pytest only to run the smoke test.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "pulumi-workplace[emulator] @ file://$wheel" "${sdk[@]}" 'pytest>=8' 'pytest-timeout>=2.3'

# The console script is there and reports the wheel's version.
printed="$("$venv/bin/pulumi-workplace" --version)"
if [ "$printed" != "pulumi-workplace $version" ]; then
  echo "[wheel-smoke] \`pulumi-workplace --version\` printed '$printed', the wheel is $version" >&2
  exit 1
fi
echo "[wheel-smoke] $printed"

# The smoke test with the wheel's venv (tests/pulumi_harness.py runs the program and the provider
# with the interpreter running pytest). WHEEL_SMOKE_VENV makes tests/test_packaging.py assert that
# pulumi_workplace is imported from that venv's site-packages, not from provider/.
cd "$root"
WHEEL_SMOKE_VENV="$venv" WHEEL_SMOKE_VERSION="$version" PULUMI_WORKPLACE_REQUIRE_CLI=1 \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider --basetemp="$work/pytest" \
  tests/test_smoke_cli.py tests/test_packaging.py -m "smoke or installed"
echo "[wheel-smoke] passed in $((SECONDS - started)) s"
