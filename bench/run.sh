#!/usr/bin/env bash
# run.sh: `make bench` — kc-intake against pgbench, kc-workflow against the
# same one-row ceiling, and scoring with
# PostgreSQL against its goals and NumPy, in one run, on one throwaway
# PostgreSQL 15 cluster of this machine.
#
#   bench/run.sh BUILD_DIR        (make bench passes build/release)
#
# 1. Starts its own cluster in var/bench-pg (deploy/local/pg.sh; fsync and
#    synchronous_commit on) and migrates it with BUILD_DIR/bin/kcctl.
# 2. Measures PostgreSQL alone with pgbench on scratch tables shaped like
#    indicator_value: one row per transaction at 16 clients (the ceiling
#    when every message commits alone), a prepared 100-row INSERT per
#    transaction at 16 clients, and COPY (psql \copy of 1,000,000 rows).
# 3. Starts kc-intake (BUILD_DIR/bin) on free loopback ports and runs
#    BUILD_DIR/bench/intake_bench: acknowledged single-value submissions
#    from 16 pipelining clients with their latency, the national year, and
#    the daemon's peak RSS.
# 4. Scoring, in a database of its own on the same cluster (migrated, with
#    deploy/scoring/hebei-2019-v1.ini and rewards-hebei-2019.ini loaded by
#    kcctl): BUILD_DIR/bench/scoring_db fills synthetic inputs for every
#    county-level division of the country (two years, by COPY), times the
#    whole country scored with its reads and writes in PostgreSQL, and the
#    throughput of one and then two kc-scoring processes on a batch of
#    province jobs; BUILD_DIR/bench/scoring_core times the arithmetic and
#    the Monte Carlo alone, side by side with NumPy (bench/scoring_numpy.py).
# 5. The working-day calendar: BUILD_DIR/bench/calendar_bench times the
#    windows kc-workflow counts on official and provisional years, against
#    each other and a ceiling of 1 % of a step's transaction.
#    kc-workflow, in a database of its own with the shipped mountain-base
#    procedure and the sample expert pool: BUILD_DIR/bench/workflow_bench
#    carries 10,000 applications to their public notices (panels drawn,
#    declared and scored) and then past them into filing by their timers,
#    and compares the transition rate with pgbench's one-row rate above.
# 6. kc-link: three linked nodes of their own (deploy/local/nodes.sh under
#    var/bench-out/nodes): BUILD_DIR/bench/link_bench queues a county's
#    data at a steady rate and times each message to its commit at the
#    province through the city; then, with the city's kc-link stopped,
#    queues 10,000 and times the drain once it is back.
# 7. Prints one table of the figures, the goals and the ratios. Each part
#    stops the daemons it started when it ends; on exit, also on failure or
#    Ctrl-C, everything still running that the bench started is stopped
#    (trap) and the cluster removed.
#
# Knobs (environment): KC_BENCH_SECONDS (10) per measurement,
# KC_BENCH_CLIENTS (16), KC_BENCH_WINDOW (32 requests in flight per client),
# KC_BENCH_SWEEP ("1": further windows, comma-separated, for the latency at
# lower load; empty for none),
# KC_BENCH_COPY_ROWS (1000000), KC_GROUP_MAX (kc-intake's own setting),
# KC_BENCH_KEEP=1 to leave the cluster running for a look afterwards,
# KC_BENCH_ONLY=intake, =scoring, =workflow, =notify or =link to run one part only;
# KC_BENCH_LINK_RATE (200) messages per second for the link's latency;
# KC_BENCH_APPLICATIONS (10000) and KC_BENCH_WF_CLIENTS (8) for the workflow.
# Logs and the raw output stay in var/bench-out.
#
# The comparison is deliberately generous to pgbench: its row is a bare
# INSERT into a table without foreign keys, while kc-intake does more for
# every message — it claims the idempotency key (a submission row, unique
# index), looks up the latest revision of the value, inserts the value with
# its foreign keys, appends an event under the event-log row lock, updates
# the submission with its figures, reads the answer back and publishes the
# event, all behind validation and a protobuf round trip over ZeroMQ.
set -euo pipefail

readonly pg_bin=/usr/lib/postgresql/15/bin
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly repo_root
source "$repo_root/deploy/local/lib.sh"

s_die() {
    echo "bench: $*" >&2
    exit 1
}

