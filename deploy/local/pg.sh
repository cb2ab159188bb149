#!/usr/bin/env bash
# pg.sh: the embedded default PostgreSQL, a throwaway PostgreSQL 15 cluster
# for tests, the demo and the bench.
#
#   pg.sh start  [DIR]          initdb if needed, start, print the conninfo
#   pg.sh stop   [DIR] [--purge] stop (fast); --purge also removes DIR
#   pg.sh status [DIR]          print running or stopped (exit 0 or 3)
#   pg.sh env    [DIR]          print export KC_DATABASE_URL='...'
#
# DIR defaults to var/pg in the repository (ignored by git) and holds:
#   data/      the cluster          run/   its unix socket
#   log/       the server log       conninfo, port   for other scripts
#
# The cluster listens on 127.0.0.1 only, on the first free port from 54320
# up (the next one when another process takes it before the server binds
# it), and trusts every local connection: nothing outside this machine can
# reach it and it holds nothing but test data. Do not point it at real
# data. fsync stays on so that tests see honest durability and timings.
#
# PostgreSQL refuses to run as root, so as root the server programs run as
# the `postgres` system user (installed by postgresql-15); DIR is handed to
# it, and any parent directory it cannot traverse (a repository under /root)
# gets o+x, which lets it pass through but not list.
set -euo pipefail

readonly pg_bin=/usr/lib/postgresql/15/bin
readonly first_port=54320
readonly last_port=54419
readonly database=kechuang
readonly role=kechuang
readonly superuser=postgres
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
readonly repo_root

s_usage() {
    echo "usage: pg.sh start|stop|status|env [DIR] [--purge]" >&2
    exit 2
}

s_die() {
    echo "pg.sh: $*" >&2
    exit 1
}

# Run a server program as the cluster's owner: postgres when we are root,
# ourselves otherwise. From / so that an untraversable cwd does not matter;
# without fd 9, the start lock, which the server would otherwise inherit and
# hold for as long as it runs.
s_as_owner() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@") 9>&-
    else
        "$@" 9>&-
    fi
}

s_is_running() {
    [[ -f "$data_dir/PG_VERSION" ]] && s_as_owner "$pg_bin/pg_ctl" status -D "$data_dir" >/dev/null 2>&1
}

