#!/usr/bin/env bash
# The local stack: a real redis-server and the three Netra services on
# loopback, SQLite stores under .local/ (git-ignored), the demo loaded, and
# Prometheus scraping every service when Debian's `prometheus` is installed.
# Runs until Ctrl-C, then stops everything it started. Called by `./dev stack`
# after the build; ports can be moved with the environment variables below.
#
# Provincial profile: `./dev stack --replicas N` (or NETRA_REPLICAS=N) runs N
# replicas of each service sharing its store and the one Redis; replica i
# (from 0) of a service listens on its base ports + 10*i, e.g. the registry on
# 50051, 50061, 50071 with /metrics on 9451, 9461, 9471. Every client (the
# services' peer targets, netractl, Prometheus) is given all replicas and
# spreads its calls over them round-robin.
#
# `./dev stack --store postgresql` (or NETRA_STACK_STORE=postgresql): the stores
# are databases of a local PostgreSQL cluster instead (deploy/local/postgres.sh,
# data under .local/postgres/, on 127.0.0.1:$PG_PORT), one database and role per
# service, each service given its URL and password file; the cluster stops with
# the stack. NETRA_POSTGRES_SERVICES lists the services that get PostgreSQL
# (default all three; the others keep their SQLite files). Works with --replicas N too.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="${NETRA_BIN:-$root/build}"
state="$root/.local"

REPLICAS=${NETRA_REPLICAS:-1}
STORE=${NETRA_STACK_STORE:-sqlite}
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS=${2:-}; shift 2 ;;
    --replicas=*) REPLICAS=${1#--replicas=}; shift ;;
    --store) STORE=${2:-}; shift 2 ;;
    --store=*) STORE=${1#--store=}; shift ;;
    *) echo "usage: deploy/local/stack.sh [--replicas N] [--store sqlite|postgresql]" >&2; exit 2 ;;
  esac
done
if [ "$STORE" != sqlite ] && [ "$STORE" != postgresql ]; then
  echo "--store must be sqlite or postgresql" >&2
  exit 2
fi
if ! [[ "$REPLICAS" =~ ^[1-9]$ ]]; then
  echo "--replicas must be 1 to 9 (replicas sit 10 ports apart)" >&2
  exit 2
fi

REDIS_PORT=${REDIS_PORT:-6390}
REGISTRY_PORT=${REGISTRY_PORT:-50051}
COMPLAINT_PORT=${COMPLAINT_PORT:-50052}
SANCTION_PORT=${SANCTION_PORT:-50053}
PUBLIC_COMPLAINT_PORT=${PUBLIC_COMPLAINT_PORT:-50152}  # the complaint service's public intake listener
REGISTRY_METRICS=${REGISTRY_METRICS:-9451}
COMPLAINT_METRICS=${COMPLAINT_METRICS:-9452}
SANCTION_METRICS=${SANCTION_METRICS:-9453}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9490}  # not 9090: a system Prometheus (Debian starts one) may hold it
PG_PORT=${PG_PORT:-5440}  # not 5432: Debian's own cluster may hold it
SERVICES=(registry complaint sanction)
read -r -a POSTGRES_SERVICES <<<"${NETRA_POSTGRES_SERVICES:-registry complaint sanction}"
declare -A GRPC_BASE=([registry]=$REGISTRY_PORT [complaint]=$COMPLAINT_PORT [sanction]=$SANCTION_PORT)
declare -A METRICS_BASE=([registry]=$REGISTRY_METRICS [complaint]=$COMPLAINT_METRICS [sanction]=$SANCTION_METRICS)

mkdir -p "$state/redis" "$state/stores" "$state/logs"

# Certificates: a local CA, one per service and one per demo identity
# (deploy/local/pki.sh). Every call is mutual TLS; netractl acts as
# --identity NAME (NETRA_IDENTITY), by default the operator "admin".
"$root/deploy/local/pki.sh" "$state/pki"
pki="$state/pki"
export NETRA_TLS_CA="$pki/ca.pem" NETRA_IDENTITY_DIR="$pki" NETRA_IDENTITY=${NETRA_IDENTITY:-admin}
# The load generator and the benches present the operator's certificate.
export NETRA_TLS_CERT="$pki/admin.pem" NETRA_TLS_KEY="$pki/admin.key"

# The key NIKs are kept under (HMAC-SHA256): made once, random, readable by the owner only.
if [ ! -s "$state/nik.key" ]; then
  (umask 077 && head -c 32 /dev/urandom >"$state/nik.key")