(($# == 1)) || s_die "usage: bench/run.sh BUILD_DIR"
[[ -d "$1" ]] || s_die "no build directory '$1': run 'make bench'"
build="$(cd "$1" && pwd -P)"
readonly build
for program in "$build/bin/kc-intake" "$build/bin/kc-scoring" "$build/bin/kcctl" \
    "$build/bin/kc-workflow" "$build/bench/intake_bench" "$build/bench/scoring_db" \
    "$build/bench/scoring_core" "$build/bench/workflow_bench" "$build/bench/notify_bench" \
    "$build/bench/calendar_bench" \
    "$build/bin/kc-notify" "$build/bin/kc-link" "$build/bench/link_bench" \
    "$pg_bin/pgbench" "$pg_bin/psql"; do
    [[ -x "$program" ]] || s_die "missing '$program'"
done

readonly seconds=${KC_BENCH_SECONDS:-10}
readonly clients=${KC_BENCH_CLIENTS:-16}
readonly window=${KC_BENCH_WINDOW:-32}
readonly sweep=${KC_BENCH_SWEEP-1}
readonly copy_rows=${KC_BENCH_COPY_ROWS:-1000000}
readonly only=${KC_BENCH_ONLY:-}
[[ -z "$only" || "$only" == intake || "$only" == scoring || "$only" == workflow ||
    "$only" == notify || "$only" == link ]] ||
    s_die "KC_BENCH_ONLY must be intake, scoring, workflow, notify or link, not '$only'"
readonly wf_applications=${KC_BENCH_APPLICATIONS:-10000}
readonly wf_clients=${KC_BENCH_WF_CLIENTS:-8}
readonly pg_dir="$repo_root/var/bench-pg"
readonly out="$repo_root/var/bench-out"
readonly pg_sh="$repo_root/deploy/local/pg.sh"
# What the bench starts, each stopped at the end of its part and, whatever
# happens, on exit: the daemons, and the city's kc-link start-node of the
# link part runs in the background. Their endpoints (tcp://127.0.0.1:PORT).
intake_pid=
workflow_pid=
notify_pid=
restart_pid=
intake_endpoint=
events_endpoint=
workflow_endpoint=
notify_endpoint=

# Stop one process the bench started ($1, a pid or nothing): SIGTERM, and
# SIGKILL if it has not ended within 30 s.
s_stop() {
    local pid=$1 waited
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((waited = 0; waited < 300; waited++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

s_cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    for pid in "$restart_pid" "$intake_pid" "$workflow_pid" "$notify_pid"; do
        s_stop "$pid"
    done
    [[ -d "$out/nodes" ]] && "$repo_root/deploy/local/nodes.sh" stop "$out/nodes" --purge >/dev/null 2>&1
    if [[ "${KC_BENCH_KEEP:-0}" == 1 ]]; then
        echo "bench: cluster left running in $pg_dir ($(cat "$pg_dir/conninfo" 2>/dev/null))" >&2
    else
        "$pg_sh" stop "$pg_dir" --purge >/dev/null 2>&1 || true
    fi
    exit "$status"
}
trap s_cleanup EXIT
trap 'exit 130' INT TERM

# ---- the cluster ------------------------------------------------------------

rm -rf "$out"
mkdir -p "$out"
load_before="$(cut -d ' ' -f 1-3 /proc/loadavg)"
# A cluster left by an interrupted run goes first: the numbers are for a
# fresh one (and pg.sh start would wait on the lock its server still holds).
"$pg_sh" stop "$pg_dir" --purge >/dev/null
conninfo="$("$pg_sh" start "$pg_dir" | tail -n 1)"
readonly conninfo
readonly admin="${conninfo/user=kechuang/user=postgres}"
KC_DATABASE_URL="$conninfo" "$build/bin/kcctl" migrate >"$out/migrate.log" 2>&1 ||
    s_die "migration failed; see $out/migrate.log"

s_psql() {
    "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

# Flush dirty pages so that one measurement does not pay for the last one.
s_checkpoint() {
    s_psql "$admin" -c CHECKPOINT
}

s_now_ns() {
    date +%s%N
}

s_run_part() {
    [[ -z "$only" || "$only" == "$1" ]]
}

# Runs a pgbench script at $clients clients; prints its transactions/s.
s_pgbench() {
    local name=$1 log="$out/pgbench-$1.log" tps
    s_checkpoint
    "$pg_bin/pgbench" -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$out/$name.sql" \
        "$conninfo" >"$log" 2>&1 || s_die "pgbench $name failed; see $log"
    grep -q '^number of failed transactions: 0 ' "$log" || s_die "pgbench $name had failures; see $log"
    tps="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$log")"
    [[ -n "$tps" ]] || s_die "no tps in $log"
    echo "$tps"
}

# Endpoints on free loopback ports from 17000 up (7101/7102 are the usual
# kc-intake's); one taken before its daemon binds it moves (s_run_daemon).
s_new_endpoint() {
    local port
    port="$(s_free_port 17000 18000 "${intake_endpoint##*:}" "${events_endpoint##*:}" \
        "${workflow_endpoint##*:}" "${notify_endpoint##*:}")" ||
        s_die "no free port between 17000 and 18000"
    echo "tcp://127.0.0.1:$port"
}

s_move_port() {
    s_move_endpoint "$1" 17000 18000 intake_endpoint events_endpoint workflow_endpoint \
        notify_endpoint
}

# Start a daemon with the function $2 (which reads the endpoints when it
# runs), logging to $3, and wait until it answers a ping on the endpoint in
# the variable named by $4; its pid goes to the variable named by $1.
s_start_daemon() {
    # shellcheck disable=SC2034 # endpoint_var is read by the READY below
    local pid_var=$1 start=$2 log=$3 endpoint_var=$4 rc=0
    # shellcheck disable=SC2016 # evaluated by s_run_daemon, after any move
    s_run_daemon "$log" 's_answers "$build/bin/kcctl" "${!endpoint_var}"' s_move_port "$start" ||
        rc=$?
    printf -v "$pid_var" '%s' "$daemon_pid"
    ((rc == 0)) || s_die "$start: the daemon did not start or answer; see $log"
}

pg_one_row=
if s_run_part intake || s_run_part workflow || s_run_part notify; then
# ---- PostgreSQL alone ---------------------------------------------------------

echo "== PostgreSQL alone (pgbench, ${seconds}s per figure)"
# Scratch tables with the columns, types and primary key of indicator_value.
s_psql "$conninfo" <<'EOF'
CREATE TABLE bench_one_row (
    county_code text NOT NULL,
    year integer NOT NULL,
    indicator_code text NOT NULL,
    revision integer NOT NULL,
    value double precision NOT NULL,
    provider text NOT NULL,
    submission_id bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, year, indicator_code, revision)
);
CREATE TABLE bench_multi_row (LIKE bench_one_row INCLUDING ALL);
CREATE TABLE bench_copy (LIKE bench_one_row INCLUDING ALL);
EOF

# (a) One row per transaction: the ceiling when every message commits alone.
# Keys are random over 10^12, so 16 clients do not collide.
cat >"$out/one_row.sql" <<'EOF'
\set n random(1, 999999999999)
INSERT INTO bench_one_row (county_code, year, indicator_code, revision, value, provider, submission_id)
VALUES (:n, 2020, 'I03', 1, 42.5, 'stats', :n);
EOF

# (b) A prepared INSERT of 100 rows (one VALUES list) per transaction.
{
    echo '\set n random(1, 999999999999)'
    echo 'INSERT INTO bench_multi_row (county_code, year, indicator_code, revision, value, provider, submission_id) VALUES'
    for ((i = 1; i <= 100; i++)); do
        separator=,
        ((i < 100)) || separator=';'
        echo "  ((:n)::text || '.$i', 2020, 'I03', 1, $i.5, 'stats', :n)$separator"
    done
} >"$out/multi_row.sql"

pg_one_row="$(s_pgbench one_row)"
echo "  one row per transaction:   $(printf '%.0f' "$pg_one_row") rows/s"
fi
if s_run_part intake; then
pg_multi_tps="$(s_pgbench multi_row)"
pg_multi_row="$(awk -v tps="$pg_multi_tps" 'BEGIN { printf "%.0f", tps * 100 }')"
echo "  100-row INSERT:            $pg_multi_row rows/s ($(printf '%.0f' "$pg_multi_tps") transactions/s)"

# (c) COPY: one client, one transaction, timed around psql.
awk -v rows="$copy_rows" 'BEGIN {
    for (i = 1; i <= rows; i++)
        printf "%d,2020,I03,1,%.4f,stats,%d\n", i, (i % 9973) / 99.73, i
}' >"$out/copy.csv"
s_checkpoint
start_ns="$(s_now_ns)"
s_psql "$conninfo" -c "\\copy bench_copy (county_code, year, indicator_code, revision, value, provider, submission_id) FROM '$out/copy.csv' WITH (FORMAT csv)"
copy_ns=$(($(s_now_ns) - start_ns))
pg_copy="$(awk -v rows="$copy_rows" -v ns="$copy_ns" 'BEGIN { printf "%.0f", rows / (ns / 1e9) }')"
echo "  COPY of $copy_rows rows:     $pg_copy rows/s ($((copy_ns / 1000000)) ms)"
rm -f "$out/copy.csv"
# The scratch tables go before kc-intake runs: its numbers are for its own tables.
# No ANALYZE here: the intake tables stay as `kcctl migrate` leaves them, like
# a freshly deployed node's. Statistics taken while they are empty make the
# plans that kc-intake's session caches (the foreign-key checks and lookups
# of submission by id, the revision lookup) sequential scans, kept as the
# tables grow: every write then reads the whole table.
s_psql "$conninfo" -c "DROP TABLE bench_one_row, bench_multi_row, bench_copy"

# ---- kc-intake ------------------------------------------------------------------


intake_endpoint="$(s_new_endpoint)"
events_endpoint="$(s_new_endpoint)"
group_max=${KC_GROUP_MAX:-256}
s_checkpoint
s_kc_intake() {
    KC_DATABASE_URL="$conninfo" KC_INTAKE_ENDPOINT="$intake_endpoint" \
        KC_EVENTS_ENDPOINT="$events_endpoint" KC_NODE_ID=bench KC_LOG_LEVEL=notice \
        KC_GROUP_MAX="$group_max" exec "$build/bin/kc-intake"
}
s_start_daemon intake_pid s_kc_intake "$out/intake.log" intake_endpoint
echo "== kc-intake on $intake_endpoint (group_max $group_max)"

bench_args=(--endpoint "$intake_endpoint" --database "$conninfo" --pid "$intake_pid"
    --clients "$clients" --window "$window" --seconds "$seconds" --warmup 2)
[[ -z "$sweep" ]] || bench_args+=(--sweep "$sweep")
"$build/bench/intake_bench" "${bench_args[@]}" | tee "$out/intake_bench.out" ||
    s_die "intake_bench failed; see $out/intake_bench.out and $out/intake.log"
kill -0 "$intake_pid" 2>/dev/null || s_die "kc-intake died; see $out/intake.log"
s_stop "$intake_pid"
intake_pid=

fi # intake

# ---- scoring ----------------------------------------------------------------------

# Its own database, so that the intake figures' tables do not mix with the
# synthetic country (and KC_BENCH_ONLY=scoring measures the same thing).
if s_run_part scoring; then
    echo "== scoring with PostgreSQL (database kc_scoring)"
    s_psql "$admin" -c "CREATE DATABASE kc_scoring OWNER kechuang"
    scoring_db_url="${conninfo/dbname=kechuang/dbname=kc_scoring}"
    scoring_admin="${admin/dbname=kechuang/dbname=kc_scoring}"
    {
        KC_DATABASE_URL="$scoring_db_url" "$build/bin/kcctl" migrate &&
            KC_DATABASE_URL="$scoring_db_url" "$build/bin/kcctl" methodology load \
                "$repo_root/deploy/scoring/hebei-2019-v1.ini" &&
            KC_DATABASE_URL="$scoring_db_url" "$build/bin/kcctl" rewards load \
                "$repo_root/deploy/scoring/rewards-hebei-2019.ini"
    } >"$out/scoring-setup.log" 2>&1 || s_die "scoring setup failed; see $out/scoring-setup.log"
    "$build/bench/scoring_db" --database "$scoring_db_url" --admin "$scoring_admin" \
        --scoring-bin "$build/bin/kc-scoring" --log-dir "$out" | tee "$out/scoring_db.out" ||
        s_die "scoring_db failed; see $out/scoring_db.out and $out/scoring-*.log"
    echo "== scoring arithmetic alone, against NumPy"
    (cd "$repo_root" && "$build/bench/scoring_core") | tee "$out/scoring_core.out" ||
        s_die "scoring_core failed; see $out/scoring_core.out"
fi

# ---- the working-day calendar --------------------------------------------------------
echo "== the working-day calendar: windows counted on official and provisional years"
(cd "$repo_root" && "$build/bench/calendar_bench") | tee "$out/calendar_bench.out" ||
    s_die "calendar_bench failed; see $out/calendar_bench.out"

# ---- kc-workflow --------------------------------------------------------------------

# Its own database too, with the shipped procedure and the sample expert pool.
if s_run_part workflow; then
    echo "== kc-workflow: $wf_applications applications to filing (database kc_workflow)"
    s_psql "$admin" -c "CREATE DATABASE kc_workflow OWNER kechuang"
    workflow_db_url="${conninfo/dbname=kechuang/dbname=kc_workflow}"
    {
        KC_DATABASE_URL="$workflow_db_url" "$build/bin/kcctl" migrate &&
            KC_DATABASE_URL="$workflow_db_url" "$build/bin/kcctl" process load \
                "$repo_root/deploy/workflow/mountain-base-v1.ini" &&
            KC_DATABASE_URL="$workflow_db_url" "$build/bin/kcctl" experts load \
                "$repo_root/deploy/data/sample/experts.csv" &&
            (cd "$repo_root" && KC_DATABASE_URL="$workflow_db_url" s_load_calendar "$build/bin/kcctl")
    } >"$out/workflow-setup.log" 2>&1 || s_die "workflow setup failed; see $out/workflow-setup.log"
    # kc-workflow's clock: 2025-03-03 09:00 CST (a Monday; the notices run
    # on the 2025 calendar) until the bench moves it past every notice.
    echo 1740963600000 >"$out/workflow.clock"
    workflow_endpoint="$(s_new_endpoint)"
    s_checkpoint
    s_kc_workflow() {
        cd "$repo_root" && KC_DATABASE_URL="$workflow_db_url" \
            KC_WORKFLOW_ENDPOINT="$workflow_endpoint" KC_NODE_ID=bench \
            KC_NODE_DIVISION=130000 KC_LOG_LEVEL=notice KC_FAKE_CLOCK_FILE="$out/workflow.clock" \
            exec "$build/bin/kc-workflow"
    }
    s_start_daemon workflow_pid s_kc_workflow "$out/workflow.log" workflow_endpoint
    "$build/bench/workflow_bench" --endpoint "$workflow_endpoint" \
        --database "$workflow_db_url" --pid "$workflow_pid" --clock-file "$out/workflow.clock" \
        --applications "$wf_applications" --clients "$wf_clients" | tee "$out/workflow_bench.out" ||
        s_die "workflow_bench failed; see $out/workflow_bench.out and $out/workflow.log"
    kill -0 "$workflow_pid" 2>/dev/null || s_die "kc-workflow died; see $out/workflow.log"
    s_stop "$workflow_pid"
    workflow_pid=
fi

# ---- kc-notify ----------------------------------------------------------------------

if s_run_part notify; then
    echo "== kc-notify: events to inbox notifications (database kc_notify)"
    s_psql "$admin" -c "CREATE DATABASE kc_notify OWNER kechuang"
    notify_db_url="${conninfo/dbname=kechuang/dbname=kc_notify}"
    {
        KC_DATABASE_URL="$notify_db_url" "$build/bin/kcctl" migrate &&
            KC_DATABASE_URL="$notify_db_url" "$build/bin/kcctl" notify load \
                "$repo_root/deploy/notify/notify-v1.ini"
    } >"$out/notify-setup.log" 2>&1 || s_die "notify setup failed; see $out/notify-setup.log"
    notify_endpoint="$(s_new_endpoint)"
    s_checkpoint
    s_kc_notify() {
        KC_DATABASE_URL="$notify_db_url" KC_NOTIFY_ENDPOINT="$notify_endpoint" \
            KC_NODE_ID=bench KC_LOG_LEVEL=notice exec "$build/bin/kc-notify"
    }
    s_start_daemon notify_pid s_kc_notify "$out/notify.log" notify_endpoint
    "$build/bench/notify_bench" --database "$notify_db_url" --pid "$notify_pid" \
        --seconds "$seconds" | tee "$out/notify_bench.out" ||
        s_die "notify_bench failed; see $out/notify_bench.out and $out/notify.log"
    kill -0 "$notify_pid" 2>/dev/null || s_die "kc-notify died; see $out/notify.log"
    s_stop "$notify_pid"
    notify_pid=
fi

# ---- kc-link ---------------------------------------------------------------------

if s_run_part link; then
    echo "== kc-link: a county's data through its city to the province (three nodes)"
    nodes_sh="$repo_root/deploy/local/nodes.sh"
    "$nodes_sh" start "$out/nodes" >"$out/nodes.log" 2>&1 || s_die "the nodes did not start; see $out/nodes.log"
    s_node_db() {
        sed -n 's/^conninfo = //p' "$out/nodes/$1/node.ini"
    }
    "$build/bench/link_bench" latency --county "$(s_node_db county)" \
        --province "$(s_node_db province)" --rate "${KC_BENCH_LINK_RATE:-200}" \
        --seconds "$seconds" | tee "$out/link_bench.out" ||
        s_die "link_bench failed; see $out/link_bench.out and $out/nodes/*/link.log"
    # the cut: the city's kc-link stops, the county queues a backlog, the link comes back
    kill -TERM "$(cat "$out/nodes/city/link.pid")"
    sleep 1
    "$build/bench/link_bench" queue --county "$(s_node_db county)" --count 10000 \
        | tee -a "$out/link_bench.out"
    "$nodes_sh" start-node "$out/nodes" city >>"$out/nodes.log" 2>&1 &
    restart_pid=$!
    "$build/bench/link_bench" drain --city "$(s_node_db city)" --province "$(s_node_db province)" \
        --count 10000 | tee -a "$out/link_bench.out" ||
        s_die "link_bench failed; see $out/link_bench.out and $out/nodes/*/link.log"
    # only the start-node above: a bare `wait` would wait for every child,
    # a daemon an earlier part left running too
    wait "$restart_pid" || s_die "the city did not start again; see $out/nodes.log"
    restart_pid=
    echo "figure link_peak_rss $(awk '/^VmHWM:/ {print $2}' "/proc/$(cat "$out/nodes/city/link.pid")/status")" \
        >>"$out/link_bench.out"
    "$nodes_sh" stop "$out/nodes" --purge >/dev/null 2>&1
fi

# ---- the table ------------------------------------------------------------------

s_require_figures() {
    local file=$1 name
    shift
    for name in "$@"; do
        grep -q "^figure $name " "$file" || s_die "$(basename "$file" .out) printed no figure '$name'"
    done
}

if s_run_part intake; then
    s_require_figures "$out/intake_bench.out" single_rate single_p50 single_p99 single_p999 \
        national_year national_values national_requests national_biggest national_biggest_values \
        intake_peak_rss
fi
if s_run_part workflow; then
    s_require_figures "$out/workflow_bench.out" wf_applications wf_failures wf_transition_rate \
        wf_request_rate wf_act_p50 wf_act_p99 wf_act_max wf_timers_filed wf_timer_rate \
        wf_timer_late_p50 wf_timer_late_p99 wf_timer_late_max workflow_peak_rss
fi
if s_run_part notify; then
    s_require_figures "$out/notify_bench.out" nf_rate nf_events nf_seen nf_p50 nf_p99 \
        nf_fanout_rate nf_fanout_total notify_peak_rss
fi
if s_run_part link; then
    s_require_figures "$out/link_bench.out" lk_rate lk_sent lk_seen lk_p50 lk_p99 lk_max \
        lk_drain_count lk_drain_seconds lk_drain_rate link_peak_rss
fi
if s_run_part scoring; then
    s_require_figures "$out/scoring_db.out" country_counties country_best_ms country_median_ms \
        country_read_ms country_compute_ms country_write_ms jobs_batch jobs_rate_1 jobs_rate_2 \
        jobs_speedup
    s_require_figures "$out/scoring_core.out" score_rate score_ms mc_s numpy_score_rate \
        numpy_score_ms numpy_mc_s
fi

# The scoring table: the country with PostgreSQL (judged on the median of
# its runs), the arithmetic and the Monte Carlo against NumPy, and two
# kc-scoring processes against one.
s_scoring_table() {
    awk '
    $1 == "figure" { figure[$2] = $3 }
    function row(what, measured, goal, ratio, mark) {
        printf "%-52s %18s %14s %7s %5s\n", what, measured, goal, ratio, mark
        if (mark == "MISS") misses++
    }
    function at_most(what, measured, text, goal, unit) {    # ratio = goal / measured
        row(what, text, "< " goal unit, sprintf("%.2f", goal / measured),
            measured < goal ? "PASS" : "MISS")
    }
    END {
        line = "-----------------------------------------------------------------------------------------------------"
        print line
        row("figure", "measured", "goal", "ratio", "")
        print line
        at_most("scoring: the country (" figure["country_counties"] " counties) with PG, median",
                figure["country_median_ms"], sprintf("%.1f ms", figure["country_median_ms"]), 100, " ms")
        row("  best of " figure["country_repeat"] " runs", sprintf("%.1f ms", figure["country_best_ms"]), "", "", "")
        row("  read / compute / write (medians)", sprintf("%.0f / %.0f / %.0f ms", figure["country_read_ms"],
            figure["country_compute_ms"], figure["country_write_ms"]), "", "", "")
        row("  (input snapshot stored / result JSON hashed)", sprintf("%d / %d KiB", figure["country_input_kib"],
            figure["country_result_kib"]), "", "", "")
        ratio = figure["numpy_score_ms"] / figure["score_ms"]
        row("scoring arithmetic alone, one core: county-scores/s", sprintf("%.0f", figure["score_rate"]),
            "> NumPy", sprintf("%.2f", ratio), ratio > 1 ? "PASS" : "MISS")
        row("  NumPy on the same data: county-scores/s", sprintf("%.0f", figure["numpy_score_rate"]), "", "", "")
        at_most("Monte Carlo, 10,000 draws over the country, one core", figure["mc_s"],
                sprintf("%.3f s", figure["mc_s"]), 2, " s")
        ratio = figure["numpy_mc_s"] / figure["mc_s"]
        row("  NumPy on the same data", sprintf("%.3f s", figure["numpy_mc_s"]), "> NumPy",
            sprintf("%.2f", ratio), ratio > 1 ? "PASS" : "MISS")
        row("kc-scoring: 1 process, " figure["jobs_batch"] " province jobs", sprintf("%.1f jobs/s",
            figure["jobs_rate_1"]), "", "", "")
        row("kc-scoring: 2 processes, a fresh batch of " figure["jobs_batch"], sprintf("%.1f jobs/s",
            figure["jobs_rate_2"]), "", "", "")
        speedup = figure["jobs_speedup"]
        row("  = x 1 process (goal: close to 2x)", sprintf("%.2fx", speedup), ">= 1.8x",
            sprintf("%.2f", speedup / 1.8), speedup >= 1.8 ? "PASS" : "MISS")
        print line
        print "ratio: goal/measured for \"<\" goals, NumPy time / kechuang time against NumPy; 1.00 or more meets the goal"
        printf "%d of 5 goals missed\n", misses
    }' "$out/scoring_db.out" "$out/scoring_core.out"
}

# The workflow table: transitions against the one-row ceiling of pgbench
# measured above (a transition is at least one durable write), the latency
# of one transition, the timers falling due at once, the memory.
s_workflow_table() {
    awk -v one="$pg_one_row" '
    $1 == "figure" { figure[$2] = $3 }
    function row(what, measured, goal, ratio) {
        printf "%-58s %22s %12s %7s\n", what, measured, goal, ratio
    }
    END {
        line = "-----------------------------------------------------------------------------------------------------"
        print line
        row("figure", "measured", "against", "ratio")
        print line
        row("pgbench: 1 row per transaction (the ceiling)", sprintf("%.0f rows/s", one), "", "")
        rate = figure["wf_transition_rate"]
        row("kc-workflow: transitions (ActOnApplication)", sprintf("%.0f /s", rate), "pgbench 1-row",
            sprintf("%.3f", rate / one))
        row("  with panel declarations and scores, all writes", sprintf("%.0f /s",
            figure["wf_request_rate"]), "pgbench 1-row", sprintf("%.3f", figure["wf_request_rate"] / one))
        row("  one transition: p50 / p99 / max", sprintf("%.1f / %.1f / %.0f ms", figure["wf_act_p50"],
            figure["wf_act_p99"], figure["wf_act_max"]), "", "")
        row("  applications that failed", figure["wf_failures"], "", "")
        row(sprintf("timers: %d notices falling due at one instant, filed", figure["wf_timers_filed"]),
            sprintf("%.0f /s", figure["wf_timer_rate"]), "", "")
        row("  lateness after falling due: p50 / p99 / max", sprintf("%.0f / %.0f / %.0f ms",
            figure["wf_timer_late_p50"], figure["wf_timer_late_p99"], figure["wf_timer_late_max"]), "", "")
        row("kc-workflow: peak RSS (VmHWM)", sprintf("%.1f MiB", figure["workflow_peak_rss"] / 1024), "", "")
        print line
    }' "$out/workflow_bench.out"
}

# What the goal tables share: row() prints and counts misses, header() opens
# a table (awk code put before each table's own).
readonly awk_table='
    $1 == "figure" { figure[$2] = $3 }
    function row(what, measured, goal, ratio, mark) {
        printf "%-52s %18s %14s %7s %5s\n", what, measured, goal, ratio, mark
        if (mark == "MISS") misses++
    }
    function header() {
        line = "-----------------------------------------------------------------------------------------------------"
        print line
        row("figure", "measured", "goal", "ratio", "")
        print line
    }'

# The notification table: latency at 1,000 events/s and the fan-out rate
# against their goals, next to pgbench's one-row rate.
s_notify_table() {
    awk -v one="$pg_one_row" "$awk_table"'
    END {
        header()
        row("pgbench: 1 row per transaction (the ceiling)", sprintf("%.0f rows/s", one), "", "", "")
        row("events appended, one per transaction", sprintf("%.0f /s", figure["nf_rate"]), "1000 /s", "", "")
        row("  notified of them", figure["nf_seen"] " of " figure["nf_events"], "", "", "")
        row("event committed -> inbox notifications, p50", sprintf("%.1f ms", figure["nf_p50"]), "", "", "")
        p99 = figure["nf_p99"]
        row("  p99", sprintf("%.1f ms", p99), "< 50 ms", sprintf("%.2f", 50 / (p99 > 0 ? p99 : 0.01)),
            p99 < 50 ? "PASS" : "MISS")
        rate = figure["nf_fanout_rate"]
        row("fan-out: one event to 1,001 people, notifications", sprintf("%.0f /s", rate), ">= 20000 /s",
            sprintf("%.2f", rate / 20000), rate >= 20000 ? "PASS" : "MISS")
        row("  = x pgbench 1-row rate", sprintf("%.2fx", rate / one), "", "", "")
        row("kc-notify peak RSS (VmHWM)", sprintf("%.1f MiB", figure["notify_peak_rss"] / 1024), "", "", "")
        print line
        printf "%d of 2 goals missed\n", misses
    }' "$out/notify_bench.out"
}

# The link table: forward latency and drain rate against their goals.
s_link_table() {
    awk "$awk_table"'
    END {
        header()
        row("county data queued, one per transaction", sprintf("%d /s", figure["lk_rate"]), "", "", "")
        row("  at the province (through the city)", figure["lk_seen"] " of " figure["lk_sent"], "", "", "")
        row("county commit -> province commit, p50", sprintf("%.1f ms", figure["lk_p50"]), "", "", "")
        p99 = figure["lk_p99"]
        row("  p99", sprintf("%.1f ms", p99), "< 100 ms", sprintf("%.2f", 100 / (p99 > 0 ? p99 : 0.01)),
            p99 < 100 ? "PASS" : "MISS")
        row("  max", sprintf("%.1f ms", figure["lk_max"]), "", "", "")
        rate = figure["lk_drain_rate"]
        row("drain after a cut: " figure["lk_drain_count"] " messages", sprintf("%.2f s", figure["lk_drain_seconds"]), "", "", "")
        row("  rate, link back -> last at the province", sprintf("%.0f /s", rate), ">= 5000 /s",
            sprintf("%.2f", rate / 5000), rate >= 5000 ? "PASS" : "MISS")
        row("kc-link peak RSS, the city (VmHWM)", sprintf("%.1f MiB", figure["link_peak_rss"] / 1024), "", "", "")
        print line
        printf "%d of 2 goals missed\n", misses
    }' "$out/link_bench.out"
}

commit="$(git -C "$repo_root" describe --always --dirty 2>/dev/null || echo unknown)"
{
    echo
    echo "kechuang benchmark: $(nproc) cores, PostgreSQL 15 (fsync, synchronous_commit on)," \
        "commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "load average before the run: $load_before (other work on this machine skews every figure)"
    if s_run_part intake; then
        echo
        echo "kc-intake (group_max $group_max)"
        awk -v one="$pg_one_row" -v multi="$pg_multi_row" -v copy="$pg_copy" -v clients="$clients" \
            -v window="$window" -v copy_rows="$copy_rows" '
        $1 == "figure" { figure[$2] = $3 }
        function commas(x,    s, tail) {
            s = sprintf("%.0f", x); tail = ""
            while (length(s) > 3) {
                tail = "," substr(s, length(s) - 2) tail
                s = substr(s, 1, length(s) - 3)
            }
            return s tail
        }
        function row(what, measured, goal, ratio, mark) {
            printf "%-52s %18s %14s %7s %5s\n", what, measured, goal, ratio, mark
            if (mark == "MISS") misses++
        }
        function at_least(what, measured, text, goal, unit) {   # ratio = measured / goal
            row(what, text, ">= " commas(goal) unit, sprintf("%.2f", measured / goal),
                measured >= goal ? "PASS" : "MISS")
        }
        function at_most(what, measured, text, goal, unit) {    # ratio = goal / measured
            row(what, text, "< " goal unit, sprintf("%.2f", goal / measured),
                measured < goal ? "PASS" : "MISS")
        }
        END {
            rate = figure["single_rate"]
            line = "-----------------------------------------------------------------------------------------------------"
            print line
            row("figure", "measured", "goal", "ratio", "")
            print line
            row("pgbench: 1 row per transaction, " clients " clients", commas(one) " rows/s", "", "", "")
            row("pgbench: prepared 100-row INSERT, " clients " clients", commas(multi) " rows/s", "", "", "")
            row("COPY (psql \\copy of " commas(copy_rows) " rows, 1 client)", commas(copy) " rows/s", "", "", "")
            at_least("kc-intake: single values, " clients " clients x " window " in flight",
                     rate, commas(rate) " acks/s", 5 * one, "/s")
            row("  = x pgbench 1-row rate (goal: group commit 5x)", sprintf("%.2fx", rate / one), ">= 5x", "", "")
            row("  = x pgbench 100-row rate / x COPY rate", sprintf("%.3fx / %.3fx", rate / multi, rate / copy), "", "", "")
            row("  writes per group commit (mean)", sprintf("%.1f", figure["single_group"]), "", "", "")
            row("  acknowledgement latency p50", sprintf("%.2f ms", figure["single_p50"]), "", "", "")
            at_most("  acknowledgement latency p99", figure["single_p99"],
                    sprintf("%.2f ms", figure["single_p99"]), 20, " ms")
            row("  acknowledgement latency p99.9", sprintf("%.2f ms", figure["single_p999"]), "", "", "")
            for (name in figure) {
                if (name !~ /^single_rate-w/)
                    continue
                w = substr(name, 14)
                row("  with " clients " x " w " in flight instead: rate", commas(figure[name]) " acks/s",
                    "", "", "")
                row("  with " clients " x " w " in flight instead: p50 / p99",
                    sprintf("%.1f / %.1f ms", figure["single_p50-w" w], figure["single_p99-w" w]),
                    "", "", "")
            }
            at_most("kc-intake: national year, " commas(figure["national_values"]) " values in " \
                    figure["national_requests"] " batches", figure["national_year"] / 1000,
                    sprintf("%.0f ms", figure["national_year"]), 1, " s")
            row("  biggest single batch (" commas(figure["national_biggest_values"]) " values)",
                sprintf("%.0f ms", figure["national_biggest"]), "", "", "")
            rss = figure["intake_peak_rss"] / 1024
            at_most("kc-intake: peak RSS (VmHWM)", rss, sprintf("%.1f MiB", rss), 32, " MiB")
            print line
            print "ratio: measured/goal for \">=\" goals, goal/measured for \"<\" goals; 1.00 or more meets the goal"
            printf "%d of 4 goals missed\n", misses
        }' "$out/intake_bench.out"
    fi
    if s_run_part scoring; then
        echo
        echo "scoring"
        s_scoring_table
    fi
    if s_run_part workflow; then
        echo
        echo "kc-workflow ($wf_applications applications, $wf_clients clients)"
        s_workflow_table
    fi
    if s_run_part notify; then
        echo
        echo "kc-notify"
        s_notify_table
    fi
    if s_run_part link; then
        echo
        echo "kc-link (three nodes on this machine, loopback)"
        s_link_table
    fi
} | tee "$out/summary.txt"
