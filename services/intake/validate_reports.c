/*  validate_reports: the rules for indicator values from data providers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/validate.h"
#include "kc/kc_check.h"
#include "kc/kc_clock.h"

/* True if `division` is `county` or one of the levels above it:
 * 130123 is covered by 130123, 130100 and 130000. */
static bool s_division_covers(const char *division, const char *county)
{
    if (strlen(division) != 6 || strlen(county) != 6)
        return false;
    if (strcmp(division, county) == 0)
        return true;
    if (strcmp(division + 2, "0000") == 0)
        return strncmp(division, county, 2) == 0;
    if (strcmp(division + 4, "00") == 0)
        return strncmp(division, county, 4) == 0;
    return false;
}

static void s_check_county(const catalogue_t *catalogue, const Kc__V1__IndicatorReport *report,
                           const char *field, kc_errors_t *errors)
{
    kc_error_t *error = NULL;
    switch (catalogue_county(catalogue, report->county_code, report->year)) {
    case CATALOGUE_COUNTY_VALID:
        return;
    case CATALOGUE_COUNTY_UNKNOWN:
        error = kc_errors_add(errors, KC_ERR_UNKNOWN_COUNTY, field,
                              "county code '%.16s' is not a known division", report->county_code);
        if (error)
            kc_error_hint(error, "use the six-digit GB/T 2260 code; `kcctl divisions` lists them");
        return;
    case CATALOGUE_COUNTY_WRONG_LEVEL:
        error = kc_errors_add(errors, KC_ERR_NOT_COUNTY_LEVEL, field,
                              "'%.16s' (%s) is not a county-level division", report->county_code,
                              catalogue_division_name(catalogue, report->county_code, 9999));
        return;
    case CATALOGUE_COUNTY_NOT_IN_YEAR:
        error = kc_errors_add(errors, KC_ERR_COUNTY_NOT_IN_YEAR, field,
                              "county '%.16s' (%s) did not exist in %d", report->county_code,
                              catalogue_division_name(catalogue, report->county_code, report->year),
                              report->year);
        if (error && *catalogue_successor(catalogue, report->county_code))
            kc_error_hint(error, "its successor is '%s'",
                          catalogue_successor(catalogue, report->county_code));
        return;
    }
}

static void s_check_value(const catalogue_indicator_t *indicator,
                          const Kc__V1__IndicatorReport *report, const char *field,
                          kc_errors_t *errors)
{
    if (!isfinite(report->value)) {
        kc_errors_add(errors, KC_ERR_NOT_FINITE, field, "value of '%s' is not a finite number",
                      indicator->code);
        return;
    }
    if (report->value < indicator->min_value || report->value > indicator->max_value) {
        kc_error_t *error =
            kc_errors_add(errors, KC_ERR_OUT_OF_RANGE, field,
                          "value %g of '%s' is outside %g to %g %s", report->value, indicator->code,
                          indicator->min_value, indicator->max_value, indicator->unit);
        if (error)
            kc_error_detail(error, "%s (%s), unit %s", indicator->name_zh, indicator->code,
                            indicator->unit);
    }
}

static void s_check_report(const catalogue_t *catalogue, const char *provider,
                           const Kc__V1__IndicatorReport *report, size_t index, int this_year,
                           kc_errors_t *errors)
{
    char field[KC_ERROR_FIELD_MAX];
    int first = 0, last = 0;
    snprintf(field, sizeof field, "reports[%zu].year", index);
    int latest = this_year + VALIDATE_YEARS_AHEAD;
    if (!catalogue_year_known(catalogue, report->year, &first, &last) || report->year > latest) {
        kc_error_t *error = kc_errors_add(errors, KC_ERR_YEAR_OUT_OF_RANGE, field,
                                          "year %d is not an evaluation year", report->year);
        if (error && report->year > latest && report->year <= last)
            kc_error_detail(error,
                            "values are accepted up to %d, the year after the current "
                            "year %d (Beijing time)",
                            latest, this_year);
        else if (error && last >= 9999)
            kc_error_detail(error, "the indicator catalogue is in force from %d", first);
        else if (error)
            kc_error_detail(error, "the indicator catalogue is in force from %d to %d", first,
                            last);
        if (error && report->year <= latest && report->year >= first)
            kc_error_hint(error, "a new framework in force that year comes with a migration "
                                 "(deploy/data/catalogue/README.md)");
        /* Without a year the indicator cannot be judged; what can be
         * judged still is, so the sender sees every problem at once. */
        snprintf(field, sizeof field, "reports[%zu].county_code", index);
        if (catalogue_county(catalogue, report->county_code, 9999) == CATALOGUE_COUNTY_UNKNOWN)
            kc_errors_add(errors, KC_ERR_UNKNOWN_COUNTY, field,
                          "county code '%.16s' is not a known division", report->county_code);
        snprintf(field, sizeof field, "reports[%zu].value", index);
        if (!isfinite(report->value))
            kc_errors_add(errors, KC_ERR_NOT_FINITE, field, "value is not a finite number");
        return;
    }
    snprintf(field, sizeof field, "reports[%zu].county_code", index);
    s_check_county(catalogue, report, field, errors);
    snprintf(field, sizeof field, "reports[%zu].indicator_code", index);
    const catalogue_indicator_t *indicator =
        catalogue_indicator(catalogue, report->indicator_code, report->year);
    if (!indicator) {
        kc_errors_add(errors, KC_ERR_UNKNOWN_INDICATOR, field,
                      "indicator '%.16s' is not in the catalogue of %d", report->indicator_code,
                      report->year);
        return;
    }
    if (provider && strcmp(indicator->provider, provider) != 0) {
        kc_error_t *error =
            kc_errors_add(errors, KC_ERR_PROVIDER_NOT_ALLOWED, field,
                          "indicator '%s' is not supplied by '%.16s'", indicator->code, provider);
        if (error)
            kc_error_detail(error, "%s is supplied by '%s'", indicator->name_zh,
                            indicator->provider);
    }
    snprintf(field, sizeof field, "reports[%zu].value", index);
    s_check_value(indicator, report, field, errors);
}

