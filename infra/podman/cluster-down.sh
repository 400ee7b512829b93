#!/usr/bin/env bash
# Stops and removes exactly the containers and volumes cluster-up.sh STATE_DIR recorded
# (nothing else), keeping each container's log in STATE_DIR/logs/ first.
# Newest first (brokers before the Redis they use); SIGTERM with 30 s grace (the broker's
# controlled shutdown), then podman kills it.
#
# usage: cluster-down.sh STATE_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
state=${1:?usage: cluster-down.sh STATE_DIR}
mkdir -p "$state/logs"
if [ -f "$state/containers" ]; then
  while read -r c; do
    [ -n "$c" ] || continue
    pm container exists "$c" || continue
    pm logs "$c" >"$state/logs/$c.log" 2>&1
    timeout 60 "${PODMAN[@]}" stop --time 30 "$c" >/dev/null 2>&1
    pm rm --force "$c" >/dev/null 2>&1 || echo "cluster-down: could not remove container $c" >&2
  done < <(tac "$state/containers")
fi
if [ -f "$state/volumes" ]; then
  while read -r v; do
    [ -n "$v" ] || continue
    pm volume exists "$v" && { pm volume rm --force "$v" >/dev/null || echo "cluster-down: could not remove volume $v" >&2; }
  done <"$state/volumes"
fi
: >"$state/containers"
: >"$state/volumes"
