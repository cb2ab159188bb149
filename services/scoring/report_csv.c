/*  report_csv: every table of a run as CSV (report_export_csv).
 *
 *  Files are UTF-8 without a byte order mark, comma separated, CRLF line
 *  ends and quoting as in RFC 4180, one header row naming the columns.
 *  Rows follow the year's county order (GB/T 2260 code order), so two runs
 *  diff line by line. Points and totals are centipoints written as text
 *  with exactly two decimals ("80.00"); measured values and shares are
 *  doubles written with %.17g so they read back to the same bits; flags
 *  are words joined by ';' (imputed;missing;jump). Columns that depend on
 *  the methodology (one per primary, one per indicator) are named by its
 *  codes.
 *
 *      results.csv     one row per county: total, subtotals, class, ranks (in
 *                      the scope, the city and the province), the total and
 *                      class under the other total_from rule, whether they
 *                      differ, and the 尾差 note where the parts shown do
 *                      not add up to the total
 *      points.csv      one row per county and indicator (long form)
 *      changes.csv     one row per county: change since last year, split
 *      gaps.csv        one row per county: the gap to the next class
 *      awards.csv      one row per award
 *      robustness.csv  one row per county (only when the Monte Carlo ran)
 */
#include "scoring/report_csv.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "scoring/report.h"
#include "scoring/report_html.h"

typedef void (*s_table_writer_t)(const sc_run_t *run, FILE *out);

void report_csv_field(FILE *out, const char *text)
{
    if (text == NULL) {
        return;
    }
    if (strpbrk(text, ",\"\r\n") == NULL) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"') {
            fputc('"', out);
        }
        fputc(*p, out);
    }
    fputc('"', out);
}

void report_csv_double(FILE *out, double value)
{
    char buf[64];
    if (isnan(value)) {
        fputs("nan", out);
        return;
    }
    if (isinf(value)) {
        fputs(value > 0 ? "inf" : "-inf", out);
        return;
    }
    snprintf(buf, sizeof buf, "%.17g", value);
    /* a locale set by the caller may have made the decimal point a comma */
    for (char *p = buf; *p != '\0'; p++) {
        if (*p == ',') {
            *p = '.';
        }
    }
    fputs(buf, out);
}

static void s_write_centi(FILE *out, int32_t centi)
{
    char number[REPORT_NUMBER_MAX];
    fputs(report_html_centi(centi, number), out);
}

static void s_write_class(FILE *out, char klass)
{
    if (klass != 0) {
        fputc(klass, out);
    }
}

/* code,name: the first two columns of every table. */
static void s_write_county(FILE *out, const sc_county_t *county)
{
    report_csv_field(out, county->code);
    fputc(',', out);
    report_csv_field(out, county->name);
}

/* The 尾差 note of a county whose shown subtotals or points do not add up
 * to its total (a total made from exact values); NULL otherwise. */
static const char *s_tail(const sc_methodology_t *m, const sc_county_result_t *county)
{
    int32_t subtotals = 0, points = 0;
    for (size_t p = 0; p < m->n_primaries; p++)
        subtotals += county->subtotal[p];
    for (size_t k = 0; k < m->n_indicators; k++)
        points += county->points[k];
    if (subtotals == county->total && points == county->total)
        return NULL;
    return report_html_tail_note(m);
}

static void s_write_results(const sc_run_t *run, FILE *out)
{
    fputs("code,name,city_code,city_name,total", out);
    for (size_t p = 0; p < run->m->n_primaries; p++) {
        fputc(',', out);
        report_csv_field(out, run->m->primaries[p].code);
    }
    fputs(",class,rank,rank_in_city,flag_count,rank_in_province,total_other,class_other,"
          "class_flagged,note\r\n",
          out);
    for (size_t i = 0; i < run->input->n_counties; i++) {
        const sc_county_result_t *county = &run->result->counties[i];
        s_write_county(out, &run->input->counties[i]);
        fputc(',', out);
        report_csv_field(out, run->input->counties[i].city_code);
        fputc(',', out);
        report_csv_field(out, run->input->counties[i].city_name);
        fputc(',', out);
        s_write_centi(out, county->total);
        for (size_t p = 0; p < run->m->n_primaries; p++) {
            fputc(',', out);
            s_write_centi(out, county->subtotal[p]);
        }
        fputc(',', out);
        s_write_class(out, county->klass);
        fprintf(out, ",%d,%d,%d,%d,", county->rank, county->rank_in_city, county->flag_count,
                county->rank_in_province);
        s_write_centi(out, county->total_other);
        fputc(',', out);
        s_write_class(out, county->class_other);
        fprintf(out, ",%d,", county->class_other != county->klass);
        report_csv_field(out, s_tail(run->m, county));
        fputs("\r\n", out);
    }
}

