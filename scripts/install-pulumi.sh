#!/usr/bin/env bash
# Builds the Pulumi CLI and its Node.js language host from Go modules (for machines where no
# registry ships the prebuilt binaries), adds the dynamic-provider launcher, and prints the bin
# folder. Cached in ~/.cache/skiff-tools/pulumi-<version>: a second run prints the folder at once.
# Needs Go >= 1.25; the first build takes a few minutes (progress in <folder>/build.log).
#
# What it builds and why:
# - pulumi (engine and CLI) from github.com/pulumi/pulumi/pkg/v3, through a wrapper module (`go
#   install pkg@version` refuses modules whose go.mod has replace directives).
# - pulumi-language-nodejs from github.com/pulumi/pulumi/sdk/v3@v3.68.0, the last release in which the
#   Node.js language host lived inside the sdk module; it only launches node with @pulumi/pulumi's own
#   run harness, and works with the newer CLI for JavaScript and TypeScript programs.
# - pulumi-resource-pulumi-nodejs: the launcher the engine uses for dynamic providers; it runs the
#   dynamic-provider entry point of the @pulumi/pulumi found from the program's folder.
set -euo pipefail
version=${PULUMI_VERSION:-3.259.0}
host_version=3.68.0
prefix=${PULUMI_TOOLS_DIR:-$HOME/.cache/skiff-tools/pulumi-$version}
bin=$prefix/bin
if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] && [ -x "$bin/pulumi-resource-pulumi-nodejs" ]; then
  echo "$bin"; exit 0
fi
command -v go >/dev/null 2>&1 || { echo "install-pulumi: Go is not installed; it is needed to build the Pulumi CLI (or install pulumi yourself: https://www.pulumi.com/docs/install/)" >&2; exit 1; }
log=$prefix/build.log; mkdir -p "$bin"; : >"$log"
echo "install-pulumi: building pulumi v$version and its Node.js language host (a few minutes; log: $log)" >&2
export GOFLAGS=-mod=mod GOSUMDB=off
tags=osusergo,grpcnotrace
build() { # build <module dir> <package> <output> <version>
  (cd "$1" && go build -trimpath -tags "$tags" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$4" -o "$3" "$2")
}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cli" "$work/host"
cat >"$work/cli/go.mod" <<MOD
module local/pulumi-cli

go 1.25

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
printf 'module local/pulumi-language-host\n\ngo 1.25\n' >"$work/host/go.mod"
{
  (cd "$work/cli" && go get "github.com/pulumi/pulumi/pkg/v3@v$version" "github.com/pulumi/pulumi/sdk/v3@v$version")
  build "$work/cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$bin/pulumi" "$version"
  (cd "$work/host" && go get "github.com/pulumi/pulumi/sdk/v3@v$host_version")
  build "$work/host" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs "$bin/pulumi-language-nodejs" "$host_version"
} >>"$log" 2>&1 || { echo "install-pulumi: the build failed; see $log" >&2; tail -20 "$log" >&2; exit 1; }
cat >"$bin/pulumi-resource-pulumi-nodejs" <<'SHIM'
#!/bin/sh
entry=$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))") || {
  echo "pulumi-resource-pulumi-nodejs: @pulumi/pulumi is not installed in $(pwd) or its parents" >&2; exit 1; }
exec node "$entry" "$@"
SHIM
chmod +x "$bin/pulumi-resource-pulumi-nodejs"
"$bin/pulumi" version >&2
echo "$bin"
