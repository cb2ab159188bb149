/*  panel_math: the arithmetic of an expert panel, apart from the database.
 *
 *  The draw is a Fisher-Yates shuffle of the eligible experts (in code
 *  order) driven by splitmix64 from a recorded 64-bit seed: the same seed
 *  and the same eligible list give the same order on any machine, which
 *  is what lets `kcctl panel replay` show that a draw was not steered.
 *  Scores are kept in hundredths of a point, as integers, so a mean is
 *  exact and rounds once, half up, to 0.01.
 */
#ifndef WORKFLOW_PANEL_MATH_H
#define WORKFLOW_PANEL_MATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* order[0..n) becomes a permutation of 0..n-1 drawn with `seed`. */
void panel_shuffle(uint64_t seed, size_t n, size_t *order);

/* Points as hundredths: 0 with *hundredths set when `points` has at most
 * two decimals and lies in 0..max_points; -1 otherwise. */
int panel_points(double points, int max_points, long *hundredths);

typedef struct {
    long aggregate;   /* hundredths, rounded half up */
    long spread;      /* highest total - lowest total, hundredths */
    size_t used;      /* totals that count */
    int dropped_high; /* index of the total dropped as highest, -1 if none */
    int dropped_low;  /* index of the total dropped as lowest, -1 if none */
} panel_result_t;

/* Aggregate n >= 1 totals (hundredths) by `trimmed`: false, the mean of
 * all; true, when n >= 5 the highest and the lowest (the first of equal
 * ones) are dropped and the rest averaged, else the mean of all. */
void panel_aggregate(const long *totals, size_t n, bool trimmed, panel_result_t *out);

#endif
