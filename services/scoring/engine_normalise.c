/*  engine_normalise: how one indicator value becomes a share of its points.
 *
 *  Five methods (methodology.h): the benchmark ratio and the efficacy
 *  coefficient use fixed parameters of the methodology, so a county's share
 *  depends on its own value only; min-max and z-score re-centre on the
 *  counties scored that year, so they read the statistics of the column,
 *  which the engine computes once per indicator (engine_column_stats) and
 *  never per county. The rubric scales a rated median by the rubric's top.
 *
 *  Every share is clamped to [0, 1] and turned into centipoints once,
 *  half up. The inverse maps (engine_share_inverse) serve the gaps to the
 *  next class: which value would earn a given share, column held fixed.
 */
#include <math.h>

#include "scoring/engine_internal.h"

#define S_Z_CAP_DEFAULT      3.0   /* methodology.h: |z| that reaches 0 or 1 */
#define S_RUBRIC_MAX_DEFAULT 100.0 /* methodology.h: the top score of a rubric */

static double s_clamp(double share)
{
    if (share < 0.0)
        return 0.0;
    if (share > 1.0)
        return 1.0;
    return share;
}

static double s_z_cap(const sc_indicator_t *indicator)
{
    return indicator->z_cap > 0.0 ? indicator->z_cap : S_Z_CAP_DEFAULT;
}

static double s_rubric_max(const sc_indicator_t *indicator)
{
    return indicator->rubric_max > 0.0 ? indicator->rubric_max : S_RUBRIC_MAX_DEFAULT;
}

void engine_column_stats(const double *column, size_t n, engine_column_t *out)
{
    *out = (engine_column_t){.n = n};
    if (n == 0)
        return;
    double min = column[0], max = column[0], sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        min = column[i] < min ? column[i] : min;
        max = column[i] > max ? column[i] : max;
        sum += column[i];
    }
    out->min = min;
    out->max = max;
    out->mean = sum / (double)n;
    if (min == max) {
        /* sum / n of equal values can miss them by an ulp; a tiny sd would
         * then turn rounding noise into z-scores */
        out->mean = min;
        return;
    }
    double squares = 0.0;
    for (size_t i = 0; i < n; i++) {
        double deviation = column[i] - out->mean;
        squares += deviation * deviation;
    }
    out->sd = sqrt(squares / (double)n);
}

static double s_benchmark(const sc_indicator_t *indicator, double value)
{
    double benchmark = indicator->benchmark;
    if (!(benchmark > 0.0))
        return 0.0; /* the parser refuses it; never divide by it */
    if (indicator->positive)
        return value <= 0.0 ? 0.0 : s_clamp(value / benchmark);
    return value <= 0.0 ? 1.0 : s_clamp(benchmark / value);
}

static double s_efficacy(const sc_indicator_t *indicator, double value)
{
    double span = indicator->x_h - indicator->x_s;
    if (span == 0.0) /* the parser refuses it: all or nothing at x_h */
        return (engine_better_direction(indicator) > 0 ? value >= indicator->x_h
                                                       : value <= indicator->x_h)
                   ? 1.0
                   : 0.0;
    return s_clamp(0.6 + 0.4 * (value - indicator->x_s) / span);
}

static double s_minmax(const sc_indicator_t *indicator, double value, const engine_column_t *column)
{
    if (column->n == 0 || column->max == column->min)
        return 1.0;
    double span = column->max - column->min;
    double share =
        indicator->positive ? (value - column->min) / span : (column->max - value) / span;
    return s_clamp(share);
}

static double s_zscore(const sc_indicator_t *indicator, double value, const engine_column_t *column)
{
    if (column->n == 0 || column->sd == 0.0)
        return 0.5;
    double z = (value - column->mean) / column->sd;
    if (!indicator->positive)
        z = -z;
    double cap = s_z_cap(indicator);
    return s_clamp((z + cap) / (2.0 * cap));
}

double engine_share(const sc_indicator_t *indicator, double value, const engine_column_t *column)
{
    switch (indicator->method) {
    case SC_NORM_BENCHMARK:
        return s_benchmark(indicator, value);
    case SC_NORM_EFFICACY:
        return s_efficacy(indicator, value);
    case SC_NORM_MINMAX:
        return s_minmax(indicator, value, column);
    case SC_NORM_ZSCORE:
        return s_zscore(indicator, value, column);
    case SC_NORM_RUBRIC:
        return value < 0.0 ? 0.0 : s_clamp(value / s_rubric_max(indicator));
    default:
        return 0.0;
    }
}

double engine_normalise(const sc_indicator_t *indicator, double value, const double *column,
                        size_t n)
{
    engine_column_t stats = {0};
    if (indicator->method == SC_NORM_MINMAX || indicator->method == SC_NORM_ZSCORE) {
        if (n > 0)
            engine_column_stats(column, n, &stats);
        else
            engine_column_stats(&value, 1, &stats); /* alone: the degenerate column */
    }
    return engine_share(indicator, value, &stats);
}

int32_t engine_points(const sc_indicator_t *indicator, double share)
{
    return (int32_t)floor((double)indicator->points_centi * share + 0.5);
}

int engine_better_direction(const sc_indicator_t *indicator)
{
    if (indicator->method == SC_NORM_EFFICACY && indicator->x_h != indicator->x_s)
        return indicator->x_h > indicator->x_s ? 1 : -1; /* the map itself says which way */
    return indicator->positive ? 1 : -1;
}

int engine_share_inverse(const sc_indicator_t *indicator, double share,
                         const engine_column_t *column, double *value)
{
    switch (indicator->method) {
    case SC_NORM_BENCHMARK:
        if (!(indicator->benchmark > 0.0) || !(share > 0.0))
            return -1;
        *value = indicator->positive ? indicator->benchmark * share : indicator->benchmark / share;
        return 0;
    case SC_NORM_EFFICACY:
        if (indicator->x_h == indicator->x_s)
            return -1;
        *value = indicator->x_s + (share - 0.6) * (indicator->x_h - indicator->x_s) / 0.4;
        return 0;
    case SC_NORM_MINMAX:
        if (column->n == 0 || column->max == column->min)
            return -1; /* every value earns 1 */
        *value = indicator->positive ? column->min + share * (column->max - column->min)
                                     : column->max - share * (column->max - column->min);
        return 0;
    case SC_NORM_ZSCORE: {
        if (column->n == 0 || column->sd == 0.0)
            return -1; /* every value earns 0.5 */
        double cap = s_z_cap(indicator);
        double z = share * 2.0 * cap - cap;
        *value =
            indicator->positive ? column->mean + z * column->sd : column->mean - z * column->sd;
        return 0;
    }
    case SC_NORM_RUBRIC:
        *value = s_rubric_max(indicator) * share;
        return 0;
    default:
        return -1;
    }
}
