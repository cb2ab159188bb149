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
