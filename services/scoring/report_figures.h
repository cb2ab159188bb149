/*  report_figures: the figures the report pages share, computed from a run
 *  (private to services/scoring/report_*.c).
 *
 *  A "scope" below is either every county of a year (city_code NULL) or
 *  the counties of one city. Means are in centipoints, computed in integer
 *  arithmetic and rounded half up, so a mean printed with two decimals is
 *  the same on every machine. Orders break ties by county code, so a page
 *  never depends on how qsort orders equal keys.
 */
#ifndef SCORING_REPORT_FIGURES_H
#define SCORING_REPORT_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scoring/run.h"

/* A scope's averages in one year. */
typedef struct {
    size_t n_counties;                  /* counties in the scope that year */
    int32_t total;                      /* mean total, centipoints */
    int32_t subtotal[SC_MAX_PRIMARIES]; /* mean subtotal per primary */
    int classes[3];                     /* counties in A, B, C */
} report_scope_figures_t;

/* true when city_code is NULL or the county belongs to that city. */
bool report_figures_in_city(const sc_county_t *county, const char *city_code);

/* 0, 1, 2 for 'A', 'B', 'C'; -1 for anything else. */
int report_figures_class_index(char klass);

/* Index of a county by code in a year's input, -1 if absent. */
int report_figures_find(const sc_year_input_t *input, const char *code);

/* Mean of `n` centipoint values summing to `sum` (>= 0), rounded half up; 0 when n == 0. */
int32_t report_figures_mean(int64_t sum, size_t n);

/* Counties of the scope in score order (total descending, then code);
 * `order` has room for input->n_counties; returns how many were written. */
size_t report_figures_order(const sc_year_input_t *input, const sc_year_result_t *result,
                            const char *city_code, size_t *order);

/* Averages and class counts of a scope in one year. */
void report_figures_scope(const sc_methodology_t *m, const sc_year_input_t *input,
                          const sc_year_result_t *result, const char *city_code,
                          report_scope_figures_t *out);

/* The cities of a year, one county index each (the first county of the
 * city), in city code order; `first` has room for input->n_counties. */
size_t report_figures_cities(const sc_year_input_t *input, size_t *first);

#endif