s_port_is_free() {
    local port=$1
    if command -v ss >/dev/null 2>&1 && [[ -n "$(ss -ltnH "sport = :$port")" ]]; then
        return 1
    fi
    # Something may listen where ss cannot see it (another network namespace
    # sharing loopback is rare, but a connect test costs nothing).
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# The first free port of the range that is none of the arguments (ports a
# start already found taken).
s_pick_port() {
    local port
    for ((port = first_port; port <= last_port; port++)); do
        if [[ " $* " != *" $port "* ]] && s_port_is_free "$port"; then
            echo "$port"
            return 0
        fi
    done
    s_die "no free port between $first_port and $last_port on 127.0.0.1"
}

# As root, give postgres a way in: o+x on every parent it cannot traverse.
# From / down, since a directory below a closed one looks closed too.
s_open_parents() {
    local parent path=
    local -a parts
    IFS=/ read -ra parts <<<"${1%/*}"
    for parent in "${parts[@]}"; do
        [[ -n "$parent" ]] || continue
        path="$path/$parent"
        if ! runuser -u postgres -- test -x "$path" 2>/dev/null; then
            echo "pg.sh: chmod o+x '$path' so that postgres can reach the cluster" >&2
            chmod o+x "$path"
        fi
    done
}

s_initdb() {
    rm -rf "$data_dir"
    mkdir -p "$data_dir" "$socket_dir" "$log_dir"
    if ((EUID == 0)); then
        id postgres >/dev/null 2>&1 ||
            s_die "no 'postgres' system user: run deploy/local/install-deps.sh"
        chown -R postgres:postgres "$dir"
    fi
    chmod 700 "$data_dir"
    s_as_owner "$pg_bin/initdb" -D "$data_dir" -U "$superuser" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$log_dir/initdb.log" 2>&1 ||
        s_die "initdb failed in '$data_dir'; see '$log_dir/initdb.log'"
    # The settings that change per start (port) live in kechuang.conf.
    s_as_owner tee -a "$data_dir/postgresql.conf" >/dev/null <<'EOF'

# pg.sh: a throwaway cluster for tests, loopback only.
shared_buffers = 128MB
max_connections = 100
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
log_min_messages = warning
include_if_exists = 'kechuang.conf'
EOF
}

s_write_settings() {
    local port=$1 sockets=$socket_dir
    # A unix socket path is limited to 107 bytes; in a very deep DIR go
    # without the socket rather than fail (every client here uses TCP).
    if ((${#socket_dir} + 20 > 107)); then
        echo "pg.sh: '$socket_dir' is too long for a unix socket; TCP only" >&2
        sockets=
    fi
    s_as_owner tee "$data_dir/kechuang.conf" >/dev/null <<EOF
# Written by pg.sh at each start.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '${sockets//\'/\'\'}'
EOF
}

s_create_database() {
    local port=$1
    "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 \
        "host=127.0.0.1 port=$port dbname=postgres user=$superuser" <<EOF
SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$database', '$role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$database') \gexec
EOF
}

s_conninfo() {
    echo "host=127.0.0.1 port=$1 dbname=$database user=$role"
}

s_start() {
    if s_is_running; then
        cat "$dir/conninfo"
        return 0
    fi
    if ((EUID == 0)); then
        s_open_parents "$dir"
    fi
    [[ -f "$data_dir/PG_VERSION" ]] || s_initdb

    # A port found free may be taken before the server binds it (other
    # work on this machine starts servers too): checking again cannot close
    # that gap, so a start that could not bind tries the next free port,
    # never one already found taken.
    local attempt port size taken=
    for attempt in 1 2 3 4 5 6 7 8; do
        port="$(s_pick_port "$taken")"
        s_write_settings "$port"
        size="$(stat -c %s "$log_dir/postgres.log" 2>/dev/null || echo 0)"
        # (pg_ctl's own words say only "see the log": the log is shown below)
        if s_as_owner "$pg_bin/pg_ctl" start -D "$data_dir" -l "$log_dir/postgres.log" \
            -w -t 60 >/dev/null 2>&1; then
            break
        fi
        if ((attempt < 8)) &&
            tail -c "+$((size + 1))" "$log_dir/postgres.log" | grep -q 'could not bind'; then
            echo "pg.sh: port $port was taken before the server bound it; trying another" >&2
            taken="$taken $port"
            continue
        fi
        tail -n 20 "$log_dir/postgres.log" >&2 || true
        s_die "cannot start the cluster in '$data_dir'; see '$log_dir/postgres.log'"
    done

    s_create_database "$port"
    echo "$port" >"$dir/port"
    s_conninfo "$port" >"$dir/conninfo"
    cat "$dir/conninfo"
}

s_stop() {
    if s_is_running; then
        s_as_owner "$pg_bin/pg_ctl" stop -D "$data_dir" -m fast -w -t 60 >/dev/null
    fi
    if [[ "$purge" == yes ]]; then
        # Refuse to remove anything that does not look like one of ours.
        [[ -f "$data_dir/PG_VERSION" || -f "$dir/conninfo" || -f "$dir/.lock" || -z "$(ls -A "$dir")" ]] ||
            s_die "'$dir' does not look like a pg.sh cluster; not removing it"
        rm -rf "$dir"
        echo "purged $dir"
    else
        echo stopped
    fi
}

s_status() {
    if s_is_running; then
        echo running
    else
        echo stopped
        exit 3
    fi
}

s_env() {
    [[ -f "$dir/conninfo" ]] || s_die "no cluster in '$dir': run pg.sh start '$dir' first"
    s_is_running || echo "pg.sh: warning: the cluster in '$dir' is stopped" >&2
    echo "export KC_DATABASE_URL='$(cat "$dir/conninfo")'"
}

(($# >= 1)) || s_usage
command=$1
shift
case "$command" in
start | stop | status | env) ;;
*) s_usage ;;
esac
dir="$repo_root/var/pg"
purge=no
for arg in "$@"; do
    case "$arg" in
    --purge) purge=yes ;;
    -*) s_usage ;;
    *) dir=$arg ;;
    esac
done
[[ "$purge" == no || "$command" == stop ]] || s_usage
[[ -x "$pg_bin/initdb" ]] || s_die "no PostgreSQL 15 in '$pg_bin': run deploy/local/install-deps.sh"

if [[ "$command" == start ]]; then
    mkdir -p "$dir"
elif [[ ! -d "$dir" ]]; then
    case "$command" in
    stop) echo stopped && exit 0 ;;
    status) echo stopped && exit 3 ;;
    *) s_die "no cluster directory '$dir'" ;;
    esac
fi
dir="$(cd "$dir" && pwd -P)"
[[ "$dir" != / ]] || s_die "refusing to use / as the cluster directory"
data_dir="$dir/data"
socket_dir="$dir/run"
log_dir="$dir/log"

case "$command" in
start)
    # Already running: answer without the lock, which only guards setting up.
    if s_is_running && [[ -f "$dir/conninfo" ]]; then
        cat "$dir/conninfo"
        exit 0
    fi
    # Two starts at once (parallel test runs) would race on initdb and ports.
    exec 9>>"$dir/.lock"
    flock -w 120 9 || s_die "another pg.sh has held '$dir/.lock' for 2 minutes"
    s_start
    ;;
stop) s_stop ;;
status) s_status ;;
env) s_env ;;
esac
