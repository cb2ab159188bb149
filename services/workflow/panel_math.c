/*  panel_math: draw and aggregation of an expert panel (see panel_math.h). */
#include "workflow/panel_math.h"

#include <math.h>

static uint64_t s_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound) without modulo bias (rejection). */
static uint64_t s_below(uint64_t *state, uint64_t bound)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t value;
    do
        value = s_splitmix64(state);
    while (value >= limit);
    return value % bound;
}

void panel_shuffle(uint64_t seed, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t state = seed;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)s_below(&state, i);
        size_t held = order[i - 1];
        order[i - 1] = order[j];
        order[j] = held;
    }
}

int panel_points(double points, int max_points, long *hundredths)
{
    if (!isfinite(points) || points < 0 || points > max_points)
        return -1;
    double scaled = points * 100.0;
    double whole = round(scaled);
    if (fabs(scaled - whole) > 1e-6)
        return -1;
    *hundredths = (long)whole;
    return 0;
}

void panel_aggregate(const long *totals, size_t n, bool trimmed, panel_result_t *out)
{
    out->dropped_high = out->dropped_low = -1;
    size_t high = 0, low = 0;
    for (size_t i = 1; i < n; i++) {
        if (totals[i] > totals[high])
            high = i;
        if (totals[i] < totals[low])
            low = i;
    }
    out->spread = n ? totals[high] - totals[low] : 0;
    if (trimmed && n >= 5) {
        if (high == low) /* all equal: drop the first and the last */
            low = n - 1;
        out->dropped_high = (int)high;
        out->dropped_low = (int)low;
    }
    long sum = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if ((int)i == out->dropped_high || (int)i == out->dropped_low)
            continue;
        sum += totals[i];
        used++;
    }
    out->used = used;
    /* half up, in hundredths: totals are never negative */
    out->aggregate = used ? (2 * sum + (long)used) / (2 * (long)used) : 0;
}
