#!/usr/bin/env bash
# demo.sh: the demo (`make demo`) of intake, the application procedure and
# scoring, on a throwaway local node.
#
# It installs what is missing (deploy/local/install-deps.sh), builds with
# make, starts its own PostgreSQL 15 under var/demo-pg (deploy/local/pg.sh),
# migrates it, and starts kc-intake, kc-scoring, kc-workflow and kc-notify in
# the background on five free ports, a port taken before its daemon binds it
# moving to another (logs: var/demo/intake.log, scoring.log, workflow.log,
# notify.log). Then it tells the story of one province node, Hebei
# (130000), with the synthetic data of deploy/data/sample/:
#
#   1. the division map: Hebei's cities and how many counties each has;
#   2. Programme 1: each data provider sends its 2023 sheet (the first as a
#      dry run); a bad sheet is refused with every error located in the
#      file; a retry with the same idempotency key gets the first answer
#      back; a corrected value becomes revision 2 and the history shows both;
#   3. Programme 2: a mountain demonstration-base application is accepted
#      (reference number and the title it will be filed under), a faulty one
#      is refused with every error listed, an objection before any public
#      notice is refused; then the event log;
#   4. Programme 2's procedure (deploy/workflow/mountain-base-v1.ini): the
#      application waits with its applicant, who submits it; the county
#      bureau returns it for revision and approves it when resubmitted, the
#      county government consents, the city recommends it, the province has
#      the experts evaluate it: a panel drawn from the expert pool around the
#      conflicts of interest, one expert declaring a conflict and replaced,
#      five scores aggregated by the trimmed mean, the draw replayed from its
#      seed; the public notice, an objection to it settled, the notice
#      closing by itself into filing on the working-day calendar (the demo
#      moves kc-workflow's clock); a year on, the yearly assessment opening
#      by itself with the base's early report, a failure, a year of
#      rectification, revocation; refusals on the way (no reason, no seal,
#      the wrong city, a decision before the scores); the programme's
#      progress, the history and the node's hash-chained audit log;
#   5. scoring: a methodology whose points do not add up to 100 is refused,
#      the shipped methodology and reward policy are loaded, the sheets of
#      2017-2022 and the experts' ratings of every year go in, kc-scoring
#      scores 2023 (A/B/C lists, rewards, flagged values, HTML reports and
#      CSV/JSON exports under var/demo/scores-2023), `kcctl report`
#      reproduces the run byte for byte, and publication is refused until the
#      flagged values are marked reviewed;
#   6. a count of what the database now holds;
#   7. three levels on their own nodes (deploy/local/demo-federation.sh): a
#      province, a city and a county node linked over CURVE, an application
#      climbing from the county node to the province and its filing coming
#      back down, and the county working on while its link is cut.
#
# On exit, also on failure or Ctrl-C, it stops kc-workflow, kc-scoring and
# kc-intake (SIGTERM) and the cluster, and removes the cluster (pg.sh stop
# --purge). var/demo keeps the logs and the files the demo wrote. Another
# cluster (var/pg-dev) and the default ports 7101/7102/7111/7121 are left
# alone, so the demo can run next to a developer's node. Exit 0 when the
# whole story ran as expected.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$repo_root"
source deploy/local/lib.sh

readonly pg_dir=var/demo-pg
readonly work=var/demo
readonly sample=deploy/data/sample
readonly kcctl_bin=build/release/bin/kcctl
readonly intake_bin=build/release/bin/kc-intake
readonly scoring_bin=build/release/bin/kc-scoring
readonly workflow_bin=build/release/bin/kc-workflow
readonly notify_bin=build/release/bin/kc-notify
readonly year=2023
intake_pid=
scoring_pid=
workflow_pid=
notify_pid=

# --- output -----------------------------------------------------------------

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

