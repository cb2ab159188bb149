# shellcheck shell=bash
# lib.sh: what the local scripts share (sourced by demo.sh,
# demo-federation.sh, nodes.sh and bench/run.sh; runs nothing by itself).

# A section title, bold on a terminal.
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

# Whether nothing listens on loopback port $1.
s_port_is_free() {
    [[ -z "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]] &&
        ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free loopback port in [$1, $2) that is none of the other arguments (ports
# handed out already, or found taken), looked for from a random point of the
# range so that scripts starting together do not all try the same port first.
s_free_port() {
    local from=$1 to=$2 start i port
    shift 2
    start=$((RANDOM % (to - from)))
    for ((i = 0; i < to - from; i++)); do
        port=$((from + (start + i) % (to - from)))
        [[ " $* " == *" $port "* ]] && continue
        s_port_is_free "$port" && echo "$port" && return 0
    done
    return 1
}

# Whether the daemon at endpoint $2 answers `kcctl ping` ($1 is kcctl) now;
# a daemon that is not there costs 200 ms.
s_answers() {
    "$1" ping --endpoint "$2" --timeout 200 >/dev/null 2>&1
}

# The endpoint a daemon could not bind because another process holds its
# port, from what it wrote to log $1 after byte $2 ("cannot bind 'ENDPOINT':
# Address already in use"); nothing when it stopped for another reason.
s_endpoint_taken() {
    tail -c "+$(($2 + 1))" "$1" 2>/dev/null |
        sed -n "s/.*cannot bind '\([^']*\)': Address already in use.*/\1/p" | tail -n 1
}

# Start a daemon and wait until it is ready, as every local script does:
#
#   s_run_daemon LOG READY MOVE COMMAND [ARGS...]
#
# COMMAND runs in the background with its output appended to LOG, and READY
# (a command line, evaluated each time, so it sees endpoints moved since) is
# tried until it succeeds, for 20 s at most. A port checked free can be taken
# by another process before the daemon binds it; checking again cannot close
# that gap, so the daemon is left to find out: when it stops at start because
# a port it binds is taken, `MOVE ENDPOINT` moves that endpoint to a free
# port (in the variables or files COMMAND and READY read) and the daemon
# starts again, five times at most. Sets daemon_pid, and daemon_log_size (the
# size of LOG before the last start, for a READY that reads the log). Returns
# 0 once ready, 1 when the daemon stopped for another reason or no port was
# left, 2 when it runs but was not ready in time (left to the caller to stop).
s_run_daemon() {
    local run_log=$1 run_ready=$2 run_move=$3 run_attempt run_deadline run_taken
    shift 3
    for ((run_attempt = 1; run_attempt <= 5; run_attempt++)); do
        daemon_log_size="$(stat -c %s "$run_log" 2>/dev/null || echo 0)"
        "$@" >>"$run_log" 2>&1 &
        daemon_pid=$!
        run_deadline=$((SECONDS + 20))
        while ((SECONDS < run_deadline)); do
            eval "$run_ready" && return 0
            kill -0 "$daemon_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$daemon_pid" 2>/dev/null && return 2
        wait "$daemon_pid" 2>/dev/null || true
        run_taken="$(s_endpoint_taken "$run_log" "$daemon_log_size")"
        [[ -n "$run_taken" ]] || return 1
        echo "$run_taken was taken by another process; moving it ($run_log)" >&2
        "$run_move" "$run_taken" || return 1
    done
    return 1
}

# A MOVE for s_run_daemon where the endpoints live in variables:
#   s_move_endpoint ENDPOINT FROM TO VARIABLE...
# each VARIABLE holding ENDPOINT gets tcp://127.0.0.1:PORT instead, PORT free
# in [FROM, TO) and held by none of them (the taken one included).
s_move_endpoint() {
    local taken=$1 from=$2 to=$3 variable port
    shift 3
    local -a held=()
    for variable in "$@"; do
        held+=("${!variable##*:}")
    done
    port="$(s_free_port "$from" "$to" "${held[@]}")" || return 1
    for variable in "$@"; do
        [[ "${!variable}" != "$taken" ]] || printf -v "$variable" '%s' "tcp://127.0.0.1:$port"
    done
}

# psql with the options every script wants, from PATH or PostgreSQL 15's own directory.
s_psql_quiet() {
    local psql=psql
    command -v psql >/dev/null 2>&1 || psql=/usr/lib/postgresql/15/bin/psql
    "$psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

# Load the State Council's holiday notices kechuang ships (deploy/data/
# calendar: notices.csv names each year's file, the notice's title and its
# date) with the kcctl command line given, e.g. s_load_calendar kcctl.
s_load_calendar() {
    local notice_year notice issued
    while IFS=, read -r notice_year notice issued; do
        [[ "$notice_year" == year ]] && continue
        "$@" calendar load "deploy/data/calendar/$notice_year.csv" --notice "$notice" \
            --issued "$issued"
    done <deploy/data/calendar/notices.csv
}
