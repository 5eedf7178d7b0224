#!/usr/bin/env bash
# Make a Pulumi CLI of the pinned version available in $PULUMI_TOOLS_DIR/bin.
#
# Order: an existing `pulumi` at the pinned version (PATH or tool folder) -> the official
# installer -> a build from the Go module proxy. The result is cached outside the git tree and
# never rebuilt while the pinned version is present.
set -euo pipefail

PULUMI_VERSION="${PULUMI_VERSION:?PULUMI_VERSION must be set (see Makefile)}"
TOOLS_DIR="${PULUMI_TOOLS_DIR:?PULUMI_TOOLS_DIR must be set (see Makefile)}"
BIN="$TOOLS_DIR/bin"
HERE="$(cd "$(dirname "$0")" && pwd)"

log() { printf '[pulumi-cli] %s\n' "$*" >&2; }

version_of() { "$1" version 2>/dev/null | tr -d '[:space:]'; }

have_pinned() {
  [ -x "$BIN/pulumi" ] && [ "$(version_of "$BIN/pulumi")" = "v$PULUMI_VERSION" ]
}

# Helper files the Python runtime needs next to the CLI; cheap, so refreshed on every run.
install_python_runtime_files() {
  local sdk_dir="$1"
  install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
  install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"
}

mkdir -p "$BIN"

# The Python language host. Every run of this script (every `make`) chooses it again, so a
# changed PULUMI_LANGUAGE_PYTHON_HOST takes effect without rebuilding the CLI:
#   1. PULUMI_LANGUAGE_PYTHON_HOST=/path/to/pulumi-language-python: Pulumi's official Go host,
#      prebuilt (for example ../shared/tools/pulumi-language-python, which .ci/run uses);
#   2. else the official host built from the Go module proxy with the CLI, when that worked;
#   3. else the project's stand-in (scripts/langhost/).
# The choice is recorded in $BIN/.language-host ("official <source> <sha256>" or "stand-in").
HOST_RECORD="$BIN/.language-host"
# The official host that came with the CLI or was built with it (absent when neither worked).
BUILT_HOST="$TOOLS_DIR/libexec/pulumi-language-python.built"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

install_language_host() {
  local given="${PULUMI_LANGUAGE_PYTHON_HOST:-}" source record
  if [ -n "$given" ]; then
    if [ ! -f "$given" ] || [ ! -x "$given" ]; then
      log "error: PULUMI_LANGUAGE_PYTHON_HOST=$given is not an executable file"
      exit 1
    fi
    # The stand-in is a shell script; an official host is a Go binary (ELF).
    if [ "$(head -c 4 "$given" | od -An -c | tr -d ' ')" != "177ELF" ]; then
      log "error: PULUMI_LANGUAGE_PYTHON_HOST=$given is not a compiled language host (no ELF header)"
      exit 1
    fi
    source="$given"
  elif [ -x "$BUILT_HOST" ]; then
    source="$BUILT_HOST"
  fi
  if [ -n "${source:-}" ]; then
    record="official $source $(sha256_of "$source")"
    if [ "$(cat "$HOST_RECORD" 2>/dev/null)" != "$record" ]; then
      install -m 0755 "$source" "$BIN/pulumi-language-python"
      rm -f "$BIN/pulumi_language_python_standin.py"
      printf '%s\n' "$record" > "$HOST_RECORD"
    fi
    log "language host: Pulumi's official pulumi-language-python (from $source)"
    return 0
  fi
  install -m 0755 "$HERE/langhost/pulumi-language-python" "$BIN/pulumi-language-python"
  install -m 0644 "$HERE/langhost/pulumi_language_python_standin.py" "$BIN/pulumi_language_python_standin.py"
  printf 'stand-in %s\n' "$HERE/langhost" > "$HOST_RECORD"
  log "language host: the project's stand-in (scripts/langhost/; set PULUMI_LANGUAGE_PYTHON_HOST to use an official host)"
}

# Try to build Pulumi's own Python language host. Its module has no tags, so it is reachable only
# by the pseudo-version of the release commit, which the proxy must serve.
build_official_language_host() {
  local info hash stamp pseudo
  info="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")"
  hash="$(printf '%s' "$info" | sed -n 's/.*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -n1)"
  if [ -z "$hash" ]; then
    log "official language host: the proxy gives no commit hash for sdk/v3@v$PULUMI_VERSION; asking it for the host module:"
    go list -m -json "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3@latest" 2>&1 | tail -n 2 >&2 || true
    return 1
  fi
  stamp="$(printf '%s' "$info" | sed -n 's/.*"Time": "\([^"]*\)".*/\1/p' | head -n1 | tr -d ':TZ-')"
  pseudo="v3.0.0-${stamp:0:14}-${hash:0:12}"
  go get -tool "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3@$pseudo" || return 1
  go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION" || return 1
  mkdir -p "$(dirname "$BUILT_HOST")"
  CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" \
    -o "$BUILT_HOST" github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 || return 1
}

if have_pinned; then
  install_language_host
  log "using cached $BIN/pulumi (v$PULUMI_VERSION)"
  exit 0
fi

if command -v pulumi >/dev/null 2>&1 && [ "$(version_of "$(command -v pulumi)")" = "v$PULUMI_VERSION" ]; then
  existing="$(dirname "$(command -v pulumi)")"
  log "linking pulumi v$PULUMI_VERSION found on PATH at $existing"
  for f in "$existing"/pulumi*; do
    case "$(basename "$f")" in pulumi-language-python) continue ;; esac
    ln -sf "$f" "$BIN/$(basename "$f")"
  done
  # The official host that came with that CLI is what this tool folder falls back to.
  if [ -x "$existing/pulumi-language-python" ]; then
    mkdir -p "$(dirname "$BUILT_HOST")"
    ln -sf "$existing/pulumi-language-python" "$BUILT_HOST"
  fi
  install_language_host
  exit 0
fi

if [ "${PULUMI_WORKPLACE_SKIP_INSTALLER:-}" != "1" ] && curl -fsS -m 10 -o /dev/null https://get.pulumi.com/ 2>/dev/null; then
  log "installing v$PULUMI_VERSION with the official installer"
  tmp="$(mktemp -d)"
  curl -fsSL -m 120 https://get.pulumi.com/ -o "$tmp/install.sh"
  sh "$tmp/install.sh" --version "$PULUMI_VERSION" --install-root "$TOOLS_DIR" --no-edit-path
  rm -rf "$tmp"
  have_pinned && exit 0
  log "official installer did not leave v$PULUMI_VERSION in $BIN; building from source instead"
fi

command -v go >/dev/null 2>&1 || { log "error: neither the official installer nor a Go toolchain is available"; exit 1; }

log "building pulumi v$PULUMI_VERSION from the Go module proxy (first time only; takes several minutes)"
work="$TOOLS_DIR/build"
rm -rf "$work" && mkdir -p "$work"
cd "$work"
go mod init example.invalid/pulumi-build >/dev/null 2>&1
go mod edit -replace=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION"
go get "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" \
  -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
sdk_dir="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install_python_runtime_files "$sdk_dir"
if ! build_official_language_host; then
  log "official language host could not be built from the proxy"
fi
install_language_host
mv "$BIN/pulumi.tmp" "$BIN/pulumi"
cd / && rm -rf "$work"

have_pinned || { log "error: built binary does not report v$PULUMI_VERSION"; exit 1; }
log "installed $BIN/pulumi ($(version_of "$BIN/pulumi"))"
