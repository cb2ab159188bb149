/*  report: what people read — the published result, the annual evaluation
 *  reports for the province, each city and each county (seed 002 §七(一)(二),
 *  with the class-specific tasks of §六 in each county's report), in
 *  Chinese, as self-contained HTML with inline SVG charts; and CSV and
 *  JSON exports of every table of a run.
 *
 *  Everything here is a function of the run alone (no clock, no locale),
 *  so the same run writes the same bytes.
 */
#ifndef SCORING_REPORT_H
#define SCORING_REPORT_H

#include <stdio.h>

#include "kc/kc_error.h"
#include "scoring/run.h"

/* The published result: A, B and C lists in score order. */
int report_result_html(const sc_run_t *run, FILE *out);

/* The annual report of the scope (province). */
int report_province_html(const sc_run_t *run, FILE *out);

/* The annual report of one city of the scope (`city_code` such as 130100). */
int report_city_html(const sc_run_t *run, const char *city_code, FILE *out);

/* The annual report of one county (index into run->input->counties). */
int report_county_html(const sc_run_t *run, size_t county, FILE *out);

/* Every table as CSV (UTF-8 with a header row) into `dir`: results.csv,
 * points.csv (long form: county, indicator, value, normalised, points,
 * flags), changes.csv, gaps.csv, awards.csv, robustness.csv. */
int report_export_csv(const sc_run_t *run, const char *dir, kc_error_t *error);

/* Write everything into `dir`: index.html (the published result),
 * province.html, city-<code>.html, county-<code>.html, the CSV files,
 * result.json (the run's canonical JSON). Creates `dir` if needed. */
int report_write_all(const sc_run_t *run, const char *dir, kc_error_t *error);

#endif
