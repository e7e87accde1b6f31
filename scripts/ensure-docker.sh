#!/usr/bin/env bash
# Makes sure Docker's engine answers: where it is missing on Debian as root, installs docker.io from
# Debian's packages and starts dockerd in the background, waiting for its socket. Elsewhere it says
# how to get Docker and fails. Used by `npm test`, `npm run demo` and .ci/run.
#
#   bash scripts/ensure-docker.sh [DOCKERD_LOG]
set -uo pipefail
log=${1:-/var/log/dockerd.log}
say() { printf 'ensure-docker: %s\n' "$*" >&2; }
how_to="install Docker (on Debian: apt-get install -y docker.io, then start it: dockerd &) and make sure \`docker info\` works for this user"

docker info >/dev/null 2>&1 && exit 0
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Docker's engine from Debian's packages (docker.io)"
    apt-get update -qq >&2 || { say "apt-get update failed"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >&2 || { say "apt-get install docker.io failed"; exit 1; }
  else
    say "Docker is not installed: $how_to"; exit 1
  fi
fi
if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { say "Docker's engine is not running, or this user may not use it: $how_to"; exit 1; }
  # A dockerd killed with an earlier session leaves its pid file; if that pid now belongs to another
  # process, dockerd would refuse to start.
  if [ -f /var/run/docker.pid ] && ! grep -qs dockerd "/proc/$(cat /var/run/docker.pid)/comm"; then
    rm -f /var/run/docker.pid
  fi
  say "starting dockerd (log: $log)"
  # setsid: dockerd must outlive the caller's process group.
  setsid dockerd >"$log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
  done
  tail -20 "$log" >&2 2>/dev/null
  say "Docker's engine did not answer within 60 s (see $log)"; exit 1
fi
