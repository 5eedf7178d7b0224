#!/usr/bin/env bash
# `make demo`: start the bundled Workplace emulator on loopback, then `pulumi up` the root program
# (stack `demo`, file backend in .pulumi-state/) against it. Run it twice: the second run reports
# no changes, because the emulator keeps its accounts in .demo/workplace.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."

export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-pulumi-workplace-demo}"
export WORKPLACE_TOKEN="${WORKPLACE_TOKEN:-demo-token-not-secret}"
export WORKPLACE_EMULATOR_TOKEN="$WORKPLACE_TOKEN"
PORT="${DEMO_PORT:-18443}"
export WORKPLACE_TENANT_URL="http://127.0.0.1:$PORT/"
mkdir -p .demo .pulumi-state .pulumi-home

pulumi-workplace emulator --host 127.0.0.1 --port "$PORT" --data .demo/workplace.jsonl \
  > .demo/emulator.log 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "listening" .demo/emulator.log 2>/dev/null && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat .demo/emulator.log; exit 1; }
  sleep 0.1
done
echo "Workplace emulator on $WORKPLACE_TENANT_URL (log: .demo/emulator.log)"

pulumi stack select demo --create --non-interactive >/dev/null
pulumi up --yes --non-interactive --stack demo
echo
echo "Accounts in the emulator: $(curl -fsS "http://127.0.0.1:$PORT/_emulator/stats" >/dev/null && \
  python -c "import json,urllib.request;print(len(json.load(urllib.request.urlopen('http://127.0.0.1:$PORT/_emulator/users'))))")"
