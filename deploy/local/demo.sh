#!/usr/bin/env bash
# The demo: what the running stack can do today, through netractl.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ctl=${NETRACTL:-$root/build/netractl}
gen=${NETRA_GEN:-$root/build/netra-gen-employees}
DEMO_PROVINCE=${DEMO_PROVINCE:-33}     # Jawa Tengah
DEMO_EMPLOYEES=${DEMO_EMPLOYEES:-20000}

# Steps run as the operator "admin" (NETRA_IDENTITY) unless `as IDENTITY` says otherwise (flow.sh).
flow="$root/.local/demo-flow"
mkdir -p "$flow"
run_id=$(date +%s)
. "$root/deploy/local/flow.sh"

echo "== health"
"$ctl" health

echo "== provinces (first 5 of 38)"
"$ctl" regions list --page-size 5

echo "== kabupaten/kota of Jawa Tengah (33), first 5"
"$ctl" regions list --parent 33 --page-size 5

echo "== the violation catalog: the first discipline item, as it applies to a PPPK"
"$ctl" violations list --category discipline --employee-type pppk --page-size 1

echo "== elections: Pemilu 2024 and Pilkada 2024 with their deadline rules and holidays"
for election in "$root"/deploy/local/elections/*.json; do
  "$ctl" elections upsert "$election" | grep -E '^  "(election_id|name|version)"' || true
done

echo "== employees: a synthetic Jawa Tengah (province $DEMO_PROVINCE), $DEMO_EMPLOYEES rows, imported through netractl"
csv="$root/.local/demo-employees-$DEMO_PROVINCE.csv"
[ -f "$csv" ] || "$gen" --province "$DEMO_PROVINCE" --count "$DEMO_EMPLOYEES" --seed 1 --out "$csv"
"$ctl" import employees "$csv"

echo "== search: employees named 'siti' in Kabupaten Cilacap (33.01), first 2"
as bawaslu-jateng employees search --name siti --region 33.01 --page-size 2

# The case flow across the three services: a report about a civil servant's
# post, through Bawaslu's handling, to the PPK's decision (steps in flow.sh).

echo "== the case flow: an election under way (voting in a month), so that a report about yesterday is on time"
cat >"$flow/election.json" <<JSON
{"election_id": "pilkada-demo", "name": "Pilkada demo (dates around today)", "type": "ELECTION_TYPE_PILKADA",
 "voting_date": $(ymd "+31 days"), "campaign_start_date": $(ymd "-20 days"), "campaign_end_date": $(ymd "+27 days"),
 "quiet_period_start_date": $(ymd "+28 days"), "quiet_period_end_date": $(ymd "+30 days"),
 "candidates_fixed_date": $(ymd "-30 days"),
 "rules": {"report_window": {"days": 7, "counting": "DAY_COUNTING_CALENDAR_DAYS"}, "quiet_period_report_window_hours": 24,
           "finding_window": {"days": 7, "counting": "DAY_COUNTING_CALENDAR_DAYS"},
           "completion": {"days": 2, "counting": "DAY_COUNTING_CALENDAR_DAYS"},
           "initial_review": {"days": 2, "counting": "DAY_COUNTING_CALENDAR_DAYS"},
           "handling": {"days": 3, "counting": "DAY_COUNTING_CALENDAR_DAYS"},
           "ppk_decision": {"days": 14, "counting": "DAY_COUNTING_WORKING_DAYS"}},
 "recommending_authority": {"code": "BKN", "name": "Badan Kepegawaian Negara"}}
JSON
"$ctl" elections upsert "$flow/election.json" | grep -E '^  "(election_id|version)"' || true

candidates=$(as bawaslu-semarang employees search --name siti --region 33.74 --page-size 50 | grep '"employee_id"' |
  sed -E 's/.*": "([^"]*)".*/\1/')
