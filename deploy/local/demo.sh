#!/usr/bin/env bash
# demo.sh: the intake demo (`make demo`), on a throwaway local node.
#
# It installs what is missing (deploy/local/install-deps.sh), builds with
# make, starts its own PostgreSQL 15 under var/demo-pg (deploy/local/pg.sh),
# migrates it, and starts kc-intake in the background on two free ports
# (log: var/demo/intake.log). Then it tells the story of one province node,
# Hebei (130000), with the synthetic data of deploy/data/sample/:
#
#   1. the division map: Hebei's cities and how many counties each has;
#   2. Programme 1: each data provider sends its 2023 sheet (the first as a
#      dry run); a bad sheet is refused with every error located in the
#      file; a retry with the same idempotency key gets the first answer
#      back; a corrected value becomes revision 2 and the history shows both;
#   3. Programme 2: a mountain demonstration-base application is accepted
#      (reference number and the title it will be filed under), a faulty one
#      is refused with every error listed, an objection is raised during the
#      public notice;
#   4. the event log, and a count of what the database now holds.
#
# On exit, also on failure or Ctrl-C, it stops kc-intake (SIGTERM) and the
# cluster, and removes the cluster (pg.sh stop --purge). var/demo keeps the
# intake log and the files the demo wrote. Another cluster (var/pg-dev) and
# the default ports 7101/7102 are left alone, so the demo can run next to a
# developer's node. Exit 0 when the whole story ran as expected.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$repo_root"

readonly pg_dir=var/demo-pg
readonly work=var/demo
readonly sample=deploy/data/sample
readonly kcctl_bin=build/release/bin/kcctl
readonly intake_bin=build/release/bin/kc-intake
readonly year=2023
intake_pid=

# --- output -----------------------------------------------------------------

s_header() {
    if [[ -t 1 ]]; then
        printf "\n\033[1m== %s ==\033[0m\n" "$*"
    else
        printf "\n== %s ==\n" "$*"
    fi
}

s_say() {
    printf '%s\n' "$*"
}

s_die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

# Run kcctl and show the command first. Its stdout and stderr are merged and
# line-buffered, so answers and refusals appear in the order they happen.
s_kcctl() {
    printf '$ kcctl %s\n' "$*"
    stdbuf -oL -eL "$kcctl_bin" "$@" 2>&1
}

# A step that must be refused: kcctl exits 1 after printing the errors. It is
# a failure of the demo if it is accepted, or if kcctl fails some other way.
s_kcctl_refused() {
    local rc=0
    s_kcctl "$@" || rc=$?
    ((rc == 1)) || s_die "expected kcctl $1 to be refused (exit 1), it exited $rc"
    s_say "(refused, as expected)"
}

# --- setup and teardown -----------------------------------------------------

s_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    ((rc == 130 || rc == 143)) && echo "demo: interrupted; stopping what it started" >&2
    if [[ -n "$intake_pid" ]] && kill -0 "$intake_pid" 2>/dev/null; then
        kill -TERM "$intake_pid"
        local waited
        for ((waited = 0; waited < 100; waited++)); do
            kill -0 "$intake_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$intake_pid" 2>/dev/null; then
            echo "demo: kc-intake did not stop on SIGTERM within 10 s; killing it" >&2
            kill -KILL "$intake_pid"
        fi
        wait "$intake_pid" 2>/dev/null
        echo "kc-intake stopped"
    fi
    rm -f "$work/intake.pid"
    if ((rc != 0 && rc != 130 && rc != 143)) && [[ -f "$work/intake.log" ]]; then
        echo "demo: failed (exit $rc); the last lines of $work/intake.log:" >&2
        grep -v "client connection closed" "$work/intake.log" | tail -n 15 >&2
    fi
    deploy/local/pg.sh stop "$pg_dir" --purge >/dev/null 2>&1 &&
        echo "PostgreSQL stopped and $pg_dir removed" ||
        echo "demo: could not stop the cluster in $pg_dir: deploy/local/pg.sh stop $pg_dir --purge" >&2
    exit "$rc"
}