# Stop a daemon the demo started: SIGTERM lets it finish its current group or
# job; one that has not stopped after 10 s is killed.
s_stop_daemon() {
    local name=$1 pid=$2 waited
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid"
    for ((waited = 0; waited < 100; waited++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "demo: $name did not stop on SIGTERM within 10 s; killing it" >&2
        kill -KILL "$pid"
    fi
    wait "$pid" 2>/dev/null
    echo "$name stopped"
}

s_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    ((rc == 130 || rc == 143)) && echo "demo: interrupted; stopping what it started" >&2
    # kc-workflow and kc-scoring follow kc-intake's events: they go first.
    s_stop_daemon kc-notify "$notify_pid"
    s_stop_daemon kc-workflow "$workflow_pid"
    s_stop_daemon kc-scoring "$scoring_pid"
    s_stop_daemon kc-intake "$intake_pid"
    rm -f "$work/notify.pid" "$work/workflow.pid" "$work/scoring.pid" "$work/intake.pid"
    if ((rc != 0 && rc != 130 && rc != 143)); then
        local log
        for log in intake scoring workflow notify; do
            [[ -f "$work/$log.log" ]] || continue
            echo "demo: failed (exit $rc); the last lines of $work/$log.log:" >&2
            grep -v -e "client connection closed" -e "client disconnected" "$work/$log.log" |
                tail -n 15 >&2
        done
    fi
    deploy/local/pg.sh stop "$pg_dir" --purge >/dev/null 2>&1 &&
        echo "PostgreSQL stopped and $pg_dir removed" ||
        echo "demo: could not stop the cluster in $pg_dir: deploy/local/pg.sh stop $pg_dir --purge" >&2
    exit "$rc"
}

# A daemon left running by an earlier demo that was killed outright: it is
# ours if its pid file says so and the process is that program.
s_stop_stale() {
    local name=$1 binary=$2 pid_file="$work/$3.pid" pid
    [[ -f "$pid_file" ]] || return 0
    pid="$(cat "$pid_file")"
    # A rebuilt binary shows as ".../kc-intake (deleted)".
    if [[ "$pid" =~ ^[0-9]+$ ]] &&
        [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$repo_root/$binary"* ]]; then
        echo "demo: stopping $name $pid left by an earlier demo"
        kill -TERM "$pid" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$pid_file"
}

# The daemons' endpoints: neighbouring free ports on 127.0.0.1 from 17100
# up, away from 7101/7102/7111/7121/7131 (a developer's node); a port that
# turns out taken when a daemon binds it moves (s_run_daemon).
readonly endpoint_variables=(KC_INTAKE_ENDPOINT KC_EVENTS_ENDPOINT KC_SCORING_ENDPOINT
    KC_WORKFLOW_ENDPOINT KC_NOTIFY_ENDPOINT)

s_pick_ports() {
    local port
    for ((port = 17100; port < 17900; port += 5)); do
        if s_port_is_free "$port" && s_port_is_free "$((port + 1))" &&
            s_port_is_free "$((port + 2))" && s_port_is_free "$((port + 3))" &&
            s_port_is_free "$((port + 4))"; then
            echo "$port"
            return 0
        fi
    done
    s_die "no five free ports between 17100 and 17900"
}

s_move_port() {
    s_move_endpoint "$1" 17100 17900 "${endpoint_variables[@]}"
}

# Start a daemon in the background (its log truncated) and wait until it
# answers kcctl ping on the endpoint in the variable named by $5. Sets the
# variable named by $1 to its pid.
s_start_daemon() {
    local pid_var=$1 name=$2 binary=$3 log=$4 endpoint_var=$5 rc=0
    : >"$work/$log.log"
    # shellcheck disable=SC2016 # evaluated by s_run_daemon, after any move
    s_run_daemon "$work/$log.log" 's_answers "$kcctl_bin" "${!endpoint_var}"' s_move_port \
        "$binary" || rc=$?
    printf -v "$pid_var" '%s' "$daemon_pid"
    echo "$daemon_pid" >"$work/$log.pid"
    case $rc in
    0) ;;
    2) s_die "$name does not answer kcctl ping on ${!endpoint_var}" ;;
    *)
        printf -v "$pid_var" '%s' ""
        s_die "$name exited at start"
        ;;
    esac
    s_say "$name $daemon_pid: requests ${!endpoint_var}"
    "$kcctl_bin" ping --endpoint "${!endpoint_var}"
}

s_start_daemons() {
    local port
    port="$(s_pick_ports)"
    export KC_INTAKE_ENDPOINT="tcp://127.0.0.1:$port"
    export KC_EVENTS_ENDPOINT="tcp://127.0.0.1:$((port + 1))"
    export KC_SCORING_ENDPOINT="tcp://127.0.0.1:$((port + 2))"
    export KC_WORKFLOW_ENDPOINT="tcp://127.0.0.1:$((port + 3))"
    export KC_NOTIFY_ENDPOINT="tcp://127.0.0.1:$((port + 4))"
    s_start_daemon intake_pid kc-intake "$intake_bin" intake KC_INTAKE_ENDPOINT
    s_say "kc-intake publishes its events on $KC_EVENTS_ENDPOINT"
    # kc-scoring follows those events (the trigger of complete years).
    s_start_daemon scoring_pid kc-scoring "$scoring_bin" scoring KC_SCORING_ENDPOINT
    # kc-workflow gives each new application its procedure and moves it as
    # the officials act.
    # Its clock is the file workflow.clock while that exists (sections 12
    # and 13 move it forward a notice and a year); until then, the real one.
    rm -f "$work/workflow.clock"
    export KC_FAKE_CLOCK_FILE="$work/workflow.clock"
    s_start_daemon workflow_pid kc-workflow "$workflow_bin" workflow KC_WORKFLOW_ENDPOINT
    unset KC_FAKE_CLOCK_FILE
    # kc-notify follows the event log and tells the people concerned.
    s_start_daemon notify_pid kc-notify "$notify_bin" notify KC_NOTIFY_ENDPOINT
}

s_psql() {
    s_psql_quiet -P pager=off -P footer=off "$@" "$KC_DATABASE_URL"
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

    s_header "8. An objection before any public notice is refused"
    s_say "Objections are taken while an application's public notice (公示) is open: $application_id has"
    s_say "not reached its notice yet (section 12), so this one is refused and nothing is stored:"
    sed "s/@APPLICATION_ID@/$application_id/" "$sample/sample-objection.json" >"$work/objection.json"
    s_kcctl_refused submit-objection "$work/objection.json" --user zhaoguoqiang --role public \
        --division 130131 --key demo-objection-early
}