head -c 200000 /dev/urandom >"$flow/screenshot.bin"
printf '\xff\xd8\xff\xe0' | cat - "$flow/screenshot.bin" >"$flow/screenshot.jpg"
evidence=$(as_public complaint upload "$flow/screenshot.jpg" | field evidence_id)
echo "== 1. a voter reports, identity hidden from the reported side; evidence $evidence"
# shellcheck disable=SC2086 # one employee number per word
employee=$(submit_fresh demo-submit INTAKE_CHANNEL_PUBLIC_PORTAL "dewi.demo$run_id@example.org" "$evidence" $candidates)
echo "   reported employee: $employee (Kota Semarang)"
complaint=$(field complaint_id <"$flow/demo-submit.json")
tracking=$(field tracking_code <"$flow/demo-submit.json")
status=$(field status <"$flow/demo-submit.json")
echo "   complaint $complaint, tracking code $tracking, status $status"
echo "   the reporter keeps the receipt $(field receipt <"$flow/demo-submit.json") (to complete or withdraw the report)"
echo "   the reporter as Bawaslu reads the complaint: sealed=$(as bawaslu-semarang complaint get "$complaint" | field sealed)"
echo "== 1b. Bawaslu Kota Semarang unseals the reporter to clarify the report (recorded in the history)"
echo "   reporter: $(as bawaslu-semarang complaint reveal "$complaint" --reason "klarifikasi pelapor" | field name)"
if [ "$status" = COMPLAINT_STATUS_RECEIVED ] || [ "$status" = COMPLAINT_STATUS_COMPLETED ]; then
  echo "== 2. Bawaslu registers it: $(transition "$complaint" REGISTER)"
fi
echo "== 3. reviews it: $(transition "$complaint" START_REVIEW)"
echo "== 4. forwards it to the sanction service: $(transition "$complaint" FORWARD ', "forward": {"violation_codes": ["A4"], "review_summary": "Terbukti.", "review_document_number": "001/PP.01.02/K.JT-33.74"}')"
case_id=$(forwarded_case "$complaint")
echo "   case $case_id opened"
recommend "$case_id" demo-recommend
echo "   proposed: $(sed -n '/"proposed"/,/}/p' "$flow/demo-recommend-case.json" | field level), authority $(sed -n '/"recommending_authority"/,/}/p' "$flow/demo-recommend-case.json" | field code)"
echo "== 5. the recommending authority recommends; the PPK is due by $(sed -n '/"ppk_deadline"/,$p' "$flow/demo-recommend.json" | field due_time || true)"
cat >"$flow/decide.json" <<JSON
{"request_id": "demo-decide-$run_id", "case_id": "$case_id", "expected_version": "$(field version <"$flow/demo-recommend.json")",
 "decree_number": "800/$run_id/2026", "decree_date": $(ymd today), "outcome": "CASE_OUTCOME_SANCTIONED",
 "level": "SANCTION_LEVEL_MORAL", "forms": ["SANCTION_FORM_MORAL_OPEN_STATEMENT"], "decided_by": "Walikota Semarang"}
JSON
# The decision is the employee's own PPK's (the Wali Kota, or the Gubernur for a provincial
# agency's staff): a certificate for it, as its system would hold one.
ppk_code=$(sed -n '/"ppk"/,/}/p' "$flow/demo-recommend-case.json" | field code)
ppk_name="ppk-${ppk_code//[:\/]/-}"
"$root/deploy/local/pki.sh" "${NETRA_IDENTITY_DIR:-$root/.local/pki}" "$ppk_name" "ppk/$ppk_code"
as "$ppk_name" cases act RecordDecision "$flow/decide.json" >/dev/null
echo "== 6. the PPK ($ppk_code) decides; the complaint service and the registry are told"
for _ in $(seq 1 50); do
  closed=$(as_public complaint status "$tracking" | field status)
  disciplinary=$(as bkn employees get "$employee" | field disciplinary_state)
  [ "$closed" = COMPLAINT_STATUS_CLOSED ] && [ "$disciplinary" = DISCIPLINARY_STATE_UNDER_SANCTION ] && break
  sleep 0.2
done
echo "   public status of $tracking: $closed; employee $employee: $disciplinary"
echo "   complaint history intact: $(as bawaslu-semarang complaint history "$complaint" | sed -n '/"verification"/,$p' | field intact)"

echo "== public status of an unknown tracking code (expect NOT_FOUND)"
if as_public complaint status 23456789AB; then echo "unexpected: found"; exit 1; fi

echo "== gRPC reflection"
"$ctl" reflect

# /metrics without curl (not on a fresh Debian): HTTP/1.0 over bash's /dev/tcp.
scrape() {
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  cat <&3
  exec 3<&-
}
echo "== calls counted on /metrics"
for port in ${METRICS_PORTS:-9451 9452 9453}; do
  scrape "$port" | grep '^grpc_server_handled_total' || true
done
