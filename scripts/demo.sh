#!/usr/bin/env bash
# `npm run demo`: from a fresh clone to a service answering on its URL. Safe to run again: it reuses
# the running engine, the built image and the deployed service.
#
# Steps: make sure Docker answers (on Debian as root, install docker.io and start dockerd), install
# and build the package, build a sample image locally (no registry needed), start the engine,
# deploy `hello`, and request its URL.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
skiff() { node "$repo/dist/provider/cli/skiff.js" "$@"; }  # the node on PATH below: 22 or 24
say() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

say "Checking Docker"
bash scripts/ensure-docker.sh || die "Docker is needed; see the line above"
docker version --format 'Docker engine {{.Server.Version}}'

# skiff runs on Node 22 or 24; where the machine's node is older (these machines have 20, end of
# life), Node 24 comes from the npm registry into the tools cache, as for npm test.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)' 2>/dev/null; then
  say "Installing Node.js 24 (this machine has $(node --version 2>/dev/null || echo none); skiff needs 22 or 24)"
  node_bin=$(bash scripts/install-node.sh 24) || die "could not install Node.js 24 from the npm registry"
  export PATH="$node_bin:$PATH"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

say "Building (npm run build)"
npm run --silent build

say "Building the sample image locally (FROM scratch + this machine's node + scripts/hello/server.js)"
image=$(node scripts/demo-image.js)
echo "$image"

say "Starting the engine (skiff engine start)"
if skiff engine status >/dev/null 2>&1; then
  echo "already running"
else
  skiff engine start
fi
home=${SKIFF_HOME:-$HOME/.skiff}
ingress_port=$(node -e 'console.log(require(process.argv[1]).ingressPort)' "$home/engine.json")

say "Deploying the service (skiff deploy hello --image $image)"
skiff deploy hello --image "$image"

url="http://hello.localhost:$ingress_port/"
say "Requesting $url"
# curl resolves *.localhost to loopback itself; fall back to Node with a Host header where it is missing.
if command -v curl >/dev/null 2>&1; then
  answer=$(curl -sS --max-time 30 "$url")
else
  answer=$(node -e '
    const http = require("node:http");
    http.get({ host: "127.0.0.1", port: process.argv[1], path: "/", headers: { host: `hello.localhost:${process.argv[1]}` } },
      (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => process.stdout.write(b)); })
      .on("error", (e) => { console.error(e.message); process.exit(1); });' "$ingress_port")
fi
echo "$answer"

cat <<EOF

The service answers at: $url
Try:   alias skiff="$(command -v node) $repo/dist/provider/cli/skiff.js"
       skiff services describe hello
       skiff deploy hello --image $image --env GREETING=Bonjour    # makes revision 00002
       skiff revisions list --service hello
       skiff engine stop                                             # containers keep running; start again to re-adopt
Clean up: skiff services delete hello && skiff engine stop
EOF