s_event_log() {
    s_header "9. The event log every node and daemon can follow"
    s_kcctl events
}

# --- Programme 2's procedure ------------------------------------------------

readonly process=deploy/workflow/mountain-base-v1.ini
as_args=()

# The people who act on the application, each as (user, role, division).
s_as() {
    case "$1" in
    applicant)
        as_args=(--user lizhenhua --role applicant --division 130131
            --organisation 平山县太行菌业科技有限公司) ;;
    county) as_args=(--user wangfang --role county_bureau --division 130131) ;;
    government) as_args=(--user zhaomin --role county_government --division 130131) ;;
    city) as_args=(--user liuqiang --role city_bureau --division 130100) ;;
    other-city) as_args=(--user chenjie --role city_bureau --division 130200) ;;
    province) as_args=(--user sunli --role province_department --division 130000) ;;
    *) s_die "no such actor: $1" ;;
    esac
}

# kcctl act on the application as one of the people above.
s_act() {
    local who=$1
    shift
    s_as "$who"
    s_kcctl act "$application_id" "$@" "${as_args[@]}"
}

s_act_refused() {
    local who=$1
    shift
    s_as "$who"
    s_kcctl_refused act "$application_id" "$@" "${as_args[@]}"
}

s_inbox() {
    local who=$1
    shift
    s_as "$who"
    s_kcctl inbox "$@" "${as_args[@]}"
}

# kc-workflow gives the application its procedure when the definition is
# loaded (it listens for that), a moment after kcctl returns.
s_wait_adopted() {
    local tries
    for ((tries = 0; tries < 50; tries++)); do
        (($(s_psql -tA <<<"SELECT count(*) FROM workflow_instance") >= 1)) && return 0
        sleep 0.2
    done
    s_die "kc-workflow did not give $application_id its procedure within 10 s"
}

s_procedure() {
    s_header "10. Programme 2: $application_id goes through its procedure"
    s_say "The procedure is data too: $process, seed 000's 自愿申报 → 县审核、县政府同意"
    s_say "→ 市级推荐 → 省级备案 (专家评估, 公示无异议后备案), every step with who takes it. It is"
    s_say "checked and stored with its sha256; kc-workflow gives each application the newest version"
    s_say "of its programme's procedure, which the application keeps."
    s_kcctl process load "$process"
    s_wait_adopted
    s_say ""
    s_say "Who hears of which step, in which words, is data too (deploy/notify/notify-v1.ini), and"
    s_say "so are the people of each level kc-notify tells:"
    s_kcctl notify load deploy/notify/notify-v1.ini
    s_kcctl recipients load "$sample/recipients.csv"
    s_say ""
    s_say "The county S&T bureau of 平山县 opens its inbox (待办): nothing yet. The application first"
    s_say "waits in drafting with its applicant, who may still revise it:"
    s_inbox county
    s_inbox applicant
    s_say ""
    s_say "The applicant submits it, attesting for the company (the seal of form item (6), --attest):"
    s_act applicant submit --reason 本单位对申报材料的真实性负责 --attest
    s_say ""
    s_say "Now it waits for the county bureau. A decision states its reason; one without is refused:"
    s_inbox county
    s_act_refused county county_approve
    s_say ""
    s_say "The bureau finds the plan's yearly targets vague: it returns the application to any step it"
    s_say "has passed through (--return-to), here the applicant, who revises and submits it again:"
    s_act county county_return --reason 实施方案的年度考核指标未量化，请补充后重新提交 \
        --return-to drafting
    s_act applicant submit --reason 已按县科技局意见补充年度考核指标 --attest
    s_act county county_approve --reason 材料齐全，食用菌产业基础扎实，同意报县政府
    s_say ""
    s_say "The county government consents under its own seal (县政府同意, form item (7)); without"
    s_say "the seal its consent is refused:"
    s_act_refused government county_consent --reason 同意申报
    s_act government county_consent --reason 同意申报，县政府在用地和配套资金上给予支持 --attest
    s_say ""
    s_say "A city bureau acts only for its own counties: 唐山 (130200) may not recommend an application"
    s_say "of 平山县, which belongs to 石家庄 (130100):"
    s_act_refused other-city city_recommend --reason 同意推荐 --attest
    s_say ""
    s_say "石家庄's bureau recommends it, under its seal (form item (8)):"
    s_act city city_recommend --reason 产业特色鲜明，带动农户增收明显，同意推荐上报 --attest
    s_say ""
    s_say "The province finds it among the mountain bases waiting for it and has experts evaluate it."
    s_say "They come from the province's expert pool, loaded from a sheet:"
    s_inbox province --programme mountain_base
    s_kcctl experts load "$sample/experts.csv"
    s_act province province_assign --reason 形式审查合格，组织专家评估
}

