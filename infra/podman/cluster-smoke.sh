#!/usr/bin/env bash
# End-to-end smoke test of the container deployment, for real: builds the local base image and
# the broker + Redis images with podman, starts a throwaway radosgw (one bucket), a Redis
# container and 3 broker containers (cluster-up.sh), then with real clients — the image's own
# `strata` CLI to create the topic, kcat (librdkafka) for everything else:
#   - Metadata through each broker lists all 3 brokers, and every partition has a leader;
#   - a topic of 6 partitions with remote.storage.enable=true (16 KiB segments, so they seal);
#   - the partitions are led by all 3 brokers;
#   - N keyed records produced with acks=all through broker 0;
#   - sealed segments reach the bucket (strata_remote_storage_uploaded_bytes_total > 0 summed
#     over the brokers; the topic keeps nothing uploaded locally: local.retention.bytes=0);
#   - all N consumed back through broker 2 and compared record for record (key and value),
#     part of them read from the bucket (strata_remote_storage_reads_total > 0);
#   - SIGTERM to broker 1 (podman stop): it exits 0 after its controlled shutdown, brokers 0
#     and 2 lead all 6 partitions, and all N records read back again, identical.
# Always cleans up (trap): only the containers/volumes it recorded and the radosgw it started.
# Ends with one line: `cluster-smoke: PASS …` (exit 0) or `cluster-smoke: FAIL: …` (exit 1).
#
# usage: infra/podman/cluster-smoke.sh    (root; podman, runc, debootstrap, kcat, curl, radosgw)
# optional: SMOKE_RECORDS (3000), SMOKE_KEEP_LOGS=1 (keep the state dir with container logs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
records=${SMOKE_RECORDS:-3000}
partitions=6
export STRATA_CLUSTER_NAME=${STRATA_CLUSTER_NAME:-strata-smoke-$$}
kafka_base=${STRATA_KAFKA_PORT_BASE:-19092}
http_base=${STRATA_HTTP_PORT_BASE:-18080}
rgw_port=${SMOKE_RGW_PORT:-17480}
export STRATA_KAFKA_PORT_BASE=$kafka_base STRATA_HTTP_PORT_BASE=$http_base STRATA_BROKERS=3
state=$(mktemp -d /var/tmp/strata-smoke-XXXXXX)
topic=smoke-$(date +%s)
started_all=$(now)
failed=""

