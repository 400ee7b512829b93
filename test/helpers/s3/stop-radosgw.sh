#!/usr/bin/env bash
# Stops the cluster start-radosgw.sh started under DIR: only the PIDs it wrote there.
set -uo pipefail
dir=${1:?usage: stop-radosgw.sh DIR}
for f in "$dir"/rgw.pid "$dir"/osd.*.pid "$dir"/mon.*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
done
rm -rf "$dir"
