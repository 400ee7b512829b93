#!/usr/bin/env bash
# Starts a Strata cluster in podman containers on this host's network: one Redis container
# (Containerfile.redis, its own port) and N broker containers (infra/Dockerfile's image) with
# cluster.enable=true, distinct node ids, Kafka and HTTP ports and one named volume each for
# /data, all sharing one S3 bucket for tiered storage. Waits until every broker's /readyz
# answers 200. Every container and volume name is written to STATE_DIR *before* it is
# created, so cluster-down.sh STATE_DIR removes exactly what this started, even after a failure.
#
# usage: cluster-up.sh STATE_DIR
# needs: STRATA_S3_ENDPOINT STRATA_S3_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
# optional: STRATA_CLUSTER_NAME (container name prefix, default strata-smoke), STRATA_BROKERS (3),
#   STRATA_KAFKA_PORT_BASE (19092: brokers on 19092, 19093, …), STRATA_HTTP_PORT_BASE (18080),
#   STRATA_REDIS_PORT (16390), STRATA_READY_TIMEOUT_S (120), STRATA_TASK_INTERVAL_MS (1000)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
state=${1:?usage: cluster-up.sh STATE_DIR}
: "${STRATA_S3_ENDPOINT:?}" "${STRATA_S3_BUCKET:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"
name=${STRATA_CLUSTER_NAME:-strata-smoke}
brokers=${STRATA_BROKERS:-3}
kafka_base=${STRATA_KAFKA_PORT_BASE:-19092}
http_base=${STRATA_HTTP_PORT_BASE:-18080}
redis_port=${STRATA_REDIS_PORT:-16390}
ready_timeout=${STRATA_READY_TIMEOUT_S:-120}
task_interval=${STRATA_TASK_INTERVAL_MS:-1000}
mkdir -p "$state"
touch "$state/containers" "$state/volumes"

# Raw RESP PING over bash's /dev/tcp (no redis-cli on the host needed).
redis_ping() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$redis_port && printf 'PING\r\n' >&3 && head -c 5 <&3" 2>/dev/null | grep -q '+PONG'; }
if redis_ping; then echo "cluster-up: port $redis_port already answers Redis; not ours, refusing" >&2; exit 1; fi

echo "$name-redis" >>"$state/containers"
pm run --detach --name "$name-redis" --network=host "${ULIMITS[@]}" "$STRATA_REDIS_IMAGE" --port "$redis_port" >/dev/null
for _ in $(seq 1 100); do redis_ping && break; sleep 0.1; done
redis_ping || { echo "cluster-up: Redis container does not answer on 127.0.0.1:$redis_port" >&2; exit 1; }
echo "cluster-up: Redis on 127.0.0.1:$redis_port ($name-redis)"

for i in $(seq 0 $((brokers - 1))); do
  kafka_port=$((kafka_base + i)) http_port=$((http_base + i))
  echo "$name-$i" >>"$state/containers"
  echo "$name-data-$i" >>"$state/volumes"
  pm volume create "$name-data-$i" >/dev/null
  # Every setting as STRATA_<UPPER_SNAKE> (src/config/load-config.ts). The upload task and the
  # retention pass run every second (STRATA_TASK_INTERVAL_MS) so that the smoke test sees
  # segments uploaded and local copies dropped within seconds; a long-lived cluster can use the
  # defaults (5 s and 5 min).
  pm run --detach --name "$name-$i" --network=host "${ULIMITS[@]}" \
    --volume "$name-data-$i:/data" \
    -e STRATA_NODE_ID="$i" \
    -e STRATA_CLUSTER_ENABLE=true \
    -e STRATA_REDIS_URL="redis://127.0.0.1:$redis_port" \
    -e STRATA_LISTENERS="PLAINTEXT://127.0.0.1:$kafka_port" \
    -e STRATA_ADVERTISED_LISTENERS="PLAINTEXT://127.0.0.1:$kafka_port" \
    -e STRATA_HTTP_LISTENERS="127.0.0.1:$http_port" \
    -e STRATA_LOG_DIRS=/data \
    -e STRATA_REMOTE_STORAGE_S3_BUCKET="$STRATA_S3_BUCKET" \
    -e STRATA_REMOTE_STORAGE_S3_ENDPOINT="$STRATA_S3_ENDPOINT" \
    -e STRATA_REMOTE_STORAGE_S3_REGION=us-east-1 \
    -e STRATA_REMOTE_STORAGE_S3_PATH_STYLE_ACCESS=true \
    -e STRATA_LOG_REMOTE_STORAGE_ENABLE=true \
    -e STRATA_REMOTE_LOG_MANAGER_TASK_INTERVAL_MS="$task_interval" \
    -e STRATA_LOG_RETENTION_CHECK_INTERVAL_MS="$task_interval" \
    -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY \
    "$STRATA_IMAGE" broker >/dev/null
  echo "cluster-up: broker node.id=$i on 127.0.0.1:$kafka_port, HTTP 127.0.0.1:$http_port ($name-$i)"
done

started=$(now)
for i in $(seq 0 $((brokers - 1))); do
  url="http://127.0.0.1:$((http_base + i))/readyz"
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" = 200 ]; do
    if [ "$(pm inspect --format '{{.State.Running}}' "$name-$i")" != true ]; then
      echo "cluster-up: $name-$i exited; its log:" >&2; pm logs --tail 40 "$name-$i" >&2; exit 1
    fi
    if [ $(( $(now) - started )) -ge "$ready_timeout" ]; then
      echo "cluster-up: $url not ready after ${ready_timeout}s: $(curl -s --max-time 2 "$url")" >&2; exit 1
    fi
    sleep 0.5
  done
done
echo "cluster-up: $brokers brokers ready in $(( $(now) - started ))s"