fail() { failed="$*"; echo "cluster-smoke: $*" >&2; exit 1; }
cleanup() {
  local status=$?
  set +e
  "$here/cluster-down.sh" "$state"
  [ -d "$state/rgw" ] && "$repo/test/helpers/s3/stop-radosgw.sh" "$state/rgw"
  if [ "$status" -eq 0 ]; then
    echo "cluster-smoke: PASS ($records records over $partitions partitions on 3 broker containers, $(( $(now) - started_all ))s)"
    [ "${SMOKE_KEEP_LOGS:-0}" = 1 ] || rm -rf "$state"
  else
    for f in "$state"/logs/*.log; do [ -f "$f" ] && { echo "--- tail of $f" >&2; tail -n 20 "$f" >&2; }; done
    echo "cluster-smoke: FAIL: ${failed:-exit $status in a setup step} (logs in $state/logs)"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n=== cluster-smoke: %s (+%ss)\n' "$*" "$(( $(now) - started_all ))"; }

step "base image"
t=$(now); "$here/build-base.sh"; echo "cluster-smoke: base image step $(( $(now) - t ))s"
step "broker and Redis images"
t=$(now); "$here/build-images.sh"; echo "cluster-smoke: image build step $(( $(now) - t ))s"

step "radosgw (one bucket)"
# Up to 3 tries: the one-OSD cluster sometimes fails to boot ('wrong fsid') while other Ceph
# test clusters run on the same host; each try gets a fresh directory and port.
rgw=""
for try in 1 2 3; do
  rgw=$(timeout 180 "$repo/test/helpers/s3/start-radosgw.sh" "$state/rgw" "$rgw_port" strata-smoke) && break
  rgw=""
  echo "cluster-smoke: radosgw try $try failed" >&2
  "$repo/test/helpers/s3/stop-radosgw.sh" "$state/rgw"
  rgw_port=$((rgw_port + 10))
done
[ -n "$rgw" ] || fail "radosgw did not start (3 tries)"
eval "$(echo "$rgw" | tail -n 1 | tr ' ' '\n' | grep -E '^(ENDPOINT|ACCESS_KEY|SECRET_KEY|BUCKET)=')"
export STRATA_S3_ENDPOINT=$ENDPOINT STRATA_S3_BUCKET=$BUCKET AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY
# The helper makes the S3 user; the bucket is made here with the AWS SDK inside the broker
# image (curl's --aws-sigv4 in bookworm is refused by radosgw: SignatureDoesNotMatch).
timeout 60 "${PODMAN[@]}" run --rm --network=host "${ULIMITS[@]}" -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY \
  --entrypoint node "$STRATA_IMAGE" -e '
    const { S3Client, CreateBucketCommand } = require("@aws-sdk/client-s3");
    const s3 = new S3Client({ endpoint: process.argv[1], region: "us-east-1", forcePathStyle: true });
    s3.send(new CreateBucketCommand({ Bucket: process.argv[2] })).catch((e) => { console.error(e.message); process.exit(1); });
  ' "$ENDPOINT" "$BUCKET" || fail "could not create bucket $BUCKET at $ENDPOINT"
echo "cluster-smoke: bucket $BUCKET at $ENDPOINT"

step "Redis + 3 broker containers"
t=$(now); "$here/cluster-up.sh" "$state" || fail "the cluster did not come up"
echo "cluster-smoke: cluster up in $(( $(now) - t ))s"
b0=127.0.0.1:$kafka_base b2=127.0.0.1:$((kafka_base + 2))

step "Metadata through each broker lists 3 brokers"
# A broker is ready before it has seen the others join (heartbeat 2 s): poll up to 30 s.
brokers_seen() { timeout 15 kcat -L -J -b "$1" -m 10 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).brokers.length))'; }
for i in 0 1 2; do
  n=0
  for _ in $(seq 1 60); do
    n=$(brokers_seen "127.0.0.1:$((kafka_base + i))") || n=0
    [ "$n" = 3 ] && break
    sleep 0.5
  done
  [ "$n" = 3 ] || fail "Metadata through broker $i lists $n brokers, not 3"
done
echo "cluster-smoke: each broker's Metadata lists 3 brokers"

step "create topic $topic ($partitions partitions, remote.storage.enable=true) with the image's strata CLI"
timeout 60 "${PODMAN[@]}" exec "$STRATA_CLUSTER_NAME-0" node dist/src/cli/strata.js --bootstrap-server "$b0" \
  topics create "$topic" --partitions "$partitions" --config remote.storage.enable=true --config segment.bytes=16384 --config local.retention.bytes=0 ||
  fail "topic creation failed"
# Every partition led, by all three brokers between them, as every broker sees it.
leaders() { timeout 30 kcat -L -J -b "$1" -t "$topic" -m 10 2>/dev/null | node -e '
  let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{ const t=JSON.parse(s).topics[0];
  console.log(t.partitions.sort((a,b)=>a.partition-b.partition).map(p=>p.error?-1:p.leader).join(",")); })'; }
spread=""
for _ in $(seq 1 60); do
  l0=$(leaders "$b0") || l0=""; l2=$(leaders "$b2") || l2=""
  if [ -n "$l0" ] && [ "$l0" = "$l2" ] && ! echo ",$l0," | grep -q ',-1,' && [ "$(echo "$l0" | tr ',' '\n' | sort -u | wc -l)" = 3 ]; then spread=$l0; break; fi
  sleep 0.5
done
[ -n "$spread" ] || fail "partitions not led by all 3 brokers (broker 0 sees '$l0', broker 2 sees '$l2')"
echo "cluster-smoke: partition leaders $spread"

step "produce $records records, acks=all, through broker 0"
expected="$state/expected.txt"
seq 1 "$records" | awk '{ printf "key-%06d:value-%06d-%s\n", $1, $1, "payload-payload-payload-payload-payload-payload" }' >"$expected"
t=$(now)
# Batches of 100 records: many batches per partition, so its 16 KiB segments roll and seal.
timeout 120 kcat -P -b "$b0" -t "$topic" -K: -X acks=all -X enable.idempotence=true -X batch.num.messages=100 -q <"$expected" ||
  fail "kcat produce failed"
echo "cluster-smoke: produced in $(( $(now) - t ))s"

step "sealed segments uploaded to the bucket, then deleted locally (local.retention.bytes=0)"
# Sum of a metric (every label set) over the three brokers' /metrics.
metric_sum() {
  local total=0 v i
  for i in 0 1 2; do
    v=$(curl -s --max-time 2 "http://127.0.0.1:$((http_base + i))/metrics" | awk -v m="$1" 'index($0, m) == 1 && (substr($0, length(m) + 1, 1) == "{" || substr($0, length(m) + 1, 1) == " ") { s += $NF } END { printf "%d", s }')
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
uploaded=0 lag=1
for _ in $(seq 1 60); do
  uploaded=$(metric_sum strata_remote_storage_uploaded_bytes_total)
  lag=$(metric_sum strata_remote_storage_upload_lag_segments)
  [ "$uploaded" -gt 0 ] && [ "$lag" = 0 ] && break
  sleep 1
done
[ "$uploaded" -gt 0 ] || fail "no bytes uploaded to the bucket (strata_remote_storage_uploaded_bytes_total)"
[ "$lag" = 0 ] || fail "$lag sealed segments still not uploaded after 60 s"
echo "cluster-smoke: $uploaded bytes in $(metric_sum strata_remote_storage_uploaded_segments_total) segments uploaded to s3://$BUCKET, none pending"
# The retention pass (every second here, see cluster-up.sh) then drops the uploaded local copies.
sleep 3

step "consume everything back through broker 2"
got="$state/got.txt"
timeout 120 kcat -C -b "$b2" -t "$topic" -o beginning -e -q -f '%p %k:%s\n' >"$got" || fail "kcat consume failed"
count=$(wc -l <"$got")
[ "$count" = "$records" ] || fail "consumed $count records, expected $records"
cut -d' ' -f2- "$got" | sort | cmp -s - <(sort "$expected") || fail "consumed records differ from the produced ones"
used=$(cut -d' ' -f1 "$got" | sort -u | wc -l)
[ "$used" = "$partitions" ] || fail "records landed in $used partitions, expected $partitions"
echo "cluster-smoke: $count records read back through broker 2, identical, over $used partitions"
reads=$(metric_sum strata_remote_storage_reads_total)
[ "$reads" -gt 0 ] || fail "no fetch was served from the bucket (strata_remote_storage_reads_total = 0)"
echo "cluster-smoke: $reads fetch reads served from the bucket"


step "SIGTERM to broker 1: controlled shutdown hands its partitions to brokers 0 and 2"
timeout 90 "${PODMAN[@]}" stop --time 60 "$STRATA_CLUSTER_NAME-1" >/dev/null || fail "podman stop of broker 1 failed"
code=$(pm inspect --format '{{.State.ExitCode}}' "$STRATA_CLUSTER_NAME-1")
[ "$code" = 0 ] || fail "broker 1 exited with code $code after SIGTERM"
moved=""
for _ in $(seq 1 60); do
  l0=$(leaders "$b0") || l0=""
  if [ -n "$l0" ] && ! echo ",$l0," | grep -qE ',(-1|1),'; then moved=$l0; break; fi
  sleep 0.5
done
[ -n "$moved" ] || fail "after broker 1 stopped, broker 0 reports leaders '$l0' (wanted only 0 and 2)"
echo "cluster-smoke: broker 1 exited 0; partition leaders now $moved"
got2="$state/got-after-stop.txt"
timeout 120 kcat -C -b "$b0" -t "$topic" -o beginning -e -q -f '%k:%s\n' >"$got2" || fail "kcat consume after the stop failed"
sort "$got2" | cmp -s - <(sort "$expected") || fail "after broker 1 stopped, broker 0 and 2 serve $(wc -l <"$got2") records, not the $records produced"
echo "cluster-smoke: all $records records read back through broker 0 after the handover, identical"
