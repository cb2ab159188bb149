#!/usr/bin/env bash
# sample-data.sh: write seven years (evaluation years 2017-2023) of synthetic
# indicator sheets and expert ratings for the Hebei county S&T innovation
# evaluation, one row per Hebei county-level division that is not a
# development zone (codes 13xxxx of deploy/data/divisions/areas.csv whose
# fifth digit is not 7): 167 counties.
#
#   deploy/local/sample-data.sh [OUT_DIR]     (default deploy/data/sample)
#
# writes OUT_DIR/years/<year>/{finance,stats,sti,ndrc,samr,county,ratings}.csv
# and copies years/2023 byte for byte to OUT_DIR/*.csv, the sheets the intake
# demo (deploy/local/demo.sh) sends. deploy/local/sample-scores.py scores them
# with the default methodology and shows that the synthetic province follows
# Hebei's published series (composite-indicators.md §1).
#
# The values are SYNTHETIC: plausible in size, never real statistics. Each
# county has a persistent development level (its kind - district,
# county-level city or county -, its city and a seeded draw); a provincial
# drift lifts every county year by year, and a yearly shock that fades by
# half each year moves the ranks. Every quantity is drawn as a ratio to the
# methodology's benchmark around that level, so a county strong in one
# indicator tends to be strong in the others. A few "stories" (STORIES
# below) add the cases the demo needs: a leap from C to A, a county that
# falls from A to B and leaps back, missing values and a value that jumps.
#
# Deterministic: every draw comes from Python's Mersenne Twister seeded by
# the county code and a stream number (normal deviates by our own
# Box-Muller, never random.gauss or random.sample, whose algorithms are not
# promised to stay), so a rerun writes the same bytes. Only python3's
# standard library is needed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
out_dir="${1:-$repo_root/deploy/data/sample}"
areas="$repo_root/deploy/data/divisions/areas.csv"

exec python3 - "$areas" "$out_dir" <<'PY'
import csv
import math
import os
import random
import shutil
import sys

AREAS, OUT = sys.argv[1], sys.argv[2]
YEARS = list(range(2017, 2024))

# Provincial drift of the latent level, tuned with sample-scores.py so that
# the province mean and the class counts follow the published series.
DRIFT = {2017: 0.150, 2018: 0.246, 2019: 0.295, 2020: 0.353, 2021: 0.442, 2022: 0.565, 2023: 0.663}
LEVEL_SD = 0.16       # spread of the persistent level between counties
SKEW = 1.5            # > 0: the weak counties spread wider than the strong ones
CATCH_UP = 0.08       # share of a weak county's distance to level 0.1 closed each year
SHOCK_SD = 0.12       # yearly shock; half of last year's shock remains
KIND_BASE = {"district": 0.30, "city": 0.12, "county": 0.0}
# Cities with a stronger (or weaker) industrial base than the average.
CITY_BONUS = {"1301": 0.20, "1302": 0.16, "1310": 0.14, "1306": 0.06, "1303": 0.04,
              "1304": 0.02, "1309": 0.02, "1305": 0.0, "1311": -0.04, "1307": -0.10,
              "1308": -0.10}
MAX_STEP = 2.5        # no value moves by more than x2.5 or /2.5 in a year (jump flag is x3)

# Ratio indicators: code -> (benchmark, offset of the latent strength at
# level 0 (how hard the benchmark is to reach), spread of the county's own
# persistent strength in it, digits written, soft upper cap).
RATIO = {
    "I02": (3.0, -0.75, 0.30, None, 12.0),   # realised through I01 = I02 * B01 / 100
    "I03": (1.5, -0.55, 0.35, 2, 6.0),
    "I04": (2.5, -0.85, 0.35, 2, 8.0),
    "I05": (100, -1.05, 0.45, 0, None),
    "I06": (200, -0.95, 0.45, 0, None),
    "I07": (40, -0.45, 0.30, 1, 90.0),
    "I08": (30, -1.10, 0.45, 0, None),
    "I09": (6, -0.85, 0.40, 0, None),
    "I10": (8, -0.95, 0.40, 0, None),
    "I11": (100, -0.80, 0.40, 1, 800.0),
    "I12": (6, -1.15, 0.45, None, None),     # realised through B02 = I12 * B03
    "I13": (50000, -1.20, 0.55, 0, None),
    "I14": (40, -0.50, 0.30, 1, 90.0),
}
RATED = ("I15", "I16", "I17")
RATERS = ["R%02d" % i for i in range(1, 10)]
# How severe each expert is: points added to the county's true quality.
RATER_BIAS = {"R01": 2, "R02": -5, "R03": 6, "R04": -1, "R05": -7, "R06": 3, "R07": 0,
              "R08": -3, "R09": 4}

