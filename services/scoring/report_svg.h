/*  report_svg: the small charts of the report pages, as inline SVG
 *  (private to services/scoring/report_*.c).
 *
 *  Four shapes are enough for the reports: stacked bars (classes per year),
 *  grouped bars (a county's subtotals against its city and the province),
 *  a histogram (scores of one year, with the class thresholds marked) and
 *  a line (rank over the years, rank 1 at the top). Each chart scales to
 *  the page width through its viewBox, names itself for screen readers and
 *  carries a <title> tooltip on every bar and point. Coordinates are
 *  rounded to whole units, so the same figures draw the same bytes.
 */
#ifndef SCORING_REPORT_SVG_H
#define SCORING_REPORT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *title;          /* what the chart shows, for screen readers */
    size_t n_groups;            /* categories along the x axis */
    const char *const *groups;  /* their labels */
    size_t n_series;            /* values per category */
    const char *const *series;  /* legend labels, one per series */
    const char *const *colours; /* one per series; NULL: the default palette */
    const double *values;       /* n_groups x n_series, row major */
    int decimals;               /* decimals of the value labels */
    const char *unit;           /* after each value label: "个", "%", "名" */
} report_chart_t;

/* One bar per group, the series stacked bottom up in series order. */
void report_svg_stacked_bars(FILE *out, const report_chart_t *chart);

/* One bar per series side by side in each group; y from 0 to y_max. */
void report_svg_grouped_bars(FILE *out, const report_chart_t *chart, double y_max);

/* One series of counts, one bar per bin (groups label the bins), the bins
 * evenly covering x_min..x_max; a dashed line at each of `marks` (x units)
 * labelled by `mark_labels`. */
void report_svg_histogram(FILE *out, const report_chart_t *chart, double x_min, double x_max,
                          const double *marks, const char *const *mark_labels, size_t n_marks);

/* One series as a line over the groups; a value <= 0 is a gap (no point).
 * The y axis runs from 1 to y_max, upside down when `inverted` (rank 1 on
 * top). */
void report_svg_line(FILE *out, const report_chart_t *chart, double y_max, bool inverted);

#endif