/* A report with its place in the batch, sorted by (county, year,
 * indicator) to find a value sent twice without a quadratic scan. */
typedef struct {
    const Kc__V1__IndicatorReport *report;
    size_t index;
} s_entry_t;

static int s_compare_entries(const void *left, const void *right)
{
    const s_entry_t *a = left, *b = right;
    int order = strcmp(a->report->county_code, b->report->county_code);
    if (!order)
        order = (a->report->year > b->report->year) - (a->report->year < b->report->year);
    if (!order)
        order = strcmp(a->report->indicator_code, b->report->indicator_code);
    if (!order)
        order = (a->index > b->index) - (a->index < b->index);
    return order;
}

static void s_check_duplicates(const Kc__V1__SubmitReports *request, kc_errors_t *errors)
{
    size_t count = request->n_reports;
    s_entry_t *entries = malloc(count * sizeof *entries);
    if (!entries)
        abort();
    for (size_t i = 0; i < count; i++)
        entries[i] = (s_entry_t){request->reports[i], i};
    qsort(entries, count, sizeof *entries, s_compare_entries);
    for (size_t i = 1; i < count; i++) {
        const Kc__V1__IndicatorReport *a = entries[i - 1].report;
        const Kc__V1__IndicatorReport *b = entries[i].report;
        if (strcmp(a->county_code, b->county_code) || a->year != b->year ||
            strcmp(a->indicator_code, b->indicator_code))
            continue;
        char field[KC_ERROR_FIELD_MAX];
        snprintf(field, sizeof field, "reports[%zu]", entries[i].index);
        kc_errors_add(errors, KC_ERR_DUPLICATE_IN_BATCH, field,
                      "'%.16s' of '%.16s' in %d is also reports[%zu]", b->indicator_code,
                      b->county_code, b->year, entries[i - 1].index);
    }
    free(entries);
}

void validate_reports(const catalogue_t *catalogue, const Kc__V1__Actor *actor,
                      const Kc__V1__SubmitReports *request, kc_errors_t *errors)
{
    /* An unknown provider is one error; the values are still checked for
     * everything that does not depend on who supplies them. */
    const char *provider = request->provider;
    if (!catalogue_provider_known(catalogue, provider)) {
        kc_error_t *error = kc_errors_add(errors, KC_ERR_UNKNOWN_PROVIDER, "provider",
                                          "provider '%.32s' is not known", provider);
        if (error)
            kc_error_hint(error, "providers are stats, sti, ndrc, finance, samr and county");
        provider = NULL;
    }
    if (request->n_reports == 0) {
        kc_errors_add(errors, KC_ERR_EMPTY_BATCH, "reports", "batch holds no values");
        return;
    }
    bool county_provider = provider && strcmp(provider, "county") == 0;
    if (actor && provider && !county_provider && strcmp(actor->organisation, provider) != 0)
        kc_errors_add(errors, KC_ERR_DENIED, "actor.organisation",
                      "'%.64s' may not report for provider '%.32s'", actor->user_id,
                      request->provider);
    int this_year = kc_clock_year();
    for (size_t i = 0; i < request->n_reports; i++) {
        const Kc__V1__IndicatorReport *report = request->reports[i];
        s_check_report(catalogue, provider, report, i, this_year, errors);
        if (actor && county_provider &&
            !s_division_covers(actor->division_code, report->county_code)) {
            char field[KC_ERROR_FIELD_MAX];
            snprintf(field, sizeof field, "reports[%zu].county_code", i);
            kc_errors_add(errors, KC_ERR_DENIED, field,
                          "division '%.8s' may not report for county '%.16s'", actor->division_code,
                          report->county_code);
        }
    }
    s_check_duplicates(request, errors);
}
