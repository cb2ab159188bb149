/*  periods: stated years of a rules version and the years it is in force
 *  (see periods.h). */
#include "scoring/periods.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Four digits at text, or -1. */
static int s_year(const char *text)
{
    int year = 0;
    for (int i = 0; i < 4; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        year = year * 10 + (text[i] - '0');
    }
    return year;
}

int periods_parse(const char *text, int *first_year, int *last_year)
{
    int first = s_year(text), last = first;
    if (first < 0)
        return -1;
    const char *rest = text + 4;
    if (*rest == '-') {
        rest++;
        last = *rest ? s_year(rest) : PERIODS_OPEN;
        rest += *rest ? 4 : 0;
    }
    bool in_range =
        first >= PERIODS_YEAR_MIN && first <= PERIODS_YEAR_MAX &&
        (last == PERIODS_OPEN || (last >= PERIODS_YEAR_MIN && last <= PERIODS_YEAR_MAX));
    if (last < 0 || *rest != '\0' || !in_range)
        return -1;
    *first_year = first;
    *last_year = last;
    return 0;
}

void periods_format(int first_year, int last_year, char *out, size_t size)
{
    if (last_year >= PERIODS_OPEN)
        snprintf(out, size, "%d-", first_year);
    else if (last_year == first_year)
        snprintf(out, size, "%d", first_year);
    else
        snprintf(out, size, "%d-%d", first_year, last_year);
}

/* The version in force in `year`, or -1: latest first year, then latest loaded. */
static int s_winner(const periods_version_t *versions, size_t count, int year)
{
    int winner = -1;
    for (size_t i = 0; i < count; i++) {
        if (year < versions[i].first_year || year > versions[i].last_year)
            continue;
        if (winner < 0 || versions[i].first_year >= versions[winner].first_year)
            winner = (int)i;
    }
    return winner;
}

static int s_compare_years(const void *left, const void *right)
{
    int a = *(const int *)left, b = *(const int *)right;
    return (a > b) - (a < b);
}

/* Append "first-last" (and " code") to out after a ", " when not empty. */
static void s_append(char *out, size_t size, int first, int last, const char *code)
{
    size_t used = strlen(out);
    char years[16];
    periods_format(first, last, years, sizeof years);
    if (used < size)
        snprintf(out + used, size - used, "%s%s%s%s", used ? ", " : "", years, code ? " " : "",
                 code ? code : "");
}

void periods_applied(const periods_version_t *versions, size_t count, size_t index, char *out,
                     size_t size, char *replaced_by, size_t replaced_size)
{
    const periods_version_t *self = &versions[index];
    /* The years where the winner may change: every first year and every year after a last. */
    int *starts = malloc((2 * count + 1) * sizeof *starts);
    if (!starts)
        abort();
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        starts[n++] = versions[i].first_year;
        if (versions[i].last_year < PERIODS_OPEN)
            starts[n++] = versions[i].last_year + 1;
    }
    qsort(starts, n, sizeof *starts, s_compare_years);
    out[0] = '\0';
    replaced_by[0] = '\0';
    int run_first = 0, run_winner = -1; /* the segment being merged */
    for (size_t k = 0; k <= n; k++) {
        int start = k < n ? starts[k] : PERIODS_OPEN + 1;
        if (k > 0 && k < n && start == starts[k - 1])
            continue;
        int winner = start <= self->last_year && start >= self->first_year
                         ? s_winner(versions, count, start)
                         : -2;
        if (winner == run_winner)
            continue;
        if (run_winner == (int)index)
            s_append(out, size, run_first, start - 1, NULL);
        else if (run_winner >= 0)
            s_append(replaced_by, replaced_size, run_first, start - 1, versions[run_winner].code);
        run_first = start;
        run_winner = winner;
    }
    free(starts);
    if (!out[0])
        snprintf(out, size, "none");
}
