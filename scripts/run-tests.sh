#!/usr/bin/env bash
# The pytest part of `make test`: every test, in two streams side by side (this machine has two
# cores): the real-CLI tests, which spend most of their time waiting on the engine, and the rest
# followed by the SDK-floor run and the check of the built wheel (scripts/wheel-smoke.sh: the
# wheel `make dist` built, in a fresh venv, with the CLI smoke test). Nothing is left out; the
# second stream's output is printed after the first's, and the exit code fails if either failed.
# Called by the Makefile, which exports the tool paths, FLOOR_PYTHON / FLOOR_ARGS and
# PULUMI_SDK_VERSION, after `make dist`.
set -uo pipefail

log="$(mktemp -t pulumi-workplace-tests.XXXXXX)"
basetemp="$(mktemp -d -t pulumi-workplace-unit.XXXXXX)"
floor_bin="$(dirname "$FLOOR_PYTHON")"
# FLOOR_ARGS is shell words from the Makefile (`-m "not cli or smoke" --ignore=...`).
eval "floor_args=($FLOOR_ARGS)"
(
  pytest -m "not cli" --basetemp="$basetemp/main" -p no:cacheprovider
  unit=$?
  echo
  echo "[tests] SDK-floor run ($("$FLOOR_PYTHON" -c 'import importlib.metadata as m; print(m.version("pulumi"))'))"
  PATH="$floor_bin:$PATH" PULUMI_PYTHON_CMD="$FLOOR_PYTHON" \
    "$FLOOR_PYTHON" -m pytest -q "${floor_args[@]}" --basetemp="$basetemp/floor" -p no:cacheprovider
  floor=$?
  echo
  echo "[tests] the built wheel in a fresh venv (scripts/wheel-smoke.sh)"
  bash "$(dirname "$0")/wheel-smoke.sh"
  wheel=$?
  exit $(( unit != 0 || floor != 0 || wheel != 0 ))
) >"$log" 2>&1 &
rest=$!

echo "[tests] the real-CLI tests now, in two workers (a file per worker at a time); the other"
echo "[tests] tests, the SDK-floor run and the wheel check alongside (printed after)"
# One CLI test keeps about 1.3 cores busy (engine, language host, program, provider): two
# workers fill the machine. `loadfile` keeps a file's tests, which share helpers, together.
pytest -m cli -n 2 --dist loadfile
cli=$?
wait "$rest"
others=$?

echo
echo "[tests] ---- the other tests and the SDK-floor run ----"
cat "$log"
rm -rf "$log" "$basetemp"
echo
echo "[tests] real-CLI tests: $([ "$cli" -eq 0 ] && echo passed || echo FAILED)," \
  "other tests, SDK floor and wheel: $([ "$others" -eq 0 ] && echo passed || echo FAILED)"
exit $(( cli != 0 || others != 0 ))