static void s_write_flags(FILE *out, uint8_t flags)
{
    static const struct {
        uint8_t bit;
        const char *word;
    } words[] = {
        {SC_FLAG_IMPUTED, "imputed"}, {SC_FLAG_MISSING, "missing"}, {SC_FLAG_JUMP, "jump"}};
    bool first = true;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        if ((flags & words[w].bit) != 0) {
            fputs(first ? "" : ";", out);
            fputs(words[w].word, out);
            first = false;
        }
    }
}

static void s_write_points(const sc_run_t *run, FILE *out)
{
    fputs("code,indicator,value,normalised,points,max_points,flags\r\n", out);
    for (size_t i = 0; i < run->input->n_counties; i++) {
        const sc_county_result_t *county = &run->result->counties[i];
        for (size_t k = 0; k < run->m->n_indicators; k++) {
            report_csv_field(out, run->input->counties[i].code);
            fputc(',', out);
            report_csv_field(out, run->m->indicators[k].code);
            fputc(',', out);
            report_csv_double(out, county->value[k]);
            fputc(',', out);
            report_csv_double(out, county->normalised[k]);
            fputc(',', out);
            s_write_centi(out, county->points[k]);
            fputc(',', out);
            s_write_centi(out, run->m->indicators[k].points_centi);
            fputc(',', out);
            s_write_flags(out, county->flags[k]);
            fputs("\r\n", out);
        }
    }
}

static void s_write_change_row(const sc_run_t *run, size_t i, FILE *out)
{
    const sc_change_t *change = &run->changes[i];
    s_write_county(out, &run->input->counties[i]);
    fprintf(out, ",%d,", change->has_previous ? 1 : 0);
    s_write_class(out, change->previous_class);
    fputc(',', out);
    s_write_class(out, run->result->counties[i].klass);
    if (!change->has_previous) {
        /* nothing to compare: every change column empty */
        fprintf(out, ",,%d,,,", run->result->counties[i].rank);
        for (size_t k = 0; k < run->m->n_indicators; k++) {
            fputc(',', out);
        }
        fputs("\r\n", out);
        return;
    }
    fprintf(out, ",%d,%d,%d,", change->previous_rank, run->result->counties[i].rank,
            change->rank_change);
    s_write_centi(out, change->total_delta);
    fputc(',', out);
    if (change->main_cause >= 0 && (size_t)change->main_cause < run->m->n_indicators) {
        report_csv_field(out, run->m->indicators[change->main_cause].code);
    }
    for (size_t k = 0; k < run->m->n_indicators; k++) {
        fputc(',', out);
        s_write_centi(out, change->indicator_delta[k]);
    }
    fputs("\r\n", out);
}

static void s_write_changes(const sc_run_t *run, FILE *out)
{
    fputs("code,name,has_previous,previous_class,class,previous_rank,rank,rank_change,total_delta,"
          "main_cause",
          out);
    for (size_t k = 0; k < run->m->n_indicators; k++) {
        fputs(",delta_", out);
        report_csv_field(out, run->m->indicators[k].code);
    }
    fputs("\r\n", out);
    for (size_t i = 0; run->changes != NULL && i < run->input->n_counties; i++) {
        s_write_change_row(run, i, out);
    }
}