fi
export NETRA_NIK_KEY_FILE="$state/nik.key"
# The key reporter identities are sealed under (AES-256-GCM), separate from the NIK key;
# made once like it. Rotation: docs/operations.md ("Reporter keys").
if [ ! -s "$state/reporter.key" ]; then
  (umask 077 && head -c 32 /dev/urandom >"$state/reporter.key")
fi
export NETRA_REPORTER_KEY_FILE="$state/reporter.key"
# The secret the public statistics are perturbed under (docs/statistics.md); made once like them.
if [ ! -s "$state/stats.key" ]; then
  (umask 077 && head -c 32 /dev/urandom >"$state/stats.key")
fi
export NETRA_STATS_KEY_FILE="$state/stats.key"

# Redis with ACLs on, as deployed (deploy/redis/users.acl.in): a user per
# service, its password random, made once, in .local/redis-users/<user>; the
# aclfile holds only their hashes. The default user is off.
mkdir -p "$state/redis-users"
chmod 700 "$state/redis-users"
for user in netra-registry netra-complaint netra-sanction; do
  if [ ! -s "$state/redis-users/$user" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 >"$state/redis-users/$user")
  fi
done
"$root/deploy/redis/make-acl.sh" local "$state/redis-users" "$state/redis/users.acl"

pids=()
pg_started=false  # the local PostgreSQL cluster, once this stack has started it
declare -A what  # pid -> what it is, for the message when it exits
stop() {
  trap - INT TERM EXIT
  echo
  echo "== stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$pg_started" = true ]; then "$root/deploy/local/postgres.sh" stop "$state/postgres" || true; fi
  echo "== stopped"
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

# The addresses of every replica: "127.0.0.1:P0,127.0.0.1:P1,..." (gRPC or metrics).
addresses() {  # base_port
  local list="" i
  for ((i = 0; i < REPLICAS; i++)); do list+="${list:+,}127.0.0.1:$(($1 + 10 * i))"; done
  echo "$list"
}

prometheus=$(command -v prometheus || true)
ports=("$REDIS_PORT")
for svc in "${SERVICES[@]}"; do
  for ((i = 0; i < REPLICAS; i++)); do
    ports+=("$((GRPC_BASE[$svc] + 10 * i))" "$((METRICS_BASE[$svc] + 10 * i))")
  done
done
if [ -n "$prometheus" ]; then ports+=("$PROMETHEUS_PORT"); fi
if [ "$STORE" = postgresql ]; then ports+=("$PG_PORT"); fi
for port in "${ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port on 127.0.0.1 is already in use; set the *_PORT variables in deploy/local/stack.sh" >&2
    exit 1
  fi
done

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$state/redis" --save "" --appendonly no \
  --aclfile "$state/redis/users.acl" \
  >"$state/logs/redis.log" 2>&1 &
pids+=($!); what[$!]=redis-server

# Each service connects as its own user (start below); this is the address.
export NETRA_REDIS="redis://127.0.0.1:$REDIS_PORT"

