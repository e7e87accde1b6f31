#!/usr/bin/env bash
# Makes one change to this program's stack, the candidate's COLOR (to the first argument, default
# purple), and prints the report `skiff review` makes of it: what a pull request with that change
# would show its reviewer. Further arguments go to `skiff review` (e.g. --format json). The change
# stays in the stack's config: `pulumi up` applies it, `pulumi config set canaryColor blue` takes
# it back. Run `pulumi up` once first, so there is something to change.
set -euo pipefail
cd "$(dirname "$0")"
pulumi config set canaryColor "${1:-purple}"
# The skiff-run this program uses (npm install links it): its CLI, as `skiff` would run it.
node node_modules/skiff-run/dist/provider/cli/skiff.js review "${@:2}"
