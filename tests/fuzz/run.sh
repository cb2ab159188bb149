#!/usr/bin/env bash
# tests/fuzz/run.sh: build the libFuzzer targets and fuzz each for a while.
#
#   tests/fuzz/run.sh SECONDS [TARGET]
#
# Builds every target (or only TARGET) with clang, -fsanitize=fuzzer,
# address,undefined (UBSan made fatal), into build/fuzz/, then runs each for
# SECONDS seconds over its corpus tests/fuzz/corpus/TARGET/. `make fuzz`
# runs all of them for ${FUZZ_SECONDS:-20} seconds. To fuzz one target for
# as long as you like, give it the time, e.g. an hour:
#
#   tests/fuzz/run.sh 3600 fuzz_envelope
#
# Targets: fuzz_envelope (kc_bus_decode, intake validators, re-pack),
# fuzz_validators (kc_check.h), fuzz_values_sheet (values_sheet_read and
# _locate), fuzz_json (kc_json both ways), fuzz_scoring_files
# (methodology_parse, rewards_parse, snapshot_read and back), fuzz_calendar
# (kc_calendar_parse and the counting on what it read). Each fuzz_*.c
# says what it checks; tests/fuzz/TARGET.dict, when there is one, gives
# libFuzzer the words of its format (field names, prefixes).
#
# The corpus is part of the repository. Files named seed-* are the seeds,
# written by hand (fuzz_envelope's seed-*.pb are packed by seed_envelopes.c,
# rewritten on every run byte for byte the same, except seed-field-zero.pb,
# the protobuf-c quirk fuzz_envelope.c describes); everything else is what
# libFuzzer found. After each run the corpus is minimised with -merge=1
# (the seeds always kept), and if it is still over FUZZ_CORPUS_CAP_KB
# (default 1024) per target its largest found inputs are dropped, so the
# committed corpus stays small.
#
# Exit status: 0 when every target ran clean, 1 on any crash, leak,
# timeout, out-of-memory or broken invariant (the report is printed and the
# input kept under build/fuzz/artifacts/TARGET/), 2 on wrong usage.
# Reproduce a crash with: build/fuzz/TARGET build/fuzz/artifacts/TARGET/crash-...
#
# Environment: CC (default clang), FUZZ_CORPUS_CAP_KB, FUZZ_MAX_LEN
# (default 65536), FUZZ_JOBS for compiling (default: number of CPUs).
set -euo pipefail

ALL_TARGETS=(fuzz_envelope fuzz_validators fuzz_values_sheet fuzz_json fuzz_scoring_files
    fuzz_calendar)

