#!/usr/bin/env bash
# nodes.sh: three linked kechuang nodes on one machine, without containers —
# the province of Hebei (130000), its city 石家庄 (130100) and the city's
# county 平山县 (130131) — each with its own database, its own daemons
# (kc-intake, kc-workflow, kc-notify, kc-link), its own CURVE key pair, its
# own peers file and its own configuration file, set up the way
# deploy/federation/README.md sets up real sites.
#
#   nodes.sh start [DIR]           set up (once) and start the three nodes
#   nodes.sh stop  [DIR] [--purge] stop them (SIGTERM) and the cluster;
#                                  --purge also removes DIR
#   nodes.sh stop-node DIR NODE    stop one node's daemons (a site goes dark)
#   nodes.sh start-node DIR NODE   start them again
#   nodes.sh config DIR NODE       print NODE's configuration file (kcctl --config)
#
# NODE is province, city or county. DIR (default var/nodes) holds pg/ (one
# PostgreSQL cluster with a database per node: on one machine separate
# databases stand for separate sites) and a directory per node with
# node.ini, keys/ (node.key mode 0600, node.pub), peers.csv, the daemons'
# logs and pid files, and workflow.clock when a demo moves the node's clock
# (the file is KC_FAKE_CLOCK_FILE: absent, the real clock runs).
#
# Each node's kc-intake, kc-workflow and kc-notify listen on loopback ports
# of a block found free from 17500 up; the province's and the city's kc-link
# bind a port of that block for their children. A port another process takes
# before its daemon binds it moves to a free one, in every node.ini that
# names it (lib.sh, s_run_daemon). Builds nothing: run `make` first (the demo
# does).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$repo_root"
source deploy/local/lib.sh

readonly bin=build/release/bin
readonly nodes=(province city county)
declare -A division=([province]=130000 [city]=130100 [county]=130131)
declare -A node_id=([province]=hebei [city]=shijiazhuang [county]=pingshan)
declare -A offset=([province]=0 [city]=5 [county]=10)
declare -A parent=([province]="" [city]=province [county]=city)
declare -A children=([province]=city [city]=county [county]="")

s_die() {
    echo "nodes.sh: $*" >&2
    exit 1
}

s_usage() {
    echo "usage: nodes.sh start|stop [DIR] [--purge] | start-node|stop-node|config DIR NODE" >&2
    exit 2
}

# A block of 15 free ports: 5 per node (intake, events, workflow, notify, link).
s_pick_base() {
    local base i free
    for ((base = 17500; base < 18500; base += 15)); do
        free=1
        for ((i = 0; i < 15; i++)); do
            s_port_is_free $((base + i)) || { free=0 && break; }
        done
        ((free)) && echo "$base" && return 0
    done
    s_die "no 15 free ports between 17500 and 18500"
}

s_psql_admin() {
    s_psql_quiet "$(cat "$dir/pg/conninfo") user=postgres dbname=postgres" "$@"
}

s_psql_node() {
    s_psql_quiet -tA "$(s_conninfo "$1")" -c "$2" 2>/dev/null
}

s_conninfo() {
    echo "$(cat "$dir/pg/conninfo") dbname=kc_$1"
}

# The node's configuration file: who it is and whom it talks to.
s_write_config() {
    local node=$1 base=$2 port up_line="" down_line=""
    port=$((base + ${offset[$node]}))
    if [[ -n "${parent[$node]}" ]]; then
        up_line="parent = tcp://127.0.0.1:$((base + ${offset[${parent[$node]}]} + 4))"
    fi
    if [[ -n "${children[$node]}" ]]; then
        down_line="endpoint = tcp://127.0.0.1:$((port + 4))"
    fi
    cat >"$dir/$node/node.ini" <<EOF
; $node node of the local three-node federation (deploy/local/nodes.sh)
[node]
id = ${node_id[$node]}
level = $node
division = ${division[$node]}

[database]
conninfo = $(s_conninfo "$node")

[intake]
endpoint = tcp://127.0.0.1:$port
events = tcp://127.0.0.1:$((port + 1))

[workflow]
endpoint = tcp://127.0.0.1:$((port + 2))

[notify]
endpoint = tcp://127.0.0.1:$((port + 3))

[link]
; this node's key pair (kcctl keys generate) and its parent and children (peers.csv)
keys = $dir/$node/keys
peers = $dir/$node/peers.csv
$up_line
$down_line

[log]
level = info
EOF
}

