# Shell helpers of the bench scripts (sourced: . "$SRC/tools/bench/lib.sh").

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Ready when the metrics endpoint on PORT answers (the gRPC port opens before it); 60 s at most.
wait_metrics() {  # PORT
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$1/metrics" >/dev/null && return 0; sleep 0.1; done
  echo "no metrics on $1" >&2
  exit 1
}

# A service's writes re-run or refused because they collided (SQLite busy, PostgreSQL
# serialization failures and deadlocks), from its metrics on PORT.
store_conflicts() {  # PORT
  curl -sf "http://127.0.0.1:$1/metrics" |
    awk '/^netra_store_errors_total\{.*kind="conflict"/ { c += $NF } END { printf "%d", c }'
}

# CPU seconds so far of a PostgreSQL cluster's processes (the postmaster and its live children,
# so the exited workers of a parallel index build are not counted).
pg_cpu_seconds() {  # DATA_DIR
  local pm; pm=$(head -1 "$1/postmaster.pid")
  # A child that exits meanwhile (an autovacuum worker) is skipped, not a failure: under
  # pipefail that stopped the bench scripts mid-run, silently.
  for p in $pm $(pgrep -P "$pm"); do cat "/proc/$p/stat" 2>/dev/null || true; done |
    awk -v hz="$(getconf CLK_TCK)" '{s += $14 + $15} END {printf "%.1f", s / hz}'
}

# Starts deploy/local/postgres.sh's cluster in DIR on PORT with a database per SERVICE; with
# PG_SETTINGS ("name=value ...", ALTER SYSTEM) or PG_STATS=1 (pg_stat_statements loaded)
# restarts it once with them (a restart applies shared_buffers and loads the module).
pg_start() {  # DIR PORT SERVICE...
  local dir=$1 port=$2 setting; shift 2
  local admin=(psql -X -q "postgresql://postgres@127.0.0.1:$port/postgres" -c)
  "$SRC/deploy/local/postgres.sh" start "$dir" "$port" "$@" >/dev/null
  [ "${PG_STATS:-0}" = 1 ] || [ -n "${PG_SETTINGS:-}" ] || return 0
  for setting in ${PG_SETTINGS:-}; do
    PGPASSFILE="$dir/passfile-admin" "${admin[@]}" "ALTER SYSTEM SET ${setting%%=*} = '${setting#*=}'"
  done
  if [ "${PG_STATS:-0}" = 1 ]; then
    PGPASSFILE="$dir/passfile-admin" "${admin[@]}" "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
  fi
  "$SRC/deploy/local/postgres.sh" stop "$dir" >/dev/null
  "$SRC/deploy/local/postgres.sh" start "$dir" "$port" "$@" >/dev/null
  if [ "${PG_STATS:-0}" = 1 ]; then PGPASSFILE="$dir/passfile-admin" "${admin[@]}" "CREATE EXTENSION pg_stat_statements"; fi
}

# Each service database's TOP most called statements since pg_start (PG_STATS=1), as
# "database | calls | statement".
pg_top_statements() {  # DIR PORT TOP
  PGPASSFILE="$1/passfile-admin" psql -X -q -A -t -F' | ' "postgresql://postgres@127.0.0.1:$2/postgres" -c "
    SELECT db, calls, statement FROM (
      SELECT d.datname AS db, s.calls, left(regexp_replace(s.query, '\s+', ' ', 'g'), 120) AS statement,
             row_number() OVER (PARTITION BY d.datname ORDER BY s.calls DESC) AS k
      FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'netra_%') t
    WHERE k <= $3 ORDER BY db, calls DESC"
}

# The searches of the registry's benches (docs/performance.md): single name prefixes, the
# conjunction in a province and in one kota, sparse ones in one region, and filters alone.
SEARCH_QUERIES=('{"name_query":"sit"}' '{"name_query":"a"}' '{"name_query":"sri"}' '{"name_query":"wahyu"}'
  '{"name_query":"budi san","region_code":"33"}' '{"name_query":"budi san","region_code":"33.74"}'
  '{"name_query":"wahyu","region_code":"33.74"}' '{"name_query":"s","region_code":"33.01"}'
  '{"region_code":"33.74"}' '{"agency_code":"pemkab-33.16"}' '{"employee_type":"EMPLOYEE_TYPE_PPPK"}')
