/*  report_fixture: the hand-built run the report tests read
 *  (tests/unit/test_report*.c), so that they read no other part of scoring:
 *  a methodology with 2 primaries (创新投入 60 points, 创新产出 40) and 3
 *  indicators (I01 30, I02 30, I03 40 points), 2 cities, 5 counties and 3
 *  years. Totals per year (centipoints):
 *
 *      code    name        city    2021  2022  2023   2023 class, rank
 *      130102  长安区      130100  8200  8300  8550   A 1
 *      130104  桥西区      130100  7000  7800  8000   A 2
 *      130105  新<&>县     130100  7200  7500  7000   B 3
 *      130202  路南区      130200  6100  6200  5995   C 5
 *      130203  甲,"乙"县   130200  5000  5500  6500   B 4
 *
 *  Each total is split as I01 = I02 = total * 3 / 10 (integer division)
 *  and I03 = the rest; an indicator's value is its points / 4 (exact in
 *  binary) and its normalised value points / max points.
 *
 *  report_fixture_setup builds it afresh before each test of the suite
 *  `report` (tests may change it), with an empty temporary directory;
 *  report_fixture_teardown removes both.
 */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include <stdio.h>

#include "scoring/run.h"

#define REPORT_FIXTURE_YEARS    3
#define REPORT_FIXTURE_COUNTIES 5

typedef struct {
    sc_methodology_t m;
    sc_reward_policy_t policy;
    sc_snapshot_t snapshot;
    sc_year_input_t years[REPORT_FIXTURE_YEARS];
    sc_county_t counties[REPORT_FIXTURE_YEARS][REPORT_FIXTURE_COUNTIES];
    sc_year_result_t results[REPORT_FIXTURE_YEARS];
    sc_county_result_t county_results[REPORT_FIXTURE_YEARS][REPORT_FIXTURE_COUNTIES];
    sc_change_t changes[REPORT_FIXTURE_COUNTIES];
    sc_gap_t gaps[REPORT_FIXTURE_COUNTIES];
    sc_county_awards_t awards[REPORT_FIXTURE_COUNTIES];
    sc_mc_county_t robustness[REPORT_FIXTURE_COUNTIES];
    sc_run_t run;
} report_fixture_t;

extern report_fixture_t *report_fixture;
extern char report_fixture_directory[64];

void report_fixture_setup(void);
void report_fixture_teardown(void);

/* A page written into memory, NUL-terminated; free() it. */
char *report_fixture_render(int (*writer)(const sc_run_t *, FILE *));
char *report_fixture_county(size_t county);
char *report_fixture_city(const char *city_code);

/* Position of `needle` in `text` after `from`; fails the test when absent. */
const char *report_fixture_find(const char *text, const char *from, const char *needle);

/* Number of times `needle` occurs in `text`. */
size_t report_fixture_count(const char *text, const char *needle);

/* A whole file, NUL-terminated; free() it. */
char *report_fixture_slurp(const char *path, size_t *size);

#endif