s_kcctl() {
    local node=$1
    shift
    "$bin/kcctl" --config "$dir/$node/node.ini" "$@"
}

# Once: the cluster's databases, migrated and loaded; keys, peers, configuration.
s_set_up() {
    local base node
    base="$(s_pick_base)"
    for node in "${nodes[@]}"; do
        # what a set-up that failed half-way left behind goes first
        rm -rf "$dir/$node/keys"
        mkdir -p "$dir/$node"
        s_psql_admin -c "DROP DATABASE IF EXISTS kc_$node WITH (FORCE)"
        s_psql_admin -c "CREATE DATABASE kc_$node OWNER kechuang"
        s_write_config "$node" "$base"
        {
            s_kcctl "$node" migrate
            s_load_calendar s_kcctl "$node"
            s_kcctl "$node" process load deploy/workflow/mountain-base-v1.ini
            s_kcctl "$node" notify load deploy/notify/notify-v1.ini
            s_kcctl "$node" recipients load deploy/data/sample/recipients.csv
            s_kcctl "$node" keys generate "$dir/$node/keys"
        } >"$dir/$node/setup.log"
    done
    s_kcctl province experts load deploy/data/sample/experts.csv >>"$dir/province/setup.log"
    # the exchange: each node's public line goes into its parent's and its
    # children's peers files
    for node in "${nodes[@]}"; do
        {
            echo "public_key,division_code,level,name"
            [[ -z "${parent[$node]}" ]] || s_kcctl "${parent[$node]}" keys show "$dir/${parent[$node]}/keys"
            [[ -z "${children[$node]}" ]] || s_kcctl "${children[$node]}" keys show "$dir/${children[$node]}/keys"
        } >"$dir/$node/peers.csv"
    done
    touch "$dir/.set-up"
}

s_endpoint() {
    sed -n "/^\[$2\]/,/^\[/s/^endpoint = //p" "$dir/$1/node.ini" | head -n 1
}