# The seated experts' codes (not those who gave up their seat), in seat order.
s_seated() {
    s_psql -tA <<<"SELECT expert_code FROM panel_member WHERE declaration IS DISTINCT FROM
                   'conflict' ORDER BY position"
}

# Score the five criteria in proportion to a total of 100.
s_score_args() {
    local total=$1
    awk -v t="$total" 'BEGIN {
        printf "representativeness=%.2f industry_foundation=%.2f innovation_conditions=%.2f ", 20*t/100, 20*t/100, 20*t/100
        printf "construction_content=%.2f organisation_support=%.2f", 25*t/100, 15*t/100 }'
}

s_panel() {
    s_header "11. The expert panel: conflicts of interest, scores, the aggregation rule"
    s_say "kc-workflow drew five experts of the field rural_industry at random, with a recorded seed,"
    s_say "after excluding those who work for the applicant or in its county or have declared a"
    s_say "standing conflict with it. The province sees the draw:"
    s_as province
    s_kcctl panel show "$application_id" "${as_args[@]}"
    s_say ""
    s_say "The province's decision needs the panel's scores; there are none yet:"
    s_act_refused province province_approve --reason 专家评估通过，予以公示
    local seated first
    mapfile -t seated < <(s_seated)
    first=${seated[0]}
    s_say ""
    s_say "Expert $first sees who applied, not the application, until declaring. $first declares a"
    s_say "conflict of interest and gives up the seat to the next expert in the draw:"
    s_kcctl panel show "$application_id" --user "$first" --role expert
    s_kcctl panel declare "$application_id" conflict --reason 近三年曾为申报单位提供有偿技术咨询 \
        --user "$first" --role expert
    mapfile -t seated < <(s_seated)
    s_say ""
    s_say "What waits for the expert who took the seat is the panel, to declare:"
    s_kcctl inbox --user "${seated[4]}" --role expert
    s_say ""
    s_say "Each seated expert declares no conflict, then sees the application and scores its five"
    s_say "criteria (the procedure's, adding up to 100). The first in full, the others the same way:"
    local totals=(70 97 80 52 81) i args
    for ((i = 0; i < 5; i++)); do
        read -ra args <<<"$(s_score_args "${totals[$i]}")"
        if ((i == 0)); then
            s_kcctl panel declare "$application_id" none --user "${seated[$i]}" --role expert
            s_kcctl panel score "$application_id" "${args[@]}" --user "${seated[$i]}" --role expert
        else
            "$kcctl_bin" panel declare "$application_id" none --user "${seated[$i]}" \
                --role expert >/dev/null
            "$kcctl_bin" panel score "$application_id" "${args[@]}" --user "${seated[$i]}" \
                --role expert >/dev/null
            s_say "\$ kcctl panel score $application_id ... --user ${seated[$i]} --role expert   (total ${totals[$i]})"
        fi
    done
    s_say ""
    s_say "The rule of the procedure, the trimmed mean of five, leaves out the highest (97) and the"
    s_say "lowest (52) and averages the rest; the 45-point spread is flagged as strong disagreement."
    s_say "Anyone may check that the order of the draw came from its seed:"
    s_as province
    s_kcctl panel show "$application_id" "${as_args[@]}"
    s_kcctl panel replay "$application_id" "${as_args[@]}"
    s_say ""
    s_say "With 77.00 of 100 (at least 60 needed) the province approves, and the result goes to a"
    s_say "public notice of five working days:"
    s_act province province_approve --reason 专家评估77.00分，符合备案条件，予以公示
}

# The working-day calendar: the shipped notices loaded, next year provisional.
s_calendar() {
    s_header "0. The working-day calendar"
    s_say "Public notices (公示) and deadlines count working days. Each year's days off and 调休"
    s_say "workdays come from the State Council's notice, transcribed and loaded once (a province"
    s_say "loads it and its cities and counties receive it over their links). kechuang ships 2024-2026:"
    s_load_calendar "$kcctl_bin"
    local next=$(($(TZ=Asia/Shanghai date +%Y) + 1))
    s_say ""
    s_say "A year without its notice is provisional: the statutory holidays on their dates (a festival"
    s_say "on a weekend made up on the next weekday), no 调休 guessed. Nothing is refused for it, and"
    s_say "every notice or deadline counted on it says so. $next, as kc-workflow counts it today:"
    "$kcctl_bin" calendar show "$next"
}

# Move kc-workflow's clock (KC_FAKE_CLOCK_FILE) to $1, Unix milliseconds.
s_clock_to() {
    echo "$1" >"$work/workflow.clock.new"
    mv "$work/workflow.clock.new" "$work/workflow.clock"
    s_say "(kc-workflow's clock now reads $(date -u -d "@$(($1 / 1000))" '+%Y-%m-%d %H:%M UTC'))"
}

s_wait_state() {
    local state=$1 tries
    for ((tries = 0; tries < 50; tries++)); do
        [[ "$(s_psql -tA <<<"SELECT state FROM workflow_instance")" == "$state" ]] && return 0
        sleep 0.2
    done
    s_die "$application_id did not reach $state within 10 s"
}

