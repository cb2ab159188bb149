#!/usr/bin/env bash
# demo-federation.sh: the three-level part of the demo (deploy/local/demo.sh
# runs it last; it also runs alone after `make`). Three linked nodes start on
# this machine (deploy/local/nodes.sh: the province of Hebei, 石家庄 and
# 平山县, each with its own database, daemons, key pair and configuration):
#
#   21. the nodes and their links (kcctl link status);
#   22. an application submitted at the county node climbs to the province
#       through the city, each level acting on its own node (the city's step
#       is refused on the county's node), and the province's filing comes back
#       down to the county, whose own kc-notify tells the applicant;
#   23. the county's link is cut (the city node goes dark): the county keeps
#       accepting its data, which waits in its outbox; when the city comes
#       back it reaches the province once, in order.
#
# On exit it stops the nodes and removes var/demo-nodes.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$repo_root"
source deploy/local/lib.sh
# each node reads its own configuration file; nothing of a caller's node may leak in
while read -r variable; do unset "$variable"; done < <(compgen -e | grep '^KC_' || true)

readonly dir=var/demo-nodes
readonly kcctl_bin=build/release/bin/kcctl

s_die() {
    printf 'demo: %s\n' "$*" >&2
    exit 1
}

# kcctl on NODE, shown first.
s_on() {
    local node=$1
    shift
    printf '[%s] $ kcctl %s\n' "$node" "$*"
    stdbuf -oL -eL "$kcctl_bin" --config "$dir/$node/node.ini" "$@" 2>&1
}

s_on_refused() {
    local rc=0
    s_on "$@" || rc=$?
    ((rc == 1)) || s_die "expected kcctl $2 to be refused (exit 1), it exited $rc"
    s_say "(refused, as expected)"
}

s_sql() {
    s_psql_quiet -tA "$(sed -n 's/^conninfo = //p' "$dir/$1/node.ini")" -c "$2"
}

# Wait up to 15 s until SQL on NODE prints EXPECTED.
s_wait() {
    local node=$1 sql=$2 expected=$3 tries
    for ((tries = 0; tries < 75; tries++)); do
        [[ "$(s_sql "$node" "$sql")" == "$expected" ]] && return 0
        sleep 0.2
    done
    s_die "$node: '$sql' is not '$expected' after 15 s"
}

s_wait_state() {
    s_wait "$1" "SELECT state FROM workflow_instance w JOIN application a ON a.id =
                 w.application_id WHERE a.ref = '$ref' AND w.arrived_from IS NULL" "$2"
}

s_cleanup() {
    local rc=$?
    set +e
    if ((rc != 0)); then
        for log in "$dir"/*/link.log "$dir"/*/workflow.log; do
            [[ -f "$log" ]] || continue
            echo "demo: the last lines of $log:" >&2
            tail -n 8 "$log" >&2
        done
    fi
    deploy/local/nodes.sh stop "$dir" --purge >/dev/null 2>&1
    echo "the three nodes stopped and $dir removed"
    exit "$rc"
}

s_clock() {
    echo "$2" >"$dir/$1/workflow.clock.new"
    mv "$dir/$1/workflow.clock.new" "$dir/$1/workflow.clock"
}

applicant=(--user lizhenhua --role applicant --division 130131 --organisation 平山县太行菌业科技有限公司)
county=(--user wangfang --role county_bureau --division 130131)
government=(--user zhaomin --role county_government --division 130131)
city=(--user liuqiang --role city_bureau --division 130100)
province=(--user sunli --role province_department --division 130000)

trap s_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ -x build/release/bin/kc-link ]] || make --no-print-directory MODE=release all >/dev/null
deploy/local/nodes.sh stop "$dir" --purge >/dev/null 2>&1 || true
mkdir -p "$dir"/{province,city,county}

s_header "21. Three linked nodes: 河北省 (province), 石家庄市 (city), 平山县 (county)"
s_say "Each node has its own PostgreSQL database, its own kc-intake, kc-workflow, kc-notify and"
s_say "kc-link, its own CURVE key pair (kcctl keys generate) and a peers file with the public lines"
s_say "of its parent and children (kcctl keys show). deploy/local/nodes.sh sets them up:"
deploy/local/nodes.sh start "$dir"
s_say ""
s_say "The county node's configuration says who it is and whom it talks to:"
sed -n '/^\[node\]/,/^division/p;/^\[link\]/,/^parent/p' "$dir/county/node.ini" | grep -v '^;' | sed 's/^/    /'
s_say ""
s_on city link status

