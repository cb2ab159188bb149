/*  periods: the evaluation years a version of the rules applies to.
 *
 *  The indicator catalogue (a framework), each scoring methodology and each
 *  reward policy is a version that states its years: from a first year,
 *  either until a later version replaces it (no stated end, stored as
 *  PERIODS_OPEN) or up to a last year. For an evaluation year, the version
 *  in force is, among those whose stated years contain it, the one that
 *  starts latest; between two that start the same year, the one loaded
 *  last. The SQL functions indicator_framework_of, scoring_methodology_for
 *  and reward_policy_for (deploy/sql/0016_periods.sql) apply the same rule;
 *  this file applies it for kcctl, which shows an operator the years a file
 *  will actually govern before and after it is loaded.
 */
#ifndef SCORING_PERIODS_H
#define SCORING_PERIODS_H

#include <stddef.h>

#define PERIODS_OPEN     9999 /* last_year of a version with no stated end */
#define PERIODS_YEAR_MIN 1990 /* years a file may state */
#define PERIODS_YEAR_MAX 2100

typedef struct {
    char code[48];  /* the version's code: "hebei-leap-2019" */
    int first_year; /* stated first year */
    int last_year;  /* stated last year, PERIODS_OPEN for "until replaced" */
} periods_version_t;

/* Read "2017-" (from 2017 until replaced), "2017-2025" or "2019" (one
 * year), years PERIODS_YEAR_MIN..PERIODS_YEAR_MAX. 0 with both years set,
 * -1 (nothing set) on anything else, an end before the start included. */
int periods_parse(const char *text, int *first_year, int *last_year);

/* "2017-", "2017-2025" or "2019" into out (at least 16 bytes). */
void periods_format(int first_year, int last_year, char *out, size_t size);

/* Describe where `versions[index]` is in force among `versions` (which are
 * in load order: a later one wins a tie of first years) as text such as
 * "2019-2025" or "2017-2018, 2020-" or "none", into out. Each year it
 * loses goes to a version named in `replaced_by` ("2026- hebei-leap-2026"),
 * "" when it loses none. */
void periods_applied(const periods_version_t *versions, size_t count, size_t index, char *out,
                     size_t size, char *replaced_by, size_t replaced_size);

#endif
