/*  engine_rank: the order of totals and the median of ratings.
 *
 *  Ranking sorts once, in linear time: each total becomes a 32-bit key
 *  whose unsigned order is "higher total first", and a stable radix sort
 *  (a byte a pass, constant bytes skipped) orders the keys with their
 *  positions, ties in input order, without calling qsort or depending on
 *  its stability. A walk over the sorted keys then gives each run of equal
 *  totals its rank under the methodology's tie rule (competition 1224,
 *  dense 1223, modified 1334).
 *  The scope, each city and every Monte Carlo draw rank through here
 *  (positions must fit in 32 bits: far more than any scope has).
 */
#include <stdlib.h>

#include "scoring/engine_internal.h"

static int s_compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;
    return (a > b) - (a < b);
}

/* Higher totals get smaller keys: flip the sign bit to order int32 as
 * unsigned, then complement to descend. */
static uint32_t s_key(int32_t total)
{
    return ~((uint32_t)total ^ UINT32_C(0x80000000));
}

/* Stable LSD radix sort of (key, position) pairs, a byte a pass, between
 * two halves of `pairs` (2 x 2n words: keys then positions, twice); a pass
 * where every key has the same byte is skipped (totals of 0..10000 need
 * two). Returns the half that ends up sorted. */
static uint32_t *s_radix_sort(uint32_t *pairs, size_t n)
{
    uint32_t *from = pairs, *to = pairs + 2 * n;
    for (unsigned shift = 0; shift < 32; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((from[i] >> shift) & 0xFFu) + 1]++;
        if (count[((from[0] >> shift) & 0xFFu) + 1] == n)
            continue;
        for (size_t b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) {
            size_t at = count[(from[i] >> shift) & 0xFFu]++;
            to[at] = from[i];
            to[n + at] = from[n + i];
        }
        uint32_t *swap = from;
        from = to;
        to = swap;
    }
    return from;
}

void engine_rank(const int32_t *totals, size_t n, sc_tie_rule_t rule, int *ranks)
{
    if (n == 0)
        return;
    uint32_t *pairs = engine_allocate(4 * n, sizeof *pairs);
    for (size_t i = 0; i < n; i++) {
        pairs[i] = s_key(totals[i]);
        pairs[n + i] = (uint32_t)i;
    }
    const uint32_t *keys = s_radix_sort(pairs, n), *positions = keys + n;
    int distinct = 0;
    for (size_t first = 0; first < n;) {
        size_t last = first;
        while (last + 1 < n && keys[last + 1] == keys[first])
            last++;
        distinct++;
        int rank = rule == SC_TIE_DENSE      ? distinct
                   : rule == SC_TIE_MODIFIED ? (int)(last + 1)
                                             : (int)(first + 1);
        for (size_t k = first; k <= last; k++)
            ranks[positions[k]] = rank;
        first = last + 1;
    }
    free(pairs);
}

double engine_median(double *values, size_t n)
{
    if (n == 0)
        return 0.0; /* outside the contract; never read before the array */
    qsort(values, n, sizeof *values, s_compare_doubles);
    if (n % 2 == 1)
        return values[n / 2];
    return (values[n / 2 - 1] + values[n / 2]) / 2.0;
}