s_header "22. An application climbs from the county node; the filing comes back down"
s_say "The applicant submits on the county's node; its reference number carries the county:"
s_on county submit-application deploy/data/sample/sample-application.json "${applicant[@]}" \
    --key demo-federation-application
ref="$(s_sql county "SELECT ref FROM application")"
s_wait_state county drafting
s_on county act "$ref" submit --reason 按申报通知如实填报 --attest "${applicant[@]}"
s_on county act "$ref" county_approve --reason 材料齐全，同意上报 "${county[@]}"
s_on county act "$ref" county_consent --reason 县政府同意申报 --attest "${government[@]}"
s_say ""
s_say "The city's step is taken on the city's node, not on the county's:"
s_on_refused county act "$ref" city_recommend --reason 推荐上报 --attest "${city[@]}"
s_wait_state city city_review
s_say ""
s_say "It has travelled to the city node, where it waits in the city bureau's inbox:"
s_on city inbox "${city[@]}"
s_on city act "$ref" city_recommend --reason 推荐上报 --attest "${city[@]}"
s_wait_state province province_review
s_say ""
s_say "On the province's node: the expert panel is drawn from the province's pool, scores, approval:"
s_on province act "$ref" province_assign "${province[@]}"
mapfile -t seated < <(s_sql province "SELECT expert_code FROM panel_member WHERE declaration IS
                                      DISTINCT FROM 'conflict' ORDER BY position")
totals=(70 97 80 52 81)
for ((i = 0; i < 5; i++)); do
    read -ra scores <<<"$(awk -v t="${totals[$i]}" 'BEGIN {
        printf "representativeness=%.2f industry_foundation=%.2f innovation_conditions=%.2f ", 20*t/100, 20*t/100, 20*t/100
        printf "construction_content=%.2f organisation_support=%.2f", 25*t/100, 15*t/100 }')"
    "$kcctl_bin" --config "$dir/province/node.ini" panel declare "$ref" none \
        --user "${seated[$i]}" --role expert >/dev/null
    "$kcctl_bin" --config "$dir/province/node.ini" panel score "$ref" "${scores[@]}" \
        --user "${seated[$i]}" --role expert >/dev/null
    s_say "[province] expert ${seated[$i]} declares no conflict and scores ${totals[$i]}"
done
s_on province act "$ref" province_approve --reason 专家评估77.00分，予以公示 "${province[@]}"
due="$(s_sql province "SELECT due_ms FROM workflow_timer WHERE kind = 'notice_end' AND fired_ms IS NULL")"
s_say ""
s_say "The public notice runs on the province's clock; the demo moves that clock to its close,"
s_say "$(TZ=Asia/Shanghai date -d "@$((due / 1000))" '+%Y-%m-%d %H:%M') Beijing time, and the notice closes into filing by itself:"
s_clock province "$due"
s_wait_state province filed
s_wait_state county filed
s_say ""
s_say "The filing has come back down through the city to the county's node, which holds every"
s_say "step, whoever took it:"
s_on county history "$ref" "${county[@]}"
s_wait county "SELECT count(*) > 0 FROM event_cursor WHERE consumer = 'kc-notify'
               AND last_seq = (SELECT max(seq) FROM event)" t
s_say ""
s_say "The applicant hears of it from the county's own node (its kc-notify):"
s_on county notifications --user lizhenhua

s_header "23. The link is cut: the county keeps working, and nothing is lost or doubled"
s_say "The city's node goes dark (its daemons are stopped):"
deploy/local/nodes.sh stop-node "$dir" city
cat >"$dir/county-2023.csv" <<'EOF'
county_code,county_name,I15,I16,I17
130131,平山县,82.5,78.0,90.0
EOF
s_say "平山县's bureau sends its innovation-management scores for 2023 to its own node:"
s_on county submit-values "$dir/county-2023.csv" --provider county --year 2023 "${county[@]}" \
    --organisation 平山县科学技术局 --key demo-federation-county-2023
s_say ""
s_say "It is accepted and waits in the county's outbox while the link is down:"
sleep 3.5
s_on county link status
s_say ""
s_say "The city's node comes back; the outbox drains, through the city, to the province:"
deploy/local/nodes.sh start-node "$dir" city >/dev/null
s_wait province "SELECT count(*) FROM indicator_value WHERE county_code = '130131'" 3
s_wait county "SELECT count(*) FROM link_outbox" 0
s_on county link status
s_on province link status
s_say ""
s_say "At the province, the county's values once each:"
s_sql province "SELECT indicator_code || ' = ' || value || ' (revision ' || revision || ')'
                  FROM indicator_value WHERE county_code = '130131' ORDER BY indicator_code" |
    sed 's/^/    /'
s_header "Done: three levels, each on its own node"
