#!/usr/bin/env python3
"""scoring_numpy: the NumPy peer of bench/scoring_core.c, on the same data.

    python3 bench/scoring_numpy.py DIR

DIR is written by scoring_core: meta.json (sizes, thresholds, the draws and
each indicator's method and parameters), values.bin (n x k float64, the
indicator values scored), normalised.bin (n x k float64, kechuang's shares),
totals.bin / ranks.bin (n int32) and classes.bin (n bytes 'A'/'B'/'C'),
all little-endian. The peer times, the way a NumPy programmer would write
them (whole-array operations, no Python loop over counties):

(a) the scoring arithmetic: each share as the engine computes it
    (benchmark min(x / B, 1), and the other methods), the total as the
    engine makes it (total_from = exact: the unrounded points summed in
    indicator order, rounded once, half up), the classes by threshold and
    the ranks under the tie rule via argsort; best of meta "repeat" runs,
    then it checks that its totals, classes and ranks equal kechuang's;
(b) the Monte Carlo: Generator.dirichlet weights in chunks of draws (to
    bound memory), totals as one matrix product per chunk, class counts,
    ranks via argsort per draw (ties broken by position: equal doubles are
    rare), nearest-rank p5/p50/p95 by np.partition; best of "mc_repeat".
    Its random stream is NumPy's, so only the mean P(A) can be compared.

It prints one JSON line on stdout (commentary goes to stderr). BLAS and
OpenMP are held to one thread, like kechuang's single core, unless the
environment already says otherwise.
"""
import json
import os
import sys
import time

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402  (after the thread limits, which it reads on import)

CHUNK = 500  # draws per batch: 500 x 2,978 doubles = 12 MB a matrix


def load(directory):
    with open(os.path.join(directory, "meta.json"), encoding="utf-8") as file:
        meta = json.load(file)
    n, k = meta["n_counties"], meta["n_indicators"]

    def matrix(name, dtype, shape):
        return np.fromfile(os.path.join(directory, name), dtype=dtype).reshape(shape)

    data = {
        "values": matrix("values.bin", "<f8", (n, k)),
        "normalised": matrix("normalised.bin", "<f8", (n, k)),
        "totals": matrix("totals.bin", "<i4", (n,)),
        "ranks": matrix("ranks.bin", "<i4", (n,)),
        "classes": matrix("classes.bin", "u1", (n,)),
    }
    return meta, data


def column_parameters(meta):
    """Per-indicator parameter vectors and the column groups of each method."""
    indicators = meta["indicators"]
    vector = lambda key: np.array([float(i[key]) for i in indicators])  # noqa: E731
    groups = {}
    for j, indicator in enumerate(indicators):
        direction = "positive" if indicator["positive"] else "negative"
        groups.setdefault((indicator["method"], direction), []).append(j)
    return {
        "groups": {key: np.array(columns) for key, columns in groups.items()},
        "points": vector("points_centi"),
        "benchmark": vector("benchmark"),
        "low": vector("low"),
        "high": vector("high"),
        "z_cap": np.where(vector("z_cap") > 0, vector("z_cap"), 3.0),
        "rubric_max": np.where(vector("rubric_max") > 0, vector("rubric_max"), 100.0),
    }


