#!/usr/bin/env bash
# The local stack: a real redis-server and the three Netra services on
# loopback, SQLite stores under .local/ (git-ignored), the demo loaded.
# Runs until Ctrl-C, then stops everything it started. Called by `./dev stack`
# after the build; ports can be moved with the environment variables below.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="$root/build"
state="$root/.local"
mkdir -p "$state/redis" "$state/stores" "$state/logs"

REDIS_PORT=${REDIS_PORT:-6390}
REGISTRY_PORT=${REGISTRY_PORT:-50051}
COMPLAINT_PORT=${COMPLAINT_PORT:-50052}
SANCTION_PORT=${SANCTION_PORT:-50053}
REGISTRY_METRICS=${REGISTRY_METRICS:-9451}
COMPLAINT_METRICS=${COMPLAINT_METRICS:-9452}
SANCTION_METRICS=${SANCTION_METRICS:-9453}

# The key NIKs are kept under (HMAC-SHA256): made once, random, readable by the owner only.
if [ ! -s "$state/nik.key" ]; then
  (umask 077 && head -c 32 /dev/urandom >"$state/nik.key")
fi
export NETRA_NIK_KEY_FILE="$state/nik.key"

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "== stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "== stopped"
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

for port in "$REDIS_PORT" "$REGISTRY_PORT" "$COMPLAINT_PORT" "$SANCTION_PORT" \
            "$REGISTRY_METRICS" "$COMPLAINT_METRICS" "$SANCTION_METRICS"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port on 127.0.0.1 is already in use; set the *_PORT variables in deploy/local/stack.sh" >&2
    exit 1
  fi
done

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$state/redis" --save "" --appendonly no \
  >"$state/logs/redis.log" 2>&1 &
pids+=($!)

export NETRA_REDIS="redis://127.0.0.1:$REDIS_PORT"
export NETRA_DEPLOYMENT=local
export NETRA_DATA_DIR="$root/data"
export NETRA_REGISTRY="127.0.0.1:$REGISTRY_PORT"
export NETRA_COMPLAINT="127.0.0.1:$COMPLAINT_PORT"
export NETRA_SANCTION="127.0.0.1:$SANCTION_PORT"

start() {  # name grpc_port metrics_port
  "$bin/netra-$1" --listen "127.0.0.1:$2" --metrics-listen "127.0.0.1:$3" \
    --store "sqlite://$state/stores/$1.db" >"$state/logs/$1.log" 2>&1 &
  pids+=($!)
}
start registry "$REGISTRY_PORT" "$REGISTRY_METRICS"
start complaint "$COMPLAINT_PORT" "$COMPLAINT_METRICS"
start sanction "$SANCTION_PORT" "$SANCTION_METRICS"

echo "== waiting for the services"
if ! "$bin/netractl" health --wait 60; then
  echo "a service did not come up; logs are in $state/logs/" >&2
  exit 1
fi

NETRACTL="$bin/netractl" METRICS_PORTS="$REGISTRY_METRICS $COMPLAINT_METRICS $SANCTION_METRICS" \
  "$root/deploy/local/demo.sh"

cat <<INFO

== Netra is running (Ctrl-C stops everything)
  redis             redis://127.0.0.1:$REDIS_PORT
  netra-registry    grpc 127.0.0.1:$REGISTRY_PORT   metrics http://127.0.0.1:$REGISTRY_METRICS/metrics
  netra-complaint   grpc 127.0.0.1:$COMPLAINT_PORT   metrics http://127.0.0.1:$COMPLAINT_METRICS/metrics
  netra-sanction    grpc 127.0.0.1:$SANCTION_PORT   metrics http://127.0.0.1:$SANCTION_METRICS/metrics
  stores            $state/stores/
  logs              $state/logs/
  try               build/netractl regions list --parent 33
INFO

# Stay up until Ctrl-C, or until one of the processes dies.
wait -n "${pids[@]}"
echo "a process of the stack exited; see $state/logs/" >&2
exit 1
