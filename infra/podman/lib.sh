# Sourced by the scripts in infra/podman/: image names and one podman invocation for all.
# Why these flags: on this machine (and CI's, same kind) podman runs with the runc runtime;
# builds and containers also get --network=host (no registry, no bridge network needed) and
# the ulimits below (added where they run).
# STRATA_PODMAN_STORAGE_DRIVER=vfs switches the storage driver where overlay is unavailable.

# Image names shared by the scripts (override through the environment).
STRATA_BASE_IMAGE=${STRATA_BASE_IMAGE:-localhost/strata-base:node20}
STRATA_IMAGE=${STRATA_IMAGE:-localhost/strata:smoke}
STRATA_REDIS_IMAGE=${STRATA_REDIS_IMAGE:-localhost/strata-redis:smoke}

PODMAN=(podman --runtime runc)
[ -n "${STRATA_PODMAN_STORAGE_DRIVER:-}" ] && PODMAN+=(--storage-driver "$STRATA_PODMAN_STORAGE_DRIVER")
pm() { "${PODMAN[@]}" "$@"; }

# Container ulimits. podman's default (nofile 1048576, nproc 4194304) and, with podman 4.3,
# even `--ulimit host` fail here with "error setting rlimit type 7/6: operation not
# permitted": the sandbox allows no raise above the hard limits podman itself runs with
# (nofile = the shell's hard limit, nproc = 32768 as measured under conmon). So the limits are
# given explicitly at those values. STRATA_PODMAN_ULIMITS="host" (or other --ulimit values,
# space-separated) overrides this.
if [ -n "${STRATA_PODMAN_ULIMITS:-}" ]; then
  ULIMITS=()
  for u in $STRATA_PODMAN_ULIMITS; do ULIMITS+=(--ulimit "$u"); done
else
  nofile_max=$(ulimit -Hn); nproc_max=$(ulimit -Hu)
  [ "$nofile_max" = unlimited ] && nofile_max=1048576
  { [ "$nproc_max" = unlimited ] || [ "$nproc_max" -gt 32768 ]; } && nproc_max=32768
  ULIMITS=(--ulimit "nofile=$nofile_max:$nofile_max" --ulimit "nproc=$nproc_max:$nproc_max")
fi

# Seconds since the epoch, for the timings the scripts print.
now() { date +%s; }
