#!/usr/bin/env python3
"""sample-scores.py: score the synthetic sample years the way the default
methodology (hebei-2019-v1) does, and compare the province with Hebei's
published series (composite-indicators.md §1).

    deploy/local/sample-scores.py [DIR] [--check] [--county CODE] [--table YEAR]

DIR (default deploy/data/sample) holds years/<year>/*.csv as written by
deploy/local/sample-data.sh. It is a checker for the generator, written from
the methodology's text and not from the C engine, so the two can be compared:

  points = W * min(x / benchmark, 1); the total is the exact sum of the
  points, rounded once, half up, to centipoints (total_from = exact);
  I02 = 100 * I01 / B01, I12 = B02 / B03; I15-I17 = 5 * median(ratings) / 100
  with at least 3 ratings; a missing input takes last year's submitted
  value (flagged imputed), else the item earns 0; class A >= 80, B >= 60,
  C below; ranks "1224" (equal totals share a rank).

It prints, per year, the mean, the class counts against the published
targets, imputed and missing items and values that moved more than x3 since
last year; then class moves and rank moves between years, and the stories
the demo relies on. --check exits 1 when a published mean or class count
is missed by more than 20 % (at least 2 points or counties), an unpublished
mean, A or C count does not lie between those of the years around it, a
value is out of its catalogue range, or a count is not an integer. Only
the standard library.
"""
import csv
import math
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
YEARS = list(range(2017, 2024))

# code -> (points, benchmark); None: rated item (median of ratings / 100).
METHOD = {
    "I01": (7, 30000.0), "I02": (6, 3.0), "I03": (6, 1.5), "I04": (6, 2.5),
    "I05": (7, 100.0), "I06": (6, 200.0), "I07": (6, 40.0), "I08": (6, 30.0),
    "I09": (5, 6.0), "I10": (5, 8.0), "I11": (5, 100.0), "I12": (7, 6.0),
    "I13": (7, 50000.0), "I14": (6, 40.0), "I15": (5, None), "I16": (5, None),
    "I17": (5, None),
}
DERIVED = {"I02": ("I01", "B01", 100.0), "I12": ("B02", "B03", 1.0)}
RATED = ("I15", "I16", "I17")
MIN_RATERS = 3
JUMP = 3.0
# Published series (composite-indicators.md §1): mean, A, B, C; None where
# Hebei published nothing. Those must lie between the neighbouring years.
TARGETS = {
    2017: (45.87, 6, 31, 130), 2018: (None, None, None, None),
    2019: (None, 13, 42, 112), 2020: (56.26, None, None, None),
    2021: (61.07, 32, 66, 69), 2022: (None, None, None, None),
    2023: (72.92, 66, 73, 28),
}
# Ranges of the base items, used when deploy/data/catalogue/base-items.csv
# is absent.
BASE_RANGES = {"B01": (0, 10000000, "万元"), "B02": (0, 1000000, "件"),
               "B03": (0, 2000, "万人")}
COUNT_UNITS = ("家", "个", "件")


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_year(base, year):
    """Submitted inputs {code: {item: float}}, names, and rating lists."""
    d = os.path.join(base, "years", str(year))
    values, names, raw = {}, {}, {}
    for sheet in ("finance", "stats", "sti", "ndrc", "samr", "county"):
        for row in read_rows(os.path.join(d, sheet + ".csv")):
            code = row["county_code"]
            names[code] = row["county_name"]
            cells = values.setdefault(code, {})
            for item, cell in row.items():
                if item in ("county_code", "county_name") or cell == "":
                    continue
                raw[(code, item)] = cell
                if sheet != "county":  # self-assessment: shown, not scored
                    cells[item] = float(cell)
    ratings = {}
    for row in read_rows(os.path.join(d, "ratings.csv")):
        ratings.setdefault((row["county_code"], row["indicator"]), []).append(float(row["score"]))
    for (code, item), scores in ratings.items():
        if len(scores) >= MIN_RATERS:
            s = sorted(scores)
            n = len(s)
            values[code][item] = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return values, names, raw, ratings