def shares_of(values, p):
    """The share of its points each value earns (engine_normalise.c)."""
    shares = np.empty_like(values)
    for (method, direction), cols in p["groups"].items():
        x = values[:, cols]
        if method == "benchmark":
            b = p["benchmark"][cols]
            if direction == "positive":
                s = np.where(x <= 0.0, 0.0, np.minimum(x / b, 1.0))
            else:
                s = np.where(x <= 0.0, 1.0, np.minimum(b / np.where(x <= 0.0, 1.0, x), 1.0))
        elif method == "efficacy":
            lo, hi = p["low"][cols], p["high"][cols]
            s = np.clip(0.6 + 0.4 * (x - lo) / (hi - lo), 0.0, 1.0)
        elif method == "rubric":
            s = np.where(x < 0.0, 0.0, np.clip(x / p["rubric_max"][cols], 0.0, 1.0))
        elif method == "minmax":
            lo, hi = x.min(axis=0), x.max(axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            s = (x - lo) / span if direction == "positive" else (hi - x) / span
            s = np.where(hi > lo, np.clip(s, 0.0, 1.0), 1.0)
        elif method == "zscore":
            mean, sd = x.mean(axis=0), x.std(axis=0)
            z = (x - mean) / np.where(sd > 0, sd, 1.0)
            z = z if direction == "positive" else -z
            cap = p["z_cap"][cols]
            s = np.where(sd > 0, np.clip((z + cap) / (2.0 * cap), 0.0, 1.0), 0.5)
        else:
            raise SystemExit(f"scoring_numpy: unknown method {method!r}")
        shares[:, cols] = s
    return shares


def ranks_of(totals, tie_rule):
    """Ranks, higher total first, equal totals under the tie rule, via argsort."""
    n = totals.shape[0]
    order = np.argsort(-totals, kind="stable")
    ordered = totals[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = ordered[1:] != ordered[:-1]
    position = np.arange(n)
    if tie_rule == "dense":
        by_position = np.cumsum(new)
    elif tie_rule == "modified":
        last = np.where(np.append(new[1:], True), position, n)
        by_position = np.minimum.accumulate(last[::-1])[::-1] + 1
    else:  # competition
        by_position = np.maximum.accumulate(np.where(new, position, 0)) + 1
    ranks = np.empty(n, dtype=np.int32)
    ranks[order] = by_position
    return ranks


def score(values, p, class_a, class_b, tie_rule):
    shares = shares_of(values, p)
    exact = np.zeros(shares.shape[0])
    for j in range(shares.shape[1]):  # in indicator order, as the engine sums
        exact += p["points"][j] * shares[:, j]
    totals = np.floor(np.floor(exact * 1e6 + 0.5) / 1e6 + 0.5).astype(np.int32)
    classes = np.where(totals >= class_a, ord("A"), np.where(totals >= class_b, ord("B"), ord("C")))
    return totals, classes.astype(np.uint8), ranks_of(totals, tie_rule)


def monte_carlo(normalised, p, meta):
    n = normalised.shape[0]
    draws = meta["draws"]
    alpha = meta["concentration"] * p["points"] / p["points"].sum()
    a, b = meta["class_a_centi"] / 100.0, meta["class_b_centi"] / 100.0
    rng = np.random.default_rng(meta["seed"])
    columns = np.ascontiguousarray(normalised.T)
    counts = np.zeros((3, n), dtype=np.int64)
    ranks = np.empty((draws, n), dtype=np.uint16 if n < 65536 else np.uint32)
    positions = np.broadcast_to(np.arange(1, n + 1, dtype=ranks.dtype), (CHUNK, n))
    for start in range(0, draws, CHUNK):
        size = min(CHUNK, draws - start)
        weights = rng.dirichlet(alpha, size=size) * 100.0
        totals = weights @ columns
        counts[0] += (totals >= a).sum(axis=0)
        counts[1] += ((totals >= b) & (totals < a)).sum(axis=0)
        order = np.argsort(-totals, axis=1)
        np.put_along_axis(ranks[start : start + size], order, positions[:size], axis=1)
    counts[2] = draws - counts[0] - counts[1]
    ordinals = [max(1, -(-percent * draws // 100)) - 1 for percent in (5, 50, 95)]
    percentiles = np.partition(ranks, ordinals, axis=0)[ordinals]
    return counts / draws, percentiles


def best_of(repeat, function, *arguments):
    best, answer = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = function(*arguments)
        best = min(best, time.perf_counter() - start)
    return best, answer


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: scoring_numpy.py DIR")
    meta, data = load(sys.argv[1])
    p = column_parameters(meta)
    tie_rule = meta.get("tie_rule", "competition")
    score_seconds, (totals, classes, ranks) = best_of(
        meta["repeat"], score, data["values"], p, meta["class_a_centi"], meta["class_b_centi"],
        tie_rule)
    mc_seconds, (probabilities, percentiles) = best_of(
        meta["mc_repeat"], monte_carlo, data["normalised"], p, meta)
    print(f"scoring_numpy: numpy {np.__version__}, (a) {score_seconds * 1e3:.3f} ms, "
          f"(b) {mc_seconds:.3f} s", file=sys.stderr)
    answer = {
        "numpy": np.__version__,
        "score_seconds": score_seconds,
        "mc_seconds": mc_seconds,
        "totals_equal": int((totals == data["totals"]).sum()),
        "classes_equal": int((classes == data["classes"]).sum()),
        "ranks_equal": int((ranks == data["ranks"]).sum()),
        "mc_mean_p": [float(x) for x in probabilities.mean(axis=1)],
        "mc_median_rank_p50": float(np.median(percentiles[1])),
    }
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
