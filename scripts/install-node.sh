#!/usr/bin/env bash
# Installs Node.js from the npm registry's node-linux-<arch> package (the official binary, with its
# headers in include/node) into the tools cache, and prints its bin folder. A second run prints the
# folder at once. Used where the machine's own node is older than skiff supports (these machines
# have Node 20, end of life since April 2026).
#
#   bash scripts/install-node.sh [MAJOR]     (default 24)
set -euo pipefail
major=${1:-24}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-node: no node-linux package for $(uname -m); install Node.js $major yourself" >&2; exit 1 ;;
esac
cache=${SKIFF_TOOLS_DIR:-$HOME/.cache/skiff-tools}
# The newest release of that major line the registry has.
version=$(npm view "node-linux-$arch@$major" version 2>/dev/null | tail -1 | sed -E "s/.*'([0-9.]+)'.*/\1/; s/^node-linux-$arch@//") || true
[ -n "$version" ] || { echo "install-node: could not ask the npm registry for node-linux-$arch@$major" >&2; exit 1; }
prefix=$cache/node-$version
bin=$prefix/node_modules/node-linux-$arch/bin
if [ -x "$bin/node" ]; then echo "$bin"; exit 0; fi
echo "install-node: installing Node.js $version from the npm registry (node-linux-$arch) into $prefix" >&2
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --no-save "node-linux-$arch@$version" >&2
[ -x "$bin/node" ] || { echo "install-node: $bin/node is missing after the install" >&2; exit 1; }
echo "$bin"