# A kc-intake left running by an earlier demo that was killed outright: it
# is ours if its pid file says so and the process is that program.
s_stop_stale_intake() {
    local pid
    [[ -f "$work/intake.pid" ]] || return 0
    pid="$(cat "$work/intake.pid")"
    # A rebuilt binary shows as ".../kc-intake (deleted)".
    if [[ "$pid" =~ ^[0-9]+$ ]] &&
        [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$repo_root/$intake_bin"* ]]; then
        echo "demo: stopping kc-intake $pid left by an earlier demo"
        kill -TERM "$pid" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$work/intake.pid"
}

s_port_is_free() {
    [[ -z "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]] &&
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Two free neighbouring ports on 127.0.0.1, away from 7101/7102.
s_pick_ports() {
    local port
    for ((port = 17100; port < 17900; port += 2)); do
        if s_port_is_free "$port" && s_port_is_free "$((port + 1))"; then
            echo "$port"
            return 0
        fi
    done
    s_die "no two free ports between 17100 and 17900"
}

s_start_intake() {
    local port
    port="$(s_pick_ports)"
    export KC_INTAKE_ENDPOINT="tcp://127.0.0.1:$port"
    export KC_EVENTS_ENDPOINT="tcp://127.0.0.1:$((port + 1))"
    "$intake_bin" >"$work/intake.log" 2>&1 &
    intake_pid=$!
    echo "$intake_pid" >"$work/intake.pid"
    local tries
    for ((tries = 0; tries < 50; tries++)); do
        kill -0 "$intake_pid" 2>/dev/null || {
            wait "$intake_pid" || true
            intake_pid=
            s_die "kc-intake exited at start"
        }
        if "$kcctl_bin" ping --timeout 200 --attempts 1 >"$work/ping.out" 2>&1; then
            s_say "kc-intake $intake_pid: requests $KC_INTAKE_ENDPOINT, events $KC_EVENTS_ENDPOINT"
            cat "$work/ping.out"
            return 0
        fi
        sleep 0.2
    done
    s_die "kc-intake does not answer kcctl ping on $KC_INTAKE_ENDPOINT"
}

s_psql() {
    local psql=psql
    command -v psql >/dev/null 2>&1 || psql=/usr/lib/postgresql/15/bin/psql
    "$psql" -X -q -v ON_ERROR_STOP=1 -P pager=off -P footer=off "$KC_DATABASE_URL"
}

# --- the story --------------------------------------------------------------

s_division_map() {
    s_header "1. The division map of Hebei (130000)"
    s_kcctl divisions 130000
    s_say ""
    s_say "county-level divisions of each city (kcctl divisions CITY):"
    local code name rest list counties zones total_counties=0 total_zones=0
    while read -r code name rest; do
        [[ "$code" =~ ^13[0-9]{2}00$ ]] || continue
        list="$("$kcctl_bin" divisions "$code")"
        counties="$(grep -c ' county$' <<<"$list" || true)"
        zones="$(grep -c '(development zone)' <<<"$list" || true)"
        printf "  %s  %3d counties, districts and cities  %-21s %s\n" "$code" "$counties" \
            "$zones development zone$( ((zones == 1)) || echo s)" "$name"
        total_counties=$((total_counties + counties))
        total_zones=$((total_zones + zones))
    done < <("$kcctl_bin" divisions 130000)
    s_say "Hebei: $total_counties county-level divisions to evaluate, plus $total_zones development zones"
}

s_provider_sheets() {
    s_header "2. Programme 1: the data providers send their $year sheets"
    s_say "Each provider checks its sheet first with --dry-run (shown for finance), then sends it."
    s_kcctl submit-values "$sample/finance.csv" --provider finance --year "$year" --dry-run \
        --user finance-clerk --role provider
    local provider
    for provider in finance stats sti ndrc samr; do
        s_say ""
        s_kcctl submit-values "$sample/$provider.csv" --provider "$provider" --year "$year" \
            --user "$provider-clerk" --role provider --key "demo-$provider-$year"
    done
    s_say ""
    s_say "Innovation management (I15-I17) comes from the county bureaus; the province operator sends it for all of them:"
    s_kcctl submit-values "$sample/county.csv" --provider county --year "$year" \
        --user province-operator --role operator --division 130000 --key "demo-county-$year"
}

s_bad_sheet() {
    s_header "3. A sheet with mistakes is refused, every error located"
    cat >"$work/stats-bad.csv" <<'EOF'
county_code,county_name,I03,I07
130131,平山县,1.40,271
130630,涞源县,1.23,25.2
130199,石家庄某县,1.10,20.0
EOF
    s_say "$work/stats-bad.csv: I07 of 平山县 typed 271 instead of 27.1; 130199 is no county:"
    sed 's/^/    /' "$work/stats-bad.csv"
    s_kcctl_refused submit-values "$work/stats-bad.csv" --provider stats --year "$year" \
        --user stats-clerk --role provider
}

s_retry() {
    s_header "4. A retry with the same idempotency key gets the first answer back"
    s_say "The stats bureau's connection dropped; it sends stats.csv again with the same --key:"
    s_kcctl submit-values "$sample/stats.csv" --provider stats --year "$year" \
        --user stats-clerk --role provider --key "demo-stats-$year"
}

s_correction() {
    s_header "5. A corrected value becomes revision 2"
    # The row of 平山县 from stats.csv with I07 (the fifth column) raised by 2.5.
    awk -F, -v OFS=, 'NR == 1 || $1 == "130131" { if (NR > 1) $5 = sprintf("%.1f", $5 + 2.5); print }' \
        "$sample/stats.csv" >"$work/stats-correction.csv"
    s_say "$work/stats-correction.csv: 平山县's row again, with I07 corrected:"
    sed 's/^/    /' "$work/stats-correction.csv"
    s_kcctl submit-values "$work/stats-correction.csv" --provider stats --year "$year" \
        --user stats-clerk --role provider --key "demo-stats-$year-correction"
    s_say ""
    s_kcctl status "demo-stats-$year-correction"
}

s_applications() {
    s_header "6. Programme 2: a mountain demonstration-base application"
    s_say "平山县太行菌业科技有限公司 files $sample/sample-application.json:"
    s_kcctl submit-application "$sample/sample-application.json" --user lizhenhua --role applicant \
        --division 130131 --organisation 平山县太行菌业科技有限公司 --key demo-application |
        tee "$work/application.out"
    application_id="$(sed -n 's/^  application \([A-Za-z0-9-]*\)$/\1/p' "$work/application.out")"
    local event
    event="$(sed -n 's/^  event \([0-9]*\)$/\1/p' "$work/application.out")"
    [[ -n "$application_id" && -n "$event" ]] || s_die "no reference number in the answer"
    s_say ""
    s_say "Its event carries the title it will be filed under once the public notice passes:"
    s_kcctl events --after "$((event - 1))"

    s_header "7. A faulty application is refused, every error listed"
    s_say "$sample/sample-application-bad.json: five mistakes in one form:"
    s_kcctl_refused submit-application "$sample/sample-application-bad.json" --user lizhenhua \
        --role applicant --division 130131 --organisation 平山县太行菌业科技有限公司

    s_header "8. An objection during the public notice of $application_id"
    sed "s/@APPLICATION_ID@/$application_id/" "$sample/sample-objection.json" >"$work/objection.json"
    s_kcctl submit-objection "$work/objection.json" --user zhaoguoqiang --role public --division 130131 \
        --key demo-objection
}

s_event_log() {
    s_header "9. The event log every node and daemon can follow"
    s_kcctl events
}

s_summary() {
    s_header "10. What the database now holds"
    s_psql <<'EOF'
WITH counts (what, total, detail, position) AS (
    SELECT 'submissions', count(*),
           format('%s reports, %s application, %s objection',
                  count(*) FILTER (WHERE kind = 'reports'),
                  count(*) FILTER (WHERE kind = 'application'),
                  count(*) FILTER (WHERE kind = 'objection')), 1
      FROM submission
    UNION ALL
    SELECT 'indicator values', count(*),
           format('%s counties x %s indicators; %s replaced by a later revision',
                  count(DISTINCT county_code), count(DISTINCT indicator_code),
                  count(*) - (SELECT count(*) FROM indicator_value_current)), 2
      FROM indicator_value
    UNION ALL
    SELECT 'applications', count(*), string_agg(ref || ' ' || status, ', '), 3 FROM application
    UNION ALL
    SELECT 'objections', count(*), '', 4 FROM objection
    UNION ALL
    SELECT 'events', count(*), string_agg(DISTINCT type, ', '), 5 FROM event
)
SELECT what AS "table", total AS "rows", detail FROM counts ORDER BY position;
EOF
}

# --- main -------------------------------------------------------------------

trap s_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

s_header "Setting up: packages, build, PostgreSQL, kc-intake"
deploy/local/install-deps.sh
mkdir -p "$work"
if ! make --no-print-directory MODE=release all >"$work/build.log" 2>&1; then
    tail -n 30 "$work/build.log" >&2
    s_die "the build failed; see $work/build.log"
fi
s_say "build: $kcctl_bin and $intake_bin are up to date (log: $work/build.log)"
s_stop_stale_intake
rm -f "$work"/*.csv "$work"/*.json "$work"/*.out "$work/intake.log"
# A cluster left by an earlier demo that was killed outright: start afresh.
deploy/local/pg.sh stop "$pg_dir" --purge >/dev/null
KC_DATABASE_URL="$(deploy/local/pg.sh start "$pg_dir")"
export KC_DATABASE_URL
s_say "PostgreSQL: $KC_DATABASE_URL"
# The node: Hebei's province node. kcctl acts for division 130000 unless told.
export KC_NODE_ID=hebei-demo KC_NODE_LEVEL=province KC_NODE_DIVISION=130000
"$kcctl_bin" migrate
s_start_intake

s_division_map
s_provider_sheets
s_bad_sheet
s_retry
s_correction
s_applications
s_event_log
s_summary

s_header "Done"
s_say "The demo ran to the end. kc-intake's log: $work/intake.log"
