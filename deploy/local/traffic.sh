#!/usr/bin/env bash
# `./dev traffic`: a traffic run against the running local stack (`./dev stack`, any --replicas):
# what an operator's day puts on every dashboard panel and behind every alert
# expression (docs/operations.md, "A traffic run"):
#  - load on a read method of every replica of each service (netra-loadgen);
#  - a public burst: one reporter sends the same report until the contact limit
#    refuses it (the reports join one near-duplicate cluster; the refusal is
#    rate-limited intake) — these stay open complaints;
#  - a complaint forwarded, and its case recommended but left undecided;
#  - the escalation drill: a temporary sanction replica whose clock runs 100 days
#    ahead (--clock-offset-hours) finds that recommendation overdue and escalates it
#    through every step (warning, reprimand, data block). Prometheus scrapes it
#    (added to the file_sd targets) until the drill ends DRILL_SECONDS later.
# The drill writes to the local stores like any replica: the drill's employee ends
# data-blocked. Run it as often as you like; each run adds its own complaints.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin="${NETRA_BIN:-$root/build}"
state="$root/.local"
ctl="$bin/netractl"
DRILL_SECONDS=${DRILL_SECONDS:-60}
AHEAD_HOURS=2400

if [ ! -s "$state/stack.env" ]; then
  echo "no local stack: start it with ./dev stack first" >&2
  exit 1
fi
set -a
. "$state/stack.env"
set +a
if ! "$ctl" health >/dev/null; then
  echo "the local stack does not answer; start it with ./dev stack" >&2
  exit 1
fi
flow="$state/traffic"
mkdir -p "$flow"
run_id=$(date +%s)
. "$root/deploy/local/flow.sh"

echo "== load: each replica of each service, 2 s"
for target in ${NETRA_REGISTRY//,/ }; do
  "$bin/netra-loadgen" --target "$target" --rpc ListRegions --duration 2 --warmup 0.2 -c 4 >/dev/null
done
for target in ${NETRA_COMPLAINT//,/ }; do
  "$bin/netra-loadgen" --target "$target" --rpc GetComplaintStatus --duration 2 --warmup 0.2 -c 4 >/dev/null
done
for target in ${NETRA_SANCTION//,/ }; do
  "$bin/netra-loadgen" --target "$target" --rpc ListViolationTypes --duration 2 --warmup 0.2 -c 4 >/dev/null
done

employees=$(as bawaslu-semarang employees search --name siti --region 33.74 --type pns --page-size 50 | grep '"employee_id"' |
  sed -E 's/.*": "([^"]*)".*/\1/')
burst_employee=$(echo "$employees" | sed -n 2p)
head -c 50000 /dev/urandom >"$flow/screenshot.bin"
printf '\xff\xd8\xff\xe0' | cat - "$flow/screenshot.bin" >"$flow/screenshot.jpg"
evidence=$("$ctl" complaint upload "$flow/screenshot.jpg" | field evidence_id)

echo "== a public burst: one reporter, the same report, until the contact limit refuses it"
accepted=0
for i in $(seq 1 50); do
  if ! submit "burst-$i" INTAKE_CHANNEL_PUBLIC_PORTAL "burst$run_id@example.org" "$burst_employee" "$evidence" \
       2>"$flow/burst-error.txt"; then
    grep -q -i "RESOURCE_EXHAUSTED\|ResourceExhausted\|rate" "$flow/burst-error.txt" ||
      { cat "$flow/burst-error.txt" >&2; exit 1; }
    break
  fi
  accepted=$((accepted + 1))
done
echo "   $accepted taken (one near-duplicate cluster), then refused: $(head -c 200 "$flow/burst-error.txt")"

echo "== a case left undecided: forwarded, recommended today"
# About an employee with no open report of this act, so that it is a cluster's primary
# (a near-duplicate of an earlier run's report would follow that report instead).
# shellcheck disable=SC2046 # one employee number per word
drill_employee=$(submit_fresh drill INTAKE_CHANNEL_BAWASLU_OFFICE "drill$run_id@example.org" "$evidence" \
  $(echo "$employees" | tail -n +3))
complaint=$(field complaint_id <"$flow/drill.json")
status=$(field status <"$flow/drill.json")
if [ "$status" = COMPLAINT_STATUS_RECEIVED ] || [ "$status" = COMPLAINT_STATUS_COMPLETED ]; then
  transition "$complaint" REGISTER >/dev/null
fi
transition "$complaint" START_REVIEW >/dev/null
transition "$complaint" FORWARD ', "forward": {"violation_codes": ["A4"], "review_summary": "Terbukti."}' >/dev/null
case_id=$(forwarded_case "$complaint")
if [ -z "$case_id" ]; then
  echo "the forwarding of $complaint opened no case; see $state/logs/" >&2
  exit 1
fi
recommend "$case_id" drill-recommend
echo "   case $case_id (employee $drill_employee): $(field status <"$flow/drill-recommend.json")"

echo "== the escalation drill: a sanction replica $((AHEAD_HOURS / 24)) days ahead"
drill_grpc="127.0.0.1:$((SANCTION_PORT + 90))"
drill_metrics="127.0.0.1:$((SANCTION_METRICS + 90))"
targets="$state/prometheus/targets/sanction.json"
cp "$targets" "$flow/sanction-targets.json"
NETRA_DEPLOYMENT=local NETRA_DATA_DIR="$root/data" "$bin/netra-sanction" --listen "$drill_grpc" --metrics-listen "$drill_metrics" \
  --store "sqlite://$state/stores/sanction.db" --tls-cert "$NETRA_IDENTITY_DIR/svc-sanction.pem" \
  --tls-key "$NETRA_IDENTITY_DIR/svc-sanction.key" --clock-offset-hours "$AHEAD_HOURS" --sweep-interval-ms 1000 \
  >"$state/logs/sanction-drill.log" 2>&1 &
drill=$!
end_drill() {
  kill -TERM "$drill" 2>/dev/null || true
  wait "$drill" 2>/dev/null || true
  cp "$flow/sanction-targets.json" "$targets"
}
trap end_drill EXIT
sed -E "s/\"targets\": \[/\"targets\": [\"$drill_metrics\", /" "$flow/sanction-targets.json" >"$targets"
# The drill takes the sweeper's lease once the stack's replicas let it expire (up to a minute).
level=""
for _ in $(seq 1 120); do
  level=$(as bkn cases get "$case_id" | field escalation_level || true)
  [ "$level" = ESCALATION_LEVEL_DATA_BLOCK ] && break
  sleep 1
done
echo "   case $case_id: $level (log: $state/logs/sanction-drill.log)"
if [ "$level" != ESCALATION_LEVEL_DATA_BLOCK ]; then exit 1; fi
echo "   Prometheus scrapes the drill replica for ${DRILL_SECONDS} s (its overdue gauge and escalations)"
sleep "$DRILL_SECONDS"
echo "== done: every panel of deploy/grafana/dashboards has data (http://127.0.0.1:$PROMETHEUS_PORT)"
