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

# The official Go host when it could be built, else the project's stand-in (scripts/langhost/).
install_language_host() {
  if [ -f "$BIN/.official-language-host" ]; then return 0; fi
  install -m 0755 "$HERE/langhost/pulumi-language-python" "$BIN/pulumi-language-python"
  install -m 0644 "$HERE/langhost/pulumi_language_python_standin.py" "$BIN/pulumi_language_python_standin.py"
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
  CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" \
    -o "$BIN/pulumi-language-python" github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 || return 1
  touch "$BIN/.official-language-host"
}

if have_pinned; then
  install_language_host
  log "using cached $BIN/pulumi (v$PULUMI_VERSION)"
  exit 0
fi

if command -v pulumi >/dev/null 2>&1 && [ "$(version_of "$(command -v pulumi)")" = "v$PULUMI_VERSION" ]; then
  existing="$(dirname "$(command -v pulumi)")"
  log "linking pulumi v$PULUMI_VERSION found on PATH at $existing"
  for f in "$existing"/pulumi*; do ln -sf "$f" "$BIN/$(basename "$f")"; done
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
  log "official language host could not be built from the proxy; installing the project's stand-in host"
fi
install_language_host
mv "$BIN/pulumi.tmp" "$BIN/pulumi"
cd / && rm -rf "$work"

have_pinned || { log "error: built binary does not report v$PULUMI_VERSION"; exit 1; }
log "installed $BIN/pulumi ($(version_of "$BIN/pulumi"))"
