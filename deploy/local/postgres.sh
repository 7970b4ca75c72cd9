#!/usr/bin/env bash
# A local PostgreSQL cluster for the stack (deploy/local/stack.sh --store postgresql)
# and the restore drill (tools/pg-restore-drill), from Debian's `postgresql` package.
#
#   postgres.sh start DIR PORT SERVICE...  initdb into DIR/data once, start it on
#                                          127.0.0.1:PORT, and make sure each SERVICE has
#                                          its role and database (netra_SERVICE, owner of
#                                          netra_SERVICE) and a libpq password file
#                                          DIR/passfile-SERVICE (mode 0600, its line only)
#   postgres.sh stop DIR                   stop the cluster (fast shutdown)
#   postgres.sh url DIR PORT SERVICE       the service's --store URL
#
# Passwords are random, made once, kept in DIR/passwords/ (mode 0700); the server
# asks for them with SCRAM on TCP (pg_hba: scram-sha-256). initdb and pg_ctl refuse
# to run as root: as root they run as the `postgres` user (runuser), which owns
# DIR/data. psql runs as the caller, over TCP, with DIR/passfile-admin.
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$dir" ] || [ ! -x "$dir/pg_ctl" ]; then
    echo "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql; tools/install-deps)" >&2
    exit 1
  fi
  echo "$dir"
}

as_owner() {  # command...: as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

password() {  # DIR NAME: the password of NAME, made once
  local file="$1/passwords/$2"
  if [ ! -s "$file" ]; then
    (umask 077 && mkdir -p "$1/passwords" && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$file")
  fi
  cat "$file"
}

passfile() {  # DIR PORT ROLE FILE: a libpq password file with ROLE's line
  (umask 077 && printf '127.0.0.1:%s:*:%s:%s\n' "$2" "$3" "$(password "$1" "$3")" >"$4")
}

psql_admin() {  # DIR PORT SQL...
  local dir=$1 port=$2
  shift 2
  PGPASSFILE="$dir/passfile-admin" "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -At \
    "postgresql://postgres@127.0.0.1:$port/postgres" "$@"
}

start() {  # DIR PORT SERVICE...
  local dir=$1 port=$2
  shift 2
  local bin
  bin=$(pg_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  chmod 700 "$dir"
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    # --pwfile: the superuser's password, readable by the owner for initdb only.
    mkdir -p "$dir/data" "$dir/run"
    local pwfile="$dir/run/initdb-password"
    password "$dir" postgres >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then
      chmod 755 "$dir"  # the owner must reach data/ and run/
      chown postgres: "$dir/data" "$dir/run" "$pwfile"
    fi
    chmod 700 "$dir/data"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" --auth-local=peer \
      --auth-host=scram-sha-256 -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { rm -f "$pwfile"; echo "initdb failed; see $dir/initdb.log" >&2; exit 1; }
    rm -f "$pwfile"
  fi
  if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$dir"
    chown postgres: "$dir/run"
    touch "$dir/server.log" && chown postgres: "$dir/server.log"
  fi
  # Loopback only; WAL kept for base backups (docs/operations.md, "Backups").
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/run -c wal_level=replica" \
      start >/dev/null || { echo "PostgreSQL did not start; see $dir/server.log" >&2; exit 1; }
  fi
  passfile "$dir" "$port" postgres "$dir/passfile-admin"
  local svc role
  for svc in "$@"; do
    role="netra_$svc"
    # A role and a database per service: a service reaches only its own data.
    psql_admin "$dir" "$port" -v role="$role" -v password="$(password "$dir" "$role")" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'role', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'role')
\gexec
SQL
    passfile "$dir" "$port" "$role" "$dir/passfile-$svc"
  done
}

stop() {  # DIR
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

case "${1:-}" in
  start) [ $# -ge 3 ] || { echo "usage: postgres.sh start DIR PORT SERVICE..." >&2; exit 2; }; start "${@:2}" ;;
  stop) [ $# -eq 2 ] || { echo "usage: postgres.sh stop DIR" >&2; exit 2; }; stop "$2" ;;
  url) [ $# -eq 4 ] || { echo "usage: postgres.sh url DIR PORT SERVICE" >&2; exit 2; }
       echo "postgresql://netra_$4@127.0.0.1:$3/netra_$4" ;;
  *) echo "usage: postgres.sh start DIR PORT SERVICE... | stop DIR | url DIR PORT SERVICE" >&2; exit 2 ;;
esac