# The store of each service: its SQLite file, or its database on the local cluster.
declare -A STORE_URL STORE_PASSFILE
for svc in "${SERVICES[@]}"; do STORE_URL[$svc]="sqlite://$state/stores/$svc.db"; done
stores_line="  stores            $state/stores/ (SQLite)"
if [ "$STORE" = postgresql ]; then
  on_postgres=("${POSTGRES_SERVICES[@]}")
  if [ ${#on_postgres[@]} -gt 0 ]; then
    echo "== PostgreSQL on 127.0.0.1:$PG_PORT for ${on_postgres[*]} (data in $state/postgres/)"
    pg_started=true  # also when start fails half-way: stop is a no-op on a stopped cluster
    "$root/deploy/local/postgres.sh" start "$state/postgres" "$PG_PORT" "${on_postgres[@]}"
    for svc in "${on_postgres[@]}"; do
      STORE_URL[$svc]=$("$root/deploy/local/postgres.sh" url "$state/postgres" "$PG_PORT" "$svc")
      STORE_PASSFILE[$svc]="$state/postgres/passfile-$svc"
    done
    stores_line="  postgresql        127.0.0.1:$PG_PORT, databases and roles netra_<service> for ${on_postgres[*]}
                    (passwords in $state/postgres/passwords/; psql: PGPASSFILE=$state/postgres/passfile-admin
                     psql postgresql://postgres@127.0.0.1:$PG_PORT/netra_${on_postgres[0]})"
    if [ ${#on_postgres[@]} -lt ${#SERVICES[@]} ]; then
      stores_line+=$'\n'"  stores            $state/stores/ (SQLite, for the others)"
    fi
  fi
fi
export NETRA_DEPLOYMENT=local
export NETRA_DATA_DIR="$root/data"
# Peers and netractl: every replica, round-robin (common/client.h).
NETRA_REGISTRY=$(addresses "$REGISTRY_PORT")
NETRA_COMPLAINT=$(addresses "$COMPLAINT_PORT")
NETRA_SANCTION=$(addresses "$SANCTION_PORT")
export NETRA_REGISTRY NETRA_COMPLAINT NETRA_SANCTION
# The public intake listeners, by the host name their certificate names.
NETRA_PUBLIC_COMPLAINT=$(addresses "$PUBLIC_COMPLAINT_PORT" | sed 's/127\.0\.0\.1/localhost/g')
export NETRA_PUBLIC_COMPLAINT

start() {  # service replica
  local grpc=$((GRPC_BASE[$1] + 10 * $2)) metrics=$((METRICS_BASE[$1] + 10 * $2))
  local log="$state/logs/$1.log"
  if [ "$REPLICAS" -gt 1 ]; then log="$state/logs/$1-$2.log"; fi
  local store=(--store "${STORE_URL[$1]}")
  if [ -n "${STORE_PASSFILE[$1]:-}" ]; then store+=(--store-password-file "${STORE_PASSFILE[$1]}"); fi
  local public=()
  if [ "$1" = complaint ]; then
    # Public intake: server-authenticated TLS for the host name, no client certificate.
    public=(--public-listen "127.0.0.1:$((PUBLIC_COMPLAINT_PORT + 10 * $2))"
            --public-tls-cert "$pki/public-localhost.pem" --public-tls-key "$pki/public-localhost.key")
    # Evidence files are not in the store: where SQLite keeps them by default, on either backend.
    public+=(--evidence-dir "$state/stores/evidence")
  fi
  "$bin/netra-$1" --listen "127.0.0.1:$grpc" --metrics-listen "127.0.0.1:$metrics" \
    "${store[@]}" --tls-cert "$pki/svc-$1.pem" --tls-key "$pki/svc-$1.key" \
    --redis "redis://netra-$1@127.0.0.1:$REDIS_PORT" --redis-password-file "$state/redis-users/netra-$1" \
    --reflection "${public[@]}" >"$log" 2>&1 &
  pids+=($!); what[$!]="netra-$1 replica $2"
}
# Replica 0 of each service first: it creates or migrates the shared store, the
# others open it once it serves.
for svc in "${SERVICES[@]}"; do start "$svc" 0; done
echo "== waiting for the services"
if ! NETRA_REGISTRY="127.0.0.1:$REGISTRY_PORT" NETRA_COMPLAINT="127.0.0.1:$COMPLAINT_PORT" \
     NETRA_SANCTION="127.0.0.1:$SANCTION_PORT" "$bin/netractl" health --wait 60 >/dev/null; then
  echo "a service did not come up; logs are in $state/logs/" >&2
  exit 1
fi
for ((i = 1; i < REPLICAS; i++)); do
  for svc in "${SERVICES[@]}"; do start "$svc" "$i"; done
done
if [ "$REPLICAS" -gt 1 ]; then
  for ((i = 1; i < REPLICAS; i++)); do
    if ! NETRA_REGISTRY="127.0.0.1:$((REGISTRY_PORT + 10 * i))" NETRA_COMPLAINT="127.0.0.1:$((COMPLAINT_PORT + 10 * i))" \
         NETRA_SANCTION="127.0.0.1:$((SANCTION_PORT + 10 * i))" "$bin/netractl" health --wait 60 >/dev/null; then
      echo "replica $i did not come up; logs are in $state/logs/" >&2
      exit 1
    fi
  done
fi

# Prometheus: deploy/prometheus's configuration and rules, with this stack's
# replicas as its targets (file_sd), data under .local/prometheus/.
prometheus_line="  prometheus        not installed (apt-get install prometheus; see docs/operations.md)"
if [ -n "$prometheus" ]; then
  mkdir -p "$state/prometheus/targets" "$state/prometheus/data"
  cp "$root/deploy/prometheus/prometheus.yml" "$root/deploy/prometheus/alerts.yml" "$state/prometheus/"
  for svc in "${SERVICES[@]}"; do
    targets=$(addresses "${METRICS_BASE[$svc]}" | sed 's/[^,]*/"&"/g')
    printf '[{"targets": [%s], "labels": {"deployment": "local"}}]\n' "$targets" \
      >"$state/prometheus/targets/$svc.json"
  done
  "$prometheus" --config.file="$state/prometheus/prometheus.yml" --storage.tsdb.path="$state/prometheus/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >"$state/logs/prometheus.log" 2>&1 &
  pids+=($!); what[$!]=prometheus
  prometheus_line="  prometheus        http://127.0.0.1:$PROMETHEUS_PORT (alerts: /alerts, targets: /targets)"
fi

# What deploy/local/traffic.sh needs to know about this stack.
cat >"$state/stack.env" <<ENV
REPLICAS=$REPLICAS
SANCTION_PORT=$SANCTION_PORT
SANCTION_METRICS=$SANCTION_METRICS
PROMETHEUS_PORT=$PROMETHEUS_PORT
NETRA_REDIS=$NETRA_REDIS
NETRA_REGISTRY=$NETRA_REGISTRY
NETRA_COMPLAINT=$NETRA_COMPLAINT
NETRA_SANCTION=$NETRA_SANCTION
NETRA_PUBLIC_COMPLAINT=$NETRA_PUBLIC_COMPLAINT
NETRA_TLS_CA=$NETRA_TLS_CA
NETRA_TLS_CERT=$NETRA_TLS_CERT
NETRA_TLS_KEY=$NETRA_TLS_KEY
NETRA_IDENTITY_DIR=$NETRA_IDENTITY_DIR
NETRA_IDENTITY=$NETRA_IDENTITY
ENV

NETRACTL="$bin/netractl" NETRA_GEN="$bin/netra-gen-employees" METRICS_PORTS="$REGISTRY_METRICS $COMPLAINT_METRICS $SANCTION_METRICS" \
  "$root/deploy/local/demo.sh"

cat <<INFO

== Netra is running, $REPLICAS replica(s) of each service (Ctrl-C stops everything)
  redis             redis://netra-<service>@127.0.0.1:$REDIS_PORT (ACL users; passwords in $state/redis-users/)
  netra-registry    grpc $NETRA_REGISTRY   metrics $(addresses "$REGISTRY_METRICS")
  netra-complaint   grpc $NETRA_COMPLAINT   metrics $(addresses "$COMPLAINT_METRICS")
  netra-sanction    grpc $NETRA_SANCTION   metrics $(addresses "$SANCTION_METRICS")
  public intake     grpc $NETRA_PUBLIC_COMPLAINT (SubmitComplaint, UploadEvidence, GetComplaintStatus;
                    TLS without a client certificate: netractl --public --complaint $NETRA_PUBLIC_COMPLAINT)
$prometheus_line
$stores_line
  logs              $state/logs/
  certificates      $pki/ (CA ca.pem; netractl --identity NAME: $(cd "$pki" && ls *.pem | grep -v -e '^ca.pem$' -e '^public-' | sed 's/\.pem$//' | tr '\n' ' '))
  try               $bin/netractl --identity bawaslu-jateng regions list --parent 33
  grpcurl-style     reflection is on here (--reflection); buf is .cache/buf/node_modules/.bin/buf:
                    buf curl --protocol grpc --cacert $pki/ca.pem --cert $pki/admin.pem --key $pki/admin.key \\
                      --list-methods https://127.0.0.1:$REGISTRY_PORT
                    buf curl ... https://127.0.0.1:$COMPLAINT_PORT/grpc.health.v1.Health/Check
                    buf curl ... -d '{"parentCode": "33"}' https://127.0.0.1:$REGISTRY_PORT/netra.v1.RegistryService/ListRegions
  traffic run       ./dev traffic (every dashboard panel gets data; see docs/operations.md)
INFO
if [ "$REPLICAS" -gt 1 ]; then
  cat <<INFO
  round-robin       export NETRA_REGISTRY=$NETRA_REGISTRY
                    export NETRA_COMPLAINT=$NETRA_COMPLAINT
                    export NETRA_SANCTION=$NETRA_SANCTION
INFO
fi

# Stay up until Ctrl-C. With one replica, any process that dies stops the stack;
# with several, a replica that dies is reported and the others keep serving
# (kill one to see it: the profile's drill), until none is left.
# Several may die at once (kill one replica of each service): after each wake-up,
# every process that is gone is reported (bash has reaped it, so kill -0 fails).
live=("${pids[@]}")
while [ ${#live[@]} -gt 0 ]; do
  wait -n 2>/dev/null || true
  rest=()
  for pid in "${live[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then rest+=("$pid"); continue; fi
    echo "== ${what[$pid]} (pid $pid) exited; see $state/logs/" >&2
    if [ "$REPLICAS" -eq 1 ] || [ "${what[$pid]}" = redis-server ]; then exit 1; fi
  done
  live=("${rest[@]}")
done
exit 1