def score_year(cur, prev, prev_scored):
    """Per county: total centipoints, class, flags."""
    result = {}
    for code, submitted in cur.items():
        inputs, imputed, missing, jumps = dict(submitted), [], [], []
        needed = [c for c in METHOD if c not in DERIVED] + ["I01", "B01", "B02", "B03"]
        for item in needed:
            if item in inputs:
                continue
            if prev and item in prev.get(code, {}):
                inputs[item] = prev[code][item]
                imputed.append(item)
            else:
                missing.append(item)
        exact, scored = 0.0, {}
        for item, (points, bench) in METHOD.items():
            if item in DERIVED:
                a, b, k = DERIVED[item]
                ok = a in inputs and b in inputs and inputs[b] > 0
                x = k * inputs[a] / inputs[b] if ok else None
            else:
                x = inputs.get(item)
            if x is None:
                continue
            scored[item] = x
            share = min(x / (bench if bench else 100.0), 1.0)
            exact += points * 100 * share
            last = prev_scored.get(code, {}).get(item) if prev_scored else None
            if last and x > 0 and (x / last > JUMP or last / x > JUMP):
                jumps.append("%s %.6g->%.6g" % (item, last, x))
        # rounded once, half up, as the engine does (a millionth first)
        total = int(math.floor(math.floor(exact * 1e6 + 0.5) / 1e6 + 0.5))
        klass = "A" if total >= 8000 else ("B" if total >= 6000 else "C")
        result[code] = dict(total=total, klass=klass, imputed=imputed, missing=missing,
                            jumps=jumps, scored=scored)
    ranked = sorted(result, key=lambda c: -result[c]["total"])
    for i, code in enumerate(ranked):
        if i and result[code]["total"] == result[ranked[i - 1]]["total"]:
            result[code]["rank"] = result[ranked[i - 1]]["rank"]
        else:
            result[code]["rank"] = i + 1
    return result


def catalogue_ranges():
    ranges = dict(BASE_RANGES)
    for name in ("indicators.csv", "base-items.csv"):
        path = os.path.join(ROOT, "deploy", "data", "catalogue", name)
        if not os.path.exists(path):
            continue
        for row in read_rows(path):
            ranges[row["code"]] = (float(row["min_value"]), float(row["max_value"]), row["unit"])
    return ranges


def range_problems(year, raw, ratings, ranges):
    problems = []
    for (code, item), cell in sorted(raw.items()):
        lo, hi, unit = ranges[item]
        x = float(cell)
        if not lo <= x <= hi:
            problems.append("%d %s %s=%s outside %g..%g" % (year, code, item, cell, lo, hi))
        if unit in COUNT_UNITS and not cell.isdigit():
            problems.append("%d %s %s=%s is not a count" % (year, code, item, cell))
    for (code, item), scores in sorted(ratings.items()):
        if any(not 0 <= s <= 100 or s != int(s) for s in scores):
            problems.append("%d %s %s rating outside 0..100" % (year, code, item))
    return problems


def off_target(value, target):
    """More than 20 % (at least 2 counties or points) from the target."""
    return abs(value - target) > max(0.2 * target, 2)


def summary(res):
    n = len(res)
    mean = sum(r["total"] for r in res.values()) / 100.0 / n
    return [mean] + [sum(r["klass"] == k for r in res.values()) for k in "ABC"]


def target_problems(year, got, sums):
    """A published figure within 20 %; an unpublished one between the
    years around it (means rise, A counts rise, C counts fall)."""
    problems = []
    for i, what in enumerate(("mean", "A", "B", "C")):
        target = TARGETS[year][i]
        if target is not None:
            if off_target(got[i], target):
                problems.append("%d %s %g, published %g" % (year, what, got[i], target))
        elif year - 1 in sums and year + 1 in sums:
            lo, hi = sorted((sums[year - 1][i], sums[year + 1][i]))
            if what != "B" and not lo <= got[i] <= hi:
                problems.append("%d %s %g not between %g and %g" % (year, what, got[i], lo, hi))
    return problems


