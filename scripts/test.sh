#!/usr/bin/env bash
# `npm test`: everything the tests need on a fresh clone, then every test. Installs the npm
# dependencies when they are missing or stale, makes sure Docker answers (scripts/ensure-docker.sh),
# finds the Pulumi CLI with its Node.js plugins (on PATH, in ~/.pulumi/bin, in the tools cache, or
# built from Go modules by scripts/install-pulumi.sh, then cached), builds, and runs ava with the
# arguments given (`npm test -- --tap`).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'test: %s\n' "$*" >&2; }

# The suite runs on Node 24 (skiff supports 22 and 24). Where the machine's node is another major
# (these machines have 20, end of life), Node 24 comes from the npm registry into the tools cache.
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" != 24 ]; then
  node_bin=$(bash scripts/install-node.sh 24)
  export PATH="$node_bin:$PATH"
  say "using Node $(node --version) from $node_bin"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing dependencies (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

bash scripts/ensure-docker.sh "${DOCKERD_LOG:-/tmp/skiff-dockerd.log}"

# Clients some tests run inside containers, from Debian's packages: a static musl C compiler (a
# client on another libc than glibc) and Debian's own Python (a plain http.server service); and
# PostgreSQL, the real database the Cloud SQL tests start (initdb, pg_ctl and psql); and Python's
# venv, in which the tests install Google's Cloud Run client from PyPI; and Chromium, the real
# browser the console's test drives (headless, through puppeteer-core, which downloads nothing).
missing=()
command -v musl-gcc >/dev/null 2>&1 || missing+=(musl-tools)
[ -x /usr/bin/python3 ] || missing+=(python3)
/usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} from Debian's packages"
    (apt-get install -y -qq "${missing[@]}" || (apt-get update -qq && apt-get install -y -qq "${missing[@]}")) >&2
  else
    say "some tests need ${missing[*]} (Debian packages); install them, or those tests fail saying so"
  fi
fi

has_pulumi() { [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-nodejs" ] && [ -x "$1/pulumi-resource-pulumi-nodejs" ]; }
pulumi_bin=""
for dir in $(dirname "$(command -v pulumi 2>/dev/null || echo /nonexistent/x)") "$HOME/.pulumi/bin" "$HOME"/.cache/skiff-tools/pulumi-*/bin; do
  if has_pulumi "$dir"; then pulumi_bin=$dir; break; fi
done
if [ -z "$pulumi_bin" ]; then
  say "the Pulumi CLI is not on PATH, in ~/.pulumi/bin or cached: building it (scripts/install-pulumi.sh)"
  pulumi_bin=$(bash scripts/install-pulumi.sh)
fi
export PATH="$pulumi_bin:$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-}"

npm run --silent build
exec npx ava "$@"