s_notice() {
    s_header "12. The public notice: an objection, settled, and the notice closes by itself"
    s_say "During the notice the objection of section 8 is taken through kc-intake:"
    s_kcctl submit-objection "$work/objection.json" --user zhaoguoqiang --role public \
        --division 130131 --key demo-objection
    local due
    due="$(s_psql -tA <<<"SELECT due_ms FROM workflow_timer WHERE kind = 'notice_end'
                          AND fired_ms IS NULL")"
    s_say ""
    s_say "The notice closes after five working days by the working-day calendar (the State Council's"
    s_say "holiday notices loaded at the start): at $(TZ=Asia/Shanghai date -d "@$((due / 1000))" \
        '+%Y-%m-%d %H:%M') Beijing time. Rather than wait, the demo moves kc-workflow's clock to that"
    s_say "instant (the test hook KC_FAKE_CLOCK_FILE; a real node runs on the real clock):"
    s_clock_to "$due"
    sleep 1.5
    s_say "The notice has closed, but an objection is not settled: the application waits for it."
    s_as province
    s_kcctl history "$application_id" "${as_args[@]}"
    local objection
    objection="$(s_psql -tA <<<"SELECT max(id) FROM objection")"
    s_say ""
    s_say "Only the level that holds the notice settles an objection, with its reason. The province"
    s_say "checks the land contracts and dismisses it; the notice then closes into filing by itself:"
    s_kcctl resolve-objection "$objection" dismissed \
        --reason 经核实，林地流转合同已于公示前经村民代表会议表决通过，异议不成立 "${as_args[@]}"
    s_wait_state filed
    s_kcctl history "$application_id" "${as_args[@]}"
    s_say ""
    s_say "Each level has heard, in its own in-app inbox (kc-notify), of the steps that concern it;"
    s_say "唐山's bureau, of none:"
    local who
    for who in lizhenhua wangfang liuqiang sunli chenjie; do
        s_notifications "$who"
    done
    s_say ""
    s_say "Seed 000 plans 30 bases by 2023; the programme's progress, for the province:"
    s_kcctl progress --programme mountain_base "${as_args[@]}"
}

