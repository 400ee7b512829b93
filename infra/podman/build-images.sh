#!/usr/bin/env bash
# Builds the broker image (infra/Dockerfile) and the Redis image (Containerfile.redis) with
# podman on the local base image (build-base.sh), with --network=host so that apt-get and
# npm ci inside the build reach Debian's mirror and the npm registry. podman's layer cache makes
# a rebuild with unchanged sources quick. --format docker keeps the Dockerfile's HEALTHCHECK.
#
# usage: infra/podman/build-images.sh     (from anywhere; the repository root is the context)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
repo=$(cd "$here/../.." && pwd)
build_timeout=${STRATA_BUILD_TIMEOUT_S:-900}

pm image exists "$STRATA_BASE_IMAGE" || { echo "build-images: no $STRATA_BASE_IMAGE (run build-base.sh)" >&2; exit 1; }
build() {
  timeout "$build_timeout" "${PODMAN[@]}" build --format docker --network=host "${ULIMITS[@]}" --build-arg BASE_IMAGE="$STRATA_BASE_IMAGE" "$@"
}

started=$(now)
build -f "$repo/infra/Dockerfile" -t "$STRATA_IMAGE" "$repo"
echo "build-images: $STRATA_IMAGE built in $(( $(now) - started ))s"
started=$(now)
build -f "$here/Containerfile.redis" -t "$STRATA_REDIS_IMAGE" "$here"
echo "build-images: $STRATA_REDIS_IMAGE built in $(( $(now) - started ))s"
