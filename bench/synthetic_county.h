/*  synthetic_county: plausible indicator values for the scoring benchmarks.
 *
 *  bench/scoring_core.c (arithmetic and Monte Carlo against NumPy) and
 *  bench/scoring_db.c (the country through PostgreSQL) score the same kind
 *  of made-up country: each county has a strength, and each of its values
 *  takes a lognormal share of the indicator's points around
 *  SYNTHETIC_SHARE_MEDIAN of the benchmark (about 5 % A, 17 % B, 78 % C
 *  under hebei-2019-v1). Header-only: each benchmark is one program.
 */
#ifndef BENCH_SYNTHETIC_COUNTY_H
#define BENCH_SYNTHETIC_COUNTY_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "scoring/methodology.h"
#include "scoring/rng.h"

#define SYNTHETIC_SHARE_MEDIAN 0.38

/* The indicator that reads input j directly, or NULL (base data). */
static inline const sc_indicator_t *synthetic_reader_of(const sc_methodology_t *m, size_t j)
{
    for (size_t i = 0; i < m->n_indicators; i++)
        if (m->indicators[i].formula.n_ops == 0 && m->indicators[i].input == (int)j)
            return &m->indicators[i];
    return NULL;
}

/* One plausible value of input j for a county of strength `level` (a
 * standard normal): its share of the points is lognormal around
 * SYNTHETIC_SHARE_MEDIAN, correlated across indicators through the level, as real counties that
 * spend on S&T also tend to have the enterprises and the patents. */
static inline double synthetic_value(const sc_methodology_t *m, size_t j, double level,
                                     sc_rng_t *rng)
{
    const sc_indicator_t *reader = synthetic_reader_of(m, j);
    const double factor = SYNTHETIC_SHARE_MEDIAN * exp(0.45 * level + 0.4 * rng_normal(rng));
    if (reader == NULL)
        return 1e5 * factor; /* base data for formulas: a budget in 万元 */
    switch (reader->method) {
    case SC_NORM_BENCHMARK:
        return reader->positive ? reader->benchmark * factor : reader->benchmark / factor;
    case SC_NORM_EFFICACY:
        return reader->x_s + (reader->x_h - reader->x_s) * (factor + 0.2 - 0.6) / 0.4;
    case SC_NORM_RUBRIC: {
        const double top = reader->rubric_max > 0 ? reader->rubric_max : 100.0;
        return top * fmin(1.0, fmax(0.3, 0.72 + 0.08 * level + 0.08 * rng_normal(rng)));
    }
    default:
        return 100.0 * factor;
    }
}

/* A derived indicator (formula) gets a plausible value too: the last base
 * input its formula reads is rescaled so that the formula gives a value
 * around the benchmark. Formulas of products and quotients are power laws
 * in that input, f(s x) = s^p f(x); p is measured by doubling x, then
 * x * (target / f)^(1 / p) hits the target exactly. */
static inline void synthetic_calibrate_derived(const sc_methodology_t *m, double *values,
                                               const uint8_t *present, double level, sc_rng_t *rng)
{
    for (size_t i = 0; i < m->n_indicators; i++) {
        const sc_indicator_t *indicator = &m->indicators[i];
        int base = -1;
        for (size_t s = 0; s < indicator->formula.n_ops; s++) {
            const sc_op_t *op = &indicator->formula.ops[s];
            if (op->kind == SC_OP_INPUT && synthetic_reader_of(m, (size_t)op->input) == NULL)
                base = op->input;
        }
        if (base < 0 || indicator->method != SC_NORM_BENCHMARK)
            continue;
        const double factor = SYNTHETIC_SHARE_MEDIAN * exp(0.45 * level + 0.4 * rng_normal(rng));
        const double target =
            indicator->positive ? indicator->benchmark * factor : indicator->benchmark / factor;
        double f0 = 0, f1 = 0;
        const double x = values[base];
        int ok = methodology_formula_eval(&indicator->formula, values, present, &f0);
        values[base] = 2.0 * x;
        ok = ok && methodology_formula_eval(&indicator->formula, values, present, &f1);
        values[base] = x;
        if (ok && f0 > 0.0 && f1 > 0.0 && f0 != f1)
            values[base] = x * pow(target / f0, 1.0 / log2(f1 / f0));
    }
}

#endif