def report_years(scores, loaded, ranges):
    bad = []
    sums = {year: summary(scores[year]) for year in YEARS}
    print("year  mean  (published)   A   B   C  (published)  imputed  missing  jumps>x3")
    for year in YEARS:
        res = scores[year]
        got = sums[year]
        t = ["-" if x is None else ("%g" % x) for x in TARGETS[year]]
        imputed = sum(len(r["imputed"]) for r in res.values())
        missing = sum(len(r["missing"]) for r in res.values())
        jumps = sum(len(r["jumps"]) for r in res.values())
        print("%d  %5.2f  (%5s)  %4d %3d %3d  (%s)%s %7d  %7d  %8d" % (
            year, got[0], t[0], got[1], got[2], got[3], "/".join(t[1:]),
            " " * (10 - len("/".join(t[1:]))), imputed, missing, jumps))
        bad.extend(target_problems(year, got, sums))
        _, _, raw, ratings = loaded[year]
        bad.extend(range_problems(year, raw, ratings, ranges))
    return bad


def report_details(scores, names):
    for year in YEARS:
        for code, r in sorted(scores[year].items()):
            for what in ("imputed", "missing"):
                if r[what]:
                    print("  %d %s %s %s: %s" % (year, code, names[code], what, " ".join(r[what])))
            for j in r["jumps"]:
                print("  %d %s %s jump: %s" % (year, code, names[code], j))


def report_moves(scores, names):
    print("\nclass moves and rank moves from the year before")
    print("year  C->B B->A C->A  A->B B->C A->C  rank up>=10 down>=10  best rise")
    for year in YEARS[1:]:
        cur, prev = scores[year], scores[year - 1]
        moves = {}
        for code in cur:
            key = prev[code]["klass"] + cur[code]["klass"]
            moves[key] = moves.get(key, 0) + 1
        delta = {c: prev[c]["rank"] - cur[c]["rank"] for c in cur}
        best = max(delta, key=lambda c: (delta[c], c))
        print("%d  %4d %4d %4d  %4d %4d %4d  %11d %8d  %s %s %+d" % (
            year, moves.get("CB", 0), moves.get("BA", 0), moves.get("CA", 0),
            moves.get("AB", 0), moves.get("BC", 0), moves.get("AC", 0),
            sum(d >= 10 for d in delta.values()), sum(d <= -10 for d in delta.values()),
            best, names[best], delta[best]))
    print("\nstories")
    for code in sorted(scores[YEARS[0]]):
        path = "".join(scores[y][code]["klass"] for y in YEARS)
        if "CA" in path:
            print("  C->A in one year: %s %s %s" % (code, names[code], path))
        first_a = path.find("A")
        if first_a >= 0 and "B" in path[first_a:] and "A" in path[path.find("B", first_a):]:
            print("  A, B, A again:    %s %s %s" % (code, names[code], path))


def main():
    args = sys.argv[1:]
    check = "--check" in args
    county = args[args.index("--county") + 1] if "--county" in args else None
    table = int(args[args.index("--table") + 1]) if "--table" in args else None
    skip = {i + 1 for i, a in enumerate(args) if a in ("--county", "--table")}
    dirs = [a for i, a in enumerate(args) if not a.startswith("--") and i not in skip]
    base = dirs[0] if dirs else os.path.join(ROOT, "deploy", "data", "sample")
    loaded, scores, prev, prev_scored = {}, {}, None, None
    for year in YEARS:
        loaded[year] = load_year(base, year)
        scores[year] = score_year(loaded[year][0], prev, prev_scored)
        prev = loaded[year][0]
        prev_scored = {c: r["scored"] for c, r in scores[year].items()}
    names = loaded[YEARS[-1]][1]
    bad = report_years(scores, loaded, catalogue_ranges())
    report_details(scores, names)
    report_moves(scores, names)
    if county:
        print("\n%s %s: " % (county, names[county]) + "  ".join(
            "%d %.2f %s #%d" % (y, scores[y][county]["total"] / 100.0, scores[y][county]["klass"],
                                scores[y][county]["rank"]) for y in YEARS))
    if table:
        for code, r in sorted(scores[table].items(), key=lambda kv: kv[1]["rank"]):
            print("%3d %s %-8s %6.2f %s" % (r["rank"], code, names[code], r["total"] / 100.0,
                                            r["klass"]))
    for b in bad:
        print("problem: " + b)
    if check and bad:
        sys.exit(1)


main()
