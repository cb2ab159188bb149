#!/usr/bin/env bash
# sample-data.sh: write the synthetic 2023 indicator sheets of
# deploy/data/sample/ (finance.csv, stats.csv, sti.csv, ndrc.csv, samr.csv,
# county.csv), one row per Hebei county-level division that is not a
# development zone (codes 13xxxx of deploy/data/divisions/areas.csv whose
# fifth digit is not 7).
#
#   deploy/local/sample-data.sh [OUT_DIR]     (default deploy/data/sample)
#
# The values are SYNTHETIC: plausible in size, never real statistics. Each
# county gets a "development level" from its kind (district, county-level
# city, county), its city and a pseudo-random draw; every indicator is drawn
# around that level inside a plausible band that lies well inside the
# catalogue's range (deploy/data/catalogue/indicators.csv). The generator is
# deterministic: its own Park-Miller generator, seeded by the county code,
# so mawk and gawk give byte-identical files and a rerun changes nothing.
# Only awk and bash are needed (a fresh Debian has no python).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
out_dir="${1:-$repo_root/deploy/data/sample}"
areas="$repo_root/deploy/data/divisions/areas.csv"
mkdir -p "$out_dir"

LC_ALL=C awk -F, -v out="$out_dir" '
# Park-Miller minimal standard generator: every product stays below 2^53,
# so doubles compute it exactly in any awk.
function next_random() { state = (state * 16807) % 2147483647; return state / 2147483647 }
function seed(code, salt,   i) {
    state = (code * 7919 + salt * 104729) % 2147483646 + 1
    for (i = 0; i < 3; i++) next_random()
}
function clip(x, lo, hi) { return x < lo ? lo : (x > hi ? hi : x) }
# Fold a value that strays outside 0-1 back in (no pile-up at the bounds).
function fold(x) { if (x < 0) x = -x; if (x > 1) x = 2 - x; return clip(x, 0, 1) }
# A value between lo and hi on a log scale: level 0 near lo, 1 near hi.
function logband(lo, hi, level, spread) {
    return lo * exp(log(hi / lo) * fold(level + (next_random() - 0.5) * spread))
}
# The same on a linear scale.
function band(lo, hi, level, spread) {
    return lo + (hi - lo) * fold(level + (next_random() - 0.5) * spread)
}
function count(lo, hi, level, spread) { return int(logband(lo, hi, level, spread) + 0.5) }
function row(file, line) { print line > (out "/" file ".csv") }

BEGIN {
    row("finance", "county_code,county_name,I01,I02")
    row("stats",   "county_code,county_name,I03,I04,I07,I11,I14")
    row("sti",     "county_code,county_name,I05,I06,I08,I09,I13")
    row("ndrc",    "county_code,county_name,I10")
    row("samr",    "county_code,county_name,I12")
    row("county",  "county_code,county_name,I15,I16,I17")
    # Cities with a stronger (or weaker) industrial base than the average.
    bonus["1301"] = 0.12; bonus["1302"] = 0.10; bonus["1310"] = 0.08; bonus["1306"] = 0.04
    bonus["1303"] = 0.03; bonus["1304"] = 0.02; bonus["1309"] = 0.02; bonus["1305"] = 0.00
    bonus["1311"] = -0.02; bonus["1307"] = -0.06; bonus["1308"] = -0.06
}
NR > 1 && $1 ~ /^13[0-9][0-9][0-9][0-9]$/ && substr($1, 5, 1) != "7" {
    code = $1
    name = $2; gsub(/"/, "", name)
    base = 0.25
    if (name ~ /区$/) base = 0.55
    else if (name ~ /市$/) base = 0.42
    seed(code, 1)
    level = clip(base + bonus[substr(code, 1, 4)] + (next_random() - 0.5) * 0.4, 0.03, 0.97)
    label = code "," name

    seed(code, 2)
    row("finance", sprintf("%s,%d,%.2f", label, logband(500, 80000, level, 0.3),
                           band(0.4, 5.8, level, 0.4)))

    seed(code, 3)
    i04 = sprintf("%.2f", band(0.15, 3.6, level, 0.35))
    # Two counties have not reported R&D intensity: empty cells, skipped by kcctl.
    if (code == "130929" || code == "131128") i04 = ""
    row("stats", sprintf("%s,%.2f,%s,%.1f,%.1f,%.1f", label, band(0.2, 2.9, level, 0.4), i04,
                         band(6, 58, level, 0.4), logband(6, 260, level, 0.3),
                         band(4, 55, level, 0.4)))

    seed(code, 4)
    row("sti", sprintf("%s,%d,%d,%d,%d,%d", label, count(3, 380, level, 0.3),
                       count(12, 1100, level, 0.3), count(1, 60, level, 0.4) - 1,
                       count(1, 14, level, 0.5) - 1, logband(150, 420000, level, 0.4)))

    seed(code, 5)
    row("ndrc", sprintf("%s,%d", label, count(1, 18, level, 0.5) - 1))

    seed(code, 6)
    row("samr", sprintf("%s,%.2f", label, logband(0.15, 22, level, 0.35)))

    seed(code, 7)
    # Management scores from the county bureaus: 50-98, most between 60 and 90.
    score = 0.25 + 0.7 * level
    row("county", sprintf("%s,%d,%d,%d", label, band(50, 98, score, 0.5),
                          band(50, 98, score, 0.5), band(50, 98, score, 0.5)))
    n++
}
END {
    if (n == 0) { print "sample-data.sh: no Hebei counties read" > "/dev/stderr"; exit 1 }
    printf "sample-data.sh: %d counties written to %s\n", n, out > "/dev/stderr"
}
' "$areas"