# kc-notify's inbox of one person, once it has caught up with the event log.
s_notifications() {
    local tries
    for ((tries = 0; tries < 50; tries++)); do
        (($(s_psql -tA <<<"SELECT count(*) FROM event_cursor WHERE consumer = 'kc-notify'
                            AND last_seq = (SELECT max(seq) FROM event)") == 1)) && break
        sleep 0.2
    done
    s_kcctl notifications --user "$1"
}

s_assessment() {
    s_header "13. A year on: the yearly assessment, a failure, rectification, revocation"
    s_say "The base hands in its yearly report before the assessment has opened. It is kept, not"
    s_say "refused, and taken when the procedure reaches the step it belongs to:"
    s_act applicant annual_report_submit --reason 2026年度目标执行情况和工作开展情况报告 --attest
    local due
    due="$(s_psql -tA <<<"SELECT due_ms FROM workflow_timer WHERE kind = 'timer'
                          AND fired_ms IS NULL")"
    s_say ""
    s_say "A year after filing the assessment opens by itself (a 365-day timer of the state filed):"
    s_clock_to "$due"
    s_wait_state assessment
    s_as province
    s_kcctl history "$application_id" "${as_args[@]}"
    s_say ""
    s_say "The province finds the year's targets missed: one year to rectify (限期一年整改):"
    s_act province assessment_fail --reason 年度考核指标完成不足六成，示范推广面积未达计划，限期一年整改
    due="$(s_psql -tA <<<"SELECT due_ms FROM workflow_timer WHERE kind = 'timer'
                          AND fired_ms IS NULL")"
    s_clock_to "$due"
    s_wait_state rectification_review
    s_say ""
    s_say "The year is over and the rectification is reviewed; it has failed, so the base loses its"
    s_say "status (整改不合格的取消资格):"
    s_act province rectification_fail --reason 整改期满仍未达到考核要求，取消科技示范基地资格
    s_as province
    s_kcctl history "$application_id" "${as_args[@]}"
    s_kcctl progress --programme mountain_base "${as_args[@]}"
}

s_history_and_audit() {
    s_header "14. The history of $application_id and the node's audit log"
    s_say "Every step with who took it and why; the province may read any application of Hebei:"
    s_as province
    s_kcctl history "$application_id" "${as_args[@]}"
    s_say ""
    s_say "Every attempt, allowed or refused, is an entry of the node's audit log, and each entry"
    s_say "hashes the one before it: an edited or deleted entry breaks the chain."
    s_kcctl audit verify
    s_say ""
    s_say "The refused attempts among them:"
    printf '$ kcctl audit list | grep REFUSED\n'
    "$kcctl_bin" audit list | grep REFUSED
}

# --- scoring ----------------------------------------------------------------

readonly methodology=deploy/scoring/hebei-2019-v1.ini
readonly rewards=deploy/scoring/rewards-hebei-2019.ini
readonly scores="$work/scores-$year"
run_id=

s_scoring_rules() {
    s_header "15. Scoring: the methodology and the reward policy are files, checked before use"
    # A copy of the methodology with I01 worth 6 points instead of 7.
    awk '/^\[indicator\.I01\]/ { in_i01 = 1 }
         in_i01 && /^points = 7/ { sub(/points = 7/, "points = 6"); in_i01 = 0 } { print }' \
        "$methodology" >"$work/methodology-99.ini"
    s_say "$work/methodology-99.ini: $methodology with I01 (地方财政科技支出) worth 6 points, not 7:"
    { diff "$methodology" "$work/methodology-99.ini" || true; } | sed -n 's/^[<>]/    &/p'
    s_kcctl_refused methodology check "$work/methodology-99.ini"
    s_say ""
    s_say "The shipped methodology (17 indicators, 100 points) and reward policy are stored, with their sha256:"
    s_kcctl methodology load "$methodology"
    s_say ""
    s_kcctl rewards load "$rewards"
}

# Send one sheet quietly; print the number of values it stored.
s_quiet_sheet() {
    local provider=$1 file=$2 year_sent=$3 out="$work/submit.out"
    "$kcctl_bin" submit-values "$file" --provider "$provider" --year "$year_sent" \
        --user province-operator --role operator --division 130000 \
        --key "demo-$provider-$year_sent" >"$out" 2>&1 ||
        { cat "$out" >&2 && s_die "$file was refused"; }
    sed -n 's/^  \([0-9]*\) values received:.*/\1/p' "$out"
}

s_scoring_inputs() {
    s_header "16. Seven years of sheets and the experts' ratings"
    s_say "Rewards look at each county's class history, so the earlier years go in too: the province"
    s_say "operator sends the providers' sheets of 2017-2022 (2023's came in above) and every year's"
    s_say "ratings of I15-I17, three experts per county and item. For 2017, for example:"
    s_say "\$ kcctl submit-values $sample/years/2017/finance.csv --provider finance --year 2017 \\"
    s_say "      --user province-operator --role operator --division 130000 --key demo-finance-2017"
    s_say "\$ kcctl submit-ratings $sample/years/2017/ratings.csv --year 2017 --user province-operator"
    local y provider values total stored line
    for ((y = 2017; y <= year; y++)); do
        line=""
        total=0
        if ((y < year)); then
            for provider in finance stats sti ndrc samr county; do
                values="$(s_quiet_sheet "$provider" "$sample/years/$y/$provider.csv" "$y")"
                [[ -n "$values" ]] || s_die "no answer for $provider $y"
                line+=" $provider $values,"
                total=$((total + values))
            done
            line="6 sheets, $total values (${line# }"
            line="${line%,}); "
        else
            line="sheets sent above; "
        fi
        "$kcctl_bin" submit-ratings "$sample/years/$y/ratings.csv" --year "$y" \
            --user province-operator >"$work/submit.out" 2>&1 ||
            { cat "$work/submit.out" >&2 && s_die "the ratings of $y were refused"; }
        stored="$(sed -n 's/^stored \([0-9]*\) ratings.*/\1/p' "$work/submit.out")"
        printf '  %d: %s%s ratings\n' "$y" "$line" "${stored:-?}"
    done
    s_say "The gaps are deliberate: 滦平县 left I04 empty in 2022 and 2023, 献县 and 阜城县 in 2023"
    s_say "(stats 999 above), and 泊头市 has only two ratings of I17 in 2023."
    s_say ""
    s_say "kc-scoring follows the events: once 95 % of the counties have every input of a year, it"
    s_say "scores that year by itself (trigger data_complete, no robustness draws). Its jobs:"
    s_wait_auto_jobs
    s_job_table
}

# Wait until kc-scoring has scored the seven years by itself.
s_wait_auto_jobs() {
    local tries done_count
    for ((tries = 0; tries < 300; tries++)); do
        done_count="$(s_psql -tA <<<"SELECT count(*) FROM scoring_job
                       WHERE trigger = 'data_complete' AND state <> 'queued'")"
        ((done_count >= year - 2017 + 1)) && return 0
        sleep 0.2
    done
    s_die "kc-scoring did not score the complete years by itself within 60 s"
}

s_job_table() {
    s_psql <<'EOF'
SELECT j.id AS job, j.year, j.trigger, j.requested_by, j.robustness_draws AS draws, j.state,
       r.id AS run, r.county_count AS counties, r.flagged_count AS flagged, r.elapsed_ms AS ms
  FROM scoring_job j LEFT JOIN scoring_run r ON r.job_id = j.id ORDER BY j.id;
EOF
}

# CSV files of the reports have CRLF line ends; the county names come from
# results.csv.
s_csv() {
    tr -d '\r' <"$scores/$1"
}

s_show_results() {
    s_say "The top of the A list ($scores/results.csv):"
    # (awk rather than head takes the first ten: sort must not die of SIGPIPE)
    s_csv results.csv | awk -F, 'NR > 1 && $11 == "A"' | sort -t, -k12,12n |
        awk -F, 'NR <= 10 { printf "  %3d  %s  %6s  %s（%s）\n", $12, $1, $5, $2, $4 }'
    s_csv results.csv | awk -F, 'NR > 1 { n[$11]++; sum += $5 }
        END { printf "classes: A %d, B %d, C %d; mean %.2f points\n", n["A"], n["B"], n["C"],
              sum / (NR - 1) }'
}

s_show_awards() {
    s_say "Rewards ($scores/awards.csv; a county gets at most 500 万元):"
    s_csv awards.csv | awk -F, '
        BEGIN { split("baseline_a top3_a leap_c_to_a leap_b_to_a leap_c_to_b rank_up_10 rank_up_5" \
                      " releap_none cap", order, " "); rules = 9
                what["baseline_a"] = "class A in the baseline year"; what["top3_a"] = "top 3 of class A"
                what["leap_c_to_a"] = "leap from C to A"; what["leap_b_to_a"] = "leap from B to A"
                what["leap_c_to_b"] = "leap from C to B"
                what["rank_up_10"] = "same class, up 10 places or more"
                what["rank_up_5"] = "same class, up 5-9 places"
                what["releap_none"] = "leap back after a fall: nothing"
                what["cap"] = "cut to the cap" }
        NR > 1 { if (!($3 in what)) { order[++rules] = $3; what[$3] = $3 }
                 n[$3]++; paid[$3] += ($4 != 0); sum[$3] += $4; total += $4
                 if ($4 != 0) counties[$1] = 1 }
        END { for (r = 1; r <= rules; r++) {
                  k = order[r]
                  if (n[k]) printf "  %-12s %-33s %3d cases, %3d paid %6d 万元\n", k, what[k], n[k],
                                   paid[k], sum[k] }
              for (c in counties) paid_counties++
              printf "  %d counties receive %d 万元 in all\n", paid_counties, total }'
    s_say "For example:"
    s_csv awards.csv | awk -F, '$1 == "130432" || $1 == "131122" || $1 == "130828" {
        reason = $5; for (i = 6; i <= NF - 2; i++) reason = reason "," $i; gsub(/"/, "", reason)
        printf "  %s %s: %s\n", $1, $2, reason }'
}

s_show_flags() {
    s_say "Values the engine flagged ($scores/points.csv): a jump waits for review before"
    s_say "publication; imputed = carried forward from the year before; missing = 0 points:"
    s_csv results.csv | awk -F, 'NR == FNR { name[$1] = $2; next }
        FNR > 1 && $7 != "" { printf "  %s %-5s %-8s value %-8.6g %5s of %s points  %s\n",
                               $1, $2, $7, $3, $5, $6, name[$1] }' - <(s_csv points.csv)
}

s_score() {
    s_header "17. kc-scoring scores $year"
    s_say "The province asks for $year with 2000 Monte Carlo draws of the weights (seed $year), for how"
    s_say "robust each class and rank is; kcctl waits for the job, then writes the reports:"
    s_kcctl score --year "$year" --scope 130000 --draws 2000 --seed "$year" --out "$scores" |
        tee "$work/score.out"
    run_id="$(sed -n 's/^job [0-9]* done: run \([0-9]*\),.*/\1/p' "$work/score.out")"
    [[ -n "$run_id" ]] || s_die "kcctl score gave no run"
    s_say ""
    s_show_results
    s_say ""
    s_show_awards
    s_say ""
    s_show_flags
    s_say ""
    s_say "A person opens the reports in a browser:"
    local file
    for file in index.html province.html city-131100.html county-131122.html; do
        [[ -s "$scores/$file" ]] || s_die "$scores/$file was not written"
    done
    s_say "  $repo_root/$scores/index.html          the A/B/C lists"
    s_say "  $repo_root/$scores/province.html       Hebei's annual report"
    s_say "  $repo_root/$scores/city-131100.html    衡水市"
    s_say "  $repo_root/$scores/county-131122.html  武邑县 (C in 2021, A since 2022)"
    s_say "and the tables in CSV (results, points, changes, gaps, awards, robustness) and result.json."
}

s_reproduce() {
    s_header "18. The run reproduces byte for byte"
    s_say "kcctl report recomputes run $run_id from its stored input snapshot and writes nothing unless"
    s_say "the result hashes as stored:"
    s_kcctl report --run "$run_id" --out "$scores-again"
    printf '$ cmp %s %s\n' "$scores/result.json" "$scores-again/result.json"
    cmp "$scores/result.json" "$scores-again/result.json" || s_die "the reports differ"
    s_say "identical ($(wc -c <"$scores/result.json") bytes)"
    diff -rq "$scores" "$scores-again" >/dev/null || s_die "the reports differ (diff -r)"
    local others=$(($(find "$scores" -type f | wc -l) - 1))
    s_say "and so are the other $others files (diff -r): HTML pages with their SVG charts, CSV tables"
}

s_publish() {
    s_header "19. Publication waits for the flagged values to be reviewed"
    s_kcctl_refused publish --run "$run_id"
    s_say ""
    s_say "The reviewer has checked the flagged values (the reports list them):"
    s_kcctl publish --run "$run_id" --flags-reviewed
    s_say ""
    s_say "The published classes this node holds (the first five):"
    printf '$ kcctl classes --year %s | head -n 6\n' "$year"
    { "$kcctl_bin" classes --year "$year" || true; } | head -n 6
    s_say ""
    s_say "Each county hears of its own class: 平山县's S&T bureau finds it at the top of its inbox"
    s_say "(kc-notify; the newest first):"
    local tries
    for ((tries = 0; tries < 50; tries++)); do
        (($(s_psql -tA <<<"SELECT count(*) FROM event_cursor WHERE consumer = 'kc-notify'
                            AND last_seq = (SELECT max(seq) FROM event)") == 1)) && break
        sleep 0.2
    done
    printf '$ kcctl notifications --user wangfang | head -n 3\n'
    { "$kcctl_bin" notifications --user wangfang || true; } | head -n 3
}

s_summary() {
    s_header "20. What the database now holds"
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
           format('%s years x %s counties x %s items; %s replaced by a later revision',
                  count(DISTINCT year), count(DISTINCT county_code), count(DISTINCT indicator_code),
                  count(*) - (SELECT count(*) FROM indicator_value_current)), 2
      FROM indicator_value
    UNION ALL
    SELECT 'ratings', count(*),
           format('%s years, %s raters', count(DISTINCT year), count(DISTINCT rater)), 3
      FROM rating
    UNION ALL
    SELECT 'applications', count(*), string_agg(ref || ' ' || status, ', '), 4 FROM application
    UNION ALL
    SELECT 'objections', count(*), '', 5 FROM objection
    UNION ALL
    SELECT 'scoring runs', count(*),
           format('%s years; %s county results, %s awards; published: %s',
                  count(DISTINCT year), (SELECT count(*) FROM scoring_result),
                  (SELECT count(*) FROM scoring_award),
                  (SELECT string_agg(format('%s %s (run %s)', scope_code, year, run_id), ', ')
                     FROM scoring_publication)), 6
      FROM scoring_run
    UNION ALL
    SELECT 'procedure steps', count(*),
           (SELECT string_agg(format('%s now at %s (%s)', a.ref, w.state, w.definition), ', ')
              FROM workflow_instance w JOIN application a ON a.id = w.application_id), 7
      FROM workflow_step
    UNION ALL
    SELECT 'audit entries', count(*),
           format('%s allowed, %s refused', count(*) FILTER (WHERE allowed),
                  count(*) FILTER (WHERE NOT allowed)), 8
      FROM audit_entry
    UNION ALL
    SELECT 'events', count(*), string_agg(DISTINCT type, ', '), 9 FROM event
)
SELECT what AS "table", total AS "rows", detail FROM counts ORDER BY position;
EOF
}

# --- main -------------------------------------------------------------------

trap s_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

s_header "Setting up: packages, build, PostgreSQL, kc-intake, kc-scoring, kc-workflow, kc-notify"
deploy/local/install-deps.sh
mkdir -p "$work"
s_stop_stale kc-notify "$notify_bin" notify
s_stop_stale kc-workflow "$workflow_bin" workflow
s_stop_stale kc-scoring "$scoring_bin" scoring
s_stop_stale kc-intake "$intake_bin" intake
# The logs and files of an earlier demo (build.log is written afresh).
rm -rf "$work"/*.csv "$work"/*.json "$work"/*.ini "$work"/*.out "$work"/scores-* \
    "$work/intake.log" "$work/scoring.log" "$work/workflow.log" "$work/notify.log"
if ! make --no-print-directory MODE=release all >"$work/build.log" 2>&1; then
    tail -n 30 "$work/build.log" >&2
    s_die "the build failed; see $work/build.log"
fi
s_say "build: $kcctl_bin, $intake_bin, $scoring_bin, $workflow_bin and $notify_bin are up to date"
s_say "(log: $work/build.log)"
# A cluster left by an earlier demo that was killed outright: start afresh.
deploy/local/pg.sh stop "$pg_dir" --purge >/dev/null
KC_DATABASE_URL="$(deploy/local/pg.sh start "$pg_dir")"
export KC_DATABASE_URL
s_say "PostgreSQL: $KC_DATABASE_URL"
# The node: Hebei's province node. kcctl acts for division 130000 unless told;
# kc-scoring scores a year by itself once 95 % of the counties have its data.
export KC_NODE_ID=hebei-demo KC_NODE_LEVEL=province KC_NODE_DIVISION=130000
export KC_SCORING_AUTO_COVERAGE=95
"$kcctl_bin" migrate
s_calendar
s_start_daemons

s_division_map
s_provider_sheets
s_bad_sheet
s_retry
s_correction
s_applications
s_event_log
s_procedure
s_panel
s_notice
s_assessment
s_history_and_audit
s_scoring_rules
s_scoring_inputs
s_score
s_reproduce
s_publish
s_summary
deploy/local/demo-federation.sh

s_header "Done"
s_say "The demo ran to the end. Logs: $work/intake.log, $work/scoring.log, $work/workflow.log;"
s_say "reports: $scores"