static void s_write_gaps(const sc_run_t *run, FILE *out)
{
    fputs("code,name,class,total,next_class,points_needed,indicator,value_needed,"
          "relative_increase\r\n",
          out);
    for (size_t i = 0; run->gaps != NULL && i < run->input->n_counties; i++) {
        const sc_gap_t *gap = &run->gaps[i];
        s_write_county(out, &run->input->counties[i]);
        fputc(',', out);
        s_write_class(out, run->result->counties[i].klass);
        fputc(',', out);
        s_write_centi(out, run->result->counties[i].total);
        fputc(',', out);
        if (gap->next_class == 0) {
            fputs(",,,,\r\n", out); /* already in A: no gap */
            continue;
        }
        s_write_class(out, gap->next_class);
        fputc(',', out);
        s_write_centi(out, gap->points_needed);
        fputc(',', out);
        if (gap->indicator < 0 || (size_t)gap->indicator >= run->m->n_indicators) {
            fputs(",,\r\n", out); /* no single indicator closes the gap */
            continue;
        }
        report_csv_field(out, run->m->indicators[gap->indicator].code);
        fputc(',', out);
        report_csv_double(out, gap->value_needed);
        fputc(',', out);
        report_csv_double(out, gap->relative_increase);
        fputs("\r\n", out);
    }
}

static void s_write_awards(const sc_run_t *run, FILE *out)
{
    fputs("code,name,rule,amount,reason,county_total,county_uncapped\r\n", out);
    for (size_t i = 0; run->awards != NULL && i < run->input->n_counties; i++) {
        const sc_county_awards_t *awards = &run->awards[i];
        for (size_t a = 0; a < awards->n_awards; a++) {
            s_write_county(out, &run->input->counties[i]);
            fputc(',', out);
            report_csv_field(out, awards->awards[a].rule);
            fprintf(out, ",%d,", awards->awards[a].amount);
            report_csv_field(out, awards->awards[a].reason);
            fprintf(out, ",%d,%d\r\n", awards->total, awards->uncapped);
        }
    }
}

static void s_write_robustness(const sc_run_t *run, FILE *out)
{
    fputs("code,name,class,rank,rank_p5,rank_p50,rank_p95,p_a,p_b,p_c\r\n", out);
    for (size_t i = 0; i < run->input->n_counties; i++) {
        const sc_mc_county_t *mc = &run->robustness[i];
        s_write_county(out, &run->input->counties[i]);
        fputc(',', out);
        s_write_class(out, run->result->counties[i].klass);
        fprintf(out, ",%d,%d,%d,%d", run->result->counties[i].rank, mc->rank_p5, mc->rank_p50,
                mc->rank_p95);
        for (int k = 0; k < 3; k++) {
            fputc(',', out);
            report_csv_double(out, mc->p_class[k]);
        }
        fputs("\r\n", out);
    }
}

static int s_write_table(const sc_run_t *run, const char *dir, const char *name,
                         s_table_writer_t writer, kc_error_t *error)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        return kc_error_set(error, KC_ERR_INPUT, dir, "output path too long in '%s'", dir);
    }
    FILE *out = fopen(path, "wb");
    if (out == NULL) {
        return kc_error_set(error, KC_ERR_INPUT, path, "cannot create '%s': %s", path,
                            strerror(errno));
    }
    writer(run, out);
    bool failed = ferror(out) != 0;
    if (fclose(out) != 0 || failed) {
        return kc_error_set(error, KC_ERR_INPUT, path, "cannot write '%s'", path);
    }
    return 0;
}

int report_export_csv(const sc_run_t *run, const char *dir, kc_error_t *error)
{
    static const struct {
        const char *name;
        s_table_writer_t writer;
    } tables[] = {
        {"results.csv", s_write_results}, {"points.csv", s_write_points},
        {"changes.csv", s_write_changes}, {"gaps.csv", s_write_gaps},
        {"awards.csv", s_write_awards},
    };
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        if (s_write_table(run, dir, tables[t].name, tables[t].writer, error) != 0) {
            return -1;
        }
    }
    if (run->robustness != NULL &&
        s_write_table(run, dir, "robustness.csv", s_write_robustness, error) != 0) {
        return -1;
    }
    return 0;
}
