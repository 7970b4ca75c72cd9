# Shell helpers of the bench scripts (sourced: . "$SRC/tools/bench/lib.sh").

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Ready when the metrics endpoint on PORT answers (the gRPC port opens before it); 60 s at most.
wait_metrics() {  # PORT
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$1/metrics" >/dev/null && return 0; sleep 0.1; done
  echo "no metrics on $1" >&2
  exit 1
}

# CPU seconds so far of a PostgreSQL cluster's processes (the postmaster and its live children,
# so the exited workers of a parallel index build are not counted).
pg_cpu_seconds() {  # DATA_DIR
  local pm; pm=$(head -1 "$1/postmaster.pid")
  for p in $pm $(pgrep -P "$pm"); do cat "/proc/$p/stat"; done 2>/dev/null |
    awk -v hz="$(getconf CLK_TCK)" '{s += $14 + $15} END {printf "%.1f", s / hz}'
}
