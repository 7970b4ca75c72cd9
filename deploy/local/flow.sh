# shellcheck shell=bash disable=SC2154  # sourced; $flow, $run_id and $ctl are the caller's
# The case flow through netractl, shared by demo.sh and traffic.sh (sourced, not run).
# Needs $ctl (netractl), $flow (a directory for request files) and $run_id (unique per run).
# Requests are protobuf JSON (see proto/netra/v1); values come back out of the JSON replies.
# Each step is taken by the identity that would really take it (deploy/local/pki.sh,
# deploy/access-policy.json): the public reports, Bawaslu Kota Semarang handles the report,
# BKN recommends, the Wali Kota of Semarang (the employee's PPK) decides.

# as IDENTITY ARGS...: netractl acting as IDENTITY.
as() { local who=$1; shift; "$ctl" --identity "$who" "$@"; }

# as_public ARGS...: netractl as a member of the public, on the complaint service's public
# listener ($NETRA_PUBLIC_COMPLAINT, no client certificate); the internal one when there is none.
as_public() {
  if [ -z "${NETRA_PUBLIC_COMPLAINT:-}" ]; then "$ctl" "$@"; return; fi
  env -u NETRA_IDENTITY -u NETRA_TLS_CERT -u NETRA_TLS_KEY \
    "$ctl" --public --complaint "$NETRA_PUBLIC_COMPLAINT" "$@"
}

field() { grep -m1 "\"$1\"" | sed -E 's/.*": "?([^",]*)"?,?$/\1/'; }
# In WIB, as the services date cases and letters: from 17:00 UTC on, the host's (UTC) "today"
# is yesterday there, and a letter dated then would predate the case it answers.
ymd() { TZ=Asia/Jakarta date -d "$1" +'{"year": %Y, "month": %-m, "day": %-d}'; }

# submit NAME CHANNEL CONTACT EMPLOYEE EVIDENCE: a report about yesterday's post (violation A4,
# Kota Semarang, election pilkada-demo), the reply in $flow/NAME.json; fails as netractl does.
submit() {
  cat >"$flow/$1-request.json" <<JSON
{"request_id": "$1-$run_id", "channel": "$2",
 "reporter": {"kind": "REPORTER_KIND_VOTER", "name": "Dewi Lestari", "address": "Jl. Pemuda 12, Semarang",
              "contact": "$3", "identity_hidden": true},
 "subject": {"employee_number": "$4"},
 "act": {"election_id": "pilkada-demo", "violation_codes": ["A4"],
         "occurred_time": "$(date -u -d '-26 hours' +%FT%TZ)", "known_time": "$(date -u -d '-25 hours' +%FT%TZ)",
         "region_code": "33.74", "place": "Akun media sosial pribadi",
         "description": "Menyukai dan membagikan unggahan kampanye bakal calon wali kota."},
 "evidence_ids": ["$5"]}
JSON
  as_public complaint act SubmitComplaint "$flow/$1-request.json" >"$flow/$1.json"
}

# submit_fresh NAME CHANNEL CONTACT EVIDENCE EMPLOYEE...: submit about the first employee with no
# open report of this act (a near-duplicate of an earlier run's report joins that report's cluster
# and follows it); the reply in $flow/NAME.json, the employee's number printed.
submit_fresh() {
  local name=$1 channel=$2 contact=$3 evidence=$4 employee
  shift 4
  for employee in "$@"; do
    submit "$name-$employee" "$channel" "$contact" "$employee" "$evidence"
    if ! grep -q '"joined_existing_cluster": true' "$flow/$name-$employee.json"; then
      cp "$flow/$name-$employee.json" "$flow/$name.json"
      echo "$employee"
      return 0
    fi
  done
  echo "every candidate already has an open report of this act; start from clean stores (rm -r .local)" >&2
  return 1
}

# transition COMPLAINT ACTION [extra JSON members]: prints the new status.
transition() {
  local version
  version=$(as bawaslu-semarang complaint get "$1" | field version)
  cat >"$flow/transition.json" <<JSON
{"request_id": "$2-$1-$run_id", "complaint_id": "$1", "action": "COMPLAINT_ACTION_$2",
 "reason": "demo", "expected_version": "$version" ${3:-}}
JSON
  as bawaslu-semarang complaint act TransitionComplaint "$flow/transition.json" | field status
}

# forwarded_case COMPLAINT: the id of the case the forwarding opened, once it did (empty after 10 s).
forwarded_case() {
  local case_id=""
  for _ in $(seq 1 50); do
    case_id=$(as bawaslu-semarang complaint get "$1" | sed -n '/"forwarding"/,/}/p' | field case_id || true)
    [ -n "$case_id" ] && break
    sleep 0.2
  done
  echo "$case_id"
}

# recommend CASE NAME: the recommending authority's letter of today (moral sanction), the reply in $flow/NAME.json.
recommend() {
  as bkn cases get "$1" >"$flow/$2-case.json"
  cat >"$flow/$2-request.json" <<JSON
{"request_id": "$2-$run_id", "case_id": "$1", "expected_version": "$(field version <"$flow/$2-case.json")",
 "authority_code": "$(sed -n '/"recommending_authority"/,/}/p' "$flow/$2-case.json" | field code)",
 "letter_number": "B-101/BKN/$run_id", "letter_date": $(ymd today), "verdict": "RECOMMENDATION_VERDICT_VIOLATION",
 "level": "SANCTION_LEVEL_MORAL", "forms": ["SANCTION_FORM_MORAL_OPEN_STATEMENT"], "summary": "Pelanggaran netralitas."}
JSON
  as bkn cases act IssueRecommendation "$flow/$2-request.json" >"$flow/$2.json"
}