# Shocks to the latent level for the demo's stories: code -> {year: shock}.
# 武邑县 leaps from C to A in 2022 (a new industrial park, say) and stays
# strong. Counties that fall from A to B and leap back (桃城区, 裕华区,
# 定州市) arise from the yearly shocks alone.
STORIES = {"131122": {2022: 0.80, 2023: 0.60}}
# Deliberate gaps and jumps (README, "Deliberate features"): 献县 and 阜城县
# leave I04 empty in 2023 (carried forward from 2022); 滦平县 leaves it
# empty in 2022 and 2023 (carried forward in 2022, 0 points in 2023).
EMPTY = {(2023, "130929", "I04"), (2023, "131128", "I04"),
         (2022, "130824", "I04"), (2023, "130824", "I04")}
JUMP_I13 = ("130582", 6.0)   # 沙河市: I13 of 2023 is six times that of 2022
TWO_RATINGS_I17 = "130981"   # 泊头市: only two experts rated I17 in 2023

SHEETS = [
    ("finance", ["I01", "B01"]),
    ("stats", ["I03", "I04", "I07", "I11", "I14", "B03"]),
    ("sti", ["I05", "I06", "I08", "I09", "I13"]),
    ("ndrc", ["I10"]),
    ("samr", ["B02"]),
    ("county", ["I15", "I16", "I17"]),
]


