#!/usr/bin/env bash
# Starts a throwaway Ceph cluster (one ceph-mon, one memstore ceph-osd, no auth) and a radosgw
# S3 endpoint on 127.0.0.1:PORT under DIR, creates an S3 user and a bucket, and waits until
# the endpoint answers. Everything lives in DIR; stop it with stop-radosgw.sh DIR (kills the
# PIDs written to DIR/*.pid, nothing else).
#
# usage: start-radosgw.sh DIR PORT [BUCKET]
# prints on success: ENDPOINT=http://127.0.0.1:PORT ACCESS_KEY=… SECRET_KEY=… BUCKET=…
set -euo pipefail
dir=${1:?usage: start-radosgw.sh DIR PORT [BUCKET]}
port=${2:?usage: start-radosgw.sh DIR PORT [BUCKET]}
bucket=${3:-strata-test}
access_key=strata-test-access
secret_key=strata-test-secret
for bin in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
  command -v "$bin" >/dev/null || { echo "start-radosgw: $bin not installed (apt-get install -y radosgw ceph-mon ceph-osd)" >&2; exit 2; }
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# On any failure, stop the daemons started so far (their PIDs are in $dir/*.pid).
cleanup_on_error() {
  local status=$?
  [ "$status" -eq 0 ] && return
  for f in "$dir"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  echo "start-radosgw: failed (exit $status); logs in $dir/log" >&2
}
trap cleanup_on_error EXIT
fsid=$(cat /proc/sys/kernel/random/uuid)
# A mon port next to the S3 port keeps parallel clusters apart.
mon_port=$((port + 1))
conf="$dir/ceph.conf"
cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = [v1:127.0.0.1:$mon_port]
ms bind msgr2 = false
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush chooseleaf type = 0
run dir = $dir/run
admin socket = $dir/run/\$cluster-\$name.asok
log file = $dir/log/\$cluster-\$name.log
pid file = $dir/\$name.pid
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
rgw data = $dir/rgw
rgw frontends = beast endpoint=127.0.0.1:$port
rgw dns name = 127.0.0.1
rgw enable usage log = false
rgw thread pool size = 64
debug rgw = 0
EOF
mkdir -p "$dir/run" "$dir/log" "$dir/mon/ceph-a" "$dir/osd/ceph-0" "$dir/rgw"
export CEPH_CONF="$conf"

monmaptool --create --clobber --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >/dev/null
ceph-mon -c "$conf" -i a
ceph_cmd() { timeout 20 ceph -c "$conf" "$@"; }
for _ in $(seq 1 100); do ceph_cmd -s >/dev/null 2>&1 && break; sleep 0.2; done
ceph_cmd -s >/dev/null

# Register the OSD under an explicit uuid and give mkfs the same one: without it the OSD
# may boot with its own random uuid and the mon refuses it ('wrong fsid').
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(ceph_cmd osd create "$osd_uuid")
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
ceph-osd -c "$conf" -i "$osd_id"
for _ in $(seq 1 150); do ceph_cmd osd stat 2>/dev/null | grep -q '1 up' && break; sleep 0.2; done

radosgw -c "$conf" -n client.rgw.a --rgw-frontends="beast endpoint=127.0.0.1:$port" --pid-file="$dir/rgw.pid" --log-file="$dir/log/rgw.log"
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
  # bash /dev/tcp fallback when curl is missing
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && ! command -v curl >/dev/null && break
  sleep 0.2
done
timeout 60 radosgw-admin -c "$conf" user create --uid=strata --display-name=strata --access-key="$access_key" --secret-key="$secret_key" >/dev/null
echo "ENDPOINT=http://127.0.0.1:$port ACCESS_KEY=$access_key SECRET_KEY=$secret_key BUCKET=$bucket"