# Every port the nodes' configuration files name.
s_ports_in_use() {
    grep -oh 'tcp://127\.0\.0\.1:[0-9]*' "$dir"/*/node.ini | sed 's/.*://'
}

# A port that was free when the block was picked is taken (s_run_daemon):
# the endpoint moves to another free port in every node's file that names
# it (the parent's kc-link endpoint is also its children's link.parent), and
# a child's kc-link already running is started again to follow it.
s_move_port() {
    local taken=$1 port node
    # shellcheck disable=SC2046 # one port a word
    port="$(s_free_port 17500 18500 $(s_ports_in_use))" || return 1
    for node in "${nodes[@]}"; do
        grep -q "$taken\$" "$dir/$node/node.ini" || continue
        sed -i "s|$taken\$|tcp://127.0.0.1:$port|" "$dir/$node/node.ini"
        if [[ "$node" != "$starting" && -f "$dir/$node/link.pid" ]] &&
            kill -0 "$(cat "$dir/$node/link.pid")" 2>/dev/null; then
            s_stop_daemon "$node" link
            s_start_daemon "$node" link
        fi
    done
}

# kc-link is ready once it has logged "linking": it has bound its endpoint
# and recorded the node and its peers, which a linked kc-intake or
# kc-workflow waits for before it takes anything.
s_link_ready() {
    tail -c "+$(($2 + 1))" "$1" 2>/dev/null | grep -q ' linking '
}

s_start_daemon() {
    local node=$1 daemon=$2 pid_file="$dir/$1/$2.pid" log="$dir/$1/$2.log" ready rc=0
    if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        return 0
    fi
    # shellcheck disable=SC2016 # evaluated by s_run_daemon, after any move
    ready='s_answers "$bin/kcctl" "$(s_endpoint "$node" "$daemon")"'
    # shellcheck disable=SC2016
    [[ "$daemon" != link ]] || ready='s_link_ready "$log" "$daemon_log_size"'
    local starting=$node
    KC_FAKE_CLOCK_FILE="$dir/$node/workflow.clock" \
        s_run_daemon "$log" "$ready" s_move_port \
        "$bin/kc-$daemon" --config "$dir/$node/node.ini" || rc=$?
    echo "$daemon_pid" >"$pid_file"
    ((rc == 0)) || s_die "$node: kc-$daemon did not start (see $log)"
}

s_start_node() {
    local node=$1 daemon
    # kc-link first: it records the node and its peers, and a linked
    # kc-intake or kc-workflow accepts nothing before that
    for daemon in link intake workflow notify; do
        s_start_daemon "$node" "$daemon"
    done
    echo "$node node ${division[$node]} (${node_id[$node]}): kc-intake $(s_endpoint "$node" intake)," \
        "kc-workflow $(s_endpoint "$node" workflow), kc-link $(cat "$dir/$node/link.pid")"
}

# Stop one daemon of the node: SIGTERM, then SIGKILL after 10 s.
s_stop_daemon() {
    local node=$1 daemon=$2 pid waited
    [[ -f "$dir/$node/$daemon.pid" ]] || return 0
    pid="$(cat "$dir/$node/$daemon.pid")"
    rm -f "$dir/$node/$daemon.pid"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((waited = 0; waited < 100; waited++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    return 0
}

s_stop_node() {
    local daemon
    for daemon in link notify workflow intake; do
        s_stop_daemon "$1" "$daemon"
    done
}

# Wait until every link is up (each child heard by its parent).
s_wait_links() {
    local tries
    for ((tries = 0; tries < 100; tries++)); do
        if [[ "$(s_kcctl province link status 2>/dev/null | awk '$1 == "130100" {print $4}')" == up &&
            "$(s_kcctl city link status 2>/dev/null | awk '$1 == "130131" {print $4}')" == up ]]; then
            return 0
        fi
        sleep 0.1
    done
    s_die "the links did not come up (see $dir/*/link.log)"
}

s_check_node() {
    [[ " ${nodes[*]} " == *" $1 "* ]] || s_die "no node '$1': province, city or county"
}

command=${1:-}
[[ -n "$command" ]] || s_usage
dir="${2:-var/nodes}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd -P)"

case "$command" in
start)
    [[ -x "$bin/kc-link" ]] || s_die "build first: make"
    deploy/local/pg.sh start "$dir/pg" >/dev/null
    [[ -f "$dir/.set-up" ]] || s_set_up
    for node in "${nodes[@]}"; do
        s_start_node "$node"
    done
    s_wait_links
    echo "links up: 平山县 → 石家庄市 → 河北省 (kcctl --config $dir/NODE/node.ini link status)"
    ;;
stop)
    for node in county city province; do
        s_stop_node "$node"
    done
    if [[ "${3:-}" == --purge ]]; then
        deploy/local/pg.sh stop "$dir/pg" --purge >/dev/null
        rm -rf "$dir"
    else
        deploy/local/pg.sh stop "$dir/pg" >/dev/null
    fi
    ;;
start-node)
    s_check_node "${3:-}"
    s_start_node "$3"
    ;;
stop-node)
    s_check_node "${3:-}"
    s_stop_node "$3"
    ;;
config)
    s_check_node "${3:-}"
    echo "$dir/$3/node.ini"
    ;;
*) s_usage ;;
esac