class Stream:
    """Uniform and normal deviates from one seeded Mersenne Twister."""

    def __init__(self, code, stream):
        self.rng = random.Random(int(code) * 1000 + stream)

    def uniform(self):
        return self.rng.random()

    def normal(self):
        u1 = 1.0 - self.rng.random()  # in (0, 1]: log is finite
        u2 = self.rng.random()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def read_counties():
    counties = []
    with open(AREAS, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            code = row["code"]
            if len(code) == 6 and code.startswith("13") and code.isdigit() and code[4] != "7":
                counties.append((code, row["name"]))
    counties.sort()
    return counties


def kind_of(name):
    if name.endswith("区"):
        return "district"
    return "city" if name.endswith("市") else "county"


def step_clamp(value, prev, integer):
    """Keep a value within MAX_STEP of last year's, and counts >= 1."""
    if integer:
        value = max(1, int(round(value)))
    if prev is None:
        return value
    lo, hi = prev / MAX_STEP, prev * MAX_STEP
    if integer:
        lo, hi = max(1, math.ceil(lo)), math.floor(hi)
    return min(max(value, lo), hi)


def ratio(u):
    """A value's ratio to its benchmark from a latent strength u: linear
    just below the benchmark, so points grow evenly with the level; an
    exponential tail towards 0 for the weakest counties (positive, never
    a pile at a floor); log-normal above the benchmark, the long tail of
    the strongest counties. Continuous with a continuous slope."""
    if u >= 0:
        return math.exp(u)
    if u >= -0.8:
        return 1.0 + u
    return 0.2 * math.exp((u + 0.8) / 0.2)


def soft_cap(x, bench, cap):
    """Above the benchmark a share approaches its cap smoothly instead of
    piling up at it."""
    if cap is None or x <= bench:
        return x
    return cap - (cap - bench) * math.exp(-(x - bench) / (cap - bench))


def county_series(code, name):
    """Values of every year for one county: {year: {item: number}}."""
    s = Stream(code, 1)
    n = s.normal()
    spread = LEVEL_SD * n * (1 + SKEW if n < 0 else 1)
    level = KIND_BASE[kind_of(name)] + CITY_BONUS[code[:4]] + spread
    own = {c: RATIO[c][2] * s.normal() for c in RATIO}
    pop = 42.0 * math.exp(0.40 * s.normal())
    pop_growth = {"district": 0.010, "city": 0.002, "county": -0.003}[kind_of(name)]
    per_capita = 8000.0 * math.exp(0.15 * s.normal() + 0.5 * level)  # 万元 per 万人
    quality = {c: 4.0 * s.normal() for c in RATED}
    manage = 6.0 * s.normal()

    out, prev, shock = {}, {}, 0.0
    for year in YEARS:
        y = Stream(code, year)
        shock = 0.5 * shock + SHOCK_SD * y.normal()
        k = year - YEARS[0]
        catch_up = CATCH_UP * k * max(0.0, 0.1 - level)
        z = level + catch_up + DRIFT[year] + shock + STORIES.get(code, {}).get(year, 0.0)
        v = {}
        v["B03"] = step_clamp(round(pop * (1 + pop_growth) ** k * (1 + 0.004 * y.normal()), 2),
                              prev.get("B03"), False)
        v["B01"] = step_clamp(v["B03"] * per_capita * 1.05 ** k * math.exp(0.04 * y.normal()),
                              prev.get("B01"), True)
        for c, (bench, offset, _, digits, cap) in RATIO.items():
            x = soft_cap(bench * ratio(z + offset + own[c] + 0.08 * y.normal()), bench, cap)
            if c == "I02":
                v["I01"] = step_clamp(x * v["B01"] / 100.0, prev.get("I01"), True)
            elif c == "I12":
                v["B02"] = step_clamp(x * v["B03"], prev.get("B02"), True)
            elif digits == 0:
                v[c] = step_clamp(x, prev.get(c), True)
            else:
                # At least ten units of the last digit written, so rounding
                # cannot stretch a x2.5 step into a x3 jump.
                x = max(x, 10.0 ** (1 - digits))
                v[c] = round(step_clamp(x, prev.get(c), False), digits)
        q = 60.0 + 22.0 * z + manage
        for c in RATED:
            v["q" + c] = min(max(q + quality[c] + 3.0 * y.normal(), 20.0), 97.0)
        if JUMP_I13 and year == 2023 and code == JUMP_I13[0]:
            v["I13"] = int(round(prev["I13"] * JUMP_I13[1]))
        out[year] = v
        prev = v
    return out


def panel(code, year):
    """Three distinct raters of the pool for this county and year."""
    s = Stream(code, 10000 + year)
    pool = list(RATERS)
    for i in range(3):
        j = i + int(s.uniform() * (len(pool) - i))
        pool[i], pool[j] = pool[j], pool[i]
    return sorted(pool[:3])


def ratings(code, year, v):
    """Rating rows and the county's self-assessment for one year."""
    s = Stream(code, 20000 + year)
    rows, own = [], {}
    raters = panel(code, year)
    for c in RATED:
        q = v["q" + c]
        own[c] = min(100, int(round(q + 5.0 + abs(3.0 * s.normal()))))
        for r in raters:
            score = min(100, max(0, int(round(q + RATER_BIAS[r] + 4.0 * s.normal()))))
            if (code, year, c) == (TWO_RATINGS_I17, 2023, "I17") and r == raters[-1]:
                continue
            rows.append((code, c, r, score))
    return rows, own


def fmt(item, value):
    if value is None:
        return ""
    if item in ("I03", "I04"):
        return "%.2f" % value
    if item in ("I07", "I11", "I14"):
        return "%.1f" % value
    if item == "B03":
        return "%.2f" % value
    return "%d" % value


def main():
    counties = read_counties()
    if not counties:
        sys.exit("sample-data.sh: no Hebei counties read")
    series = {code: county_series(code, name) for code, name in counties}
    for year in YEARS:
        d = os.path.join(OUT, "years", str(year))
        os.makedirs(d, exist_ok=True)
        rating_rows = []
        sheets = {p: [] for p, _ in SHEETS}
        for code, name in counties:
            v = dict(series[code][year])
            rows, own = ratings(code, year, v)
            rating_rows.extend(rows)
            v.update(own)
            for item in list(v):
                if (year, code, item) in EMPTY:
                    v[item] = None
            for p, items in SHEETS:
                sheets[p].append([code, name] + [fmt(i, v[i]) for i in items])
        for p, items in SHEETS:
            with open(os.path.join(d, p + ".csv"), "w", encoding="utf-8", newline="") as f:
                f.write(",".join(["county_code", "county_name"] + items) + "\n")
                for row in sheets[p]:
                    f.write(",".join(row) + "\n")
        with open(os.path.join(d, "ratings.csv"), "w", encoding="utf-8", newline="") as f:
            f.write("county_code,indicator,rater,score\n")
            for row in rating_rows:
                f.write("%s,%s,%s,%d\n" % row)
    latest = os.path.join(OUT, "years", str(YEARS[-1]))
    for p in [p for p, _ in SHEETS] + ["ratings"]:
        shutil.copyfile(os.path.join(latest, p + ".csv"), os.path.join(OUT, p + ".csv"))
    print("sample-data.sh: %d counties x %d years written to %s"
          % (len(counties), len(YEARS), OUT), file=sys.stderr)


main()
PY
