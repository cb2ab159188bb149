#!/usr/bin/env bash
# run-tests.sh BUILD_DIR: every test of kechuang, on a build made by `make test`
# (AddressSanitizer + UndefinedBehaviorSanitizer).
#
#   1. lint: banned calls, SQL built from strings, clang-format, the compose file
#   2. unit tests (Criterion)
#   3. integration tests (Criterion) against real kc-intake processes and a
#      real PostgreSQL 15 cluster started here under var/test-pg; every test
#      node gets its own database copied from a migrated template
#   4. the libFuzzer targets for a short fixed time (FUZZ_SECONDS, default 10)
#
# The cluster is stopped and removed on exit, pass or fail. While working on
# one part, KC_TEST_FILTER (a Criterion --filter pattern, e.g.
# 'calendar*/*') runs only the unit and integration tests it matches, and
# no fuzzing.
set -euo pipefail

build=${1:-build/asan}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$root"

step() { printf '\n== %s\n' "$*"; }

step "lint"
.ci/lint.sh
docker-compose -f docker-compose.yml config -q && echo "docker-compose.yml: valid"

pg_dir=var/test-pg
logs=var/test-logs
rm -rf "$logs" && mkdir -p "$logs"
deploy/local/pg.sh stop "$pg_dir" --purge >/dev/null 2>&1 || true
trap 'deploy/local/pg.sh stop "$pg_dir" --purge >/dev/null 2>&1 || true' EXIT
deploy/local/pg.sh start "$pg_dir" >/dev/null
# The tests create and drop databases, so they connect as the superuser.
admin="$(cat "$pg_dir/conninfo") user=postgres"

step "migrate the template database"
psql "$admin" -v ON_ERROR_STOP=1 -q -c 'CREATE DATABASE kc_template'
KC_DATABASE_URL="$admin dbname=kc_template" "$build/bin/kcctl" migrate
# every test node starts with the holiday notices kechuang ships, as a node
# does; the audit log's own tests start from a node without them
# (kc_template_bare), whose log is empty
psql "$admin" -v ON_ERROR_STOP=1 -q -c 'CREATE DATABASE kc_template_bare TEMPLATE kc_template'
source deploy/local/lib.sh
KC_DATABASE_URL="$admin dbname=kc_template" s_load_calendar "$build/bin/kcctl" >/dev/null

export KC_TEST_DATABASE_URL="$admin"
export KC_BIN_DIR="$root/$build/bin"
export KC_TEST_LOG_DIR="$root/$logs"
# Leaks fail the run; a sanitizer report stops the process that made it.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"

step "unit tests"
filter=()
[[ -z "${KC_TEST_FILTER:-}" ]] || filter=(--filter "$KC_TEST_FILTER")
"$build/tests/unit" --jobs 2 "${filter[@]}"

step "integration tests"
if ! "$build/tests/integration" --jobs 2 "${filter[@]}"; then
    echo "daemon logs are in $logs:" >&2
    tail -n 20 "$logs"/*.log >&2 || true
    exit 1
fi

if [[ -n "${KC_TEST_FILTER:-}" ]]; then
    step "tests matching '$KC_TEST_FILTER' passed (no fuzzing with a filter)"
    exit 0
fi
step "fuzz (${FUZZ_SECONDS:-10} s per target)"
tests/fuzz/run.sh "${FUZZ_SECONDS:-10}"

step "all tests passed"