usage() {
    echo "usage: $0 SECONDS [TARGET]   (TARGET: ${ALL_TARGETS[*]})" >&2
    exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
SECONDS_PER_TARGET=$1
[[ $SECONDS_PER_TARGET =~ ^[0-9]+$ && $SECONDS_PER_TARGET -gt 0 ]] || usage
if [[ $# -eq 2 ]]; then
    found=0
    for target in "${ALL_TARGETS[@]}"; do
        [[ $target == "$2" ]] && found=1
    done
    [[ $found -eq 1 ]] || usage
    TARGETS=("$2")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi

cd "$(dirname "$0")/../.."

CC=${CC:-clang}
[[ $CC == cc || $CC == gcc ]] && CC=clang # make's default CC is cc: libFuzzer needs clang
B=build/fuzz
CORPUS=tests/fuzz/corpus
CAP_KB=${FUZZ_CORPUS_CAP_KB:-1024}
MAX_LEN=${FUZZ_MAX_LEN:-65536}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
PKGS=(libzmq libprotobuf-c libpq json-c inih libcrypto)

PKG_CFLAGS=$(pkg-config --cflags "${PKGS[@]}")
PKG_LIBS=$(pkg-config --libs "${PKGS[@]}")
CSTD="-std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CFLAGS="$CSTD -g -O1 -fno-omit-frame-pointer $SAN -Wall -Wextra -Wno-unused-parameter"
CFLAGS+=" -Iinclude -Iservices -Itests/support -I$B/gen $PKG_CFLAGS"

# ---------------------------------------------------------------------------
# Build.

mkdir -p "$B/gen" "$B/obj" "$B/artifacts" "$B/logs"
# One run at a time: two would rebuild the same binaries and merge into
# the same corpus directories under each other.
exec 9>"$B/.lock"
if ! flock -n 9; then
    echo "fuzz: another tests/fuzz/run.sh is running here; waiting for it" >&2
    flock 9
fi
echo "  PROTOC-C proto/kc/v1"
protoc-c --proto_path=proto --c_out="$B/gen" proto/kc/v1/*.proto
echo "  GEN  the lunar festivals' table"
/usr/bin/python3 services/common/kc_calendar_lunar.py "$B/gen/kc_calendar_lunar.c"

# Object name of a source: services/common/kc_bus.c -> build/fuzz/obj/services_common_kc_bus.o
object_of() {
    local name=${1#"$B/"}
    name=${name%.c}
    echo "$B/obj/${name//\//_}.o"
}

COMMON_SRC=(services/common/*.c "$B"/gen/kc/v1/*.pb-c.c "$B/gen/kc_calendar_lunar.c")
# Every validator file (validate_*.c) and the catalogue they consult.
INTAKE_SRC=(services/intake/validate_*.c services/intake/catalogue.c)
KCCTL_SRC=(services/kcctl/values_sheet.c services/kcctl/csv_table.c)
# The scoring files' decoders, and what rewards_evaluate and snapshot_write need.
PROCESS_SRC=(services/process/*.c)
SCORING_SRC=(services/scoring/methodology*.c services/scoring/rewards*.c services/scoring/periods.c
    services/scoring/snapshot.c services/scoring/text_buffer.c)

sources_of() {
    case $1 in
    fuzz_envelope) echo "${COMMON_SRC[*]} ${INTAKE_SRC[*]} tests/support/catalogue_fixture.c" ;;
    fuzz_values_sheet) echo "${COMMON_SRC[*]} ${KCCTL_SRC[*]}" ;;
    fuzz_scoring_files) echo "${COMMON_SRC[*]} ${SCORING_SRC[*]} ${PROCESS_SRC[*]}" ;;
    *) echo "${COMMON_SRC[*]}" ;;
    esac
}

# Every source the chosen targets need, each compiled once.
declare -A NEEDED=()
for target in "${TARGETS[@]}"; do
    for source in $(sources_of "$target"); do
        NEEDED[$source]=1
    done
done

compile() {
    local source=$1 object
    object=$(object_of "$source")
    # shellcheck disable=SC2086
    $CC $CFLAGS -c "$source" -o "$object"
}

echo "  CC       ${#NEEDED[@]} sources (ASan, UBSan, libFuzzer coverage)"
failed=0
running=0
for source in "${!NEEDED[@]}"; do
    compile "$source" &
    running=$((running + 1))
    if [[ $running -ge $JOBS ]]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
while [[ $running -gt 0 ]]; do
    wait -n || failed=1
    running=$((running - 1))
done
if [[ $failed -ne 0 ]]; then
    echo "fuzz: compiling the code under test failed" >&2
    exit 1
fi

for target in "${TARGETS[@]}"; do
    objects=()
    for source in $(sources_of "$target"); do
        objects+=("$(object_of "$source")")
    done
    echo "  LD       $B/$target"
    # shellcheck disable=SC2086
    if ! $CC $CFLAGS -Werror -Wshadow -Wstrict-prototypes "tests/fuzz/$target.c" \
        "${objects[@]}" -o "$B/$target" $PKG_LIBS -lm; then
        echo "fuzz: building $target failed" >&2
        exit 1
    fi
done

# fuzz_envelope's seeds are packed protobuf: written by a small program.
for target in "${TARGETS[@]}"; do
    if [[ $target == fuzz_envelope ]]; then
        echo "  SEEDS    $CORPUS/fuzz_envelope/seed-*.pb"
        # shellcheck disable=SC2086
        $CC $CSTD -g -O1 -Wall -Wextra -Werror -I"$B/gen" $PKG_CFLAGS tests/fuzz/seed_envelopes.c \
            "$B"/gen/kc/v1/*.pb-c.c -o "$B/seed_envelopes" $PKG_LIBS
        mkdir -p "$CORPUS/fuzz_envelope"
        "$B/seed_envelopes" "$CORPUS/fuzz_envelope"
    fi
done

# ---------------------------------------------------------------------------
# Fuzz, then minimise the corpus.

corpus_bytes() {
    find "$1" -type f -printf '%s\n' | awk '{ total += $1 } END { print total + 0 }'
}

# Merge the corpus of $1 into a fresh directory holding only the seeds, so
# that what remains is the seeds plus the fewest inputs that add coverage.
minimise() {
    local target=$1 dir=$CORPUS/$1 merged=$B/merge/$1
    rm -rf "$merged"
    mkdir -p "$merged"
    find "$dir" -maxdepth 1 -type f -name 'seed-*' -exec cp {} "$merged/" \;
    if ! "$B/$target" -merge=1 -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
        "$merged" "$dir" >"$B/logs/$target.merge.log" 2>&1; then
        echo "  $target: merge failed, corpus left as it was (see $B/logs/$target.merge.log)" >&2
        return
    fi
    find "$dir" -maxdepth 1 -type f -delete
    find "$merged" -maxdepth 1 -type f -exec mv {} "$dir/" \;
    rmdir "$merged"

    local cap=$((CAP_KB * 1024)) bytes
    bytes=$(corpus_bytes "$dir")
    if [[ $bytes -gt $cap ]]; then
        # Drop the largest found inputs (never a seed) until under the cap.
        while read -r size path; do
            [[ $bytes -le $cap ]] && break
            rm -f "$path"
            bytes=$((bytes - size))
        done < <(find "$dir" -maxdepth 1 -type f ! -name 'seed-*' -printf '%s %p\n' | sort -rn)
        echo "  $target: corpus over ${CAP_KB} KiB, largest inputs dropped"
    fi
}

declare -A EXECS=() RATE=() STATUS=() FILES=() KIB=()
crashed=0
for target in "${TARGETS[@]}"; do
    dir=$CORPUS/$target
    log=$B/logs/$target.log
    mkdir -p "$dir" "$B/artifacts/$target"
    echo "  FUZZ     $target for ${SECONDS_PER_TARGET}s over $dir"
    dict=()
    [[ -f tests/fuzz/$target.dict ]] && dict=(-dict="tests/fuzz/$target.dict")
    status=0
    "$B/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len="$MAX_LEN" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$B/artifacts/$target/" \
        "${dict[@]}" "$dir" >"$log" 2>&1 || status=$?
    EXECS[$target]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    RATE[$target]=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    if [[ $status -ne 0 ]]; then
        crashed=1
        STATUS[$target]="FAILED (exit $status)"
        echo "----- $target failed: last lines of $log -----" >&2
        tail -n 80 "$log" >&2
        echo "----- input kept in $B/artifacts/$target/ -----" >&2
        ls -l "$B/artifacts/$target/" >&2 || true
    else
        STATUS[$target]=ok
    fi
    minimise "$target"
    FILES[$target]=$(find "$dir" -type f | wc -l)
    KIB[$target]=$((($(corpus_bytes "$dir") + 1023) / 1024))
done

echo
printf '%-20s %-18s %14s %10s %8s %10s\n' target result executions exec/s files corpus
for target in "${TARGETS[@]}"; do
    printf '%-20s %-18s %14s %10s %8s %7s KiB\n' "$target" "${STATUS[$target]}" \
        "${EXECS[$target]:-?}" "${RATE[$target]:-?}" "${FILES[$target]}" "${KIB[$target]}"
done
exit $crashed
